// Emits C++ value types and a binary codec for every constructor and method of a TL schema:
// one header with the declarations and N source shards (so the two cores compile in parallel).
#ifndef TGRPC_TL_GEN_CPP_GENERATOR_H_
#define TGRPC_TL_GEN_CPP_GENERATOR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tl/parser/schema.h"

namespace tgrpc::tl::gen {

struct CppOptions {
  std::string ns;           // C++ namespace inside tgrpc::tl, e.g. "api"
  std::string header_path;  // include path of the generated header, e.g. "tl/generated/api.h"
  int shards = 1;           // number of .cc files
};

struct CppOutput {
  std::string header;
  std::vector<std::string> sources;  // `shards` of them
};

absl::StatusOr<CppOutput> GenerateCpp(const Schema& schema, const CppOptions& options);

// The C++ identifier for a TL name: `messages.sendMessage` -> `messages_sendMessage`, with a
// trailing `_` for C++ keywords.
std::string CppIdentifier(absl::string_view tl_name);

}  // namespace tgrpc::tl::gen

#endif  // TGRPC_TL_GEN_CPP_GENERATOR_H_

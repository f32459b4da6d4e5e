// tlgen: generates the C++ codec for a TL schema at build time.
// Usage: tlgen <schema.tl> <namespace> <header include path> <out.h> <out_0.cc> [<out_1.cc> ...]
#include <fstream>
#include <iostream>

#include "tl/gen/cpp_generator.h"
#include "tl/parser/schema.h"

int main(int argc, char** argv) {
  if (argc < 6) {
    std::cerr << "usage: tlgen <schema.tl> <namespace> <header include path> <out.h> <out.cc>...\n";
    return 2;
  }
  absl::StatusOr<tgrpc::tl::Schema> schema = tgrpc::tl::LoadSchemaFiles({argv[1]});
  if (!schema.ok()) {
    std::cerr << "tlgen: " << schema.status() << "\n";
    return 1;
  }
  tgrpc::tl::gen::CppOptions options{argv[2], argv[3], argc - 5};
  absl::StatusOr<tgrpc::tl::gen::CppOutput> out = tgrpc::tl::gen::GenerateCpp(*schema, options);
  if (!out.ok()) {
    std::cerr << "tlgen: " << out.status() << "\n";
    return 1;
  }
  auto write = [](const char* path, const std::string& data) {
    std::ofstream f(path, std::ios::binary);
    f << data;
    return static_cast<bool>(f);
  };
  bool ok = write(argv[4], out->header);
  for (int i = 5; i < argc; ++i) ok &= write(argv[i], out->sources[i - 5]);
  if (!ok) {
    std::cerr << "tlgen: cannot write the outputs\n";
    return 1;
  }
  return 0;
}

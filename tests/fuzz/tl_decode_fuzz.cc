// Fuzz target for the TL decoders: any input must decode to an error or to a value that both
// codecs (generated and schema-driven) re-encode to the same bytes. Never a crash.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "tl/dynamic/sample.h"
#include "tl/dynamic/value.h"
#include "tl/generated/api.h"

namespace {

const tgrpc::tl::Schema& ApiSchema() {
  static const tgrpc::tl::Schema* schema = [] {
    const char* path = std::getenv("TGRPC_TL_SCHEMA");
    auto s = tgrpc::tl::LoadSchemaFiles({path ? path : "tl/schema/api.tl"});
    if (!s.ok()) {
      std::cerr << "cannot load the API schema: " << s.status() << "\n";
      std::abort();
    }
    return new tgrpc::tl::Schema(*std::move(s));
  }();
  return *schema;
}

}  // namespace

std::vector<std::string> TgrpcFuzzSeeds() {
  const tgrpc::tl::Schema& s = ApiSchema();
  tgrpc::tl::DynamicCodec codec(&s);
  std::vector<std::string> seeds;
  for (const char* name : {"messages.sendMessage", "updates", "message", "user", "channel",
                           "upload.saveBigFilePart", "messages.channelMessages", "updateShort"}) {
    const tgrpc::tl::Combinator* c = s.ByName(name);
    if (c == nullptr) continue;
    for (bool all : {true, false}) {
      tgrpc::tl::Sampler sampler(&s, {all, 3, 3});
      auto bytes = codec.EncodeBoxed(sampler.Object(*c));
      if (bytes.ok()) seeds.push_back(*bytes);
    }
  }
  return seeds;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  tgrpc::tl::Reader r(absl::string_view(input.data(), input.size()));
  uint32_t id = r.U32();
  bool known = false;
  tgrpc::tl::Ptr<tgrpc::tl::Object> obj = tgrpc::tl::api::ReadById(id, r, &known);
  if (!known || !r.ok()) return 0;
  absl::string_view consumed(input.data(), r.position());
  auto generated = tgrpc::tl::Serialize(*obj);

  const tgrpc::tl::Schema& s = ApiSchema();
  tgrpc::tl::DynamicCodec codec(&s);
  tgrpc::tl::Reader dr(consumed);
  auto value = codec.DecodeBoxed(dr, s.ById(id)->is_function ? "Function" : "Object");
  if (!value.ok() || dr.remaining() != 0) {
    std::cerr << "generated decoder accepted what the schema-driven one rejects: "
              << (value.ok() ? "length" : value.status().ToString()) << "\n";
    std::abort();
  }
  auto dynamic = codec.EncodeBoxed(*value);
  if (generated.ok() != dynamic.ok() || (generated.ok() && *generated != *dynamic)) {
    std::cerr << "codecs disagree on re-encoding 0x" << std::hex << id << "\n";
    std::abort();
  }
  return 0;
}

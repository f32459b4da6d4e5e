// tlconv: converts any TL object or function between binary (hex or raw) and JSON, both ways,
// on the schema-driven codec.
//
//   tlconv [--schema FILE]... --type TYPE --from hex|raw|json --to hex|raw|json [FILE]
//
// TYPE is a boxed type ("Updates", "Vector<User>"), a constructor or method name, "Object" (any
// constructor) or "Function" (any method). Input comes from FILE or standard input. Without
// --schema, the pinned API schema is used (TGRPC_TL_SCHEMA or tl/schema/api.tl).
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "tl/dynamic/json.h"
#include "tl/dynamic/value.h"

namespace {

int Usage(const char* msg) {
  if (msg) std::cerr << "tlconv: " << msg << "\n";
  std::cerr << "usage: tlconv [--schema FILE]... --type TYPE --from hex|raw|json "
               "--to hex|raw|json [FILE]\n";
  return 2;
}

bool ReadAll(std::istream& in, std::string* out) {
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> schema_files;
  std::string type, from, to, input_path;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--schema" && value(&v)) {
      schema_files.push_back(v);
    } else if (a == "--type" && value(&type)) {
    } else if (a == "--from" && value(&from)) {
    } else if (a == "--to" && value(&to)) {
    } else if (a == "-h" || a == "--help") {
      return Usage(nullptr);
    } else if (!a.empty() && a[0] != '-' && input_path.empty()) {
      input_path = a;
    } else {
      return Usage(("unexpected argument " + a).c_str());
    }
  }
  auto valid = [](const std::string& f) { return f == "hex" || f == "raw" || f == "json"; };
  if (type.empty() || !valid(from) || !valid(to))
    return Usage("--type, --from and --to are required");
  if (schema_files.empty()) {
    const char* env = std::getenv("TGRPC_TL_SCHEMA");
    schema_files.push_back(env ? env : "tl/schema/api.tl");
  }
  absl::StatusOr<tgrpc::tl::Schema> schema = tgrpc::tl::LoadSchemaFiles(schema_files);
  if (!schema.ok()) {
    std::cerr << "tlconv: " << schema.status().message() << "\n";
    return 1;
  }
  std::string input;
  if (input_path.empty()) {
    ReadAll(std::cin, &input);
  } else {
    std::ifstream in(input_path, std::ios::binary);
    if (!in || !ReadAll(in, &input)) {
      std::cerr << "tlconv: cannot read " << input_path << "\n";
      return 1;
    }
  }
  tgrpc::tl::DynamicCodec codec(&*schema);
  absl::StatusOr<tgrpc::tl::Value> value;
  if (from == "json") {
    value = tgrpc::tl::FromJson(*schema, input, type);
  } else {
    std::string bytes = input;
    if (from == "hex") {
      std::string hex;
      for (char c : input) {
        if (!absl::ascii_isspace(static_cast<unsigned char>(c))) hex.push_back(c);
      }
      if (hex.size() % 2 != 0 ||
          hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
        std::cerr << "tlconv: input is not hex\n";
        return 1;
      }
      bytes = absl::HexStringToBytes(hex);
    }
    value = codec.Decode(bytes, type);
  }
  if (!value.ok()) {
    std::cerr << "tlconv: " << value.status().message() << "\n";
    return 1;
  }
  if (to == "json") {
    std::cout << tgrpc::tl::ObjectToJson(*value) << "\n";
    return 0;
  }
  std::string out;
  tgrpc::tl::Writer w(&out);
  absl::Status status;
  if (value->kind == tgrpc::tl::Value::Kind::kObject) {
    status = codec.EncodeBoxed(*value, w);
  } else {
    absl::StatusOr<tgrpc::tl::TypeRef> t = tgrpc::tl::ParseTypeRef(type);
    status = t.ok() ? codec.Encode(*value, *t, w) : t.status();
  }
  if (!status.ok()) {
    std::cerr << "tlconv: " << status.message() << "\n";
    return 1;
  }
  if (to == "hex") {
    std::cout << absl::BytesToHexString(out) << "\n";
  } else {
    std::cout.write(out.data(), static_cast<std::streamsize>(out.size()));
  }
  return 0;
}

// tlproto: the raw API's build tool.
//   tlproto protos <api.tl> <lock> <out_dir> [comments.tsv]
//                                              writes the .proto files under out_dir
//   tlproto stats <api.tl> <lock>              counts of messages, fields, services, RPCs
//   tlproto update-lock <api.tl> <lock>        appends what the schema has that the lock lacks
//   tlproto embed <file> <out.cc> <name>       a .cc defining `absl::string_view name()` with the
//                                              file's bytes (the descriptor set in tgrpcd)
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tl/parser/schema.h"
#include "tl/rawapi/lock.h"
#include "tl/rawapi/model.h"
#include "tl/rawapi/proto_emitter.h"

namespace {

using tgrpc::tl::raw::Lock;

int Fail(absl::string_view message) {
  std::cerr << "tlproto: " << message << "\n";
  return 1;
}

bool WriteFile(const std::string& path, absl::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  return static_cast<bool>(out);
}

absl::StatusOr<Lock> ReadLock(const std::string& path, bool may_be_missing) {
  if (may_be_missing && !std::filesystem::exists(path)) return Lock{};
  absl::StatusOr<std::string> text = tgrpc::tl::ReadTextFile(path);
  if (!text.ok()) return text.status();
  return tgrpc::tl::raw::ParseLock(*text);
}

int Protos(const std::string& schema_path, const std::string& lock_path, const std::string& out,
           const std::string& comments_path) {
  std::optional<tgrpc::tl::raw::Comments> comments;
  if (!comments_path.empty()) {
    absl::StatusOr<std::string> text = tgrpc::tl::ReadTextFile(comments_path);
    if (!text.ok()) return Fail(text.status().message());
    absl::StatusOr<tgrpc::tl::raw::Comments> parsed = tgrpc::tl::raw::ParseComments(*text);
    if (!parsed.ok()) return Fail(parsed.status().message());
    comments = *std::move(parsed);
  }
  absl::StatusOr<tgrpc::tl::Schema> schema = tgrpc::tl::LoadSchemaFiles({schema_path});
  if (!schema.ok()) return Fail(schema.status().message());
  absl::StatusOr<Lock> lock = ReadLock(lock_path, false);
  if (!lock.ok()) return Fail(lock.status().message());
  auto model = tgrpc::tl::raw::RawModel::Build(&*schema, *lock);
  if (!model.ok()) return Fail(model.status().message());
  for (const auto& [name, contents] :
       tgrpc::tl::raw::EmitProtoFiles(**model, comments ? &*comments : nullptr)) {
    const std::filesystem::path path = std::filesystem::path(out) / name;
    std::filesystem::create_directories(path.parent_path());
    if (!WriteFile(path.string(), contents))
      return Fail(absl::StrCat("cannot write ", path.string()));
  }
  return 0;
}

// Counts of what the raw API has, by kind (for docs and the closing note).
int Stats(const std::string& schema_path, const std::string& lock_path) {
  absl::StatusOr<tgrpc::tl::Schema> schema = tgrpc::tl::LoadSchemaFiles({schema_path});
  if (!schema.ok()) return Fail(schema.status().message());
  absl::StatusOr<Lock> lock = ReadLock(lock_path, false);
  if (!lock.ok()) return Fail(lock.status().message());
  auto model = tgrpc::tl::raw::RawModel::Build(&*schema, *lock);
  if (!model.ok()) return Fail(model.status().message());
  using Kind = tgrpc::tl::raw::Message::Kind;
  std::map<Kind, int> kinds;
  int fields = 0;
  for (const auto& m : (*model)->messages()) {
    ++kinds[m.kind];
    fields += static_cast<int>(m.fields.size());
  }
  std::set<std::string> services;
  for (const auto& rpc : (*model)->rpcs()) services.insert(rpc.service);
  std::cout << "layer " << schema->layer << ": " << (*model)->messages().size() << " messages ("
            << kinds[Kind::kConstructor] << " constructors, " << kinds[Kind::kWrapper]
            << " oneof wrappers, " << kinds[Kind::kRequest] << " requests, "
            << kinds[Kind::kVector] + kinds[Kind::kScalarResult] << " result messages), " << fields
            << " fields, 0 enums, " << services.size() << " services, " << (*model)->rpcs().size()
            << " RPCs, " << (*model)->files().size() << " files; "
            << (*model)->skipped_functions().size() << " methods left out\n";
  return 0;
}

int UpdateLock(const std::string& schema_path, const std::string& lock_path) {
  absl::StatusOr<tgrpc::tl::Schema> schema = tgrpc::tl::LoadSchemaFiles({schema_path});
  if (!schema.ok()) return Fail(schema.status().message());
  absl::StatusOr<Lock> lock = ReadLock(lock_path, true);
  if (!lock.ok()) return Fail(lock.status().message());
  std::vector<std::string> changes;
  Lock updated = tgrpc::tl::raw::UpdateLock(*lock, *schema, &changes);
  for (const std::string& change : changes) std::cout << change << "\n";
  std::cout << changes.size() << " changes\n";
  if (!WriteFile(lock_path, tgrpc::tl::raw::PrintLock(updated))) {
    return Fail(absl::StrCat("cannot write ", lock_path));
  }
  return 0;
}

int Embed(const std::string& in, const std::string& out, const std::string& name) {
  std::ifstream file(in, std::ios::binary);
  if (!file) return Fail(absl::StrCat("cannot read ", in));
  const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::vector<std::string> parts = absl::StrSplit(name, "::");
  const std::string function = parts.back();
  parts.pop_back();
  std::string cc =
      "// Generated by tlproto embed. Do not edit.\n#include \"absl/strings/string_view.h\"\n\n";
  for (const std::string& ns : parts) absl::StrAppend(&cc, "namespace ", ns, " {\n");
  // An array, not a string literal: compilers take large arrays faster and without limits.
  absl::StrAppend(&cc, "namespace {\nconst unsigned char kBytes[", bytes.size() + 1, "] = {\n");
  for (size_t i = 0; i < bytes.size(); ++i) {
    absl::StrAppend(&cc, static_cast<unsigned>(static_cast<unsigned char>(bytes[i])),
                    i % 32 == 31 ? ",\n" : ",");
  }
  absl::StrAppend(&cc, "0};\n}  // namespace\n\nabsl::string_view ", function,
                  "() {\n  return absl::string_view(reinterpret_cast<const char*>(kBytes), ",
                  bytes.size(), ");\n}\n");
  for (auto it = parts.rbegin(); it != parts.rend(); ++it)
    absl::StrAppend(&cc, "}  // namespace ", *it, "\n");
  if (!WriteFile(out, cc)) return Fail(absl::StrCat("cannot write ", out));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "protos" && (argc == 5 || argc == 6)) {
    return Protos(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : "");
  }
  if (command == "stats" && argc == 4) return Stats(argv[2], argv[3]);
  if (command == "update-lock" && argc == 4) return UpdateLock(argv[2], argv[3]);
  if (command == "embed" && argc == 5) return Embed(argv[2], argv[3], argv[4]);
  return Fail(
      "usage: tlproto protos <api.tl> <lock> <out_dir> [comments.tsv] | stats <api.tl> <lock> | "
      "update-lock <api.tl> "
      "<lock> | "
      "embed <file> <out.cc> <namespace::name>");
}

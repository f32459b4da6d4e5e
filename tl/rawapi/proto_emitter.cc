#include "tl/rawapi/proto_emitter.h"

#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace tgrpc::tl::raw {
namespace {

const char* ScalarName(Scalar s) {
  switch (s) {
    case Scalar::kInt32:
      return "int32";
    case Scalar::kInt64:
      return "int64";
    case Scalar::kSfixed64:
      return "sfixed64";
    case Scalar::kDouble:
      return "double";
    case Scalar::kString:
      return "string";
    case Scalar::kBytes:
      return "bytes";
    case Scalar::kBool:
      return "bool";
  }
  return "bytes";
}

// A description as `//` lines of at most 100 columns after `indent`.
void EmitComment(const std::string* text, absl::string_view indent, std::string& out) {
  if (text == nullptr) return;
  std::string line;
  for (absl::string_view word : absl::StrSplit(*text, ' ', absl::SkipEmpty())) {
    if (!line.empty() && indent.size() + 3 + line.size() + 1 + word.size() > 100) {
      absl::StrAppend(&out, indent, "// ", line, "\n");
      line.clear();
    }
    absl::StrAppend(&line, line.empty() ? "" : " ", word);
  }
  if (!line.empty()) absl::StrAppend(&out, indent, "// ", line, "\n");
}

void EmitReserved(const Message& m, std::string& out) {
  if (m.reserved.empty()) return;
  std::vector<std::string> numbers, names;
  for (const auto& [number, name] : m.reserved) {
    numbers.push_back(absl::StrCat(number));
    names.push_back(absl::StrCat("\"", name, "\""));
  }
  absl::StrAppend(&out, "  reserved ", absl::StrJoin(numbers, ", "), ";\n");
  absl::StrAppend(&out, "  reserved ", absl::StrJoin(names, ", "), ";\n");
}

std::string FieldComment(const Field& f) {
  if (f.param == nullptr) return "";
  std::string tl = f.param->ToString();
  if (f.tl_type == "int128" || f.tl_type == "int256") {
    absl::StrAppend(&tl, f.tl_type == "int128" ? " (16 bytes)" : " (32 bytes)");
  }
  return absl::StrCat("  // ", tl, "\n");
}

void EmitMessage(const RawModel& model, const Comments* comments, const Message& m,
                 std::string& out) {
  auto describe = [comments](const Combinator* c) -> const std::string* {
    return comments != nullptr && c != nullptr ? comments->Of(c->name) : nullptr;
  };
  switch (m.kind) {
    case Message::Kind::kWrapper:
      absl::StrAppend(&out, "\n// The boxed type ", m.tl_type, ": one of its constructors.\n");
      break;
    case Message::Kind::kConstructor:
    case Message::Kind::kRequest:
      out.push_back('\n');
      EmitComment(describe(m.combinator), "", out);
      absl::StrAppend(&out, "// ", m.combinator->ToString(), "\n");
      break;
    case Message::Kind::kVector:
      absl::StrAppend(&out, "\n// A result of type Vector<", m.tl_type, ">.\n");
      break;
    case Message::Kind::kScalarResult:
      absl::StrAppend(&out, "\n// A result of type ", m.tl_type, ".\n");
      break;
  }
  absl::StrAppend(&out, "message ", m.name, " {\n");
  const bool oneof = m.kind == Message::Kind::kWrapper;
  if (oneof) absl::StrAppend(&out, "  // The constructor this value is.\n  oneof value {\n");
  for (const Field& f : m.fields) {
    const std::string indent = oneof ? "    " : "  ";
    if (oneof && f.constructor == nullptr) {
      absl::StrAppend(&out, indent,
                      "// A peer by marked id (-100... for channels) or @username: tgrpcd fills in "
                      "the\n",
                      indent, "// access hash from what the account has seen.\n");
    } else if (oneof) {
      absl::StrAppend(&out, indent, "// ", f.constructor->name, "#",
                      absl::Hex(f.constructor->id, absl::kZeroPad8), "\n");
    } else if (m.kind == Message::Kind::kVector || m.kind == Message::Kind::kScalarResult) {
      absl::StrAppend(&out, "  // The method's result.\n");
    } else {
      if (m.kind == Message::Kind::kRequest && f.param == nullptr) {
        absl::StrAppend(&out, "  // The account's resource name: accounts/{account}.\n");
      } else {
        if (comments != nullptr && f.param != nullptr) {
          EmitComment(comments->Of(m.combinator->name, f.param->name), "  ", out);
        }
        absl::StrAppend(&out, FieldComment(f));
      }
    }
    absl::StrAppend(&out, indent, f.repeated ? "repeated " : "", f.optional ? "optional " : "",
                    ProtoType(model, f), " ", f.name, " = ", f.number, ";\n");
  }
  if (oneof) absl::StrAppend(&out, "  }\n");
  EmitReserved(m, out);
  absl::StrAppend(&out, "}\n");
}

}  // namespace

std::string ProtoType(const RawModel& model, const Field& field) {
  return field.is_message ? model.message(field.message).name : ScalarName(field.scalar);
}

std::map<std::string, std::string> EmitProtoFiles(const RawModel& model, const Comments* comments) {
  std::map<std::string, std::string> bodies;
  std::map<std::string, std::set<std::string>> imports;
  auto refer = [&](const Message& m) {
    for (const Field& f : m.fields) {
      if (!f.is_message) continue;
      const std::string& file = model.message(f.message).file;
      if (file != m.file) imports[m.file].insert(file);
    }
  };
  // Types: each wrapper followed by its constructors, in schema order; result messages last.
  std::set<const Message*> written;
  for (const Message& w : model.messages()) {
    if (w.kind != Message::Kind::kWrapper) continue;
    EmitMessage(model, comments, w, bodies[w.file]);
    refer(w);
    for (const Field& f : w.fields) {
      if (f.constructor == nullptr) continue;
      const Message& c = model.message(f.message);
      if (!written.insert(&c).second) continue;
      EmitMessage(model, comments, c, bodies[c.file]);
      refer(c);
    }
  }
  for (const Message& m : model.messages()) {
    if (m.kind == Message::Kind::kVector || m.kind == Message::Kind::kScalarResult) {
      EmitMessage(model, comments, m, bodies[m.file]);
      refer(m);
    }
  }
  // Services: requests, then the service with one RPC per method.
  std::map<std::string, std::map<std::string, std::vector<const Rpc*>>> services;
  for (const Rpc& rpc : model.rpcs()) {
    const Message& request = model.message(rpc.request);
    EmitMessage(model, comments, request, bodies[request.file]);
    refer(request);
    const Message& response = model.message(rpc.response);
    if (response.file != request.file) imports[request.file].insert(response.file);
    services[request.file][rpc.service].push_back(&rpc);
  }
  for (const auto& [file, by_service] : services) {
    for (const auto& [service, rpcs] : by_service) {
      std::string& out = bodies[file];
      absl::StrAppend(&out, "\n// The methods of TL's `",
                      rpcs[0]->function->name.substr(0, rpcs[0]->function->name.find('.')),
                      "` namespace.\nservice ", service, " {\n");
      for (const Rpc* rpc : rpcs) {
        if (comments != nullptr) EmitComment(comments->Of(rpc->function->name), "  ", out);
        absl::StrAppend(&out, "  // ", rpc->function->name, "#",
                        absl::Hex(rpc->function->id, absl::kZeroPad8), "\n", "  rpc ", rpc->method,
                        "(", model.message(rpc->request).name, ") returns (",
                        model.message(rpc->response).name, ");\n");
      }
      absl::StrAppend(&out, "}\n");
    }
  }

  std::map<std::string, std::string> files;
  for (const std::string& file : model.files()) {
    std::string out = absl::StrCat(
        "// Generated by tl/rawapi (tlproto) from the TL schema, layer ", model.schema().layer,
        ", and tl/schema/raw_api.lock.\n// Do not edit. docs/raw-api.md says how TL maps to "
        "these messages.\nsyntax = \"proto3\";\n\npackage ",
        kPackage, ";\n");
    if (!imports[file].empty()) out.push_back('\n');
    for (const std::string& i : imports[file]) absl::StrAppend(&out, "import \"", i, "\";\n");
    absl::StrAppend(&out, bodies[file]);
    files[file] = std::move(out);
  }
  return files;
}

}  // namespace tgrpc::tl::raw

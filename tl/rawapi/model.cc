#include "tl/rawapi/model.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace tgrpc::tl::raw {
namespace {

absl::string_view Namespace(absl::string_view tl_name) {
  size_t dot = tl_name.find('.');
  return dot == absl::string_view::npos ? absl::string_view() : tl_name.substr(0, dot);
}

bool IsRefType(absl::string_view type) {
  return type == "InputPeer" || type == "InputUser" || type == "InputChannel";
}

// A long whose value is random-looking (hashes, access hashes, random ids): sfixed64.
bool RandomLong(absl::string_view name) {
  return name == "hash" || absl::EndsWith(name, "_hash") || name == "random_id";
}

std::optional<Scalar> ScalarOf(absl::string_view type, absl::string_view param_name) {
  if (type == "int") return Scalar::kInt32;
  if (type == "long") return RandomLong(param_name) ? Scalar::kSfixed64 : Scalar::kInt64;
  if (type == "double") return Scalar::kDouble;
  if (type == "string") return Scalar::kString;
  if (type == "bytes" || type == "int128" || type == "int256") return Scalar::kBytes;
  if (type == "Bool" || type == "true") return Scalar::kBool;
  return std::nullopt;
}

// The file of a namespace's types (the merged group of namespaces that refer to each other
// shares one, since protobuf files may not import each other in a cycle).
std::string TypesFile(absl::string_view group) {
  return absl::StrCat("tgrpc/raw/v1/", group.empty() ? "" : absl::StrCat(group, "_"),
                      "types.proto");
}

std::string ServiceFile(absl::string_view ns) {
  return absl::StrCat("tgrpc/raw/v1/", ns, ".proto");
}

}  // namespace

std::string PascalCase(absl::string_view tl_name) {
  std::string out;
  bool upper = true;
  for (char ch : tl_name) {
    if (ch == '.' || ch == '_') {
      upper = true;
      continue;
    }
    out.push_back(upper ? absl::ascii_toupper(ch) : ch);
    upper = false;
  }
  return out;
}

std::string SnakeCase(absl::string_view tl_name) {
  std::string out;
  for (size_t i = 0; i < tl_name.size(); ++i) {
    const char ch = tl_name[i];
    if (ch == '.') {
      out.push_back('_');
      continue;
    }
    if (absl::ascii_isupper(ch)) {
      const bool after_lower =
          i > 0 && (absl::ascii_islower(tl_name[i - 1]) || absl::ascii_isdigit(tl_name[i - 1]));
      const bool ends_run = i > 0 && absl::ascii_isupper(tl_name[i - 1]) &&
                            i + 1 < tl_name.size() && absl::ascii_islower(tl_name[i + 1]);
      if ((after_lower || ends_run) && !out.empty() && out.back() != '_') out.push_back('_');
      out.push_back(absl::ascii_tolower(ch));
      continue;
    }
    out.push_back(ch);
  }
  return out;
}

const Field* Message::ByNumber(int number) const {
  for (const Field& f : fields) {
    if (f.number == number) return &f;
  }
  return nullptr;
}

std::string Rpc::path() const { return absl::StrCat("/", kPackage, ".", service, "/", method); }

const Message* RawModel::ByName(absl::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &messages_[it->second];
}

const Message* RawModel::ForConstructor(const Combinator* c) const {
  auto it = by_combinator_.find(c);
  return it == by_combinator_.end() ? nullptr : &messages_[it->second];
}

const Message* RawModel::WrapperOf(absl::string_view boxed_type) const {
  return ByName(absl::StrCat("Type", PascalCase(boxed_type)));
}

const Rpc* RawModel::RpcByPath(absl::string_view path) const {
  auto it = rpc_by_path_.find(path);
  return it == rpc_by_path_.end() ? nullptr : &rpcs_[it->second];
}

const Rpc* RawModel::RpcForFunction(absl::string_view tl_name) const {
  auto it = rpc_by_function_.find(tl_name);
  return it == rpc_by_function_.end() ? nullptr : &rpcs_[it->second];
}

absl::StatusOr<std::unique_ptr<RawModel>> RawModel::Build(const Schema* schema, const Lock& lock) {
  std::unique_ptr<RawModel> model(new RawModel(schema));
  std::vector<std::string> missing;
  auto add = [&model](Message m) {
    const int index = static_cast<int>(model->messages_.size());
    model->by_name_.emplace(m.name, index);
    if (m.combinator != nullptr) model->by_combinator_.emplace(m.combinator, index);
    model->messages_.push_back(std::move(m));
    return index;
  };

  // Wrappers first (one per boxed type with a constructor in the raw API), so fields can point
  // at them by index; then constructors, extra result messages and requests.
  std::map<std::string, std::string, std::less<>> type_group;  // boxed type -> namespace
  for (const auto& [type, ctors] : schema->types()) {
    if (std::none_of(ctors.begin(), ctors.end(),
                     [](const Combinator* c) { return InRawApi(*c); })) {
      continue;
    }
    Message m;
    m.kind = Message::Kind::kWrapper;
    m.name = absl::StrCat("Type", PascalCase(type));
    m.tl_type = type;
    type_group[type] = std::string(Namespace(type));
    if (model->by_name_.contains(m.name)) {
      return absl::InternalError(absl::StrCat("raw API: two messages named ", m.name));
    }
    add(std::move(m));
  }

  // Field layout of one combinator's parameters; false when the lock lacks something.
  auto element = [&](const TypeRef& t, absl::string_view param_name, Field& f) -> absl::Status {
    const TypeRef& e = t.IsVector() ? t.args[0] : t;
    f.repeated = t.IsVector();
    f.tl_type = e.name;
    if (e.IsVector()) {
      return absl::UnimplementedError(absl::StrCat("raw API: nested vector ", t.ToString()));
    }
    if (std::optional<Scalar> s = ScalarOf(e.name, param_name)) {
      f.scalar = *s;
      return absl::OkStatus();
    }
    auto it = model->by_name_.find(absl::StrCat("Type", PascalCase(e.name)));
    if (e.bare || it == model->by_name_.end()) {
      return absl::UnimplementedError(absl::StrCat("raw API: no message for type ", t.ToString()));
    }
    f.is_message = true;
    f.message = it->second;
    return absl::OkStatus();
  };
  auto params = [&](const Combinator& c, Message& m) -> absl::Status {
    auto numbers = lock.fields.find(c.name);
    std::set<std::string, std::less<>> present;
    if (c.is_function) {
      Field account;
      account.name = "account";
      account.number = kAccountField;
      account.scalar = Scalar::kString;
      account.tl_type = "string";
      m.fields.push_back(account);
    }
    for (const Param& p : c.params) {
      if (!IsField(p)) continue;
      present.insert(p.name);
      Field f;
      f.name = SnakeCase(p.name);
      f.param = &p;
      const int* number = nullptr;
      if (numbers != lock.fields.end()) {
        if (auto n = numbers->second.find(p.name); n != numbers->second.end()) number = &n->second;
      }
      if (number == nullptr) {
        missing.push_back(absl::StrCat("field ", c.name, " ", p.name));
        continue;
      }
      f.number = *number;
      if (absl::Status s = element(p.type, p.name, f); !s.ok()) return s;
      f.optional = p.conditional() && !f.repeated && !f.is_message && p.type.name != "true";
      m.fields.push_back(std::move(f));
    }
    if (numbers != lock.fields.end()) {
      for (const auto& [name, number] : numbers->second) {
        if (!present.contains(name)) m.reserved.emplace_back(number, SnakeCase(name));
      }
    }
    std::sort(m.reserved.begin(), m.reserved.end());
    return absl::OkStatus();
  };

  for (const Combinator& c : schema->constructors) {
    if (!InRawApi(c)) continue;
    Message m;
    m.kind = Message::Kind::kConstructor;
    m.name = PascalCase(c.name);
    m.combinator = &c;
    m.tl_type = c.result.name;
    if (absl::Status s = params(c, m); !s.ok()) return s;
    if (model->by_name_.contains(m.name)) {
      return absl::InternalError(absl::StrCat("raw API: two messages named ", m.name));
    }
    add(std::move(m));
  }

  // The wrappers' oneof cases.
  for (Message& w : model->messages_) {
    if (w.kind != Message::Kind::kWrapper) continue;
    auto numbers = lock.cases.find(w.tl_type);
    std::set<std::string, std::less<>> present;
    for (const Combinator* c : schema->ConstructorsOf(w.tl_type)) {
      if (!InRawApi(*c)) continue;
      present.insert(c->name);
      const int* number = nullptr;
      if (numbers != lock.cases.end()) {
        if (auto n = numbers->second.find(c->name); n != numbers->second.end()) number = &n->second;
      }
      if (number == nullptr) {
        missing.push_back(absl::StrCat("case ", w.tl_type, " ", c->name));
        continue;
      }
      Field f;
      f.name = SnakeCase(c->name);
      f.number = *number;
      f.is_message = true;
      f.message = model->by_combinator_.at(c);
      f.tl_type = w.tl_type;
      f.constructor = c;
      w.fields.push_back(std::move(f));
    }
    if (IsRefType(w.tl_type)) {
      Field ref;
      ref.name = "ref";
      ref.number = kRefField;
      ref.scalar = Scalar::kString;
      ref.tl_type = "string";
      w.fields.push_back(ref);
    }
    if (numbers != lock.cases.end()) {
      for (const auto& [name, number] : numbers->second) {
        if (!present.contains(name)) w.reserved.emplace_back(number, SnakeCase(name));
      }
    }
    std::sort(w.reserved.begin(), w.reserved.end());
  }

  // Methods: a request message each, and a result message for vectors and scalars.
  for (const Combinator& fn : schema->functions) {
    if (!InRawApi(fn)) {
      model->skipped_.push_back(&fn);
      continue;
    }
    Message m;
    m.kind = Message::Kind::kRequest;
    m.name = absl::StrCat(PascalCase(fn.name), "Request");
    m.combinator = &fn;
    if (absl::Status s = params(fn, m); !s.ok()) return s;
    if (model->by_name_.contains(m.name)) {
      return absl::InternalError(absl::StrCat("raw API: two messages named ", m.name));
    }
    const absl::string_view ns = Namespace(fn.name);
    m.file = ServiceFile(ns.empty() ? "telegram" : ns);
    const int request = add(std::move(m));

    Field result;
    if (absl::Status s = element(fn.result, "", result); !s.ok()) return s;
    int response = -1;
    if (!result.repeated && result.is_message) {
      response = result.message;
    } else {
      std::string name = result.is_message ? model->messages_[result.message].name.substr(4)
                                           : PascalCase(result.tl_type);
      name = result.repeated ? absl::StrCat("Vector", name) : absl::StrCat("Result", name);
      if (auto it = model->by_name_.find(name); it != model->by_name_.end()) {
        response = it->second;
      } else {
        Message r;
        r.kind = result.repeated ? Message::Kind::kVector : Message::Kind::kScalarResult;
        r.name = name;
        r.tl_type = result.tl_type;
        result.name = "items";
        if (!result.repeated) result.name = "value";
        result.number = 1;
        r.fields.push_back(result);
        response = add(std::move(r));
      }
    }
    Rpc rpc;
    rpc.service = absl::StrCat(ns.empty() ? "Telegram" : PascalCase(ns), "Service");
    rpc.method = PascalCase(absl::string_view(fn.name).substr(ns.empty() ? 0 : ns.size() + 1));
    rpc.function = &fn;
    rpc.request = request;
    rpc.response = response;
    model->rpc_by_path_.emplace(rpc.path(), static_cast<int>(model->rpcs_.size()));
    model->rpc_by_function_.emplace(fn.name, static_cast<int>(model->rpcs_.size()));
    model->rpcs_.push_back(std::move(rpc));
  }
  if (!missing.empty()) {
    if (missing.size() > 10) {
      const size_t more = missing.size() - 10;
      missing.resize(10);
      missing.push_back(absl::StrCat("and ", more, " more"));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("the raw API lock does not cover the schema (run tl/rawapi/update_lock.sh): ",
                     absl::StrJoin(missing, "; ")));
  }

  // Files: the types of a namespace go to its file, except that namespaces whose types refer to
  // each other in a cycle share one (protobuf files may not import in a cycle).
  auto group_of = [&](const Message& m) -> std::string {
    if (m.kind == Message::Kind::kWrapper) return type_group.at(m.tl_type);
    if (m.kind == Message::Kind::kConstructor) return type_group.at(m.tl_type);
    if (m.kind == Message::Kind::kVector || m.kind == Message::Kind::kScalarResult) {
      auto it = type_group.find(m.tl_type);
      return it == type_group.end() ? "" : it->second;
    }
    return "";
  };
  std::set<std::string> groups;
  std::map<std::string, std::set<std::string>> refers;
  for (const Message& m : model->messages_) {
    if (m.kind == Message::Kind::kRequest) continue;
    const std::string from = group_of(m);
    groups.insert(from);
    for (const Field& f : m.fields) {
      if (f.is_message) refers[from].insert(group_of(model->messages_[f.message]));
    }
  }
  // Reachability over the few namespaces, then each namespace joins the first one of its cycle.
  std::map<std::string, std::set<std::string>> reach = refers;
  for (bool grew = true; grew;) {
    grew = false;
    for (auto& [from, to] : reach) {
      std::set<std::string> more;
      for (const std::string& t : to) {
        if (auto it = reach.find(t); it != reach.end())
          more.insert(it->second.begin(), it->second.end());
      }
      for (const std::string& t : more) grew |= to.insert(t).second;
    }
  }
  std::map<std::string, std::string> file_group;
  for (const std::string& g : groups) {
    file_group[g] = g;
    for (const std::string& h : groups) {
      if (h < g && reach[g].contains(h) && reach[h].contains(g)) {
        file_group[g] = h;
        break;
      }
    }
  }
  for (Message& m : model->messages_) {
    if (m.kind != Message::Kind::kRequest) m.file = TypesFile(file_group[group_of(m)]);
  }
  // Dependency order: a types file after every types file it refers to, then the services.
  std::set<std::string> done;
  std::vector<std::string> order;
  std::set<std::string> files;
  for (const auto& [g, f] : file_group) files.insert(f);
  while (order.size() < files.size()) {
    for (const std::string& f : files) {
      if (done.contains(f)) continue;
      bool ready = true;
      for (const auto& [g, fg] : file_group) {
        if (fg != f) continue;
        for (const std::string& t : refers[g]) {
          ready &= file_group[t] == f || done.contains(file_group[t]);
        }
      }
      if (ready) {
        done.insert(f);
        order.push_back(f);
      }
    }
  }
  for (const std::string& f : order) model->files_.push_back(TypesFile(f));
  std::set<std::string> services;
  for (const Message& m : model->messages_) {
    if (m.kind == Message::Kind::kRequest) services.insert(m.file);
  }
  model->files_.insert(model->files_.end(), services.begin(), services.end());
  return model;
}

}  // namespace tgrpc::tl::raw

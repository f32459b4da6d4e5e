#include "tl/rawapi/lock.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace tgrpc::tl::raw {
namespace {

absl::Status LineError(int line, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("raw API lock, line ", line, ": ", what));
}

int MaxNumber(const NameMap<int>& numbers) {
  int max = 0;
  for (const auto& [name, number] : numbers) max = std::max(max, number);
  return max;
}

}  // namespace

bool InRawApi(const Combinator& c) {
  if (!c.generics.empty()) return false;
  const std::string& type = c.result.name;
  // mtcute.* are mtcute's own additions to its copy of the schema, unknown to Telegram.
  if (absl::StartsWith(c.name, "mtcute.")) return false;
  return c.is_function || (type != "Bool" && type != "True" && type != "Vector" && type != "Null");
}

bool IsField(const Param& p) { return p.type.name != "#"; }

absl::StatusOr<Lock> ParseLock(absl::string_view text) {
  Lock lock;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (size_t hash = line.find('#'); hash != absl::string_view::npos) line = line.substr(0, hash);
    std::vector<absl::string_view> words =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (words.empty()) continue;
    if (words[0] == "id" && words.size() == 3) {
      uint32_t id = 0;
      if (!absl::SimpleHexAtoi(words[2], &id)) return LineError(line_number, "bad id");
      if (!lock.ids.emplace(std::string(words[1]), id).second) {
        return LineError(line_number, absl::StrCat("second id for ", words[1]));
      }
      continue;
    }
    if ((words[0] == "field" || words[0] == "case") && words.size() == 4) {
      int number = 0;
      if (!absl::SimpleAtoi(words[3], &number) || number < 1 || number >= 19000) {
        return LineError(line_number, absl::StrCat("bad field number ", words[3]));
      }
      NameMap<int>& numbers =
          (words[0] == "field" ? lock.fields : lock.cases)[std::string(words[1])];
      for (const auto& [name, used] : numbers) {
        if (used == number) {
          return LineError(line_number, absl::StrCat(words[1], ": number ", number,
                                                     " already belongs to ", name));
        }
      }
      if (!numbers.emplace(std::string(words[2]), number).second) {
        return LineError(line_number, absl::StrCat("second number for ", words[1], " ", words[2]));
      }
      continue;
    }
    return LineError(line_number, absl::StrCat("not an entry: ", line));
  }
  return lock;
}

std::string PrintLock(const Lock& lock) {
  std::string out =
      "# The raw API's field numbers (tl/rawapi/lock.h): only ever appended to, never edited.\n"
      "# Update after a layer bump: tl/rawapi/update_lock.sh\n";
  for (const auto& [name, id] : lock.ids) absl::StrAppendFormat(&out, "id %s %08x\n", name, id);
  auto print = [&out](absl::string_view kind, const NameMap<NameMap<int>>& all) {
    for (const auto& [owner, numbers] : all) {
      std::vector<std::pair<int, std::string>> sorted;
      for (const auto& [name, number] : numbers) sorted.emplace_back(number, name);
      std::sort(sorted.begin(), sorted.end());
      for (const auto& [number, name] : sorted) {
        absl::StrAppend(&out, kind, " ", owner, " ", name, " ", number, "\n");
      }
    }
  };
  print("field", lock.fields);
  print("case", lock.cases);
  return out;
}

Lock UpdateLock(const Lock& old, const Schema& schema, std::vector<std::string>* changes) {
  Lock lock = old;
  auto note = [changes](std::string line) {
    if (changes != nullptr) changes->push_back(std::move(line));
  };
  std::vector<const Combinator*> all;
  for (const Combinator& c : schema.constructors) all.push_back(&c);
  for (const Combinator& c : schema.functions) all.push_back(&c);
  std::set<std::string, std::less<>> names;
  for (const Combinator* c : all) names.insert(c->name);

  // Renames first: a new name whose id belonged to a name the schema no longer has takes over
  // that name's numbers (and its place in its type's oneof).
  std::map<uint32_t, std::string> name_by_id;
  for (const auto& [name, id] : old.ids) name_by_id[id] = name;
  for (const Combinator* c : all) {
    if (!InRawApi(*c) || lock.ids.contains(c->name)) continue;
    auto it = name_by_id.find(c->id);
    if (it == name_by_id.end() || names.contains(it->second)) continue;
    const std::string& before = it->second;
    if (auto f = old.fields.find(before); f != old.fields.end()) lock.fields[c->name] = f->second;
    for (auto& [type, cases] : lock.cases) {
      // The case moves to the new name (one number, one name), which the wire does not see.
      if (auto k = cases.find(before); k != cases.end() && !cases.contains(c->name)) {
        const int number = k->second;
        cases.erase(k);
        cases[c->name] = number;
      }
    }
    note(absl::StrCat("renamed ", before, " -> ", c->name, " (id ", absl::Hex(c->id), ")"));
  }

  for (const Combinator* c : all) {
    if (!InRawApi(*c)) continue;
    auto [id, inserted] = lock.ids.emplace(c->name, c->id);
    if (!inserted && id->second != c->id) {
      note(absl::StrFormat("id of %s: %08x -> %08x", c->name, id->second, c->id));
      id->second = c->id;
    }
    NameMap<int>& fields = lock.fields[c->name];
    int next = std::max(MaxNumber(fields) + 1, c->is_function ? kFirstRequestField : 1);
    for (const Param& p : c->params) {
      if (!IsField(p) || fields.contains(p.name)) continue;
      fields[p.name] = next;
      note(absl::StrCat("new field ", c->name, " ", p.name, " ", next));
      ++next;
    }
    if (fields.empty()) lock.fields.erase(c->name);
    if (c->is_function) continue;
    NameMap<int>& cases = lock.cases[c->result.name];
    if (!cases.contains(c->name)) {
      const int number = MaxNumber(cases) + 1;
      cases[c->name] = number;
      note(absl::StrCat("new case ", c->result.name, " ", c->name, " ", number));
    }
  }
  return lock;
}

}  // namespace tgrpc::tl::raw

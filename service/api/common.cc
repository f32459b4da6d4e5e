#include "service/api/common.h"

#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "service/api/errors.h"
#include "service/telegram/peer_id.h"

namespace tgrpc::service {

namespace api = tl::api;

absl::StatusOr<std::string> Authenticate(const grpc::CallbackServerContext& context,
                                         const ApiContext& api) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) {
    if (api.allow_unauthenticated) return std::string("default");
    return ServiceError(absl::StatusCode::kUnauthenticated, "TOKEN_MISSING",
                        "send `authorization: Bearer <token>` metadata");
  }
  absl::string_view value(it->second.data(), it->second.size());
  if (!absl::ConsumePrefix(&value, "Bearer ") && !absl::ConsumePrefix(&value, "bearer ")) {
    return ServiceError(absl::StatusCode::kUnauthenticated, "TOKEN_INVALID",
                        "the authorization metadata must be `Bearer <token>`");
  }
  auto tenant = api.tokens.find(std::string(absl::StripAsciiWhitespace(value)));
  if (tenant == api.tokens.end()) {
    return ServiceError(absl::StatusCode::kUnauthenticated, "TOKEN_INVALID",
                        "the bearer token is not known");
  }
  return tenant->second;
}

absl::Time CallDeadline(const grpc::CallbackServerContext& context, const ApiContext& api) {
  const auto deadline = context.deadline();
  const absl::Time fallback = absl::Now() + api.default_deadline;
  if (deadline == std::chrono::system_clock::time_point::max()) return fallback;
  const absl::Time caller = absl::FromChrono(deadline);
  return caller > fallback + absl::Hours(24) ? fallback : caller;
}

absl::StatusOr<std::string> ParseAccountName(absl::string_view name, absl::string_view field) {
  if (name.empty()) return InvalidField(field, "required: accounts/{account}");
  absl::string_view id = name;
  if (!absl::ConsumePrefix(&id, "accounts/") || !IsValidAccountId(id)) {
    return InvalidField(field, absl::StrCat("\"", absl::CHexEscape(name.substr(0, 100)),
                                            "\" is not accounts/{account}"));
  }
  return std::string(id);
}

absl::StatusOr<ChildName> ParseChildName(absl::string_view name, absl::string_view field,
                                         absl::string_view collection,
                                         absl::string_view sub_collection) {
  const std::string shape =
      sub_collection.empty()
          ? absl::StrCat("accounts/{account}/", collection, "/{id}")
          : absl::StrCat("accounts/{account}/", collection, "/{id}/", sub_collection, "/{id}");
  if (name.empty()) return InvalidField(field, absl::StrCat("required: ", shape));
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  const size_t want = sub_collection.empty() ? 4 : 6;
  if (parts.size() != want || parts[0] != "accounts" || !IsValidAccountId(parts[1]) ||
      parts[2] != collection || parts[3].empty() || parts[3].size() > 64 ||
      (want == 6 && (parts[4] != sub_collection || parts[5].empty() || parts[5].size() > 32))) {
    return InvalidField(
        field, absl::StrCat("\"", absl::CHexEscape(name.substr(0, 120)), "\" is not ", shape));
  }
  ChildName out;
  out.account = std::string(parts[1]);
  out.child = std::string(parts[3]);
  if (want == 6) out.rest = std::string(parts[5]);
  return out;
}

absl::Status NoLongerServed(const Account& account) {
  return ServiceError(absl::StatusCode::kUnavailable, "ACCOUNT_NOT_HERE",
                      absl::StrCat(account.name(),
                                   " is no longer served by this replica (it moved, or tgrpcd is "
                                   "stopping): resume, from your last token for update streams"));
}

namespace {

// `found` when it is a signed-in account.
absl::StatusOr<std::shared_ptr<Account>> SignedIn(absl::StatusOr<std::shared_ptr<Account>> found) {
  if (!found.ok() || (*found)->signed_in()) return found;
  return ServiceError(
      absl::StatusCode::kFailedPrecondition, "ACCOUNT_NOT_SIGNED_IN",
      absl::StrCat((*found)->name(), " is not signed in: StartLogin, or sign in again"));
}

}  // namespace

absl::StatusOr<std::shared_ptr<Account>> CallerAccount(const ApiContext& api,
                                                       const grpc::CallbackServerContext& context,
                                                       absl::string_view name,
                                                       absl::string_view field) {
  absl::StatusOr<std::string> tenant = Authenticate(context, api);
  if (!tenant.ok()) return tenant.status();
  absl::StatusOr<std::string> id = ParseAccountName(name, field);
  if (!id.ok()) return id.status();
  return api.accounts->Get(*tenant, *id);
}

absl::StatusOr<std::shared_ptr<Account>> CallerSignedInAccount(
    const ApiContext& api, const grpc::CallbackServerContext& context, absl::string_view name,
    absl::string_view field) {
  return SignedIn(CallerAccount(api, context, name, field));
}

namespace {

bool IsUsername(absl::string_view s) {
  if (s.size() < 4 || s.size() > 32 || !absl::ascii_isalpha(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  return true;
}

}  // namespace

void ResolveChat(std::shared_ptr<Account> account, const std::string& reference,
                 absl::string_view field, absl::Time deadline, ResolveCallback done) {
  const int64_t self = account->self_id();
  auto from_cache = [&account, self](int64_t marked) -> absl::StatusOr<ResolvedPeer> {
    absl::StatusOr<tl::Ptr<api::InputPeer>> input = account->peers().InputPeer(marked, self);
    if (!input.ok()) return input.status();
    return ResolvedPeer{marked, *std::move(input)};
  };
  if (reference == "me" || reference == "self") return done(from_cache(self));
  absl::string_view text = reference;
  // "+<digits>" is a phone number, not a marked id (SimpleAtoi would take the sign).
  int64_t marked = 0;
  if (!absl::StartsWith(text, "+") && absl::SimpleAtoi(text, &marked) && marked != 0) {
    return done(from_cache(marked));
  }
  if (absl::ConsumePrefix(&text, "+")) {
    std::optional<PeerRecord> known = account->peers().FindByPhone(text);
    if (!known.has_value()) {
      return done(ServiceError(absl::StatusCode::kNotFound, "PEER_ID_INVALID",
                               absl::StrCat("PEER_ID_INVALID: no contact with phone +", text,
                                            " is known to the account")));
    }
    return done(from_cache(known->peer_id));
  }
  absl::ConsumePrefix(&text, "@");
  if (!IsUsername(text)) {
    return done(InvalidField(field, absl::StrCat("\"", absl::CHexEscape(reference.substr(0, 64)),
                                                 "\" is not a chat id, username or \"me\"")));
  }
  if (std::optional<PeerRecord> known = account->peers().FindByUsername(text)) {
    return done(from_cache(known->peer_id));
  }
  api::contacts_resolveUsername request;
  request.username = std::string(text);
  std::weak_ptr<Account> weak = account;
  account->invoker()->Call<api::contacts_resolveUsername>(
      request, {deadline},
      [weak, done = std::move(done),
       self](absl::StatusOr<tl::Ptr<api::contacts_ResolvedPeer>> resolved) {
        auto account = weak.lock();
        if (!account) return done(absl::CancelledError("the account was deleted"));
        if (!resolved.ok()) return done(resolved.status());
        const auto* peer = dynamic_cast<const api::contacts_resolvedPeer*>(resolved->get());
        if (peer == nullptr) return done(absl::DataLossError("unexpected resolveUsername answer"));
        account->peers().AddUsers(peer->users);
        account->peers().AddChats(peer->chats);
        int64_t marked = 0;
        if (const auto* p = dynamic_cast<const api::peerUser*>(peer->peer.get())) {
          marked = MarkUser(p->user_id);
        } else if (const auto* p = dynamic_cast<const api::peerChat*>(peer->peer.get())) {
          marked = MarkChat(p->chat_id);
        } else if (const auto* p = dynamic_cast<const api::peerChannel*>(peer->peer.get())) {
          marked = MarkChannel(p->channel_id);
        }
        absl::StatusOr<tl::Ptr<api::InputPeer>> input = account->peers().InputPeer(marked, self);
        if (!input.ok()) return done(input.status());
        done(ResolvedPeer{marked, *std::move(input)});
      });
}

void OnResolvedName(const ApiContext& api, grpc::CallbackServerContext* context,
                    grpc::ServerUnaryReactor* reactor, absl::string_view name,
                    absl::string_view field, absl::string_view collection,
                    absl::string_view sub_collection, ResolvedNameBody body) {
  absl::StatusOr<std::string> tenant = Authenticate(*context, api);
  if (!tenant.ok()) return Finish(reactor, tenant.status());
  absl::StatusOr<ChildName> parsed = ParseChildName(name, field, collection, sub_collection);
  if (!parsed.ok()) return Finish(reactor, parsed.status());
  absl::StatusOr<std::shared_ptr<Account>> account =
      SignedIn(api.accounts->Get(*tenant, parsed->account));
  if (!account.ok()) return Finish(reactor, account.status());
  std::shared_ptr<Account> target = *account;
  ChildName child = *std::move(parsed);
  const std::string reference = child.child;
  ResolveChat(target, reference, field, CallDeadline(*context, api),
              [target, child = std::move(child), reactor,
               body = std::move(body)](absl::StatusOr<ResolvedPeer> peer) {
                if (!peer.ok()) return Finish(reactor, peer.status());
                body(target, *std::move(peer), child);
              });
}

void ResolveUsers(std::shared_ptr<Account> account, std::vector<std::string> references,
                  std::string field, absl::Time deadline, InputUsersCallback done,
                  std::vector<tl::Ptr<api::InputUser>> resolved) {
  if (resolved.size() == references.size()) return done(std::move(resolved));
  const std::string reference = references[resolved.size()];
  auto shared = std::make_shared<std::vector<tl::Ptr<api::InputUser>>>(std::move(resolved));
  ResolveChat(account, reference, field, deadline,
              [account, references = std::move(references), field, deadline, done = std::move(done),
               shared](absl::StatusOr<ResolvedPeer> peer) mutable {
                if (!peer.ok()) return done(peer.status());
                if (MarkedType(peer->marked_id) != PeerType::kUser) {
                  return done(InvalidField(field, absl::StrCat("\"", references[shared->size()],
                                                               "\" is a chat, not a user")));
                }
                absl::StatusOr<tl::Ptr<api::InputUser>> input =
                    account->peers().InputUser(peer->marked_id, account->self_id());
                if (!input.ok()) return done(input.status());
                shared->push_back(*std::move(input));
                ResolveUsers(account, std::move(references), field, deadline, std::move(done),
                             std::move(*shared));
              });
}

std::string RequestKey(const std::string& tenant, absl::string_view account,
                       absl::string_view method, const std::string& request_id) {
  if (request_id.empty()) return "";
  return absl::StrCat(tenant, "/", account, "/", method, "/", request_id);
}

void Finish(grpc::ServerUnaryReactor* reactor, const absl::Status& status) {
  reactor->Finish(ToGrpcStatus(status));
}

std::string MakePageToken(const std::map<std::string, std::string>& values) {
  return absl::WebSafeBase64Escape(absl::StrJoin(values, "&", absl::PairFormatter("=")));
}

absl::StatusOr<std::map<std::string, std::string>> ParsePageToken(absl::string_view token,
                                                                  absl::string_view field) {
  std::map<std::string, std::string> out;
  if (token.empty()) return out;
  std::string decoded;
  if (token.size() > 512 || !absl::WebSafeBase64Unescape(token, &decoded)) {
    return InvalidField(field, "not a page token from this API");
  }
  for (absl::string_view pair : absl::StrSplit(decoded, '&', absl::SkipEmpty())) {
    std::vector<absl::string_view> kv = absl::StrSplit(pair, absl::MaxSplits('=', 1));
    if (kv.size() != 2) return InvalidField(field, "not a page token from this API");
    out[std::string(kv[0])] = std::string(kv[1]);
  }
  return out;
}

absl::StatusOr<int32_t> ParseOffsetPageToken(absl::string_view token, absl::string_view field) {
  absl::StatusOr<std::map<std::string, std::string>> values = ParsePageToken(token, field);
  if (!values.ok()) return values.status();
  int32_t offset = 0;
  const std::string& text = (*values)["offset"];
  if (!text.empty() && (!absl::SimpleAtoi(text, &offset) || offset < 0)) {
    return InvalidField(field, "not a page token from this API");
  }
  return offset;
}

absl::StatusOr<std::map<std::string, int64_t>> ParseResumeToken(absl::string_view token,
                                                                absl::string_view field) {
  absl::StatusOr<std::map<std::string, std::string>> values = ParsePageToken(token, field);
  if (!values.ok()) return values.status();
  std::map<std::string, int64_t> out;
  for (const auto& [account, position] : *values) {
    int64_t p = 0;
    if (!absl::SimpleAtoi(position, &p) || p < 0 || account.empty()) {
      return InvalidField(field, "not a resume token from this API");
    }
    out[account] = p;
  }
  if (out.empty()) return InvalidField(field, "not a resume token from this API");
  return out;
}

std::string MakeResumeToken(const std::map<std::string, int64_t>& positions) {
  std::map<std::string, std::string> values;
  for (const auto& [account, position] : positions) values[account] = absl::StrCat(position);
  return MakePageToken(values);
}

}  // namespace tgrpc::service

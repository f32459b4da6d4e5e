// UserService's contact list and blocklist: ListContacts (contacts.getContacts, paged here, since
// Telegram answers the whole list at once), ImportContacts, DeleteContacts, BlockUser and
// UnblockUser.
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "service/api/convert.h"
#include "service/api/errors.h"
#include "service/api/services.h"
#include "service/api/utf8.h"
#include "service/telegram/peer_id.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace {

namespace api = tl::api;

constexpr int kMaxContactsPerCall = 100;
constexpr int kMaxNameLength = 64;  // characters, Telegram's limit for first and last names

// A phone number as Telegram takes it: digits only. "+", spaces, dashes, dots and parentheses are
// dropped; 5-20 digits must remain.
absl::StatusOr<std::string> PhoneDigits(absl::string_view phone, absl::string_view field) {
  std::string digits;
  for (size_t i = 0; i < phone.size(); ++i) {
    const char c = phone[i];
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digits.push_back(c);
    } else if (!(c == '+' && i == 0) && c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
      return InvalidField(field, "a phone number is digits, with an optional leading +");
    }
  }
  if (digits.size() < 5 || digits.size() > 20) {
    return InvalidField(field, "a phone number has 5-20 digits");
  }
  return digits;
}

absl::Status CheckName(absl::string_view name, absl::string_view field, bool required) {
  if (required && name.empty()) return InvalidField(field, "required");
  if (CodePoints(name) > kMaxNameLength) {
    return InvalidField(field, absl::StrCat("at most ", kMaxNameLength, " characters"));
  }
  return absl::OkStatus();
}

// contacts.block / contacts.unblock of the user `name` names.
template <class Method>
void SetBlocked(const ApiContext& api, grpc::CallbackServerContext* context,
                grpc::ServerUnaryReactor* reactor, const std::string& name) {
  const absl::Time deadline = CallDeadline(*context, api);
  OnResolvedName(
      api, context, reactor, name, "name", "users", "",
      [deadline, reactor](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
        if (MarkedType(peer.marked_id) != PeerType::kUser) {
          return Finish(reactor, InvalidField("name", "names a chat, not a user"));
        }
        if (peer.marked_id == account->self_id()) {
          return Finish(reactor, InvalidField("name", "the account cannot block itself"));
        }
        Method request;
        request.id = std::move(peer.input);
        account->invoker()->Call<Method>(request, {deadline},
                                         [reactor](absl::StatusOr<bool> result) {
                                           // Bool false: nothing changed (already blocked / not
                                           // blocked).
                                           Finish(reactor, result.status());
                                         });
      });
}

}  // namespace

grpc::ServerUnaryReactor* UserServiceImpl::ListContacts(grpc::CallbackServerContext* context,
                                                        const v1::ListContactsRequest* request,
                                                        v1::ListContactsResponse* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> found =
      CallerSignedInAccount(*api_, *context, request->account(), "account");
  if (!found.ok()) return Finish(reactor, found.status()), reactor;
  if (request->page_size() < 0 || request->page_size() > 1000) {
    return Finish(reactor, InvalidField("page_size", "0-1000")), reactor;
  }
  absl::StatusOr<int32_t> page = ParseOffsetPageToken(request->page_token(), "page_token");
  if (!page.ok()) return Finish(reactor, page.status()), reactor;
  const int32_t offset = *page;
  const int32_t limit = request->page_size() == 0 ? 200 : request->page_size();
  std::shared_ptr<Account> account = *found;
  api::contacts_getContacts get;
  get.hash = 0;  // the whole list: tgrpcd keeps no copy to compare a hash with
  account->invoker()->Call<api::contacts_getContacts>(
      get, {CallDeadline(*context, *api_)},
      [account, response, reactor, offset,
       limit](absl::StatusOr<tl::Ptr<api::contacts_Contacts>> result) {
        if (!result.ok()) return Finish(reactor, result.status());
        const auto* list = dynamic_cast<const api::contacts_contacts*>(result->get());
        if (list == nullptr) return Finish(reactor, absl::DataLossError("contacts not modified"));
        account->peers().AddUsers(list->users);
        PeerIndex index;
        for (const auto& u : list->users) index.users.push_back(u.get());
        const int32_t total = static_cast<int32_t>(list->contacts.size());
        for (int32_t i = offset; i < total && i < offset + limit; ++i) {
          const auto* contact = dynamic_cast<const api::contact*>(list->contacts[i].get());
          if (contact == nullptr) continue;
          v1::User* out = response->add_contacts();
          if (const api::User* user = index.FindUser(contact->user_id)) {
            ToProto(*user, account->id(), out);
          } else {
            out->set_id(contact->user_id);
            out->set_name(UserName(account->id(), contact->user_id));
          }
          out->set_is_contact(true);
          out->set_is_mutual_contact(contact->mutual);
        }
        if (offset + limit < total) {
          response->set_next_page_token(MakePageToken({{"offset", absl::StrCat(offset + limit)}}));
        }
        response->set_total_size(total);
        Finish(reactor, absl::OkStatus());
      });
  return reactor;
}

grpc::ServerUnaryReactor* UserServiceImpl::ImportContacts(grpc::CallbackServerContext* context,
                                                          const v1::ImportContactsRequest* request,
                                                          v1::ImportContactsResponse* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> found =
      CallerSignedInAccount(*api_, *context, request->account(), "account");
  if (!found.ok()) return Finish(reactor, found.status()), reactor;
  if (request->contacts().empty() || request->contacts_size() > kMaxContactsPerCall) {
    return Finish(reactor,
                  InvalidField("contacts", absl::StrCat("1-", kMaxContactsPerCall, " contacts"))),
           reactor;
  }
  api::contacts_importContacts import;
  for (int i = 0; i < request->contacts_size(); ++i) {
    const auto& contact = request->contacts(i);
    const std::string field = absl::StrCat("contacts[", i, "]");
    absl::StatusOr<std::string> digits =
        PhoneDigits(contact.phone_number(), field + ".phone_number");
    if (!digits.ok()) return Finish(reactor, digits.status()), reactor;
    absl::Status names = CheckName(contact.first_name(), field + ".first_name", true);
    if (names.ok()) names = CheckName(contact.last_name(), field + ".last_name", false);
    if (!names.ok()) return Finish(reactor, names), reactor;
    auto input = std::make_unique<api::inputPhoneContact>();
    input->client_id = i;  // the request's index: Telegram answers imported users by it
    input->phone = *std::move(digits);
    input->first_name = contact.first_name();
    input->last_name = contact.last_name();
    import.contacts.push_back(std::move(input));
    auto* result = response->add_results();
    result->set_phone_number(contact.phone_number());
  }
  std::shared_ptr<Account> account = *found;
  account->invoker()->Call<api::contacts_importContacts>(
      import, {CallDeadline(*context, *api_)},
      [account, response, reactor](absl::StatusOr<tl::Ptr<api::contacts_ImportedContacts>> result) {
        if (!result.ok()) return Finish(reactor, result.status());
        const auto* imported = dynamic_cast<const api::contacts_importedContacts*>(result->get());
        if (imported == nullptr) return Finish(reactor, absl::DataLossError("no imported list"));
        account->peers().AddUsers(imported->users);
        PeerIndex index;
        for (const auto& u : imported->users) index.users.push_back(u.get());
        const int64_t count = response->results_size();
        for (const auto& i : imported->imported) {
          const auto* one = dynamic_cast<const api::importedContact*>(i.get());
          if (one == nullptr || one->client_id < 0 || one->client_id >= count) continue;
          v1::User* user = response->mutable_results(one->client_id)->mutable_user();
          if (const api::User* found = index.FindUser(one->user_id)) {
            ToProto(*found, account->id(), user);
          } else {
            user->set_id(one->user_id);
            user->set_name(UserName(account->id(), one->user_id));
          }
          user->set_is_contact(true);
        }
        for (int64_t client_id : imported->retry_contacts) {
          if (client_id >= 0 && client_id < count) {
            response->mutable_results(client_id)->set_retry(true);
          }
        }
        Finish(reactor, absl::OkStatus());
      });
  return reactor;
}

grpc::ServerUnaryReactor* UserServiceImpl::DeleteContacts(grpc::CallbackServerContext* context,
                                                          const v1::DeleteContactsRequest* request,
                                                          v1::DeleteContactsResponse* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> found =
      CallerSignedInAccount(*api_, *context, request->account(), "account");
  if (!found.ok()) return Finish(reactor, found.status()), reactor;
  if (request->users().empty() || request->users_size() > kMaxContactsPerCall) {
    return Finish(reactor,
                  InvalidField("users", absl::StrCat("1-", kMaxContactsPerCall, " users"))),
           reactor;
  }
  std::shared_ptr<Account> account = *found;
  std::vector<std::string> references;
  for (const std::string& name : request->users()) {
    absl::StatusOr<ChildName> parsed = ParseChildName(name, "users", "users");
    if (!parsed.ok()) return Finish(reactor, parsed.status()), reactor;
    if (parsed->account != account->id()) {
      return Finish(reactor, InvalidField("users", "every user must be of the account in account")),
             reactor;
    }
    references.push_back(parsed->child);
  }
  const absl::Time deadline = CallDeadline(*context, *api_);
  ResolveUsers(
      account, std::move(references), "users", deadline,
      [account, deadline, response,
       reactor](absl::StatusOr<std::vector<tl::Ptr<api::InputUser>>> inputs) {
        if (!inputs.ok()) return Finish(reactor, inputs.status());
        api::contacts_deleteContacts del;
        del.id = *std::move(inputs);
        account->invoker()->Call<api::contacts_deleteContacts>(
            del, {deadline},
            [account, response, reactor](absl::StatusOr<tl::Ptr<api::Updates>> result) {
              if (!result.ok()) return Finish(reactor, result.status());
              account->peers().AddFromUpdates(**result);
              const std::vector<tl::Ptr<api::User>>* users = nullptr;
              if (const auto* u = dynamic_cast<const api::updates*>(result->get())) {
                users = &u->users;
              } else if (const auto* u = dynamic_cast<const api::updatesCombined*>(result->get())) {
                users = &u->users;
              }
              if (users != nullptr) {
                for (const auto& user : *users) {
                  ToProto(*user, account->id(), response->add_deleted());
                }
              }
              Finish(reactor, absl::OkStatus());
            });
      });
  return reactor;
}

grpc::ServerUnaryReactor* UserServiceImpl::BlockUser(grpc::CallbackServerContext* context,
                                                     const v1::BlockUserRequest* request,
                                                     google::protobuf::Empty*) {
  auto* reactor = context->DefaultReactor();
  SetBlocked<api::contacts_block>(*api_, context, reactor, request->name());
  return reactor;
}

grpc::ServerUnaryReactor* UserServiceImpl::UnblockUser(grpc::CallbackServerContext* context,
                                                       const v1::UnblockUserRequest* request,
                                                       google::protobuf::Empty*) {
  auto* reactor = context->DefaultReactor();
  SetBlocked<api::contacts_unblock>(*api_, context, reactor, request->name());
  return reactor;
}

}  // namespace tgrpc::service

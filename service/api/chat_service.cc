// ChatService: resolving references, chats with full info, dialogs and member lists.
#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "service/api/convert.h"
#include "service/api/errors.h"
#include "service/api/services.h"
#include "service/api/utf8.h"
#include "service/telegram/peer_id.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace api = tl::api;

void FetchChat(std::shared_ptr<Account> account, const ResolvedPeer& peer, absl::Time deadline,
               ChatCallback done) {
  const std::string account_id = account->id();
  const int64_t marked = peer.marked_id;
  auto on_full = [account, marked, done](absl::StatusOr<tl::Ptr<api::messages_ChatFull>> result) {
    if (!result.ok()) return done(result.status());
    const auto* full = dynamic_cast<const api::messages_chatFull*>(result->get());
    if (full == nullptr) return done(absl::DataLossError("no full chat"));
    account->peers().AddUsers(full->users);
    account->peers().AddChats(full->chats);
    v1::Chat chat;
    for (const auto& c : full->chats) {
      v1::Chat candidate;
      ToProto(*c, account->id(), &candidate);
      if (candidate.id() == marked) chat = std::move(candidate);
    }
    if (chat.id() == 0) return done(absl::DataLossError("the full chat does not list the chat"));
    if (full->full_chat != nullptr) ToProto(*full->full_chat, &chat);
    done(chat);
  };
  switch (MarkedType(marked)) {
    case PeerType::kUser: {
      absl::StatusOr<tl::Ptr<api::InputUser>> input =
          account->peers().InputUser(marked, account->self_id());
      if (!input.ok()) return done(input.status());
      api::users_getFullUser request;
      request.id = *std::move(input);
      account->invoker()->Call<api::users_getFullUser>(
          request, {deadline},
          [account, marked, done](absl::StatusOr<tl::Ptr<api::users_UserFull>> result) {
            if (!result.ok()) return done(result.status());
            const auto* full = dynamic_cast<const api::users_userFull*>(result->get());
            if (full == nullptr) return done(absl::DataLossError("no full user"));
            account->peers().AddUsers(full->users);
            v1::User user;
            for (const auto& u : full->users) {
              const auto* candidate = dynamic_cast<const api::user*>(u.get());
              if (candidate != nullptr && candidate->id == marked) {
                ToProto(*candidate, account->id(), &user);
              }
            }
            if (const auto* info = dynamic_cast<const api::userFull*>(full->full_user.get())) {
              ToProto(*info, &user);
            }
            v1::Chat chat;
            ChatFromUser(user, account->id(), &chat);
            chat.mutable_full()->set_about(user.full().about());
            chat.mutable_full()->set_pinned_message_id(user.full().pinned_message_id());
            done(chat);
          });
      return;
    }
    case PeerType::kChat: {
      api::messages_getFullChat request;
      request.chat_id = Unmark(marked);
      account->invoker()->Call<api::messages_getFullChat>(request, {deadline}, on_full);
      return;
    }
    case PeerType::kChannel: {
      absl::StatusOr<tl::Ptr<api::InputChannel>> input = account->peers().InputChannel(marked);
      if (!input.ok()) return done(input.status());
      api::channels_getFullChannel request;
      request.channel = *std::move(input);
      account->invoker()->Call<api::channels_getFullChannel>(request, {deadline}, on_full);
      return;
    }
  }
}

namespace {

tl::Ptr<api::ChannelParticipantsFilter> ChannelFilter(v1::ListChatMembersRequest::Filter filter,
                                                      const std::string& q) {
  switch (filter) {
    case v1::ListChatMembersRequest::ADMINS:
      return std::make_unique<api::channelParticipantsAdmins>();
    case v1::ListChatMembersRequest::BOTS:
      return std::make_unique<api::channelParticipantsBots>();
    case v1::ListChatMembersRequest::BANNED:
    case v1::ListChatMembersRequest::KICKED: {
      auto f = std::make_unique<api::channelParticipantsKicked>();
      f->q = q;
      return f;
    }
    case v1::ListChatMembersRequest::RESTRICTED: {
      auto f = std::make_unique<api::channelParticipantsBanned>();
      f->q = q;
      return f;
    }
    case v1::ListChatMembersRequest::SEARCH: {
      auto f = std::make_unique<api::channelParticipantsSearch>();
      f->q = q;
      return f;
    }
    case v1::ListChatMembersRequest::CONTACTS: {
      auto f = std::make_unique<api::channelParticipantsContacts>();
      f->q = q;
      return f;
    }
    default:
      return std::make_unique<api::channelParticipantsRecent>();
  }
}

}  // namespace

grpc::ServerUnaryReactor* ChatServiceImpl::ResolvePeer(grpc::CallbackServerContext* context,
                                                       const v1::ResolvePeerRequest* request,
                                                       v1::ResolvePeerResponse* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> found =
      CallerSignedInAccount(*api_, *context, request->account(), "account");
  if (!found.ok()) return Finish(reactor, found.status()), reactor;
  std::shared_ptr<Account> account = *found;
  const absl::Time deadline = CallDeadline(*context, *api_);
  if (request->query().empty() || request->query().size() > 256) {
    return Finish(reactor, InvalidField("query", "1-256 characters")), reactor;
  }
  absl::string_view query = absl::StripAsciiWhitespace(request->query());
  for (absl::string_view scheme : {"https://", "http://"}) absl::ConsumePrefix(&query, scheme);
  const bool link =
      absl::ConsumePrefix(&query, "t.me/") || absl::ConsumePrefix(&query, "telegram.me/");
  auto answer = [account, response, reactor](absl::StatusOr<v1::Chat> chat) {
    if (!chat.ok()) return Finish(reactor, chat.status());
    chat->clear_full();
    if (chat->type() == v1::Chat::PRIVATE) *response->mutable_user() = chat->user();
    *response->mutable_chat() = *std::move(chat);
    Finish(reactor, absl::OkStatus());
  };
  // Invite links: t.me/+hash, t.me/joinchat/hash (checked without joining).
  std::string invite;
  if (link && absl::ConsumePrefix(&query, "joinchat/")) invite = std::string(query);
  if (link && !query.empty() && query[0] == '+' &&
      !std::all_of(query.begin() + 1, query.end(), absl::ascii_isdigit)) {
    invite = std::string(query.substr(1));
  }
  if (!invite.empty()) {
    api::messages_checkChatInvite check;
    check.hash = invite;
    account->invoker()->Call<api::messages_checkChatInvite>(
        check, {deadline}, [account, answer](absl::StatusOr<tl::Ptr<api::ChatInvite>> result) {
          if (!result.ok()) return answer(result.status());
          const api::Chat* chat = nullptr;
          if (const auto* a = dynamic_cast<const api::chatInviteAlready*>(result->get())) {
            chat = a->chat.get();
          } else if (const auto* p = dynamic_cast<const api::chatInvitePeek*>(result->get())) {
            chat = p->chat.get();
          }
          v1::Chat out;
          if (chat != nullptr) {
            account->peers().AddChats({});
            ToProto(*chat, account->id(), &out);
          } else if (const auto* i = dynamic_cast<const api::chatInvite*>(result->get())) {
            // Not a member: what the invite shows (no id until the account joins).
            out.set_title(ValidUtf8(i->title));
            out.set_members_count(i->participants_count);
            out.set_type(!i->channel    ? v1::Chat::BASIC_GROUP
                         : i->broadcast ? v1::Chat::CHANNEL
                                        : v1::Chat::SUPERGROUP);
          }
          answer(out);
        });
    return reactor;
  }
  // A phone number: contacts.resolvePhone.
  if (!link && query.size() > 1 && query[0] == '+' &&
      std::all_of(query.begin() + 1, query.end(), absl::ascii_isdigit)) {
    api::contacts_resolvePhone resolve;
    resolve.phone = std::string(query.substr(1));
    account->invoker()->Call<api::contacts_resolvePhone>(
        resolve, {deadline},
        [account, deadline, answer](absl::StatusOr<tl::Ptr<api::contacts_ResolvedPeer>> result) {
          if (!result.ok()) return answer(result.status());
          const auto* peer = dynamic_cast<const api::contacts_resolvedPeer*>(result->get());
          if (peer == nullptr) return answer(absl::DataLossError("unexpected answer"));
          account->peers().AddUsers(peer->users);
          account->peers().AddChats(peer->chats);
          ResolvedPeer resolved;
          resolved.marked_id = MarkedPeerId(peer->peer.get());
          FetchChat(account, resolved, deadline, answer);
        });
    return reactor;
  }
  absl::string_view reference = query;
  if (link) reference = reference.substr(0, reference.find_first_of("/?"));
  ResolveChat(account, std::string(reference), "query", deadline,
              [account, deadline, answer](absl::StatusOr<ResolvedPeer> peer) {
                if (!peer.ok()) return answer(peer.status());
                FetchChat(account, *peer, deadline, answer);
              });
  return reactor;
}

grpc::ServerUnaryReactor* ChatServiceImpl::GetChat(grpc::CallbackServerContext* context,
                                                   const v1::GetChatRequest* request,
                                                   v1::Chat* response) {
  auto* reactor = context->DefaultReactor();
  const absl::Time deadline = CallDeadline(*context, *api_);
  OnResolvedName(*api_, context, reactor, request->name(), "name", "chats", "",
                 [reactor, response, deadline](std::shared_ptr<Account> account, ResolvedPeer peer,
                                               ChildName) {
                   FetchChat(account, peer, deadline,
                             [reactor, response](absl::StatusOr<v1::Chat> chat) {
                               if (chat.ok()) *response = *std::move(chat);
                               Finish(reactor, chat.status());
                             });
                 });
  return reactor;
}

grpc::ServerUnaryReactor* ChatServiceImpl::ListChats(grpc::CallbackServerContext* context,
                                                     const v1::ListChatsRequest* request,
                                                     v1::ListChatsResponse* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> found =
      CallerSignedInAccount(*api_, *context, request->account(), "account");
  if (!found.ok()) return Finish(reactor, found.status()), reactor;
  if (request->page_size() < 0 || request->page_size() > 100) {
    return Finish(reactor, InvalidField("page_size", "0-100")), reactor;
  }
  absl::StatusOr<std::map<std::string, std::string>> token =
      ParsePageToken(request->page_token(), "page_token");
  if (!token.ok()) return Finish(reactor, token.status()), reactor;
  std::shared_ptr<Account> account = *found;
  api::messages_getDialogs get;
  get.limit = request->page_size() == 0 ? 50 : request->page_size();
  if (request->archived()) get.folder_id = 1;
  if (request->folder_id() != 0) get.folder_id = request->folder_id();
  int64_t offset_peer = 0;
  if (!(absl::SimpleAtoi((*token)["date"], &get.offset_date) || (*token)["date"].empty()) ||
      !(absl::SimpleAtoi((*token)["id"], &get.offset_id) || (*token)["id"].empty()) ||
      !(absl::SimpleAtoi((*token)["peer"], &offset_peer) || (*token)["peer"].empty())) {
    return Finish(reactor, InvalidField("page_token", "not a page token from this API")), reactor;
  }
  if (offset_peer != 0) {
    absl::StatusOr<tl::Ptr<api::InputPeer>> peer =
        account->peers().InputPeer(offset_peer, account->self_id());
    get.offset_peer = peer.ok() ? *std::move(peer) : std::make_unique<api::inputPeerEmpty>();
  } else {
    get.offset_peer = std::make_unique<api::inputPeerEmpty>();
  }
  const int limit = get.limit;
  account->invoker()->Call<api::messages_getDialogs>(
      get, {CallDeadline(*context, *api_)},
      [account, response, reactor, limit](absl::StatusOr<tl::Ptr<api::messages_Dialogs>> result) {
        if (!result.ok()) return Finish(reactor, result.status());
        const std::vector<tl::Ptr<api::Dialog>>* dialogs = nullptr;
        const std::vector<tl::Ptr<api::Message>>* messages = nullptr;
        const std::vector<tl::Ptr<api::Chat>>* chats = nullptr;
        const std::vector<tl::Ptr<api::User>>* users = nullptr;
        if (const auto* d = dynamic_cast<const api::messages_dialogs*>(result->get())) {
          dialogs = &d->dialogs, messages = &d->messages, chats = &d->chats, users = &d->users;
        } else if (const auto* d = dynamic_cast<const api::messages_dialogsSlice*>(result->get())) {
          dialogs = &d->dialogs, messages = &d->messages, chats = &d->chats, users = &d->users;
        } else {
          return Finish(reactor, absl::OkStatus());
        }
        account->peers().AddUsers(*users);
        account->peers().AddChats(*chats);
        int32_t last_date = 0, last_id = 0;
        int64_t last_peer = 0;
        for (const auto& d : *dialogs) {
          const auto* dialog = dynamic_cast<const api::dialog*>(d.get());
          if (dialog == nullptr) continue;
          const int64_t marked = MarkedPeerId(dialog->peer.get());
          v1::Dialog* out = response->add_dialogs();
          out->set_top_message_id(dialog->top_message);
          out->set_unread_count(dialog->unread_count);
          out->set_unread_mentions_count(dialog->unread_mentions_count);
          out->set_pinned(dialog->pinned);
          for (const auto& m : *messages) {
            v1::Message message;
            ToProto(*m, account->id(), &message);
            if (message.id() == dialog->top_message && message.chat_id() == marked) {
              *out->mutable_last_message_time() = message.date();
              last_date = static_cast<int32_t>(message.date().seconds());
            }
          }
          if (marked > 0) {
            for (const auto& u : *users) {
              const auto* user = dynamic_cast<const api::user*>(u.get());
              if (user == nullptr || user->id != marked) continue;
              v1::User converted;
              ToProto(*u, account->id(), &converted);
              ChatFromUser(converted, account->id(), out->mutable_chat());
            }
          } else {
            for (const auto& c : *chats) {
              v1::Chat converted;
              ToProto(*c, account->id(), &converted);
              if (converted.id() == marked) *out->mutable_chat() = std::move(converted);
            }
          }
          last_id = dialog->top_message;
          last_peer = marked;
        }
        if (static_cast<int>(dialogs->size()) >= limit && last_peer != 0) {
          response->set_next_page_token(MakePageToken({{"date", absl::StrCat(last_date)},
                                                       {"id", absl::StrCat(last_id)},
                                                       {"peer", absl::StrCat(last_peer)}}));
        }
        Finish(reactor, absl::OkStatus());
      });
  return reactor;
}

grpc::ServerUnaryReactor* ChatServiceImpl::ListChatMembers(
    grpc::CallbackServerContext* context, const v1::ListChatMembersRequest* request,
    v1::ListChatMembersResponse* response) {
  auto* reactor = context->DefaultReactor();
  if (request->page_size() < 0 || request->page_size() > 200) {
    return Finish(reactor, InvalidField("page_size", "0-200")), reactor;
  }
  if (!v1::ListChatMembersRequest::Filter_IsValid(request->filter())) {
    return Finish(reactor, InvalidField("filter", "not a known filter")), reactor;
  }
  if (request->query().size() > 128) {
    return Finish(reactor, InvalidField("query", "at most 128 bytes")), reactor;
  }
  absl::StatusOr<int32_t> page = ParseOffsetPageToken(request->page_token(), "page_token");
  if (!page.ok()) return Finish(reactor, page.status()), reactor;
  const int32_t offset = *page;
  const int32_t limit = request->page_size() == 0 ? 200 : request->page_size();
  const auto filter = request->filter();
  const std::string query = request->query();
  const absl::Time deadline = CallDeadline(*context, *api_);
  OnResolvedName(
      *api_, context, reactor, request->parent(), "parent", "chats", "",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
        const int64_t marked = peer.marked_id;
        if (MarkedType(marked) == PeerType::kUser) {
          return Finish(reactor, InvalidField("parent", "a private chat has no member list"));
        }
        if (MarkedType(marked) == PeerType::kChat) {
          // A basic group lists everyone in its full info: paged here.
          api::messages_getFullChat get;
          get.chat_id = Unmark(marked);
          account->invoker()->Call<api::messages_getFullChat>(
              get, {deadline}, [=](absl::StatusOr<tl::Ptr<api::messages_ChatFull>> result) {
                if (!result.ok()) return Finish(reactor, result.status());
                const auto* full = dynamic_cast<const api::messages_chatFull*>(result->get());
                const auto* info = full != nullptr
                                       ? dynamic_cast<const api::chatFull*>(full->full_chat.get())
                                       : nullptr;
                const auto* list =
                    info != nullptr
                        ? dynamic_cast<const api::chatParticipants*>(info->participants.get())
                        : nullptr;
                if (list == nullptr) {
                  return Finish(reactor, absl::PermissionDeniedError(
                                             "CHAT_ADMIN_REQUIRED: the member list is hidden"));
                }
                account->peers().AddUsers(full->users);
                PeerIndex index;
                for (const auto& u : full->users) index.users.push_back(u.get());
                int32_t seen = 0;
                for (const auto& p : list->participants) {
                  v1::ChatMember member;
                  if (!MemberToProto(*p, account->id(), marked, index, &member)) continue;
                  const bool admin = member.status() == v1::ChatMember::CREATOR ||
                                     member.status() == v1::ChatMember::ADMINISTRATOR;
                  if (filter == v1::ListChatMembersRequest::ADMINS && !admin) continue;
                  if (filter == v1::ListChatMembersRequest::BOTS && !member.user().is_bot()) {
                    continue;
                  }
                  if (!query.empty() && !absl::StrContains(absl::AsciiStrToLower(absl::StrCat(
                                                               member.user().first_name(), " ",
                                                               member.user().last_name(), " ",
                                                               member.user().username())),
                                                           absl::AsciiStrToLower(query))) {
                    continue;
                  }
                  if (seen++ < offset) continue;
                  if (response->members_size() == limit) {
                    response->set_next_page_token(
                        MakePageToken({{"offset", absl::StrCat(offset + limit)}}));
                    break;
                  }
                  *response->add_members() = std::move(member);
                }
                response->set_total_size(static_cast<int32_t>(list->participants.size()));
                Finish(reactor, absl::OkStatus());
              });
          return;
        }
        absl::StatusOr<tl::Ptr<api::InputChannel>> channel = account->peers().InputChannel(marked);
        if (!channel.ok()) return Finish(reactor, channel.status());
        api::channels_getParticipants get;
        get.channel = *std::move(channel);
        get.filter = ChannelFilter(filter, query);
        get.offset = offset;
        get.limit = limit;
        account->invoker()->Call<api::channels_getParticipants>(
            get, {deadline},
            [=](absl::StatusOr<tl::Ptr<api::channels_ChannelParticipants>> result) {
              if (!result.ok()) return Finish(reactor, result.status());
              const auto* page =
                  dynamic_cast<const api::channels_channelParticipants*>(result->get());
              if (page == nullptr) return Finish(reactor, absl::OkStatus());
              account->peers().AddUsers(page->users);
              account->peers().AddChats(page->chats);
              PeerIndex index;
              for (const auto& u : page->users) index.users.push_back(u.get());
              for (const auto& p : page->participants) {
                v1::ChatMember member;
                if (MemberToProto(*p, account->id(), marked, index, &member)) {
                  *response->add_members() = std::move(member);
                }
              }
              response->set_total_size(page->count);
              const int32_t next = offset + static_cast<int32_t>(page->participants.size());
              if (!page->participants.empty() && next < page->count) {
                response->set_next_page_token(MakePageToken({{"offset", absl::StrCat(next)}}));
              }
              Finish(reactor, absl::OkStatus());
            });
      });
  return reactor;
}

grpc::ServerUnaryReactor* ChatServiceImpl::GetChatMember(grpc::CallbackServerContext* context,
                                                         const v1::GetChatMemberRequest* request,
                                                         v1::ChatMember* response) {
  auto* reactor = context->DefaultReactor();
  const absl::Time deadline = CallDeadline(*context, *api_);
  OnResolvedName(
      *api_, context, reactor, request->name(), "name", "chats", "members",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName name) {
        const int64_t marked = peer.marked_id;
        int64_t user_id = 0;
        if (!absl::SimpleAtoi(name.rest, &user_id) || user_id <= 0) {
          return Finish(reactor, InvalidField("name", "the member must be a user id"));
        }
        if (MarkedType(marked) != PeerType::kChannel) {
          return Finish(reactor, absl::UnimplementedError(
                                     "GetChatMember serves supergroups and channels; use "
                                     "ListChatMembers for a basic group"));
        }
        absl::StatusOr<tl::Ptr<api::InputChannel>> channel = account->peers().InputChannel(marked);
        if (!channel.ok()) return Finish(reactor, channel.status());
        absl::StatusOr<tl::Ptr<api::InputPeer>> member =
            account->peers().InputPeer(user_id, account->self_id());
        if (!member.ok()) return Finish(reactor, member.status());
        api::channels_getParticipant get;
        get.channel = *std::move(channel);
        get.participant = *std::move(member);
        account->invoker()->Call<api::channels_getParticipant>(
            get, {deadline}, [=](absl::StatusOr<tl::Ptr<api::channels_ChannelParticipant>> result) {
              if (!result.ok()) return Finish(reactor, result.status());
              const auto* one =
                  dynamic_cast<const api::channels_channelParticipant*>(result->get());
              if (one == nullptr || one->participant == nullptr) {
                return Finish(reactor, absl::DataLossError("no participant"));
              }
              account->peers().AddUsers(one->users);
              PeerIndex index;
              for (const auto& u : one->users) index.users.push_back(u.get());
              MemberToProto(*one->participant, account->id(), marked, index, response);
              Finish(reactor, absl::OkStatus());
            });
      });
  return reactor;
}

}  // namespace tgrpc::service

// MessageService's actions on messages and chats that send nothing new: PinMessage, UnpinMessage
// (one or all), MarkRead (history or mentions), SendChatAction, SetReaction and ListReactions.
// The other members see them as UpdateService events (pinned_messages, read, typing, reactions).
#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "service/api/convert.h"
#include "service/api/errors.h"
#include "service/api/services.h"
#include "service/telegram/peer_id.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace {

namespace api = tl::api;

constexpr int kMaxReactions = 3;          // Telegram Premium's reactions_user_max
constexpr size_t kMaxReactionBytes = 64;  // an emoji with modifiers fits many times over
constexpr absl::string_view kCustomEmoji = "custom_emoji:";

// The message id of a parsed accounts/{a}/chats/{c}/messages/{id}; INVALID_ARGUMENT naming
// `field` otherwise.
absl::StatusOr<int32_t> MessageId(const ChildName& name, absl::string_view field) {
  int32_t id = 0;
  if (!absl::SimpleAtoi(name.rest, &id) || id <= 0) {
    return InvalidField(field, "the message id must be positive");
  }
  return id;
}

// A reaction as Reaction.reaction spells it: an emoji, or custom_emoji:<document id>.
absl::StatusOr<tl::Ptr<api::Reaction>> ReactionToTl(const std::string& reaction,
                                                    absl::string_view field) {
  if (reaction.empty()) return InvalidField(field, "empty reaction");
  if (reaction.size() > kMaxReactionBytes) {
    return InvalidField(field, absl::StrCat("at most ", kMaxReactionBytes, " bytes"));
  }
  absl::string_view rest = reaction;
  if (absl::ConsumePrefix(&rest, kCustomEmoji)) {
    int64_t document_id = 0;
    if (!absl::SimpleAtoi(rest, &document_id) || document_id == 0) {
      return InvalidField(field, "custom_emoji:<document id>, the id a number");
    }
    auto out = std::make_unique<api::reactionCustomEmoji>();
    out->document_id = document_id;
    return tl::Ptr<api::Reaction>(std::move(out));
  }
  if (reaction == "paid") return InvalidField(field, "paid reactions are not supported");
  for (char c : reaction) {
    if (static_cast<unsigned char>(c) <= ' ') {
      return InvalidField(field, "an emoji, without spaces or control characters");
    }
  }
  auto out = std::make_unique<api::reactionEmoji>();
  out->emoticon = reaction;
  return tl::Ptr<api::Reaction>(std::move(out));
}

std::string ReactionString(const api::Reaction* reaction) {
  if (const auto* r = dynamic_cast<const api::reactionEmoji*>(reaction)) return r->emoticon;
  if (const auto* r = dynamic_cast<const api::reactionCustomEmoji*>(reaction)) {
    return absl::StrCat(kCustomEmoji, r->document_id);
  }
  return reaction != nullptr ? "paid" : "";
}

// The pinned message ids an updatePinned(Channel)Messages of an Updates answer carries.
int32_t PinnedCount(const api::Updates& updates) {
  const std::vector<tl::Ptr<api::Update>>* list = nullptr;
  if (const auto* u = dynamic_cast<const api::updates*>(&updates)) list = &u->updates_;
  if (const auto* u = dynamic_cast<const api::updatesCombined*>(&updates)) list = &u->updates;
  int32_t count = 0;
  if (const auto* u = dynamic_cast<const api::updateShort*>(&updates)) {
    if (const auto* p = dynamic_cast<const api::updatePinnedMessages*>(u->update.get())) {
      count += static_cast<int32_t>(p->messages.size());
    }
  }
  if (list == nullptr) return count;
  for (const auto& update : *list) {
    if (const auto* p = dynamic_cast<const api::updatePinnedMessages*>(update.get())) {
      count += static_cast<int32_t>(p->messages.size());
    } else if (const auto* p =
                   dynamic_cast<const api::updatePinnedChannelMessages*>(update.get())) {
      count += static_cast<int32_t>(p->messages.size());
    }
  }
  return count;
}

// The reactions an updateMessageReactions of the answer gives message `id`; false if none does.
bool ReactionsOf(const api::Updates& updates, int32_t id,
                 google::protobuf::RepeatedPtrField<v1::Reaction>* out) {
  const std::vector<tl::Ptr<api::Update>>* list = nullptr;
  if (const auto* u = dynamic_cast<const api::updates*>(&updates)) list = &u->updates_;
  if (const auto* u = dynamic_cast<const api::updatesCombined*>(&updates)) list = &u->updates;
  std::vector<const api::Update*> all;
  if (list != nullptr) {
    for (const auto& update : *list) all.push_back(update.get());
  }
  if (const auto* u = dynamic_cast<const api::updateShort*>(&updates))
    all.push_back(u->update.get());
  for (const api::Update* update : all) {
    const auto* r = dynamic_cast<const api::updateMessageReactions*>(update);
    if (r != nullptr && r->msg_id == id) {
      ToProto(r->reactions.get(), out);
      return true;
    }
  }
  return false;
}

tl::Ptr<api::SendMessageAction> ChatAction(v1::SendChatActionRequest::Action action,
                                           int32_t progress) {
  using Request = v1::SendChatActionRequest;
  auto with_progress = [progress](auto action) {
    action->progress = progress;
    return tl::Ptr<api::SendMessageAction>(std::move(action));
  };
  switch (action) {
    case Request::CANCEL:
      return std::make_unique<api::sendMessageCancelAction>();
    case Request::RECORD_VIDEO:
      return std::make_unique<api::sendMessageRecordVideoAction>();
    case Request::UPLOAD_VIDEO:
      return with_progress(std::make_unique<api::sendMessageUploadVideoAction>());
    case Request::RECORD_VOICE:
      return std::make_unique<api::sendMessageRecordAudioAction>();
    case Request::UPLOAD_VOICE:
      return with_progress(std::make_unique<api::sendMessageUploadAudioAction>());
    case Request::UPLOAD_PHOTO:
      return with_progress(std::make_unique<api::sendMessageUploadPhotoAction>());
    case Request::UPLOAD_DOCUMENT:
      return with_progress(std::make_unique<api::sendMessageUploadDocumentAction>());
    case Request::RECORD_VIDEO_NOTE:
      return std::make_unique<api::sendMessageRecordRoundAction>();
    case Request::UPLOAD_VIDEO_NOTE:
      return with_progress(std::make_unique<api::sendMessageUploadRoundAction>());
    case Request::CHOOSE_LOCATION:
      return std::make_unique<api::sendMessageGeoLocationAction>();
    case Request::CHOOSE_CONTACT:
      return std::make_unique<api::sendMessageChooseContactAction>();
    case Request::CHOOSE_STICKER:
      return std::make_unique<api::sendMessageChooseStickerAction>();
    case Request::PLAY_GAME:
      return std::make_unique<api::sendMessageGamePlayAction>();
    default:
      return std::make_unique<api::sendMessageTypingAction>();
  }
}

}  // namespace

grpc::ServerUnaryReactor* MessageServiceImpl::PinMessage(grpc::CallbackServerContext* context,
                                                         const v1::PinMessageRequest* request,
                                                         google::protobuf::Empty* response) {
  auto* reactor = context->DefaultReactor();
  const absl::Time deadline = CallDeadline(*context, *api_);
  const bool silent = request->silent();
  const bool one_side = request->one_side();
  OnResolvedName(*api_, context, reactor, request->name(), "name", "chats", "messages",
                 [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName name) {
                   absl::StatusOr<int32_t> id = MessageId(name, "name");
                   if (!id.ok()) return Finish(reactor, id.status());
                   api::messages_updatePinnedMessage pin;
                   pin.silent = silent;
                   pin.pm_oneside = one_side;
                   pin.peer = std::move(peer.input);
                   pin.id = *id;
                   account->invoker()->Call<api::messages_updatePinnedMessage>(
                       pin, {deadline}, [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
                         if (!result.ok()) return Finish(reactor, result.status());
                         account->peers().AddFromUpdates(**result);
                         Finish(reactor, absl::OkStatus());
                       });
                 });
  return reactor;
}

grpc::ServerUnaryReactor* MessageServiceImpl::UnpinMessage(grpc::CallbackServerContext* context,
                                                           const v1::UnpinMessageRequest* request,
                                                           v1::UnpinMessageResponse* response) {
  auto* reactor = context->DefaultReactor();
  if (request->topic_id() < 0) {
    return Finish(reactor, InvalidField("topic_id", "must not be negative")), reactor;
  }
  const absl::Time deadline = CallDeadline(*context, *api_);
  if (request->target_case() == v1::UnpinMessageRequest::kParent) {
    const int32_t topic_id = request->topic_id();
    OnResolvedName(
        *api_, context, reactor, request->parent(), "parent", "chats", "",
        [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
          api::messages_unpinAllMessages unpin;
          unpin.peer = std::move(peer.input);
          if (topic_id != 0) unpin.top_msg_id = topic_id;
          account->invoker()->Call<api::messages_unpinAllMessages>(
              unpin, {deadline},
              [=](absl::StatusOr<tl::Ptr<api::messages_AffectedHistory>> result) {
                if (!result.ok()) return Finish(reactor, result.status());
                if (const auto* affected =
                        dynamic_cast<const api::messages_affectedHistory*>(result->get())) {
                  response->set_unpinned_count(affected->pts_count);
                }
                Finish(reactor, absl::OkStatus());
              });
        });
    return reactor;
  }
  if (request->topic_id() != 0) {
    return Finish(reactor, InvalidField("topic_id", "only with parent")), reactor;
  }
  // No target at all reads as an empty name: INVALID_ARGUMENT naming it.
  OnResolvedName(*api_, context, reactor, request->name(), "name", "chats", "messages",
                 [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName name) {
                   absl::StatusOr<int32_t> id = MessageId(name, "name");
                   if (!id.ok()) return Finish(reactor, id.status());
                   api::messages_updatePinnedMessage unpin;
                   unpin.unpin = true;
                   unpin.peer = std::move(peer.input);
                   unpin.id = *id;
                   account->invoker()->Call<api::messages_updatePinnedMessage>(
                       unpin, {deadline}, [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
                         if (!result.ok()) return Finish(reactor, result.status());
                         account->peers().AddFromUpdates(**result);
                         response->set_unpinned_count(PinnedCount(**result));
                         Finish(reactor, absl::OkStatus());
                       });
                 });
  return reactor;
}

grpc::ServerUnaryReactor* MessageServiceImpl::MarkRead(grpc::CallbackServerContext* context,
                                                       const v1::MarkReadRequest* request,
                                                       v1::MarkReadResponse* response) {
  auto* reactor = context->DefaultReactor();
  if (!v1::MarkReadRequest::Scope_IsValid(request->scope())) {
    return Finish(reactor, InvalidField("scope", "HISTORY or MENTIONS")), reactor;
  }
  if (request->max_id() < 0) {
    return Finish(reactor, InvalidField("max_id", "must not be negative")), reactor;
  }
  if (request->topic_id() < 0) {
    return Finish(reactor, InvalidField("topic_id", "must not be negative")), reactor;
  }
  const absl::Time deadline = CallDeadline(*context, *api_);
  const bool mentions = request->scope() == v1::MarkReadRequest::MENTIONS;
  const int32_t max_id = request->max_id();
  const int32_t topic_id = request->topic_id();
  OnResolvedName(*api_, context, reactor, request->parent(), "parent", "chats", "",
                 [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
                   auto done = [reactor](const auto& result) { Finish(reactor, result.status()); };
                   if (mentions) {
                     api::messages_readMentions read;
                     read.peer = std::move(peer.input);
                     if (topic_id != 0) read.top_msg_id = topic_id;
                     account->invoker()->Call<api::messages_readMentions>(read, {deadline}, done);
                   } else if (MarkedType(peer.marked_id) == PeerType::kChannel) {
                     absl::StatusOr<tl::Ptr<api::InputChannel>> channel =
                         account->peers().InputChannel(peer.marked_id);
                     if (!channel.ok()) return Finish(reactor, channel.status());
                     api::channels_readHistory read;
                     read.channel = *std::move(channel);
                     read.max_id = max_id;
                     account->invoker()->Call<api::channels_readHistory>(read, {deadline}, done);
                   } else {
                     api::messages_readHistory read;
                     read.peer = std::move(peer.input);
                     read.max_id = max_id;
                     account->invoker()->Call<api::messages_readHistory>(read, {deadline}, done);
                   }
                 });
  return reactor;
}

grpc::ServerUnaryReactor* MessageServiceImpl::SendChatAction(
    grpc::CallbackServerContext* context, const v1::SendChatActionRequest* request,
    v1::SendChatActionResponse* response) {
  auto* reactor = context->DefaultReactor();
  if (!v1::SendChatActionRequest::Action_IsValid(request->action())) {
    return Finish(reactor, InvalidField("action", "not a known action")), reactor;
  }
  if (request->progress() < 0 || request->progress() > 100) {
    return Finish(reactor, InvalidField("progress", "0-100 percent")), reactor;
  }
  if (request->topic_id() < 0) {
    return Finish(reactor, InvalidField("topic_id", "must not be negative")), reactor;
  }
  const absl::Time deadline = CallDeadline(*context, *api_);
  const auto action = request->action();
  const int32_t progress = request->progress();
  const int32_t topic_id = request->topic_id();
  OnResolvedName(*api_, context, reactor, request->parent(), "parent", "chats", "",
                 [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
                   api::messages_setTyping typing;
                   typing.peer = std::move(peer.input);
                   if (topic_id != 0) typing.top_msg_id = topic_id;
                   typing.action = ChatAction(action, progress);
                   account->invoker()->Call<api::messages_setTyping>(
                       typing, {deadline}, [reactor](absl::StatusOr<bool> result) {
                         Finish(reactor, result.status());
                       });
                 });
  return reactor;
}

grpc::ServerUnaryReactor* MessageServiceImpl::SetReaction(grpc::CallbackServerContext* context,
                                                          const v1::SetReactionRequest* request,
                                                          v1::SetReactionResponse* response) {
  auto* reactor = context->DefaultReactor();
  if (request->reactions_size() > kMaxReactions) {
    return Finish(reactor, InvalidField("reactions", absl::StrCat("at most ", kMaxReactions))),
           reactor;
  }
  auto reactions = std::make_shared<std::vector<tl::Ptr<api::Reaction>>>();
  for (int i = 0; i < request->reactions_size(); ++i) {
    const std::string& reaction = request->reactions(i);
    if (std::count(request->reactions().begin(), request->reactions().end(), reaction) > 1) {
      return Finish(reactor, InvalidField("reactions", absl::StrCat(reaction, " given twice"))),
             reactor;
    }
    absl::StatusOr<tl::Ptr<api::Reaction>> tl_reaction =
        ReactionToTl(reaction, absl::StrCat("reactions[", i, "]"));
    if (!tl_reaction.ok()) return Finish(reactor, tl_reaction.status()), reactor;
    reactions->push_back(*std::move(tl_reaction));
  }
  const absl::Time deadline = CallDeadline(*context, *api_);
  const bool big = request->big();
  const bool add_to_recent = request->add_to_recent();
  OnResolvedName(*api_, context, reactor, request->name(), "name", "chats", "messages",
                 [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName name) {
                   absl::StatusOr<int32_t> id = MessageId(name, "name");
                   if (!id.ok()) return Finish(reactor, id.status());
                   api::messages_sendReaction send;
                   send.big = big;
                   send.add_to_recent = add_to_recent;
                   send.peer = std::move(peer.input);
                   send.msg_id = *id;
                   // No reactions (the flag left out) removes the account's.
                   if (!reactions->empty()) send.reaction = std::move(*reactions);
                   const int32_t message_id = *id;
                   account->invoker()->Call<api::messages_sendReaction>(
                       send, {deadline}, [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
                         if (!result.ok()) return Finish(reactor, result.status());
                         account->peers().AddFromUpdates(**result);
                         ReactionsOf(**result, message_id, response->mutable_reactions());
                         Finish(reactor, absl::OkStatus());
                       });
                 });
  return reactor;
}

grpc::ServerUnaryReactor* MessageServiceImpl::ListReactions(grpc::CallbackServerContext* context,
                                                            const v1::ListReactionsRequest* request,
                                                            v1::ListReactionsResponse* response) {
  auto* reactor = context->DefaultReactor();
  if (request->page_size() < 0 || request->page_size() > 100) {
    return Finish(reactor, InvalidField("page_size", "0-100")), reactor;
  }
  auto filter = std::make_shared<tl::Ptr<api::Reaction>>();
  if (!request->reaction().empty()) {
    absl::StatusOr<tl::Ptr<api::Reaction>> reaction = ReactionToTl(request->reaction(), "reaction");
    if (!reaction.ok()) return Finish(reactor, reaction.status()), reactor;
    *filter = *std::move(reaction);
  }
  absl::StatusOr<std::map<std::string, std::string>> token =
      ParsePageToken(request->page_token(), "page_token");
  if (!token.ok()) return Finish(reactor, token.status()), reactor;
  const std::string offset = (*token)["offset"];
  if (offset.size() > 256) {
    return Finish(reactor, InvalidField("page_token", "not a page token from this API")), reactor;
  }
  const int32_t limit = request->page_size() == 0 ? 50 : request->page_size();
  const absl::Time deadline = CallDeadline(*context, *api_);
  OnResolvedName(
      *api_, context, reactor, request->name(), "name", "chats", "messages",
      [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName name) {
        absl::StatusOr<int32_t> id = MessageId(name, "name");
        if (!id.ok()) return Finish(reactor, id.status());
        api::messages_getMessageReactionsList list;
        list.peer = std::move(peer.input);
        list.id = *id;
        list.reaction = std::move(*filter);
        if (!offset.empty()) list.offset = offset;
        list.limit = limit;
        account->invoker()->Call<api::messages_getMessageReactionsList>(
            list, {deadline},
            [=](absl::StatusOr<tl::Ptr<api::messages_MessageReactionsList>> result) {
              if (!result.ok()) return Finish(reactor, result.status());
              const auto* page =
                  dynamic_cast<const api::messages_messageReactionsList*>(result->get());
              if (page == nullptr) return Finish(reactor, absl::OkStatus());
              account->peers().AddUsers(page->users);
              account->peers().AddChats(page->chats);
              for (const auto& r : page->reactions) {
                const auto* entry = dynamic_cast<const api::messagePeerReaction*>(r.get());
                if (entry == nullptr) continue;
                v1::MessageReactor* out = response->add_reactors();
                out->set_peer_id(MarkedPeerId(entry->peer_id.get()));
                out->set_reaction(ReactionString(entry->reaction.get()));
                out->mutable_time()->set_seconds(entry->date);
                out->set_big(entry->big);
                out->set_own(entry->my);
                out->set_unread(entry->unread);
              }
              response->set_total_size(page->count);
              if (page->next_offset.has_value() && !page->next_offset->empty()) {
                response->set_next_page_token(MakePageToken({{"offset", *page->next_offset}}));
              }
              for (const auto& u : page->users) ToProto(*u, account->id(), response->add_users());
              for (const auto& c : page->chats) ToProto(*c, account->id(), response->add_chats());
              Finish(reactor, absl::OkStatus());
            });
      });
  return reactor;
}

}  // namespace tgrpc::service

// MessageService's one-media sends: SendLocation (inputMediaGeoPoint), SendContact
// (inputMediaContact), SendDice (inputMediaDice) and SendPoll (inputMediaPoll), each a
// messages.sendMedia with no caption, answered with the sent message and kept for retries of the
// same request_id like SendMedia.
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/api/convert.h"
#include "service/api/errors.h"
#include "service/api/message_text.h"
#include "service/api/services.h"
#include "service/text/formatting.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace {

namespace api = tl::api;

constexpr int kMaxAccuracyRadius = 1500;  // meters, Telegram's limit
constexpr int kMaxContactName = 64;       // characters
constexpr size_t kMaxPhoneLength = 32;
constexpr size_t kMaxVcardBytes = 2048;
constexpr size_t kMaxEmoticonBytes = 32;
constexpr char kDefaultDice[] = "🎲";

absl::Status CheckOptions(const v1::SendOptions& options) {
  if (options.request_id().size() > 128) {
    return InvalidField("options.request_id", "at most 128 characters");
  }
  if (options.reply_to_message_id() < 0) {
    return InvalidField("options.reply_to_message_id", "must not be negative");
  }
  if (options.topic_id() < 0) return InvalidField("options.topic_id", "must not be negative");
  return absl::OkStatus();
}

// Characters as Telegram counts them (UTF-16 units).
int Length(const std::string& text) { return text::Utf16Length(text); }

// Sends `media` to `parent` with `options` (the RPC's `method` names its request_id cache entry)
// and answers the sent message.
void SendOne(const ApiContext& api, grpc::CallbackServerContext* context,
             grpc::ServerUnaryReactor* reactor, v1::Message* response, const std::string& parent,
             const v1::SendOptions& options, absl::string_view method,
             std::function<tl::Ptr<api::InputMedia>()> media) {
  absl::StatusOr<std::string> tenant = Authenticate(*context, api);
  if (!tenant.ok()) return Finish(reactor, tenant.status());
  if (absl::Status s = CheckOptions(options); !s.ok()) return Finish(reactor, s);
  const absl::Time deadline = CallDeadline(*context, api);
  // A retry of a request_id answered before gets that answer.
  std::string key;
  if (!options.request_id().empty() && api.requests != nullptr) {
    absl::StatusOr<ChildName> name = ParseChildName(parent, "parent", "chats");
    if (!name.ok()) return Finish(reactor, name.status());
    key = RequestKey(*tenant, name->account, method, options.request_id());
    if (std::optional<std::string> answer = api.requests->Find(key);
        answer.has_value() && response->ParseFromString(*answer)) {
      return Finish(reactor, absl::OkStatus());
    }
  }
  RequestCache* cache = api.requests;
  OnResolvedName(api, context, reactor, parent, "parent", "chats", "",
                 [=](std::shared_ptr<Account> account, ResolvedPeer peer, ChildName) {
                   api::messages_sendMedia send;
                   send.peer = std::move(peer.input);
                   send.media = media();
                   send.random_id = RandomIdFor(options.request_id(), account->id(), method);
                   send.silent = options.silent();
                   if (options.reply_to_message_id() != 0 || options.topic_id() != 0) {
                     auto reply = std::make_unique<api::inputReplyToMessage>();
                     reply->reply_to_msg_id = options.reply_to_message_id() != 0
                                                  ? options.reply_to_message_id()
                                                  : options.topic_id();
                     if (options.topic_id() != 0) reply->top_msg_id = options.topic_id();
                     send.reply_to = std::move(reply);
                   }
                   const int64_t random_id = send.random_id;
                   const int64_t marked_chat = peer.marked_id;
                   account->invoker()->Call<api::messages_sendMedia>(
                       send, {deadline}, [=](absl::StatusOr<tl::Ptr<api::Updates>> result) {
                         if (!result.ok()) return Finish(reactor, result.status());
                         account->peers().AddFromUpdates(**result);
                         const text::FormattedText no_caption;
                         absl::StatusOr<v1::Message> message = MessageFromUpdates(
                             **result, random_id, *account, marked_chat, &no_caption);
                         if (message.ok()) *response = *std::move(message);
                         if (message.ok() && !key.empty())
                           cache->Store(key, response->SerializeAsString());
                         Finish(reactor, message.status());
                       });
                 });
}

}  // namespace

grpc::ServerUnaryReactor* MessageServiceImpl::SendLocation(grpc::CallbackServerContext* context,
                                                           const v1::SendLocationRequest* request,
                                                           v1::Message* response) {
  auto* reactor = context->DefaultReactor();
  const double latitude = request->latitude();
  const double longitude = request->longitude();
  const int32_t radius = request->accuracy_radius();
  if (!std::isfinite(latitude) || latitude < -90 || latitude > 90) {
    return Finish(reactor, InvalidField("latitude", "-90 to 90 degrees")), reactor;
  }
  if (!std::isfinite(longitude) || longitude < -180 || longitude > 180) {
    return Finish(reactor, InvalidField("longitude", "-180 to 180 degrees")), reactor;
  }
  if (radius < 0 || radius > kMaxAccuracyRadius) {
    return Finish(reactor, InvalidField("accuracy_radius", "0-1500 meters")), reactor;
  }
  SendOne(*api_, context, reactor, response, request->parent(), request->options(), "SendLocation",
          [=] {
            auto point = std::make_unique<api::inputGeoPoint>();
            point->lat = latitude;
            point->long_ = longitude;
            if (radius != 0) point->accuracy_radius = radius;
            auto media = std::make_unique<api::inputMediaGeoPoint>();
            media->geo_point = std::move(point);
            return tl::Ptr<api::InputMedia>(std::move(media));
          });
  return reactor;
}

grpc::ServerUnaryReactor* MessageServiceImpl::SendContact(grpc::CallbackServerContext* context,
                                                          const v1::SendContactRequest* request,
                                                          v1::Message* response) {
  auto* reactor = context->DefaultReactor();
  const std::string& phone = request->phone_number();
  bool digits = false;
  for (char c : phone) {
    if (c >= '0' && c <= '9') {
      digits = true;
    } else if (c != '+' && c != ' ' && c != '-' && c != '(' && c != ')') {
      return Finish(reactor, InvalidField("phone_number", "digits, +, spaces, dashes")), reactor;
    }
  }
  if (!digits || phone.size() > kMaxPhoneLength) {
    return Finish(reactor, InvalidField("phone_number", "1-32 characters with a digit")), reactor;
  }
  if (request->first_name().empty() || Length(request->first_name()) > kMaxContactName) {
    return Finish(reactor, InvalidField("first_name", "1-64 characters")), reactor;
  }
  if (Length(request->last_name()) > kMaxContactName) {
    return Finish(reactor, InvalidField("last_name", "at most 64 characters")), reactor;
  }
  if (request->vcard().size() > kMaxVcardBytes) {
    return Finish(reactor, InvalidField("vcard", "at most 2048 bytes")), reactor;
  }
  auto copy = std::make_shared<const v1::SendContactRequest>(*request);
  SendOne(*api_, context, reactor, response, request->parent(), request->options(), "SendContact",
          [copy] {
            auto media = std::make_unique<api::inputMediaContact>();
            media->phone_number = copy->phone_number();
            media->first_name = copy->first_name();
            media->last_name = copy->last_name();
            media->vcard = copy->vcard();
            return tl::Ptr<api::InputMedia>(std::move(media));
          });
  return reactor;
}

grpc::ServerUnaryReactor* MessageServiceImpl::SendDice(grpc::CallbackServerContext* context,
                                                       const v1::SendDiceRequest* request,
                                                       v1::Message* response) {
  auto* reactor = context->DefaultReactor();
  // Which emoji roll is Telegram's to say (EMOTICON_INVALID): new ones come without a new layer.
  const std::string emoticon = request->emoticon().empty() ? kDefaultDice : request->emoticon();
  if (emoticon.size() > kMaxEmoticonBytes) {
    return Finish(reactor, InvalidField("emoticon", "one emoji")), reactor;
  }
  for (char c : emoticon) {
    if (static_cast<unsigned char>(c) <= ' ') {
      return Finish(reactor, InvalidField("emoticon", "one emoji, no spaces")), reactor;
    }
  }
  SendOne(*api_, context, reactor, response, request->parent(), request->options(), "SendDice",
          [emoticon] {
            auto media = std::make_unique<api::inputMediaDice>();
            media->emoticon = emoticon;
            return tl::Ptr<api::InputMedia>(std::move(media));
          });
  return reactor;
}

grpc::ServerUnaryReactor* MessageServiceImpl::SendPoll(grpc::CallbackServerContext* context,
                                                       const v1::SendPollRequest* request,
                                                       v1::Message* response) {
  auto* reactor = context->DefaultReactor();
  const int question = Length(request->question());
  if (question < 1 || question > 255) {
    return Finish(reactor, InvalidField("question", "1-255 characters")), reactor;
  }
  if (request->answers_size() < 2 || request->answers_size() > 10) {
    return Finish(reactor, InvalidField("answers", "2-10 answers")), reactor;
  }
  for (int i = 0; i < request->answers_size(); ++i) {
    const int length = Length(request->answers(i));
    if (length < 1 || length > 100) {
      return Finish(reactor, InvalidField(absl::StrCat("answers[", i, "]"), "1-100 characters")),
             reactor;
    }
  }
  if (request->quiz()) {
    if (request->multiple_choice()) {
      return Finish(reactor, InvalidField("multiple_choice", "a quiz has one right answer")),
             reactor;
    }
    if (request->correct_option() < 0 || request->correct_option() >= request->answers_size()) {
      return Finish(reactor, InvalidField("correct_option", "the index of one of answers")),
             reactor;
    }
    if (Length(request->explanation()) > 200) {
      return Finish(reactor, InvalidField("explanation", "at most 200 characters")), reactor;
    }
  } else if (request->correct_option() != 0 || !request->explanation().empty()) {
    return Finish(reactor, InvalidField("correct_option", "for quizzes only")), reactor;
  }
  const int32_t period = request->close_period_seconds();
  if (period != 0 && (period < 5 || period > 600)) {
    return Finish(reactor, InvalidField("close_period_seconds", "5-600 seconds, or 0")), reactor;
  }
  auto copy = std::make_shared<const v1::SendPollRequest>(*request);
  SendOne(*api_, context, reactor, response, request->parent(), request->options(), "SendPoll",
          [copy] {
            auto poll = std::make_unique<api::poll>();
            auto question = std::make_unique<api::textWithEntities>();
            question->text = copy->question();
            poll->question = std::move(question);
            for (int i = 0; i < copy->answers_size(); ++i) {
              auto answer = std::make_unique<api::pollAnswer>();
              auto text = std::make_unique<api::textWithEntities>();
              text->text = copy->answers(i);
              answer->text = std::move(text);
              answer->option = absl::StrCat(i);  // as Telegram's apps number them
              poll->answers.push_back(std::move(answer));
            }
            poll->public_voters = copy->public_voters();
            poll->multiple_choice = copy->multiple_choice();
            poll->quiz = copy->quiz();
            if (copy->close_period_seconds() != 0)
              poll->close_period = copy->close_period_seconds();
            auto media = std::make_unique<api::inputMediaPoll>();
            media->poll = std::move(poll);
            if (copy->quiz()) {
              media->correct_answers = std::vector<int32_t>{copy->correct_option()};
              if (!copy->explanation().empty()) {
                media->solution = copy->explanation();
                media->solution_entities = std::vector<tl::Ptr<api::MessageEntity>>();
              }
            }
            return tl::Ptr<api::InputMedia>(std::move(media));
          });
  return reactor;
}

}  // namespace tgrpc::service

#include "service/api/convert.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"
#include "service/api/utf8.h"

namespace tgrpc::service {
namespace {

namespace api = tl::api;
using google::protobuf::FieldDescriptor;

// Bytes Telegram might send in any TL string: a stray continuation byte and a sequence cut short.
const std::string kBad = "x\x80y\xC3";
const std::string kFixed = "x\xEF\xBF\xBDy\xEF\xBF\xBD";

// Every string field of `message`, at any depth, as "path = value".
void CollectStrings(const google::protobuf::Message& message, const std::string& path,
                    std::vector<std::pair<std::string, std::string>>* out) {
  const google::protobuf::Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string name = path + "." + field->name();
    const int count = field->is_repeated() ? reflection->FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) {
      if (field->type() == FieldDescriptor::TYPE_STRING) {
        out->emplace_back(name, field->is_repeated()
                                    ? reflection->GetRepeatedString(message, field, i)
                                    : reflection->GetString(message, field));
      } else if (field->type() == FieldDescriptor::TYPE_MESSAGE) {
        CollectStrings(field->is_repeated() ? reflection->GetRepeatedMessage(message, field, i)
                                            : reflection->GetMessage(message, field),
                       name, out);
      }
    }
  }
}

// Every string field is valid UTF-8, so the message parses on the caller's side; and the TL
// strings did arrive (as kFixed) in at least `expected_fixed` of them.
template <class M>
void ExpectValidStrings(const M& message, int expected_fixed) {
  std::vector<std::pair<std::string, std::string>> strings;
  CollectStrings(message, M::descriptor()->name(), &strings);
  int fixed = 0;
  for (const auto& [name, value] : strings) {
    EXPECT_TRUE(IsValidUtf8(value)) << name << " = " << testing::PrintToString(value);
    if (value.find(kFixed) != std::string::npos) ++fixed;
  }
  EXPECT_GE(fixed, expected_fixed) << message.DebugString();
  M parsed;
  EXPECT_TRUE(parsed.ParseFromString(message.SerializeAsString()));
}

TEST(ConvertTest, UserStringsAreValidUtf8) {
  api::user user;
  user.id = 1000001;
  user.first_name = kBad;
  user.last_name = kBad;
  user.username = kBad;
  user.phone = kBad;
  user.lang_code = kBad;
  auto other = std::make_unique<api::username>();
  other->username_ = kBad + "2";
  other->active = true;
  user.usernames.emplace();
  user.usernames->push_back(std::move(other));
  v1::User out;
  ToProto(user, "alice", &out);
  EXPECT_EQ(out.first_name(), kFixed);
  ExpectValidStrings(out, 6);  // first and last name, username, phone, lang code, usernames

  api::userFull full;
  full.about = kBad;
  auto bot = std::make_unique<api::botInfo>();
  bot->description = kBad;
  full.bot_info = std::move(bot);
  ToProto(full, &out);
  EXPECT_EQ(out.full().about(), kFixed);
  ExpectValidStrings(out, 8);
}

TEST(ConvertTest, ChatStringsAreValidUtf8) {
  api::channel channel;
  channel.id = 1004;
  channel.title = kBad;
  channel.username = kBad;
  v1::Chat out;
  ToProto(channel, "alice", &out);
  EXPECT_EQ(out.title(), kFixed);

  api::channelFull full;
  full.about = kBad;
  auto invite = std::make_unique<api::chatInviteExported>();
  invite->link = kBad;
  full.exported_invite = std::move(invite);
  ToProto(full, &out);
  ExpectValidStrings(out, 5);  // title, username, usernames, about, invite link

  api::chat chat;
  chat.id = 12;
  chat.title = kBad;
  v1::Chat basic;
  ToProto(chat, "alice", &basic);
  api::chatFull chat_full;
  chat_full.about = kBad;
  ToProto(chat_full, &basic);
  ExpectValidStrings(basic, 2);
}

TEST(ConvertTest, MessageStringsAreValidUtf8) {
  api::message message;
  message.id = 5;
  auto peer = std::make_unique<api::peerUser>();
  peer->user_id = 1000001;
  message.peer_id = std::move(peer);
  message.message_ = kBad;
  message.post_author = kBad;
  message.entities.emplace();
  auto url = std::make_unique<api::messageEntityTextUrl>();
  url->url = kBad;
  message.entities->push_back(std::move(url));
  auto pre = std::make_unique<api::messageEntityPre>();
  pre->language = kBad;
  message.entities->push_back(std::move(pre));
  auto reply = std::make_unique<api::messageReplyHeader>();
  reply->quote_text = kBad;
  message.reply_to = std::move(reply);
  auto forward = std::make_unique<api::messageFwdHeader>();
  forward->from_name = kBad;
  forward->post_author = kBad;
  message.fwd_from = std::move(forward);
  auto reactions = std::make_unique<api::messageReactions>();
  auto count = std::make_unique<api::reactionCount>();
  auto emoji = std::make_unique<api::reactionEmoji>();
  emoji->emoticon = kBad;
  count->reaction = std::move(emoji);
  count->count = 2;
  reactions->results.push_back(std::move(count));
  message.reactions = std::move(reactions);
  auto media = std::make_unique<api::messageMediaDocument>();
  auto document = std::make_unique<api::document>();
  document->mime_type = kBad;
  document->file_reference = "\xFF\xFE";  // bytes in the proto: kept as they are
  auto file_name = std::make_unique<api::documentAttributeFilename>();
  file_name->file_name = kBad;
  document->attributes.push_back(std::move(file_name));
  auto audio = std::make_unique<api::documentAttributeAudio>();
  audio->title = kBad;
  document->attributes.push_back(std::move(audio));
  media->document = std::move(document);
  message.media = std::move(media);

  v1::Message out;
  ToProto(message, "alice", &out);
  EXPECT_EQ(out.text(), kFixed);
  EXPECT_EQ(out.media().file_reference(), "\xFF\xFE");
  // text, post author, url, language, quote, forward name and author, reaction, mime type,
  // file name, audio title
  ExpectValidStrings(out, 11);
}

TEST(ConvertTest, MediaStringsAreValidUtf8) {
  auto convert = [](tl::Ptr<api::MessageMedia> media) {
    api::message message;
    message.id = 1;
    message.media = std::move(media);
    v1::Message out;
    ToProto(message, "alice", &out);
    return out;
  };
  auto venue = std::make_unique<api::messageMediaVenue>();
  venue->title = kBad;
  ExpectValidStrings(convert(std::move(venue)), 1);
  auto contact = std::make_unique<api::messageMediaContact>();
  contact->phone_number = kBad;
  contact->first_name = kBad;
  contact->last_name = kBad;
  ExpectValidStrings(convert(std::move(contact)), 2);
  auto dice = std::make_unique<api::messageMediaDice>();
  dice->emoticon = kBad;
  ExpectValidStrings(convert(std::move(dice)), 1);
  auto web = std::make_unique<api::messageMediaWebPage>();
  auto page = std::make_unique<api::webPage>();
  page->url = kBad;
  page->title = kBad;
  web->webpage = std::move(page);
  ExpectValidStrings(convert(std::move(web)), 2);
}

}  // namespace
}  // namespace tgrpc::service

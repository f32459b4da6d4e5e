#include "service/cluster/account_of_request.h"

#include <atomic>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"
#include "gtest/gtest.h"
#include "proto/raw/embedded.h"
#include "tgrpc/v1/account.pb.h"
#include "tgrpc/v1/bot.pb.h"
#include "tgrpc/v1/chat.pb.h"
#include "tgrpc/v1/file.pb.h"
#include "tgrpc/v1/message.pb.h"
#include "tgrpc/v1/raw.pb.h"
#include "tgrpc/v1/update.pb.h"
#include "tgrpc/v1/user.pb.h"

namespace tgrpc::service::cluster {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;
using google::protobuf::FieldDescriptor;
using google::protobuf::FileDescriptor;
using google::protobuf::Message;
using google::protobuf::MethodDescriptor;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// tgrpc.v1 methods whose requests name no account. AckUpdates' accounts are inside its opaque
// resume token, which routing would have to decode (see the report of issue 13).
const std::set<std::string> kNoAccount = {
    "tgrpc.v1.AccountService.ListAccounts",
    "tgrpc.v1.UpdateService.AckUpdates",
};

std::string FullMethod(const MethodDescriptor& method) {
  return absl::StrCat("/", method.service()->full_name(), "/", method.name());
}

std::string Account(absl::string_view method, const Message& request) {
  absl::StatusOr<std::string> account = AccountOfRequest(method, request.SerializeAsString());
  EXPECT_TRUE(account.ok()) << account.status();
  return account.value_or("<error>");
}

// A request of the method's input type with `path` ("header.account") set to `value`.
std::unique_ptr<Message> RequestWith(const MethodDescriptor& method, const std::string& path,
                                     const std::string& value) {
  // Dynamic messages, since the raw API's types have no C++ classes.
  static auto* const factory = new google::protobuf::DynamicMessageFactory();
  std::unique_ptr<Message> request(factory->GetPrototype(method.input_type())->New());
  Message* message = request.get();
  const std::vector<std::string> names = absl::StrSplit(path, '.');
  for (size_t i = 0; i + 1 < names.size(); ++i) {
    const FieldDescriptor* field = message->GetDescriptor()->FindFieldByName(names[i]);
    message = message->GetReflection()->MutableMessage(message, field);
  }
  const FieldDescriptor* field = message->GetDescriptor()->FindFieldByName(names.back());
  if (field->is_repeated()) {
    message->GetReflection()->AddString(message, field, value);
    message->GetReflection()->AddString(message, field, "accounts/second");
  } else {
    message->GetReflection()->SetString(message, field, value);
  }
  return request;
}

std::vector<const FileDescriptor*> V1Files() {
  // Naming a message of each file links it in, and with it its descriptor.
  return {v1::Account::descriptor()->file(),     v1::BotInfo::descriptor()->file(),
          v1::Chat::descriptor()->file(),        v1::UploadedFile::descriptor()->file(),
          v1::Message::descriptor()->file(),     v1::InvokeJsonRequest::descriptor()->file(),
          v1::UpdateEvent::descriptor()->file(), v1::User::descriptor()->file()};
}

// Every field path of every method that names an account, set alone, is found.
void ExpectEveryPathFound(const MethodDescriptor& method) {
  const std::string full = FullMethod(method);
  const std::vector<std::string> paths = AccountFieldsOf(full);
  ASSERT_FALSE(paths.empty()) << full << ": no field names its account; extend the rules in "
                              << "account_of_request.cc or list the method in kNoAccount";
  for (const std::string& path : paths) {
    const bool bare = absl::EndsWith(path, "account_id");
    const std::unique_ptr<Message> request =
        RequestWith(method, path, bare ? "acct-7" : "accounts/acct-7/chats/-100123");
    EXPECT_EQ(Account(full, *request), "acct-7") << full << " by " << path;
  }
}

TEST(AccountOfRequestTest, EveryTgrpcV1MethodThatNamesAnAccountIsFound) {
  int methods = 0;
  std::set<std::string> no_account_seen;
  for (const FileDescriptor* file : V1Files()) {
    for (int s = 0; s < file->service_count(); ++s) {
      for (int m = 0; m < file->service(s)->method_count(); ++m) {
        const MethodDescriptor& method = *file->service(s)->method(m);
        ++methods;
        if (kNoAccount.count(method.full_name()) != 0) {
          no_account_seen.insert(method.full_name());
          EXPECT_THAT(AccountFieldsOf(FullMethod(method)), IsEmpty()) << method.full_name();
          continue;
        }
        ExpectEveryPathFound(method);
      }
    }
  }
  EXPECT_GE(methods, 70);
  EXPECT_EQ(no_account_seen, kNoAccount);
}

TEST(AccountOfRequestTest, FieldsOfTheIrregularRequests) {
  EXPECT_THAT(AccountFieldsOf("/tgrpc.v1.UserService/GetMe"), ElementsAre("account"));
  EXPECT_THAT(AccountFieldsOf("/tgrpc.v1.BotService/SetCommands"), ElementsAre("account"));
  EXPECT_THAT(AccountFieldsOf("/tgrpc.v1.MessageService/PressButton"), ElementsAre("name"));
  EXPECT_THAT(AccountFieldsOf("/tgrpc.v1.MessageService/QueryInlineBot"), ElementsAre("parent"));
  EXPECT_THAT(AccountFieldsOf("/tgrpc.v1.MessageService/SendMessage"), ElementsAre("parent"));
  EXPECT_THAT(AccountFieldsOf("/tgrpc.v1.MessageService/UnpinMessage"),
              ElementsAre("name", "parent"));
  EXPECT_THAT(AccountFieldsOf("/tgrpc.v1.MessageService/ForwardMessages"),
              ElementsAre("from_chat"));
  EXPECT_THAT(AccountFieldsOf("/tgrpc.v1.AccountService/CreateAccount"), ElementsAre("account_id"));
  EXPECT_THAT(AccountFieldsOf("/tgrpc.v1.AccountService/ImportSession"), ElementsAre("account_id"));
  EXPECT_THAT(AccountFieldsOf("/tgrpc.v1.UpdateService/StreamUpdates"), ElementsAre("accounts"));
  EXPECT_THAT(AccountFieldsOf("/tgrpc.v1.FileService/UploadFile"), ElementsAre("header.account"));
  EXPECT_THAT(AccountFieldsOf("/tgrpc.v1.FileService/DownloadFile"),
              ElementsAre("message", "peer_photo", "location.account"));
  // The photo (an UploadedFile) names the same account as the chat when the request is valid;
  // chat.name, always set, decides first.
  EXPECT_THAT(AccountFieldsOf("/tgrpc.v1.ChatService/UpdateChat"),
              ElementsAre("chat.name", "photo.account"));
  EXPECT_THAT(AccountFieldsOf("/tgrpc.v1.UserService/UpdateProfile"), ElementsAre("user.name"));
}

TEST(AccountOfRequestTest, UploadHeaderIsReadInsideItsMessage) {
  v1::UploadFileRequest header;
  header.mutable_header()->set_account("accounts/up-1");
  header.mutable_header()->set_file_name("a.bin");
  header.mutable_header()->set_size(3);
  EXPECT_EQ(Account("/tgrpc.v1.FileService/UploadFile", header), "up-1");

  v1::UploadFileRequest chunk;
  chunk.set_chunk(std::string(3 << 20, 'x'));
  EXPECT_EQ(Account("/tgrpc.v1.FileService/UploadFile", chunk), "");
}

TEST(AccountOfRequestTest, DownloadFindsWhicheverSourceIsSet) {
  v1::DownloadFileRequest by_message;
  by_message.set_message("accounts/d-1/chats/5/messages/9");
  EXPECT_EQ(Account("/tgrpc.v1.FileService/DownloadFile", by_message), "d-1");
  v1::DownloadFileRequest by_location;
  by_location.mutable_location()->set_account("accounts/d-2");
  by_location.mutable_location()->set_file_reference(std::string(100, '\xff'));
  EXPECT_EQ(Account("/tgrpc.v1.FileService/DownloadFile", by_location), "d-2");
  v1::DownloadFileRequest by_photo;
  by_photo.set_peer_photo("accounts/d-3/users/77");
  EXPECT_EQ(Account("/tgrpc.v1.FileService/DownloadFile", by_photo), "d-3");
}

TEST(AccountOfRequestTest, RepeatedAccountsTakeTheFirst) {
  v1::StreamUpdatesRequest request;
  request.add_accounts("accounts/s-1");
  request.add_accounts("accounts/s-2");
  request.set_consumer("c");
  EXPECT_EQ(Account("/tgrpc.v1.UpdateService/StreamUpdates", request), "s-1");
}

TEST(AccountOfRequestTest, ResourceNamesBelowTheAccount) {
  v1::SendMessageRequest send;
  send.set_parent("accounts/c-1/chats/-100123");
  send.set_text("hello");
  EXPECT_EQ(Account("/tgrpc.v1.MessageService/SendMessage", send), "c-1");
  v1::GetChatMemberRequest member;
  member.set_name("accounts/c-2/chats/1/members/2");
  EXPECT_EQ(Account("/tgrpc.v1.ChatService/GetChatMember", member), "c-2");
  v1::GetAccountRequest account;
  account.set_name("accounts/c-3");
  EXPECT_EQ(Account("/tgrpc.v1.AccountService/GetAccount", account), "c-3");
}

// Values that are not an account's resource name route nowhere in particular (""), and the
// replica that serves the call rejects them as usual.
TEST(AccountOfRequestTest, OtherValuesNameNoAccount) {
  for (const std::string& name :
       {std::string("users/1"), std::string("acct-1"), std::string("accounts/"),
        std::string("accounts//chats/1"), std::string("Accounts/a"),
        absl::StrCat("accounts/", std::string(2000, 'a'))}) {
    v1::GetAccountRequest request;
    request.set_name(name);
    EXPECT_EQ(Account("/tgrpc.v1.AccountService/GetAccount", request), "") << name;
  }
}

TEST(AccountOfRequestTest, BareAccountId) {
  v1::CreateAccountRequest create;
  create.set_account_id("new-1");
  create.mutable_account()->set_phone_number("+15550001");
  EXPECT_EQ(Account("/tgrpc.v1.AccountService/CreateAccount", create), "new-1");
  // The id is generated: no account to route by, even with Account.name (output only) set.
  v1::CreateAccountRequest generated;
  generated.mutable_account()->set_name("accounts/ignored");
  EXPECT_EQ(Account("/tgrpc.v1.AccountService/CreateAccount", generated), "");
}

TEST(AccountOfRequestTest, LastValueOfASingularFieldWins) {
  v1::GetMeRequest first, second;
  first.set_account("accounts/first");
  second.set_account("accounts/second");
  // Protobuf merges concatenated messages; the parser keeps the last value.
  const std::string bytes = first.SerializeAsString() + second.SerializeAsString();
  EXPECT_EQ(AccountOfRequest("/tgrpc.v1.UserService/GetMe", bytes).value(), "second");
}

TEST(AccountOfRequestTest, MethodsWithoutAccountAndUnknownMethods) {
  v1::ListAccountsRequest list;
  list.set_page_size(10);
  EXPECT_EQ(Account("/tgrpc.v1.AccountService/ListAccounts", list), "");
  v1::GetMeRequest me;
  me.set_account("accounts/x");
  EXPECT_EQ(Account("/tgrpc.v1.UserService/Nope", me), "");
  EXPECT_EQ(Account("/nope.Service/GetMe", me), "");
  EXPECT_EQ(Account("tgrpc.v1.UserService/GetMe", me), "");
  EXPECT_EQ(Account("/tgrpc.v1.UserService/GetMe/x", me), "");
  EXPECT_EQ(Account("", me), "");
  EXPECT_EQ(AccountOfRequest("/tgrpc.v1.UserService/GetMe", "").value(), "");
}

TEST(AccountOfRequestTest, MalformedBytesAreInvalidArgument) {
  const std::string method = "/tgrpc.v1.UserService/GetMe";
  v1::GetMeRequest me;
  me.set_account("accounts/x");
  const std::string good = me.SerializeAsString();
  for (const std::string& bytes : {
           std::string("\x0a\x05"
                       "abc",
                       5),                     // field 1 shorter than its length
           std::string("\x08\x80", 2),         // a varint cut off
           std::string("\x00", 1),             // tag 0
           std::string("\x02\x00", 2),         // field number 0
           std::string("\x0c", 1),             // an end-group tag with no group
           good + std::string("\x12\x7f", 2),  // garbage after a good account
       }) {
    absl::StatusOr<std::string> account = AccountOfRequest(method, bytes);
    EXPECT_EQ(account.status().code(), absl::StatusCode::kInvalidArgument) << bytes.size();
  }
  // Inside the upload header too.
  const std::string header(
      "\x0a\x04\x0a\x09"
      "ac",
      6);
  EXPECT_EQ(AccountOfRequest("/tgrpc.v1.FileService/UploadFile", header).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AccountOfRequestTest, FieldOfAnotherWireTypeIsSkippedAsProtobufWould) {
  // Field 1 as a varint: an unknown field to the parser.
  const std::string bytes("\x08\x05", 2);
  EXPECT_EQ(AccountOfRequest("/tgrpc.v1.UserService/GetMe", bytes).value(), "");
}

TEST(AccountOfRequestTest, ByteBufferOfManySlices) {
  v1::UploadFileRequest request;
  request.mutable_header()->set_account("accounts/sliced-account");
  request.mutable_header()->set_file_name("f");
  const std::string bytes = request.SerializeAsString();
  std::vector<grpc::Slice> slices;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    slices.emplace_back(bytes.substr(i, 3));
  }
  const grpc::ByteBuffer buffer(slices.data(), slices.size());
  EXPECT_EQ(AccountOfRequest("/tgrpc.v1.FileService/UploadFile", buffer).value(), "sliced-account");
  EXPECT_EQ(AccountOfRequest("/tgrpc.v1.FileService/UploadFile", grpc::ByteBuffer()).value(), "");
  const grpc::ByteBuffer bad(slices.data(), slices.size() - 1);
  EXPECT_EQ(AccountOfRequest("/tgrpc.v1.FileService/UploadFile", bad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AccountOfRequestTest, ConcurrentFirstLookups) {
  v1::SendDiceRequest request;
  request.set_parent("accounts/dice/chats/1");
  const std::string bytes = request.SerializeAsString();
  std::vector<std::thread> threads;
  std::atomic<int> found{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (AccountOfRequest("/tgrpc.v1.MessageService/SendDice", bytes).value_or("") == "dice") {
          ++found;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(found.load(), 8 * 200);
}

// The raw API's services, once in the pool as tgrpcd puts them there at start, are found by
// their `account` field.
TEST(AccountOfRequestTest, RawApiMethodsAreFoundByTheirAccountField) {
  google::protobuf::FileDescriptorSet set;
  const absl::string_view bytes = raw::RawApiDescriptorSet();
  ASSERT_TRUE(set.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())));
  // Looking a raw method up before the files are in the pool finds nothing, and caches nothing.
  EXPECT_THAT(AccountFieldsOf("/tgrpc.raw.v1.MessagesService/SendMessage"), IsEmpty());
  // The pool keeps pointing at the bytes; a deque never moves its strings.
  static auto* const kept = new std::deque<std::string>();
  for (const google::protobuf::FileDescriptorProto& file : set.file()) {
    const std::string& serialized = kept->emplace_back(file.SerializeAsString());
    DescriptorPool::InternalAddGeneratedFile(serialized.data(),
                                             static_cast<int>(serialized.size()));
  }
  int methods = 0;
  for (const google::protobuf::FileDescriptorProto& proto : set.file()) {
    const FileDescriptor* file = DescriptorPool::generated_pool()->FindFileByName(proto.name());
    ASSERT_NE(file, nullptr) << proto.name();
    for (int s = 0; s < file->service_count(); ++s) {
      for (int m = 0; m < file->service(s)->method_count(); ++m) {
        const MethodDescriptor& method = *file->service(s)->method(m);
        ++methods;
        // Field 1, tried first (a TL parameter may also be called `name`, e.g.
        // bots.setBotInfo's, and is only tried when `account` is empty).
        const std::vector<std::string> paths = AccountFieldsOf(FullMethod(method));
        ASSERT_FALSE(paths.empty()) << method.full_name();
        ASSERT_EQ(paths.front(), "account") << method.full_name();
        ExpectEveryPathFound(method);
      }
    }
  }
  EXPECT_GE(methods, 500);
}

}  // namespace
}  // namespace tgrpc::service::cluster

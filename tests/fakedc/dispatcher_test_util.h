// What fakedc's handler tests share: a fixture with a World (seed 1), a Dispatcher and a
// MethodEnv over it, calls through the dispatcher decoded like a client would, and callers'
// contexts. Each test registers the method areas it needs and seeds the World itself.
#ifndef TGRPC_TESTS_FAKEDC_DISPATCHER_TEST_UTIL_H_
#define TGRPC_TESTS_FAKEDC_DISPATCHER_TEST_UTIL_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/rpc.h"
#include "tests/fakedc/world.h"
#include "tl/generated/api.h"
#include "tl/runtime/object.h"

namespace tgrpc::fakedc::testing {

// The Telegram error of a failed call as "CODE MESSAGE" ("" for success).
template <class T>
std::string ErrorOf(const absl::StatusOr<T>& result) {
  if (result.ok()) return "";
  auto [code, message] = ToRpcError(result.status());
  return absl::StrCat(code, " ", message);
}

// The action of the first service message (of a chat or a channel) an updates object carries,
// if it is an Action; null otherwise.
template <class Action>
const Action* ServiceActionIn(const tl::api::Updates& updates) {
  const auto* list = dynamic_cast<const tl::api::updates*>(&updates);
  if (list == nullptr) return nullptr;
  for (const auto& u : list->updates_) {
    const tl::api::Message* message = nullptr;
    if (const auto* m = dynamic_cast<const tl::api::updateNewMessage*>(u.get())) {
      message = m->message.get();
    } else if (const auto* c = dynamic_cast<const tl::api::updateNewChannelMessage*>(u.get())) {
      message = c->message.get();
    }
    if (const auto* service = dynamic_cast<const tl::api::messageService*>(message)) {
      return dynamic_cast<const Action*>(service->action.get());
    }
  }
  return nullptr;
}

// A caller: a key on a DC, signed in as `user_id` (0: not signed in), its session numbered after
// the key.
inline CallContext ContextOf(uint64_t auth_key_id, int64_t user_id = 0, int dc_id = 2) {
  CallContext context;
  context.dc_id = dc_id;
  context.auth_key_id = auth_key_id;
  context.session_id = auth_key_id * 100;
  context.user_id = user_id;
  return context;
}

class DispatcherTest : public ::testing::Test {
 protected:
  DispatcherTest() : world_(1) { env_.world = &world_; }

  // Runs `call` as `context` and decodes the answer as the method's result type.
  template <class F>
  absl::StatusOr<typename F::Result> Call(const F& call, CallContext& context) {
    absl::StatusOr<std::string> bytes = dispatcher_.Dispatch(call, context);
    if (!bytes.ok()) return bytes.status();
    return tl::DecodeResult<F>(*bytes);
  }

  // auth.sendCode, then auth.signIn with the code the World issued, as `context`'s key.
  absl::StatusOr<tl::Ptr<tl::api::auth_Authorization>> SignInWithCode(const std::string& phone,
                                                                      CallContext& context) {
    tl::api::auth_sendCode send;
    send.phone_number = phone;
    send.api_id = 1;
    send.api_hash = "hash";
    absl::StatusOr<tl::Ptr<tl::api::auth_SentCode>> sent = Call(send, context);
    if (!sent.ok()) return sent.status();
    tl::api::auth_signIn sign_in;
    sign_in.phone_number = phone;
    sign_in.phone_code_hash = static_cast<const tl::api::auth_sentCode&>(**sent).phone_code_hash;
    sign_in.phone_code = world_.LastCode(phone);
    return Call(sign_in, context);
  }

  // messages.sendMessage of `text` to `peer` as `context`'s user; the new message's id (0, and a
  // failure, if it was not sent).
  int32_t SendText(tl::Ptr<tl::api::InputPeer> peer, const std::string& text,
                   CallContext& context) {
    tl::api::messages_sendMessage send;
    send.peer = std::move(peer);
    send.message = text;
    send.random_id = ++random_id_;
    absl::StatusOr<tl::Ptr<tl::api::Updates>> sent = Call(send, context);
    EXPECT_TRUE(sent.ok()) << sent.status();
    if (!sent.ok()) return 0;
    if (const auto* list = dynamic_cast<const tl::api::updates*>(sent->get())) {
      for (const auto& u : list->updates_) {
        if (const auto* id = dynamic_cast<const tl::api::updateMessageID*>(u.get())) return id->id;
      }
    }
    ADD_FAILURE() << "no updateMessageID";
    return 0;
  }

  // A push through env_.push: to whom, the session left out, and a copy of the Updates.
  struct Push {
    int64_t user_id = 0;
    uint64_t except_session = 0;
    tl::Ptr<tl::api::Updates> updates;
  };
  // Makes env_.push keep every push in pushes_.
  void RecordPushes() {
    env_.push = [this](int64_t user_id, const tl::api::Updates& updates, uint64_t except_session) {
      absl::StatusOr<std::string> bytes = tl::Serialize(updates);
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      absl::StatusOr<tl::Ptr<tl::api::Updates>> copy = tl::Decode<tl::api::Updates>(*bytes);
      ASSERT_TRUE(copy.ok()) << copy.status();
      pushes_.push_back({user_id, except_session, *std::move(copy)});
    };
  }
  // The last Updates pushed to `user_id`; nullptr (and a failure) if there is none.
  const tl::api::Updates* LastPushTo(int64_t user_id) {
    for (auto it = pushes_.rbegin(); it != pushes_.rend(); ++it) {
      if (it->user_id == user_id) return it->updates.get();
    }
    ADD_FAILURE() << "nothing pushed to " << user_id;
    return nullptr;
  }

  World world_;
  Dispatcher dispatcher_;
  MethodEnv env_;
  int64_t random_id_ = 100;   // the last random_id sent
  std::vector<Push> pushes_;  // with RecordPushes
};

}  // namespace tgrpc::fakedc::testing

#endif  // TGRPC_TESTS_FAKEDC_DISPATCHER_TEST_UTIL_H_

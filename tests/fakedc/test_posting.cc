#include "tests/fakedc/test_posting.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tl/generated/api.h"
#include "tl/runtime/object.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;

// The chat or channel an Updates answer (createChat, createChannel) names first.
const api::Chat* FirstChat(const api::Updates& updates) {
  if (const auto* list = dynamic_cast<const api::updates*>(&updates)) {
    return list->chats.empty() ? nullptr : list->chats.front().get();
  }
  if (const auto* combined = dynamic_cast<const api::updatesCombined*>(&updates)) {
    return combined->chats.empty() ? nullptr : combined->chats.front().get();
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TestPoster>> TestPoster::SignIn(FakeDc& dc, const std::string& phone,
                                                               absl::Duration guard) {
  std::unique_ptr<TestPoster> poster(new TestPoster(dc, guard));
  int home_dc = 0;
  dc.Run([&](World& world) {
    if (const UserRecord* user = world.FindUserByPhone(phone)) {
      poster->user_id_ = user->id;
      home_dc = user->home_dc;
    }
  });
  if (poster->user_id_ == 0) return absl::NotFoundError(absl::StrCat("no account for ", phone));
  TestClient::Options options;
  options.port = dc.port(home_dc);
  options.dc_id = home_dc;
  options.public_key_pem = dc.public_key_pem();
  absl::StatusOr<std::unique_ptr<TestClient>> client = TestClient::Connect(std::move(options));
  if (!client.ok()) return client.status();
  poster->client_ = *std::move(client);

  api::auth_sendCode send;
  send.phone_number = phone;
  send.api_id = 1;
  send.api_hash = "test-poster";
  send.settings = std::make_unique<api::codeSettings>();
  absl::StatusOr<tl::Ptr<api::auth_SentCode>> sent = poster->Call(send);
  if (!sent.ok()) return sent.status();
  const auto* code = dynamic_cast<const api::auth_sentCode*>(sent->get());
  if (code == nullptr) return absl::InternalError("auth.sendCode: not auth.sentCode");
  api::auth_signIn sign_in;
  sign_in.phone_number = phone;
  sign_in.phone_code_hash = code->phone_code_hash;
  dc.Run([&](World& world) { sign_in.phone_code = world.LastCode(phone).value_or(""); });
  absl::StatusOr<tl::Ptr<api::auth_Authorization>> signed_in = poster->Call(sign_in);
  if (!signed_in.ok()) return signed_in.status();
  return poster;
}

absl::StatusOr<PeerRef> TestPoster::PrivateChatWith(const std::string& phone) {
  absl::StatusOr<int64_t> id = UserIdOf(phone);
  if (!id.ok()) return id.status();
  return PeerRef{PeerKind::kUser, *id};
}

absl::StatusOr<PeerRef> TestPoster::CreateBasicGroup(const std::string& title,
                                                     const std::vector<std::string>& phones) {
  api::messages_createChat create;
  create.title = title;
  for (const std::string& phone : phones) {
    auto user = std::make_unique<api::inputUser>();
    dc_.Run([&](World& world) {
      if (const UserRecord* record = world.FindUserByPhone(phone)) {
        user->user_id = record->id;
        user->access_hash = record->access_hash;
      }
    });
    if (user->user_id == 0) return absl::NotFoundError(absl::StrCat("no account for ", phone));
    create.users.push_back(std::move(user));
  }
  absl::StatusOr<tl::Ptr<api::messages_InvitedUsers>> invited = Call(create);
  if (!invited.ok()) return invited.status();
  const auto* answer = dynamic_cast<const api::messages_invitedUsers*>(invited->get());
  const api::Chat* chat =
      answer != nullptr && answer->updates != nullptr ? FirstChat(*answer->updates) : nullptr;
  const auto* group = dynamic_cast<const api::chat*>(chat);
  if (group == nullptr) return absl::InternalError("messages.createChat: no chat in the answer");
  return PeerRef{PeerKind::kChat, group->id};
}

absl::StatusOr<PeerRef> TestPoster::CreateChannel(const std::string& title,
                                                  const std::vector<std::string>& phones,
                                                  bool megagroup) {
  api::channels_createChannel create;
  create.title = title;
  create.megagroup = megagroup;
  create.broadcast = !megagroup;
  absl::StatusOr<tl::Ptr<api::Updates>> created = Call(create);
  if (!created.ok()) return created.status();
  const auto* channel = dynamic_cast<const api::channel*>(FirstChat(**created));
  if (channel == nullptr) {
    return absl::InternalError("channels.createChannel: no channel in the answer");
  }
  api::channels_inviteToChannel invite;
  auto input = std::make_unique<api::inputChannel>();
  input->channel_id = channel->id;
  input->access_hash = channel->access_hash.value_or(0);
  invite.channel = std::move(input);
  for (const std::string& phone : phones) {
    auto user = std::make_unique<api::inputUser>();
    dc_.Run([&](World& world) {
      if (const UserRecord* record = world.FindUserByPhone(phone)) {
        user->user_id = record->id;
        user->access_hash = record->access_hash;
      }
    });
    if (user->user_id == 0) return absl::NotFoundError(absl::StrCat("no account for ", phone));
    invite.users.push_back(std::move(user));
  }
  absl::StatusOr<tl::Ptr<api::messages_InvitedUsers>> invited = Call(invite);
  if (!invited.ok()) return invited.status();
  return PeerRef{PeerKind::kChannel, channel->id};
}

absl::Status TestPoster::Send(const PeerRef& to, const std::string& text) {
  api::messages_sendMessage send;
  switch (to.kind) {
    case PeerKind::kUser: {
      auto peer = std::make_unique<api::inputPeerUser>();
      peer->user_id = to.id;
      peer->access_hash = AccessHash(to);
      send.peer = std::move(peer);
      break;
    }
    case PeerKind::kChat: {
      auto peer = std::make_unique<api::inputPeerChat>();
      peer->chat_id = to.id;
      send.peer = std::move(peer);
      break;
    }
    case PeerKind::kChannel: {
      auto peer = std::make_unique<api::inputPeerChannel>();
      peer->channel_id = to.id;
      peer->access_hash = AccessHash(to);
      send.peer = std::move(peer);
      break;
    }
  }
  send.message = text;
  send.random_id = next_random_id_++;
  return Call(send).status();
}

template <class F>
absl::StatusOr<typename F::Result> TestPoster::Call(const F& call) {
  absl::StatusOr<std::string> bytes = CallBytes(call);
  if (!bytes.ok()) return bytes.status();
  return tl::DecodeResult<F>(*bytes);
}

absl::StatusOr<std::string> TestPoster::CallBytes(const tl::Function& call) {
  const absl::Time deadline = absl::Now() + guard_;
  absl::StatusOr<mtproto::session::CallId> id = client_->Send(call);
  if (!id.ok()) return id.status();
  for (;;) {
    if (!client_->connected()) {
      if (absl::Status s = ReconnectUntil(deadline); !s.ok()) return s;
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat(call.tl_name(), ": no answer within ", absl::FormatDuration(guard_)));
    }
    // A short wait: a connection that died without closing is replaced soon.
    absl::StatusOr<std::string> answer = client_->Wait(*id, std::min(left, absl::Seconds(3)));
    if (answer.ok() ||
        (!absl::IsUnavailable(answer.status()) && !absl::IsDeadlineExceeded(answer.status()))) {
      return answer;
    }
    if (absl::IsDeadlineExceeded(answer.status())) {
      // Silent for 3 s: the call goes again on a new connection (the same msg_id).
      if (absl::Status s = ReconnectUntil(deadline); !s.ok()) return s;
    }
  }
}

absl::Status TestPoster::ReconnectUntil(absl::Time deadline) {
  absl::Status last;
  while (absl::Now() < deadline) {
    last = client_->Reconnect();
    if (last.ok()) {
      ++reconnects_;
      return last;
    }
    // fakedc restarting: its ports are closed for a while.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::UnavailableError(absl::StrCat("cannot reconnect: ", last.message()));
}

int64_t TestPoster::AccessHash(const PeerRef& peer) {
  const auto key = std::make_pair(static_cast<int>(peer.kind), peer.id);
  auto it = access_hashes_.find(key);
  if (it != access_hashes_.end()) return it->second;
  int64_t hash = 0;
  dc_.Run([&](World& world) {
    if (peer.kind == PeerKind::kUser) {
      if (const UserRecord* user = world.FindUser(peer.id)) hash = user->access_hash;
    } else if (peer.kind == PeerKind::kChannel) {
      if (const ChannelRecord* channel = world.FindChannel(peer.id)) hash = channel->access_hash;
    }
  });
  access_hashes_[key] = hash;
  return hash;
}

absl::StatusOr<int64_t> TestPoster::UserIdOf(const std::string& phone) {
  int64_t id = 0;
  dc_.Run([&](World& world) {
    if (const UserRecord* user = world.FindUserByPhone(phone)) id = user->id;
  });
  if (id == 0) return absl::NotFoundError(absl::StrCat("no account for ", phone));
  return id;
}

}  // namespace tgrpc::fakedc

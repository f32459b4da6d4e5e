// UpdateChat's settings: about (messages.editChatAbout), default permissions
// (messages.editChatDefaultBannedRights), slow mode (channels.toggleSlowMode), signatures
// (channels.toggleSignatures) and topics (channels.toggleForum).
#include <algorithm>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "service/api/chat_admin_common.h"
#include "service/api/chat_rights.h"
#include "service/api/errors.h"
#include "service/api/utf8.h"
#include "service/telegram/peer_id.h"

namespace tgrpc::service {

namespace {

namespace api = tl::api;

constexpr size_t kMaxAboutLength = 255;  // characters
constexpr int32_t kSlowModeSeconds[] = {0, 10, 30, 60, 300, 900, 3600};

using Done = std::function<void(absl::Status)>;
using Step = std::function<void(Done)>;

void RunSteps(std::shared_ptr<std::vector<Step>> steps, size_t next, Done done) {
  if (next == steps->size()) return done(absl::OkStatus());
  (*steps)[next]([=](absl::Status status) {
    if (!status.ok()) return done(status);
    RunSteps(steps, next + 1, done);
  });
}

// An answer of Telegram's that says nothing changed is no error here.
absl::Status Unmodified(absl::Status status) {
  if (IsTelegramError(status, "CHAT_NOT_MODIFIED") ||
      IsTelegramError(status, "CHAT_ABOUT_NOT_MODIFIED")) {
    return absl::OkStatus();
  }
  return status;
}

}  // namespace

bool AddSettingsPath(absl::string_view path, ChatSettingsMask* mask) {
  if (path == "about") return mask->about = true;
  if (path == "default_permissions") return mask->default_permissions = true;
  if (path == "slow_mode") return mask->slow_mode = true;
  if (path == "signatures") return mask->signatures = true;
  if (path == "topics") return mask->topics = true;
  return false;
}

absl::Status CheckChatSettings(const v1::UpdateChatRequest& request, const ChatSettingsMask& mask) {
  if (mask.about && CodePoints(request.about()) > kMaxAboutLength) {
    return InvalidField("about", absl::StrCat("at most ", kMaxAboutLength, " characters"));
  }
  if (mask.slow_mode && std::find(std::begin(kSlowModeSeconds), std::end(kSlowModeSeconds),
                                  request.slow_mode_seconds()) == std::end(kSlowModeSeconds)) {
    return InvalidField("slow_mode_seconds", "0 (off), 10, 30, 60, 300, 900 or 3600");
  }
  return absl::OkStatus();
}

void ChangeChatSettings(std::shared_ptr<Account> account, int64_t marked,
                        std::shared_ptr<const v1::UpdateChatRequest> request, ChatSettingsMask mask,
                        absl::Time deadline, Done done) {
  const bool basic_group = MarkedType(marked) == PeerType::kChat;
  if (basic_group && (mask.slow_mode || mask.signatures || mask.topics)) {
    return done(InvalidField("update_mask",
                             "slow_mode, signatures and topics are a supergroup's or channel's; "
                             "a basic group has none"));
  }
  auto steps = std::make_shared<std::vector<Step>>();
  // Each step's updates reach the peer cache (the chat objects carry the new flags).
  auto applied = [account](Done then) {
    return [account, then](absl::StatusOr<tl::Ptr<api::Updates>> result) {
      if (result.ok()) account->peers().AddFromUpdates(**result);
      then(Unmodified(result.status()));
    };
  };
  auto input_peer = [account, marked]() {
    return account->peers().InputPeer(marked, account->self_id());
  };
  auto input_channel = [account, marked]() { return account->peers().InputChannel(marked); };
  if (mask.about) {
    steps->push_back([=](Done then) {
      absl::StatusOr<tl::Ptr<api::InputPeer>> peer = input_peer();
      if (!peer.ok()) return then(peer.status());
      api::messages_editChatAbout edit;
      edit.peer = *std::move(peer);
      edit.about = request->about();
      account->invoker()->Call<api::messages_editChatAbout>(
          edit, {deadline},
          [then](absl::StatusOr<bool> result) { then(Unmodified(result.status())); });
    });
  }
  if (mask.default_permissions) {
    steps->push_back([=](Done then) {
      absl::StatusOr<tl::Ptr<api::InputPeer>> peer = input_peer();
      if (!peer.ok()) return then(peer.status());
      api::messages_editChatDefaultBannedRights edit;
      edit.peer = *std::move(peer);
      edit.banned_rights = BannedRightsOf(request->default_permissions(), 0);
      account->invoker()->Call<api::messages_editChatDefaultBannedRights>(edit, {deadline},
                                                                          applied(then));
    });
  }
  if (mask.slow_mode) {
    steps->push_back([=](Done then) {
      absl::StatusOr<tl::Ptr<api::InputChannel>> channel = input_channel();
      if (!channel.ok()) return then(channel.status());
      api::channels_toggleSlowMode toggle;
      toggle.channel = *std::move(channel);
      toggle.seconds = request->slow_mode_seconds();
      account->invoker()->Call<api::channels_toggleSlowMode>(toggle, {deadline}, applied(then));
    });
  }
  if (mask.signatures) {
    steps->push_back([=](Done then) {
      absl::StatusOr<tl::Ptr<api::InputChannel>> channel = input_channel();
      if (!channel.ok()) return then(channel.status());
      api::channels_toggleSignatures toggle;
      toggle.channel = *std::move(channel);
      toggle.signatures_enabled = request->signatures();
      account->invoker()->Call<api::channels_toggleSignatures>(toggle, {deadline}, applied(then));
    });
  }
  if (mask.topics) {
    steps->push_back([=](Done then) {
      absl::StatusOr<tl::Ptr<api::InputChannel>> channel = input_channel();
      if (!channel.ok()) return then(channel.status());
      api::channels_toggleForum toggle;
      toggle.channel = *std::move(channel);
      toggle.enabled = request->topics();
      account->invoker()->Call<api::channels_toggleForum>(toggle, {deadline}, applied(then));
    });
  }
  RunSteps(steps, 0, std::move(done));
}

}  // namespace tgrpc::service

// ClientConnection's perfect forward secrecy (core.telegram.org/api/pfs): the temporary key's
// lifetime and its binding to the permanent key with auth.bindTempAuthKey.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "mtproto/handshake/bind_temp_auth_key.h"
#include "mtproto/net/client_connection_impl.h"
#include "tl/runtime/object.h"

namespace tgrpc::mtproto::net {
namespace {

// The key is replaced this long before it expires (at most half its lifetime).
constexpr absl::Duration kRenewBefore = absl::Minutes(1);
// boolTrue, auth.bindTempAuthKey's answer.
constexpr absl::string_view kBoolTrue("\xb5\x75\x72\x99", 4);

}  // namespace

absl::Time ClientConnection::Impl::TempKeyRenewTime() const {
  if (!temp_key_.has_value()) return absl::InfinitePast();
  const absl::Duration margin =
      std::min(kRenewBefore, absl::Seconds(options_.temp_key_lifetime) / 2);
  // expires_at is in the server's clock.
  return absl::FromUnixSeconds(temp_key_->expires_at) - temp_key_->key.time_offset - margin;
}

void ClientConnection::Impl::SendBind() {
  const crypto::AuthKey perm_key = key_->key;
  const crypto::AuthKey temp_key = temp_key_->key.key;
  handshake::BindTempAuthKeyParams params;
  params.temp_session_id = static_cast<int64_t>(session_->session_id());
  params.expires_at = static_cast<int32_t>(temp_key_->expires_at);
  session::SendOptions send_options;
  // The binding message names the msg_id that carries it, so it is made once that is known (and
  // again if the session resends it under a new one).
  send_options.body_for_msg_id = [perm_key, temp_key, params, random = options_.random](
                                     int64_t msg_id) mutable -> absl::StatusOr<std::string> {
    params.msg_id = msg_id;
    absl::StatusOr<tl::api::auth_bindTempAuthKey> request =
        handshake::MakeBindTempAuthKey(perm_key, temp_key, params, random);
    if (!request.ok()) return request.status();
    return tl::Serialize(*request);
  };
  absl::StatusOr<session::CallId> sent = session_->Send("", send_options);
  if (!sent.ok()) {
    Log(LogLevel::kError,
        absl::StrCat("cannot send auth.bindTempAuthKey: ", sent.status().ToString()));
    return;
  }
  bind_call_ = *sent;
}

void ClientConnection::Impl::OnBindResult(absl::StatusOr<std::string> result,
                                          const session::RpcError* error) {
  bind_call_.reset();
  if (result.ok() && *result == kBoolTrue && temp_key_.has_value()) {
    temp_key_->bound = true;
    Log(LogLevel::kInfo, absl::StrCat("temporary key ", absl::Hex(temp_key_->key.key.id()),
                                      " bound to ", absl::Hex(key_->key.id())));
    // The calls that waited for the binding.
    std::vector<CallId> waiting;
    for (const auto& [id, call] : calls_) {
      if (!call.session_call.has_value()) waiting.push_back(id);
    }
    for (CallId id : waiting) SendToSession(id);
    return;
  }
  const absl::Status status =
      result.ok() ? absl::InternalError("auth.bindTempAuthKey did not answer boolTrue")
                  : result.status();
  const bool perm_key_unknown = error != nullptr && error->type == "ENCRYPTED_MESSAGE_INVALID";
  Log(LogLevel::kWarning, absl::StrCat("binding the temporary key failed: ", status.ToString(),
                                       perm_key_unknown && options_.forget_key_on_404
                                           ? "; making a new permanent key"
                                           : "; making a new temporary key"));
  if (perm_key_unknown && options_.forget_key_on_404) {
    ForgetKey();
  } else {
    ForgetTempKey();
  }
  ConnectionFailed(absl::Status(
      status.code(), absl::StrCat("binding the temporary key failed: ", status.message())));
}

void ClientConnection::Impl::ForgetTempKey() {
  temp_key_.reset();
  ForgetSession();
}

}  // namespace tgrpc::mtproto::net

// ClientConnection's keys: taking them from the DC's key store (dc_key_store.h), making the
// missing one, and perfect forward secrecy (core.telegram.org/api/pfs): the temporary key's
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

// boolTrue, auth.bindTempAuthKey's answer.
constexpr absl::string_view kBoolTrue("\xb5\x75\x72\x99", 4);

}  // namespace

void ClientConnection::Impl::AcquireKeys() {
  waiting_for_keys_ = false;
  // A DC whose permanent key keeps changing under this connection gives up after a few turns
  // (the attempt timer then fails the connection).
  for (int turn = 0; turn < 4; ++turn) {
    DcKeyStore::PermanentAnswer permanent = member_->AcquirePermanent();
    if (permanent.step == DcKeyStore::Step::kMake) {
      if (key_.has_value()) ForgetKey();
      return StartHandshake(false);
    }
    if (permanent.step == DcKeyStore::Step::kWait) break;
    if (!key_.has_value() || key_->key.id() != permanent.key->key.id()) {
      // Another connection made it (or it replaced the one this session ran on).
      ForgetKey();
      key_ = permanent.key;
    }
    if (!pfs()) return StartSession();
    DcKeyStore::TempAnswer temp = member_->AcquireTemp(key_->key.id(), options_.clock());
    if (temp.stale_permanent) continue;
    if (temp.step == DcKeyStore::Step::kMake) return StartHandshake(true);
    // Bound by another connection; or due, with the next one on its way: this one serves
    // until then.
    if (temp.key.has_value()) {
      renew_waiting_ = temp.step == DcKeyStore::Step::kWait;
      UseTempKey(*temp.key);
      return StartSession();
    }
    break;
  }
  // Another connection makes the key this one needs: OnKeysChanged resumes.
  waiting_for_keys_ = true;
  SetState({ConnectionState::kHandshaking});
  Log(LogLevel::kDebug, "waiting for the key another connection makes");
}

void ClientConnection::Impl::OnKeysChanged() {
  if (stopped_) return;
  renew_waiting_ = false;
  if (waiting_for_keys_) return AcquireKeys();
  if (!ready() || session_ == nullptr) return;
  if (pfs() && temp_key_.has_value() && temp_key_->bound) {
    const uint64_t current = member_->current_temp_key_id();
    if (current != 0 && current != temp_key_->key.key.id()) {
      // Bound after this one, the server has forgotten this one: move to it.
      Log(LogLevel::kInfo, absl::StrCat("the DC's temporary key is now ", absl::Hex(current),
                                        ": moving this session to it"));
      CloseSocket();
      return Connect();
    }
  }
  ScheduleTick();
}

void ClientConnection::Impl::ReportKeyState() {
  if (session_ == nullptr) return;
  const uint64_t salt = session_->salt();
  const absl::Duration offset = session_->time_offset();
  const session::ClientSalts& salts = session_->salts();
  // Runs after every packet: the store is asked only when something it reports may have changed
  // (future salts: a list that reaches to another time, or is gone, as the store counts them).
  const absl::Time salts_until = salts.covered_until();
  if (salt == reported_salt_ && offset == reported_offset_ &&
      salts_until == reported_salts_until_) {
    return;
  }
  reported_salt_ = salt;
  reported_offset_ = offset;
  reported_salts_until_ = salts_until;
  StoredAuthKey* key = pfs() ? (temp_key_.has_value() ? &temp_key_->key : nullptr)
                             : (key_.has_value() ? &*key_ : nullptr);
  if (key == nullptr) return;
  // This connection's next session on the key starts from here too.
  key->salt = salt;
  key->time_offset = offset;
  key->future_salts = salts.future();
  member_->UpdateKeyState(key->key.id(), salt, offset, key->future_salts);
}

absl::Time ClientConnection::Impl::TempKeyRenewTime() const {
  if (!temp_key_.has_value()) return absl::InfinitePast();
  return keys_->RenewTime(TempAuthKey{temp_key_->key, temp_key_->expires_at});
}

void ClientConnection::Impl::UseTempKey(const TempAuthKey& key) {
  if (temp_key_.has_value() && temp_key_->bound && temp_key_->key.key.id() == key.key.key.id()) {
    return;  // the session goes on
  }
  ForgetSession();
  temp_key_ = TempKey{key.key, key.expires_at, true};
  Log(LogLevel::kDebug,
      absl::StrCat("session on the DC's temporary key ", absl::Hex(key.key.key.id())));
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
    // The DC's key now: the other connections move to it.
    member_->PublishTemp(key_->key.id(), TempAuthKey{temp_key_->key, temp_key_->expires_at});
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
  member_->Abandon();
  if (perm_key_unknown && options_.forget_key_on_404) {
    member_->ForgetPermanent(key_->key.id());
    ForgetKey();
  } else {
    ForgetTempKey();
  }
  ConnectionFailed(absl::Status(status.code(), absl::StrCat("binding the temporary key failed: ",
                                                            status.message())),
                   perm_key_unknown);
}

void ClientConnection::Impl::ForgetTempKey() {
  temp_key_.reset();
  ForgetSession();
}

}  // namespace tgrpc::mtproto::net

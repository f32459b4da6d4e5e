#include "mtproto/net/client_connection_impl.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "mtproto/net/rpc_status.h"

namespace tgrpc::mtproto::net {
namespace {

// Timers never wait longer than this (the session's "never" is InfiniteFuture), nor shorter than
// kMinTickWait, so a tick that leaves its deadline in the past cannot spin.
constexpr absl::Duration kMaxTimerWait = absl::Hours(24);
constexpr absl::Duration kMinTickWait = absl::Milliseconds(1);

std::chrono::nanoseconds ToWait(absl::Duration d) {
  return absl::ToChronoNanoseconds(std::clamp(d, absl::ZeroDuration(), kMaxTimerWait));
}

bool IsUnencrypted(absl::string_view payload) {
  return payload.size() >= 8 && payload.substr(0, 8) == absl::string_view("\0\0\0\0\0\0\0\0", 8);
}

absl::Status TransportErrorStatus(int32_t code) {
  const std::string text = absl::StrCat("transport error ", code);
  switch (code) {
    case -404:
      return absl::NotFoundError(absl::StrCat(text, ": the server does not know the auth key"));
    case -429:
      return absl::ResourceExhaustedError(absl::StrCat(text, ": too many connections"));
    case -444:
      return absl::InvalidArgumentError(absl::StrCat(text, ": invalid DC"));
    default:
      return absl::UnavailableError(text);
  }
}

}  // namespace

ClientConnection::Impl::Impl(asio::io_context& io, ClientConnectionOptions options, bool owns_io)
    : options_(std::move(options)),
      strand_(asio::make_strand(io)),
      backoff_(options_.backoff, options_.random),
      attempt_timer_(strand_),
      reconnect_timer_(strand_),
      tick_timer_(strand_),
      deadline_timer_(strand_) {
  if (owns_io) work_.emplace(asio::make_work_guard(io));
  keys_ = options_.keys;
  if (keys_ == nullptr) {
    DcKeyStoreOptions own;
    own.permanent = options_.auth_key;
    own.temp_key_lifetime = options_.temp_key_lifetime;
    own.on_auth_key = options_.on_auth_key;
    own.on_key_state = options_.on_key_state;
    keys_ = std::make_shared<DcKeyStore>(std::move(own));
  }
  key_ = keys_->permanent();
}

ClientConnection::Impl::~Impl() = default;

void ClientConnection::Impl::Start() {
  if (started_ || stopped_) return;
  started_ = true;
  member_ = keys_->Join([weak = weak_from_this()] {
    std::shared_ptr<Impl> self = weak.lock();
    if (self == nullptr) return;
    asio::post(self->strand_, [weak] {
      if (std::shared_ptr<Impl> self = weak.lock()) self->OnKeysChanged();
    });
  });
  // With a stored key, calls go into the session (and are checked) before any connection.
  if (key_.has_value() && !pfs()) CreateSession();
  Connect();
}

// ---- Connection lifecycle ------------------------------------------------------------------

void ClientConnection::Impl::Connect() {
  if (stopped_) return;
  const uint64_t generation = ++generation_;
  transport::FramingOptions framing;
  framing.max_frame_size = options_.max_frame_size;
  framing.random = options_.random;
  transport::ClientTransportOptions transport_options = options_.transport;
  if (transport_options.dc_id == 0) transport_options.dc_id = static_cast<int16_t>(options_.dc_id);
  absl::StatusOr<transport::ClientTransport> transport =
      transport::MakeClientTransport(transport_options, framing);
  if (!transport.ok()) return ConnectionFailed(transport.status());

  SetState({ConnectionState::kConnecting});
  std::weak_ptr<Impl> weak = weak_from_this();
  // Callbacks of an earlier connection are dropped by the generation check.
  auto current = [weak, generation]() -> std::shared_ptr<Impl> {
    std::shared_ptr<Impl> self = weak.lock();
    return self != nullptr && self->generation_ == generation ? self : nullptr;
  };
  TransportSocket::Callbacks callbacks;
  callbacks.on_connected = [current] {
    if (auto self = current()) self->OnConnected();
  };
  callbacks.on_frames = [current](std::vector<transport::Frame> frames) {
    if (auto self = current()) self->OnFrames(std::move(frames));
  };
  callbacks.on_closed = [current](absl::Status status) {
    if (auto self = current()) self->ConnectionFailed(std::move(status));
  };
  callbacks.on_drained = [current] {
    if (auto self = current()) self->Flush();
  };
  socket_ = std::make_shared<TransportSocket>(strand_, *std::move(transport), std::move(callbacks));
  Log(LogLevel::kDebug, absl::StrCat("connecting to ", options_.host, ":", options_.port, " (",
                                     transport::ProtocolName(options_.transport.protocol),
                                     options_.transport.obfuscated ? ", obfuscated" : "",
                                     options_.transport.proxy_secret ? ", MTProxy" : "", ")"));
  socket_->Connect(options_.host, options_.port);
  Arm(attempt_timer_, options_.connect_timeout, [this] {
    ConnectionFailed(absl::DeadlineExceededError(
        absl::StrCat("no session within ", absl::FormatDuration(options_.connect_timeout))));
  });
}

void ClientConnection::Impl::OnConnected() { AcquireKeys(); }

void ClientConnection::Impl::StartHandshake(bool temporary) {
  SetState({ConnectionState::kHandshaking});
  handshake_temporary_ = temporary;
  handshake::ClientHandshakeOptions handshake_options;
  handshake_options.server_keys = options_.server_keys;
  handshake_options.inner_data =
      temporary ? handshake::InnerDataKind::kTempDc : handshake::InnerDataKind::kDc;
  if (temporary) handshake_options.expires_in = keys_->temp_key_lifetime();
  handshake_options.dc_id = options_.dc_id;
  handshake_options.random = options_.random;
  handshake_options.clock = options_.clock;
  absl::StatusOr<handshake::ClientHandshake> created =
      handshake::ClientHandshake::Create(std::move(handshake_options));
  if (!created.ok()) return ConnectionFailed(created.status());
  handshake_.emplace(*std::move(created));
  absl::StatusOr<std::string> first = handshake_->Start();
  if (!first.ok()) return ConnectionFailed(first.status());
  if (absl::Status sent = socket_->Send(*first); !sent.ok()) return ConnectionFailed(sent);
}

void ClientConnection::Impl::OnFrames(std::vector<transport::Frame> frames) {
  const uint64_t generation = generation_;
  for (transport::Frame& frame : frames) {
    if (generation_ != generation || stopped_) return;  // the connection failed meanwhile
    if (auto* payload = std::get_if<transport::PayloadFrame>(&frame)) {
      OnPayload(std::move(payload->payload));
    } else if (const auto* error = std::get_if<transport::TransportErrorFrame>(&frame)) {
      OnTransportError(error->code);
    } else if (const auto* ack = std::get_if<transport::QuickAckFrame>(&frame)) {
      Log(LogLevel::kDebug, absl::StrCat("quick ack ", absl::Hex(ack->token)));
    }
  }
  if (generation_ == generation && ready()) {
    Flush();
    ScheduleTick();
  }
}

void ClientConnection::Impl::OnPayload(std::string payload) {
  if (IsUnencrypted(payload)) return OnHandshakeMessage(payload);
  if (options_.transport.protocol == transport::Protocol::kPaddedIntermediate) {
    payload.resize(crypto::PacketCipher::EncryptedPacketSize(payload.size()));
  }
  OnEncryptedPacket(std::move(payload));
}

void ClientConnection::Impl::OnHandshakeMessage(absl::string_view message) {
  if (!handshake_.has_value()) {
    Log(LogLevel::kWarning, "ignored an unencrypted message outside a key exchange");
    return;
  }
  absl::StatusOr<std::string> next = handshake_->HandleMessage(message);
  if (!next.ok()) {
    return ConnectionFailed(absl::Status(
        next.status().code(), absl::StrCat("key exchange failed: ", next.status().message())));
  }
  if (!next->empty()) {
    if (absl::Status sent = socket_->Send(*next); !sent.ok()) return ConnectionFailed(sent);
  }
  if (!handshake_->done()) return;
  const handshake::ClientHandshakeResult& result = handshake_->result();
  StoredAuthKey made{result.auth_key, static_cast<uint64_t>(result.first_server_salt),
                     absl::Seconds(result.server_time_offset)};
  const int64_t expires_at = result.expires_at;
  handshake_.reset();
  // A session belongs to its key: calls move to the new key's session.
  ForgetSession();
  backoff_.Reset();
  if (handshake_temporary_) {
    temp_key_ = TempKey{std::move(made), expires_at, false};
    renew_waiting_ = false;
    Log(LogLevel::kInfo, absl::StrCat("new temporary key ", absl::Hex(temp_key_->key.key.id()),
                                      " expiring at ", expires_at));
    return StartSession();
  }
  key_ = std::move(made);
  temp_key_.reset();
  Log(LogLevel::kInfo, absl::StrCat("new auth key ", absl::Hex(key_->key.id())));
  member_->PublishPermanent(*key_);
  // With PFS, the temporary key comes next (AcquireKeys).
  if (pfs()) return AcquireKeys();
  StartSession();
}

void ClientConnection::Impl::OnEncryptedPacket(std::string packet) {
  if (session_ == nullptr || !ready()) {
    Log(LogLevel::kWarning, "ignored an encrypted packet outside a session");
    return;
  }
  absl::StatusOr<std::vector<session::Event>> events =
      session_->OnPacket(absl::MakeSpan(reinterpret_cast<uint8_t*>(packet.data()), packet.size()));
  if (!events.ok()) {
    return ConnectionFailed(
        absl::DataLossError(absl::StrCat("undecryptable packet: ", events.status().message())));
  }
  // The server speaks MTProto to us: this connection works.
  backoff_.Reset();
  HandleEvents(*std::move(events));
  ReportKeyState();
}

void ClientConnection::Impl::OnTransportError(int32_t code) {
  absl::Status status = TransportErrorStatus(code);
  if (code == -404 && pfs() && temp_key_.has_value() && ready()) {
    // Only the temporary key is in use: the permanent one is still good.
    Log(LogLevel::kWarning, absl::StrCat("the server does not know temporary key ",
                                         absl::Hex(temp_key_->key.key.id()), ": making a new one"));
    member_->ForgetTemp(temp_key_->key.key.id());
    ForgetTempKey();
    return ConnectionFailed(absl::UnavailableError(
        "transport error -404 for the temporary key (expired or replaced): binding a new one"));
  }
  const bool permanent_key_unknown = code == -404 && key_.has_value() && ready();
  if (code == -404 && key_.has_value() && ready() && options_.forget_key_on_404) {
    Log(LogLevel::kWarning, absl::StrCat("the server does not know auth key ",
                                         absl::Hex(key_->key.id()), ": making a new one"));
    member_->ForgetPermanent(key_->key.id());
    ForgetKey();
  }
  ConnectionFailed(std::move(status), permanent_key_unknown);
}

void ClientConnection::Impl::StartSession() {
  Disarm(attempt_timer_);
  if (session_ == nullptr) {
    CreateSession();
  } else {
    session_->OnReconnect();
  }
  SetState({ConnectionState::kReady});
  Flush();
  ScheduleTick();
}

void ClientConnection::Impl::ConnectionFailed(absl::Status reason, bool permanent_key_unknown) {
  if (stopped_) return;
  CloseSocket();
  // A key this connection was making is left to the others.
  member_->Abandon();
  const absl::Duration delay = backoff_.NextDelay();
  Log(LogLevel::kWarning,
      absl::StrCat("connection to ", options_.host, ":", options_.port, " failed (",
                   reason.ToString(), "); attempt ", backoff_.failures() + 1, " in ",
                   absl::FormatDuration(delay)));
  SetState({ConnectionState::kBackoff, std::move(reason), backoff_.failures(), delay,
            permanent_key_unknown});
  Arm(reconnect_timer_, delay, [this] { Connect(); });
}

void ClientConnection::Impl::CloseSocket() {
  ++generation_;
  if (socket_ != nullptr) socket_->Close();
  socket_.reset();
  handshake_.reset();
  waiting_for_keys_ = false;
  Disarm(attempt_timer_);
  Disarm(tick_timer_);
}

void ClientConnection::Impl::ForgetKey() {
  key_.reset();
  temp_key_.reset();
  ForgetSession();
}

void ClientConnection::Impl::ForgetSession() {
  session_.reset();
  bind_call_.reset();
  session_calls_.clear();
  for (auto& [id, call] : calls_) call.session_call.reset();
}

// ---- The session ---------------------------------------------------------------------------

void ClientConnection::Impl::CreateSession() {
  // With PFS the session runs on the temporary key.
  const StoredAuthKey& key = pfs() ? temp_key_->key : *key_;
  session::ClientSessionOptions session_options = options_.session;
  session_options.clock = options_.clock;
  session_options.random = options_.random;
  session_options.salt = key.salt;
  session_options.time_offset = key.time_offset;
  // Salts kept from an earlier session of the key: this one need not ask for them at once.
  session_options.future_salts = key.future_salts;
  session_ = std::make_unique<session::ClientSession>(key.key, std::move(session_options));
  Log(LogLevel::kDebug, absl::StrCat("session ", absl::Hex(session_->session_id()), " on key ",
                                     absl::Hex(key.key.id())));
  session_calls_.clear();
  bind_call_.reset();
  if (awaiting_bind()) SendBind();
  // Calls made before the key existed, or carried by a forgotten key's session.
  std::vector<CallId> waiting;
  for (auto& [id, call] : calls_) {
    call.session_call.reset();
    waiting.push_back(id);
  }
  for (CallId id : waiting) SendToSession(id);
}

void ClientConnection::Impl::SendToSession(CallId id) {
  auto it = calls_.find(id);
  if (it == calls_.end() || session_ == nullptr || awaiting_bind()) return;
  session::SendOptions send_options;
  send_options.compress = it->second.options.compress;
  absl::StatusOr<session::CallId> sent = session_->Send(it->second.body, send_options);
  if (!sent.ok()) return Complete(id, sent.status());
  it->second.session_call = *sent;
  session_calls_[*sent] = id;
}

void ClientConnection::Impl::HandleEvents(std::vector<session::Event> events) {
  bool keepalive_timeout = false;
  for (session::Event& event : events) {
    if (bind_call_.has_value()) {
      if (auto* result = std::get_if<session::RpcResultEvent>(&event);
          result != nullptr && result->call == *bind_call_) {
        OnBindResult(std::move(result->body), nullptr);
        continue;
      }
      if (const auto* error = std::get_if<session::RpcErrorEvent>(&event);
          error != nullptr && error->call == *bind_call_) {
        OnBindResult(RpcErrorToStatus(error->error), &error->error);
        continue;
      }
      if (auto* failed = std::get_if<session::CallFailedEvent>(&event);
          failed != nullptr && failed->call == *bind_call_) {
        OnBindResult(std::move(failed->status), nullptr);
        continue;
      }
    }
    if (auto* result = std::get_if<session::RpcResultEvent>(&event)) {
      CompleteSessionCall(result->call, std::move(result->body));
    } else if (const auto* error = std::get_if<session::RpcErrorEvent>(&event)) {
      CompleteSessionCall(error->call, RpcErrorToStatus(error->error));
    } else if (auto* failed = std::get_if<session::CallFailedEvent>(&event)) {
      CompleteSessionCall(failed->call, std::move(failed->status));
    } else if (auto* update = std::get_if<session::UpdateEvent>(&event)) {
      if (options_.on_update) options_.on_update(std::move(update->body));
    } else if (const auto* created = std::get_if<session::NewSessionEvent>(&event)) {
      Log(LogLevel::kInfo,
          absl::StrCat("new session on the server, first msg_id ", created->first_msg_id));
      if (options_.on_new_session) options_.on_new_session(*created);
    } else if (const auto* pong = std::get_if<session::PongEvent>(&event)) {
      Log(LogLevel::kDebug, absl::StrCat("pong after ", absl::FormatDuration(pong->round_trip)));
    } else if (std::holds_alternative<session::KeepaliveTimeoutEvent>(event)) {
      keepalive_timeout = true;
    }
  }
  if (keepalive_timeout && ready()) {
    ConnectionFailed(absl::UnavailableError("keepalive ping not answered"));
  }
}

void ClientConnection::Impl::Flush() {
  if (!ready() || session_ == nullptr || socket_ == nullptr) return;
  // Packets are built (and encrypted) only as the socket takes them: the rest waits in the
  // session, once, until the socket drains (on_drained flushes again).
  // Those built together are encrypted together, which hides all but one packet's msg_key hash
  // behind the encryption (ClientSession::BuildPackets).
  while (socket_->unwritten() < options_.max_unwritten_bytes) {
    absl::StatusOr<std::vector<std::string>> packets =
        session_->BuildPackets(options_.max_unwritten_bytes - socket_->unwritten());
    if (!packets.ok()) return ConnectionFailed(packets.status());
    if (packets->empty()) return;
    for (const std::string& packet : *packets) {
      if (absl::Status sent = socket_->Send(packet); !sent.ok()) return ConnectionFailed(sent);
    }
  }
}

void ClientConnection::Impl::ScheduleTick() {
  if (!ready() || session_ == nullptr) return;
  absl::Time next = session_->NextTickTime();
  if (pfs() && !renew_waiting_) next = std::min(next, TempKeyRenewTime());
  const absl::Time now = options_.clock();
  // Calls and packets move the next tick later, seldom earlier: the timer stays armed for the
  // earlier time and OnTick, finding nothing due, arms it again.
  ArmBy(tick_timer_, now + std::max(next - now, kMinTickWait), [this] { OnTick(); });
}

void ClientConnection::Impl::OnTick() {
  if (!ready() || session_ == nullptr) return;
  if (pfs() && !renew_waiting_ && options_.clock() >= TempKeyRenewTime()) {
    DcKeyStore::TempAnswer next = member_->AcquireTemp(key_->key.id(), options_.clock());
    const bool moved = next.key.has_value() && next.key->key.key.id() != temp_key_->key.key.id();
    if (next.step == DcKeyStore::Step::kWait && !moved) {
      // Another connection makes the next one; this session goes on until it is bound.
      renew_waiting_ = true;
    } else {
      // A new connection makes the next temporary key, or moves to the one already bound
      // (AcquireKeys).
      Log(LogLevel::kInfo, "the temporary key expires: reconnecting");
      CloseSocket();
      return Connect();
    }
  }
  HandleEvents(session_->OnTick());
  Flush();
  ScheduleTick();
}

// ---- Calls ---------------------------------------------------------------------------------

void ClientConnection::Impl::Invoke(CallId id, base::SharedBytes body, CallCallback done,
                                    CallOptions options) {
  if (stopped_) {
    if (done) done(absl::CancelledError("the connection is stopped"));
    return;
  }
  PendingCall& call = calls_[id];
  call.body = std::move(body);
  call.done = std::move(done);
  call.options = std::move(options);
  if (call.options.timeout != absl::InfiniteDuration()) {
    call.deadline = options_.clock() + call.options.timeout;
    deadlines_.emplace(call.deadline, id);
    ArmDeadlines();
  }
  // Sent once a key and session exist (and, with PFS, the key is bound).
  if (session_ == nullptr || awaiting_bind()) return;
  SendToSession(id);
  FlushSoon();
}

void ClientConnection::Impl::FlushSoon() {
  if (flush_posted_) return;
  flush_posted_ = true;
  asio::post(strand_, [weak = weak_from_this()] {
    std::shared_ptr<Impl> self = weak.lock();
    if (self == nullptr) return;
    self->flush_posted_ = false;
    self->Flush();
    self->ScheduleTick();
  });
}

void ClientConnection::Impl::Reject(absl::Status status, CallCallback done) {
  if (done) done(std::move(status));
}

void ClientConnection::Impl::Cancel(CallId id, absl::Status status) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  if (it->second.session_call.has_value() && session_ != nullptr) {
    session_->Cancel(*it->second.session_call);
  }
  Complete(id, std::move(status));
  Flush();  // rpc_drop_answer
}

void ClientConnection::Impl::Complete(CallId id, CallResult result) {
  auto it = calls_.find(id);
  if (it == calls_.end()) return;
  PendingCall call = std::move(it->second);
  calls_.erase(it);
  if (call.session_call.has_value()) session_calls_.erase(*call.session_call);
  // The deadline timer stays armed: it finds nothing due, or the next call's deadline.
  if (call.deadline != absl::InfiniteFuture()) deadlines_.erase({call.deadline, id});
  if (call.done) call.done(std::move(result));
}

void ClientConnection::Impl::ArmDeadlines() {
  if (deadlines_.empty() || stopped_) return;
  ArmBy(deadline_timer_, deadlines_.begin()->first, [this] { OnDeadlines(); });
}

void ClientConnection::Impl::OnDeadlines() {
  const absl::Time now = options_.clock();
  std::vector<CallId> expired;
  for (auto it = deadlines_.begin(); it != deadlines_.end() && it->first <= now; ++it) {
    expired.push_back(it->second);
  }
  for (CallId id : expired) Cancel(id, absl::DeadlineExceededError("the call timed out"));
  ArmDeadlines();
}

void ClientConnection::Impl::CompleteSessionCall(session::CallId call, CallResult result) {
  auto it = session_calls_.find(call);
  if (it == session_calls_.end()) return;
  Complete(it->second, std::move(result));
}

void ClientConnection::Impl::Stop() {
  if (stopped_) return;
  CloseSocket();
  stopped_ = true;
  if (member_ != nullptr) member_.reset();  // gives up a key this connection was making
  Disarm(reconnect_timer_);
  Disarm(deadline_timer_);
  SetState({ConnectionState::kStopped});
  std::vector<CallId> ids;
  for (const auto& [id, call] : calls_) ids.push_back(id);
  for (CallId id : ids) Complete(id, absl::CancelledError("the connection is stopped"));
  session_.reset();
  work_.reset();
}

void ClientConnection::Impl::StopAndWait() {
  if (strand_.running_in_this_thread() || strand_.get_inner_executor().context().stopped()) {
    // Nothing else runs this strand now.
    Stop();
    return;
  }
  std::promise<void> done;
  asio::post(strand_, [this, &done] {
    Stop();
    done.set_value();
  });
  done.get_future().wait();
}

// ---- Helpers -------------------------------------------------------------------------------

void ClientConnection::Impl::ArmBy(Timer& timer, absl::Time due, std::function<void()> fn) {
  if (timer.due <= due) return;
  Arm(timer, due - options_.clock(), std::move(fn));
  timer.due = due;
}

void ClientConnection::Impl::Arm(Timer& timer, absl::Duration delay, std::function<void()> fn) {
  const uint64_t token = ++timer.token;
  timer.due = options_.clock() + delay;
  if (VirtualTime* time = options_.virtual_time; time != nullptr) {
    if (timer.virtual_id != 0) time->Cancel(timer.virtual_id);
    timer.virtual_id = time->Schedule(
        options_.clock() + delay,
        [weak = weak_from_this(), &timer, token, fn = std::move(fn), strand = strand_] {
          asio::post(strand, [weak, &timer, token, fn] {
            std::shared_ptr<Impl> self = weak.lock();
            // `timer` is a member of *self, alive while self is.
            if (self == nullptr || self->stopped_ || timer.token != token) return;
            timer.virtual_id = 0;
            timer.due = absl::InfiniteFuture();
            fn();
          });
        });
    return;
  }
  timer.timer.expires_after(ToWait(delay));
  timer.timer.async_wait(
      [weak = weak_from_this(), &timer, token, fn = std::move(fn)](const asio::error_code& error) {
        if (error) return;
        std::shared_ptr<Impl> self = weak.lock();
        // `timer` is a member of *self, alive while self is.
        if (self == nullptr || self->stopped_ || timer.token != token) return;
        timer.due = absl::InfiniteFuture();
        fn();
      });
}

void ClientConnection::Impl::Disarm(Timer& timer) {
  ++timer.token;
  timer.due = absl::InfiniteFuture();
  if (timer.virtual_id != 0) {
    options_.virtual_time->Cancel(timer.virtual_id);
    timer.virtual_id = 0;
  }
  timer.timer.cancel();
}

void ClientConnection::Impl::SetState(ConnectionStateChange change) {
  state_.store(change.state);
  if (options_.on_state) options_.on_state(change);
}

void ClientConnection::Impl::Log(LogLevel level, absl::string_view message) const {
  if (options_.log) options_.log(level, message);
}

}  // namespace tgrpc::mtproto::net

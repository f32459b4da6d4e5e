#include "service/telegram/invoker.h"

#include <algorithm>
#include <cstring>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "asio.hpp"
#include "mtproto/net/rpc_status.h"
#include "service/telegram/invoker_internal.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace api = tl::api;
using mtproto::net::CallResult;
using mtproto::net::ClientConnection;
using mtproto::net::ClientConnectionOptions;
using mtproto::net::ConnectionState;
using mtproto::net::LogLevel;
using mtproto::net::StoredAuthKey;

namespace {

bool IsFloodWait(const mtproto::session::RpcError& rpc) {
  return rpc.code == 420 && rpc.argument.value_or(-1) >= 0 &&
         (rpc.type == "FLOOD_WAIT" || rpc.type == "FLOOD_PREMIUM_WAIT");
}

absl::Status KeyRejected(int dc) {
  absl::Status status(absl::StatusCode::kFailedPrecondition,
                      absl::StrCat("AUTH_KEY_UNKNOWN: Telegram does not know this account's key "
                                   "on DC ",
                                   dc, " (transport error -404); sign in again"));
  // The same payload service/api/errors.h reads for tgrpc's own reasons.
  status.SetPayload("type.tgrpc.dev/tgrpc.ErrorReason", absl::Cord("AUTH_KEY_UNKNOWN"));
  return status;
}

}  // namespace

uint32_t RawFunction::tl_id() const {
  uint32_t id = 0;
  if (boxed_.size() >= 4) std::memcpy(&id, boxed_.data(), 4);
  return id;
}

void RawFunction::TlStore(tl::Writer& w) const {
  if (boxed_.size() < 4) {
    w.Fail("a raw TL function shorter than its constructor id");
    return;
  }
  w.Raw(absl::string_view(boxed_).substr(4));
}

bool IsUpdatesObject(absl::string_view boxed) {
  if (boxed.size() < 4) return false;
  uint32_t id = 0;
  std::memcpy(&id, boxed.data(), 4);
  switch (id) {
    case api::updates::kId:
    case api::updatesCombined::kId:
    case api::updateShort::kId:
    case api::updateShortMessage::kId:
    case api::updateShortChatMessage::kId:
    case api::updateShortSentMessage::kId:
    case api::updatesTooLong::kId:
      return true;
    default:
      return false;
  }
}

std::shared_ptr<Invoker> Invoker::Create(asio::io_context& io, InvokerOptions options, int home_dc,
                                         std::map<int, StoredAuthKey> keys) {
  std::shared_ptr<Invoker> invoker(new Invoker(io, std::move(options), home_dc));
  {
    // The key stores' callbacks hold a weak_ptr to the invoker: made once it has its shared_ptr.
    absl::MutexLock lock(&invoker->mutex_);
    for (auto& [dc, key] : keys) invoker->StateOf(dc, std::move(key));
  }
  invoker->StartIdleTimer();
  return invoker;
}

Invoker::Invoker(asio::io_context& io, InvokerOptions options, int home_dc)
    : io_(io), options_(std::move(options)), home_dc_(home_dc), dc_table_(options_.dcs.dcs) {}

Invoker::DcState& Invoker::StateOf(int dc, std::optional<StoredAuthKey> key) {
  std::unique_ptr<DcState>& state = dcs_[dc];
  if (state == nullptr) {
    state = std::make_unique<DcState>();
    state->keys = MakeKeyStore(dc, std::move(key));
  }
  return *state;
}

Invoker::~Invoker() { Stop(); }

void Invoker::Log(LogLevel level, absl::string_view message) const {
  if (options_.log) options_.log(level, message);
}

int Invoker::home_dc() const {
  absl::MutexLock lock(&mutex_);
  return home_dc_;
}

void Invoker::SetHomeDc(int dc) {
  {
    absl::MutexLock lock(&mutex_);
    if (home_dc_ == dc) return;
    home_dc_ = dc;
    StateOf(dc);
  }
  Log(LogLevel::kInfo, absl::StrCat("home DC is now ", dc));
  if (options_.on_home_dc) options_.on_home_dc(dc);
}

void Invoker::SetSignedIn(bool signed_in) {
  absl::MutexLock lock(&mutex_);
  signed_in_ = signed_in;
  if (!signed_in) {
    for (auto& [dc, state] : dcs_) state->authorized = false;
  }
}

std::vector<SessionInfo> Invoker::Sessions() const {
  absl::MutexLock lock(&mutex_);
  std::vector<SessionInfo> out;
  for (const auto& [dc, state] : dcs_) {
    for (const auto& session : state->sessions) {
      out.push_back(
          {dc, session->state, session->in_flight, session->latency, session->last_error});
    }
  }
  return out;
}

DcAddressTable Invoker::DcAddresses() const {
  absl::MutexLock lock(&mutex_);
  return dc_table_;
}

std::vector<FloodWaitInfo> Invoker::FloodWaits() const {
  absl::MutexLock lock(&mutex_);
  std::vector<FloodWaitInfo> out;
  const absl::Time now = Now();
  for (const auto& [method, until] : flood_until_) {
    if (until > now) out.push_back({method, until});
  }
  return out;
}

void Invoker::Invoke(std::string body, std::string method, InvokeOptions options,
                     InvokeCallback done) {
  auto call = std::make_shared<PendingCall>();
  call->body = std::move(body);
  call->method = std::move(method);
  call->options = options;
  call->target_dc = options.dc;
  call->done = std::move(done);
  Dispatch(std::move(call));
}

void Invoker::Dispatch(std::shared_ptr<PendingCall> call) {
  const absl::Time now = Now();
  absl::Duration flood_left = absl::ZeroDuration();
  int import_dc = 0;
  int config_dc = 0;
  bool ask_cdn_config = false;
  bool stopped = false;
  absl::Status rejected;
  {
    absl::MutexLock lock(&mutex_);
    stopped = stopped_;
    if (!stopped && ConfigDue(now)) config_dc = home_dc_;
    // The FLOOD_WAIT gate: do not send what Telegram asked to hold back.
    if (auto it = flood_until_.find(call->method); !stopped && it != flood_until_.end()) {
      if (it->second > now) {
        flood_left = it->second - now;
      } else {
        flood_until_.erase(it);
      }
    }
    if (!stopped && flood_left <= absl::ZeroDuration()) {
      const int dc = call->target_dc != 0 ? call->target_dc : home_dc_;
      const bool cdn = call->options.cdn;
      DcState* state = cdn ? &CdnStateOf(dc) : &StateOf(dc);
      if (!state->rejected.ok()) {
        rejected = state->rejected;
      } else if (cdn && WaitForCdnKey(dc, call, ask_cdn_config, rejected)) {
        // Dispatched again once help.getCdnConfig answers.
      } else if (!rejected.ok()) {
        // A CDN DC without a key.
      } else if (!cdn && dc != home_dc_ && signed_in_ && !state->authorized && !call->skip_import) {
        state->queue.push_back(std::move(call));
        if (!state->importing) {
          state->importing = true;
          import_dc = dc;
        }
      } else {
        int total = 0;
        for (const auto& [unused, s] : dcs_) total += static_cast<int>(s->sessions.size());
        const bool bulk = call->options.bulk;
        Session* best = nullptr;
        for (const auto& session : state->sessions) {
          if (best == nullptr || session->in_flight < best->in_flight ||
              (bulk && session->in_flight == best->in_flight)) {
            best = session.get();
          }
        }
        // File parts open another session as soon as every one is busy; other calls only when
        // every one is full.
        const int open_at = bulk ? 1 : options_.max_calls_per_session;
        const bool may_open = best == nullptr ||
                              (best->in_flight >= open_at && state->keys->permanent().has_value() &&
                               total < options_.max_sessions);
        if (may_open) {
          Session* opened = OpenSession(dc);
          if (opened != nullptr) best = opened;
        }
        if (best == nullptr && WaitForConfig(dc, call, config_dc)) {
          // Dispatched again once help.getConfig answers.
        } else if (best == nullptr) {
          // No session and none can be opened (a DC without an address): fail.
          rejected = absl::UnavailableError(absl::StrCat("DC ", dc, " has no address in the ",
                                                         options_.dcs.network, " DC table"));
        } else if (best->in_flight >= options_.max_calls_per_session) {
          state->queue.push_back(std::move(call));
        } else {
          SendOn(best, std::move(call));
        }
      }
    }
  }
  if (config_dc != 0) AskConfig(config_dc);
  if (ask_cdn_config) AskCdnConfig();
  if (stopped) {
    Finish(call, absl::CancelledError("the account's connections are closed"));
    return;
  }
  // Before the check below: a call queued for the import is moved out too.
  if (import_dc != 0) {
    ImportAuthorization(import_dc);
    return;
  }
  if (call == nullptr) return;  // queued: behind the import, or waiting for help.getConfig
  if (!rejected.ok()) {
    Finish(call, rejected);
    return;
  }
  if (flood_left > absl::ZeroDuration()) {
    if (flood_left <= options_.flood_wait_threshold && now + flood_left < call->options.deadline) {
      RetryAfter(std::move(call), flood_left);
    } else {
      const int64_t seconds = absl::ToInt64Seconds(absl::Ceil(flood_left, absl::Seconds(1)));
      Finish(call, mtproto::net::RpcErrorToStatus(
                       mtproto::session::ParseRpcError(420, absl::StrCat("FLOOD_WAIT_", seconds))));
    }
  }
}

std::string Invoker::WrapForNewSession(absl::string_view body) const {
  auto init = std::make_unique<api::initConnection>();
  init->api_id = options_.app.api_id;
  init->device_model = options_.app.device_model;
  init->system_version = options_.app.system_version;
  init->app_version = options_.app.app_version;
  init->system_lang_code = options_.app.system_lang_code;
  init->lang_pack = options_.app.lang_pack;
  init->lang_code = options_.app.lang_code;
  if (!options_.app.instance.empty()) {
    auto value = std::make_unique<api::jsonObjectValue>();
    value->key = "tgrpc_instance";
    auto name = std::make_unique<api::jsonString>();
    name->value = options_.app.instance;
    value->value = std::move(name);
    auto params = std::make_unique<api::jsonObject>();
    params->value.push_back(std::move(value));
    init->params = std::move(params);
  }
  init->query = std::make_unique<RawFunction>(std::string(body));
  api::invokeWithLayer layer;
  layer.layer = api::kLayer;
  layer.query = std::move(init);
  absl::StatusOr<std::string> wrapped = tl::Serialize(layer);
  return wrapped.ok() ? *std::move(wrapped) : std::string(body);
}

void Invoker::SendOn(Session* session, std::shared_ptr<PendingCall> call) {
  ++session->in_flight;
  session->last_used = Now();
  const bool wrap = !session->initialized;
  base::SharedBytes body = wrap ? base::SharedBytes(WrapForNewSession(call->body)) : call->body;
  mtproto::net::CallOptions options;
  if (call->options.deadline != absl::InfiniteFuture()) {
    options.timeout = std::max(call->options.deadline - Now(), absl::Milliseconds(1));
  }
  call->sent = Now();
  std::weak_ptr<Invoker> weak = weak_from_this();
  const int dc = session->dc;
  const uint64_t id = session->id;
  session->connection->Invoke(
      std::move(body),
      [weak, dc, id, call, wrap](CallResult result) mutable {
        if (auto self = weak.lock()) {
          self->OnResult(dc, id, std::move(call), wrap, std::move(result));
        } else if (!call->finished) {
          call->finished = true;
          call->done(absl::CancelledError("the account was closed"));
        }
      },
      options);
}

Invoker::Session* Invoker::FindSession(int dc, uint64_t id) {
  auto it = dcs_.find(dc);
  if (it == dcs_.end()) return nullptr;
  for (const auto& session : it->second->sessions) {
    if (session->id == id) return session.get();
  }
  return nullptr;
}

Invoker::Session* Invoker::OpenSession(int dc) {
  DcState& state = StateOf(dc);
  const std::optional<DcEndpoint> endpoint = state.cdn ? dc_table_.Cdn(dc) : dc_table_.Main(dc);
  if (!endpoint.has_value()) {
    Log(LogLevel::kError, absl::StrCat("no address for ", state.cdn ? "CDN " : "", "DC ", dc));
    return nullptr;
  }
  auto session = std::make_unique<Session>();
  session->id = next_session_id_++;
  session->dc = dc;
  session->endpoint = *endpoint;
  session->last_used = Now();
  const uint64_t id = session->id;
  std::weak_ptr<Invoker> weak = weak_from_this();

  ClientConnectionOptions connection;
  connection.host = endpoint->host;
  connection.port = endpoint->port;
  connection.dc_id = options_.dcs.test_mode ? dc + 10000 : dc;
  if (options_.mtproxy.has_value()) {
    connection.host = options_.mtproxy->host;
    connection.port = options_.mtproxy->port;
  }
  connection.transport = options_.transport;
  connection.virtual_time = options_.virtual_time;
  connection.server_keys = state.cdn ? cdn_keys_[dc] : options_.dcs.keys;
  connection.keys = state.keys;
  // A key is never dropped without the account's decision; a CDN DC's is the invoker's own
  // (in memory, signed in as nobody): a new one is made.
  connection.forget_key_on_404 = state.cdn;
  if (options_.random) connection.random = options_.random();
  connection.on_update = [weak](std::string body) {
    auto self = weak.lock();
    if (self && self->options_.on_updates && IsUpdatesObject(body)) self->options_.on_updates(body);
  };
  connection.on_new_session = [weak, dc, id,
                               cdn = state.cdn](const mtproto::session::NewSessionEvent&) {
    auto self = weak.lock();
    if (!self) return;
    {
      absl::MutexLock lock(&self->mutex_);
      if (Session* s = self->FindSession(dc, id)) s->initialized = false;
    }
    // A CDN DC sends no updates: its new sessions are no reason for a catch-up.
    if (self->options_.on_new_session && !cdn) self->options_.on_new_session(dc);
  };
  connection.on_state = [weak, dc, id](const mtproto::net::ConnectionStateChange& change) {
    auto self = weak.lock();
    if (!self) return;
    ConnectionState from = ConnectionState::kConnecting;
    bool ask_config = false;
    bool closed = false;
    std::vector<std::unique_ptr<ClientConnection>> stale;
    {
      absl::MutexLock lock(&self->mutex_);
      Session* s = self->FindSession(dc, id);
      if (s == nullptr) return;
      from = s->state;
      s->state = change.state;
      if (!change.reason.ok()) s->last_error = std::string(change.reason.message());
      if (change.state == ConnectionState::kBackoff) {
        self->CloseStaleSessions(dc, stale);
        closed = self->FindSession(dc, id) == nullptr;
      }
      ask_config = change.state == ConnectionState::kReady && dc == self->home_dc_ &&
                   self->ConfigDue(self->Now());
    }
    if (self->options_.on_session_state) {
      self->options_.on_session_state(dc, mtproto::net::ConnectionStateName(from),
                                      mtproto::net::ConnectionStateName(change.state));
    }
    if (ask_config) self->AskConfig(dc);
    self->Dispose(std::move(stale));
    if (closed) return;
    if (change.state == ConnectionState::kBackoff && change.permanent_key_unknown) {
      self->RejectKey(dc);
      return;
    }
    if (change.state == ConnectionState::kBackoff) {
      self->Log(LogLevel::kWarning,
                absl::StrCat("DC ", dc, " connection failed (", change.failures,
                             " in a row), retrying in ", absl::FormatDuration(change.delay), ": ",
                             change.reason.message()));
    }
  };
  connection.log = [weak, dc](LogLevel level, absl::string_view message) {
    auto self = weak.lock();
    if (self && level != LogLevel::kDebug) self->Log(level, absl::StrCat("DC ", dc, ": ", message));
  };
  absl::StatusOr<std::unique_ptr<ClientConnection>> made =
      ClientConnection::Create(std::move(connection), &io_);
  if (!made.ok()) {
    Log(LogLevel::kError,
        absl::StrCat("cannot open a session on DC ", dc, ": ", made.status().message()));
    return nullptr;
  }
  session->connection = *std::move(made);
  Log(LogLevel::kInfo, absl::StrCat("session ", id, " opened on DC ", dc, " (",
                                    state.sessions.size() + 1, " there)"));
  if (options_.on_session_state) {
    options_.on_session_state(dc, "", mtproto::net::ConnectionStateName(session->state));
  }
  state.sessions.push_back(std::move(session));
  return state.sessions.back().get();
}

void Invoker::OnResult(int dc, uint64_t session_id, std::shared_ptr<PendingCall> call, bool wrapped,
                       CallResult result) {
  const absl::Duration latency = Now() - call->sent;
  bool closed_as_stale = false;
  {
    absl::MutexLock lock(&mutex_);
    Session* s = FindSession(dc, session_id);
    if (s != nullptr) {
      --s->in_flight;
      s->latency = latency;
      if (wrapped && result.ok()) s->initialized = true;
    }
    auto it = dcs_.find(dc);
    if (!result.ok() && it != dcs_.end() && !it->second->rejected.ok()) {
      result = it->second->rejected;
    } else if (s == nullptr && !stopped_ &&
               result.status().code() == absl::StatusCode::kCancelled) {
      // Only CloseStaleSessions closes a session with calls in flight while running (the idle
      // ones have none, a rejected key is handled above): send the call again elsewhere.
      closed_as_stale = true;
    }
  }
  DrainQueue(dc);
  if (closed_as_stale) {
    Dispatch(std::move(call));
    return;
  }

  CallStats stats;
  stats.method = call->method;
  stats.dc = dc;
  stats.latency = latency;
  stats.code = result.status().code();
  std::optional<mtproto::session::RpcError> rpc;
  if (!result.ok()) rpc = mtproto::net::RpcErrorOf(result.status());
  if (rpc.has_value()) {
    stats.rpc_error_type = rpc->type;
    stats.rpc_error_argument = rpc->argument.value_or(-1);
  }
  const absl::Time now = Now();
  if (rpc.has_value() && IsFloodWait(*rpc)) {
    // Recorded before on_call reports it, so that whoever hears of it finds it in FloodWaits().
    absl::MutexLock lock(&mutex_);
    absl::Time& until = flood_until_[call->method];
    until = std::max(until, now + absl::Seconds(*rpc->argument));
  }
  if (options_.on_call) options_.on_call(stats);

  if (result.ok()) {
    if (options_.on_updates && IsUpdatesObject(*result)) options_.on_updates(*result);
    Finish(call, std::move(result));
    return;
  }
  if (rpc.has_value()) {
    const int64_t argument = rpc->argument.value_or(-1);
    if (rpc->code == 303 && argument > 0 && call->migrations < 3) {
      ++call->migrations;
      if (rpc->type == "PHONE_MIGRATE" || rpc->type == "NETWORK_MIGRATE" ||
          rpc->type == "USER_MIGRATE") {
        Log(LogLevel::kInfo, absl::StrCat(call->method, ": ", rpc->message, ", following"));
        SetHomeDc(static_cast<int>(argument));
        call->target_dc = 0;
        Dispatch(std::move(call));
        return;
      }
      if (absl::EndsWith(rpc->type, "_MIGRATE")) {  // FILE_MIGRATE, STATS_MIGRATE
        call->target_dc = static_cast<int>(argument);
        Dispatch(std::move(call));
        return;
      }
    }
    if (IsFloodWait(*rpc)) {
      const absl::Duration wait = absl::Seconds(argument);
      Log(LogLevel::kWarning, absl::StrCat(call->method, ": FLOOD_WAIT ", argument, " s"));
      if (wait <= options_.flood_wait_threshold && now + wait < call->options.deadline) {
        RetryAfter(std::move(call), wait);
        return;
      }
      Finish(call, std::move(result));
      return;
    }
    const bool server_side = rpc->code >= 500 || rpc->code == -503;
    if (server_side && call->retries < options_.retry_budget) {
      const absl::Duration delay = options_.retry_delay * (1 << call->retries);
      if (now + delay < call->options.deadline) {
        ++call->retries;
        RetryAfter(std::move(call), delay);
        return;
      }
    }
  } else if (result.status().code() == absl::StatusCode::kUnavailable &&
             call->retries < options_.retry_budget) {
    const absl::Duration delay = options_.retry_delay * (1 << call->retries);
    if (now + delay < call->options.deadline) {
      ++call->retries;
      RetryAfter(std::move(call), delay);
      return;
    }
  }
  Finish(call, std::move(result));
}

void Invoker::Finish(const std::shared_ptr<PendingCall>& call, absl::StatusOr<std::string> result) {
  if (call->finished) return;
  call->finished = true;
  if (!result.ok() && result.status().code() == absl::StatusCode::kCancelled) {
    const bool stopped = closed_.load();
    // Closed under the call (a handover to another replica, a shutdown): the caller may retry,
    // wherever the account is served next.
    if (stopped) {
      result = absl::UnavailableError(absl::StrCat(
          "the account's connections were closed under the call (it moved to another replica, or "
          "tgrpcd is stopping): retry (",
          result.status().message(), ")"));
    }
  }
  call->done(std::move(result));
}

absl::Time Invoker::Now() const {
  return options_.virtual_time != nullptr ? options_.virtual_time->now() : absl::Now();
}

std::function<void()> Invoker::RunAfter(absl::Duration delay, std::function<void()> fn) {
  if (mtproto::net::VirtualTime* time = options_.virtual_time; time != nullptr) {
    asio::io_context& io = io_;
    const uint64_t id =
        time->Schedule(time->now() + delay, [&io, fn = std::move(fn)] { asio::post(io, fn); });
    return [time, id] { time->Cancel(id); };
  }
  auto timer = std::make_shared<asio::steady_timer>(io_);
  timer->expires_after(absl::ToChronoNanoseconds(delay));
  timer->async_wait([timer, fn = std::move(fn)](const asio::error_code& error) {
    if (!error) fn();
  });
  return [weak = std::weak_ptr<asio::steady_timer>(timer)] {
    if (auto timer = weak.lock()) timer->cancel();
  };
}

void Invoker::RetryAfter(std::shared_ptr<PendingCall> call, absl::Duration delay) {
  std::weak_ptr<Invoker> weak = weak_from_this();
  RunAfter(delay, [weak, call]() mutable {
    if (auto self = weak.lock()) {
      self->Dispatch(std::move(call));
    } else if (!call->finished) {
      call->finished = true;
      call->done(absl::CancelledError("the account was closed"));
    }
  });
}

void Invoker::DrainQueue(int dc) {
  std::vector<std::shared_ptr<PendingCall>> ready;
  {
    absl::MutexLock lock(&mutex_);
    auto it = dcs_.find(dc);
    if (it == dcs_.end()) return;
    DcState& state = *it->second;
    if (dc != home_dc_ && signed_in_ && !state.authorized && !state.cdn) return;
    while (!state.queue.empty()) {
      ready.push_back(std::move(state.queue.front()));
      state.queue.pop_front();
    }
  }
  // Dispatch queues again whatever still finds every session busy.
  for (auto& call : ready) Dispatch(std::move(call));
}

void Invoker::ImportAuthorization(int dc) {
  Log(LogLevel::kInfo, absl::StrCat("exporting the authorization to DC ", dc));
  api::auth_exportAuthorization request;
  request.dc_id = dc;
  std::weak_ptr<Invoker> weak = weak_from_this();
  auto fail = [weak, dc](absl::Status status) {
    auto self = weak.lock();
    if (!self) return;
    std::deque<std::shared_ptr<PendingCall>> failed;
    {
      absl::MutexLock lock(&self->mutex_);
      DcState& state = self->StateOf(dc);
      state.importing = false;
      failed.swap(state.queue);
    }
    self->Log(LogLevel::kError,
              absl::StrCat("cannot import the authorization to DC ", dc, ": ", status.message()));
    for (auto& call : failed) self->Finish(call, status);
  };
  Call<api::auth_exportAuthorization>(
      request, {}, [weak, dc, fail](absl::StatusOr<tl::Ptr<api::auth_ExportedAuthorization>> got) {
        auto self = weak.lock();
        if (!self) return;
        if (!got.ok()) return fail(got.status());
        const auto* exported = dynamic_cast<const api::auth_exportedAuthorization*>(got->get());
        if (exported == nullptr) return fail(absl::DataLossError("no exported authorization"));
        api::auth_importAuthorization import;
        import.id = exported->id;
        import.bytes = exported->bytes;
        absl::StatusOr<std::string> body = tl::Serialize(import);
        if (!body.ok()) return fail(body.status());
        auto call = std::make_shared<PendingCall>();
        call->body = *std::move(body);
        call->method = api::auth_importAuthorization::kName;
        call->target_dc = dc;
        call->skip_import = true;
        call->done = [weak, dc, fail](absl::StatusOr<std::string> imported) {
          auto self = weak.lock();
          if (!self) return;
          if (!imported.ok()) return fail(imported.status());
          {
            absl::MutexLock lock(&self->mutex_);
            DcState& state = self->StateOf(dc);
            state.importing = false;
            state.authorized = true;
          }
          self->Log(LogLevel::kInfo, absl::StrCat("authorization imported on DC ", dc));
          self->DrainQueue(dc);
        };
        self->Dispatch(std::move(call));
      });
}

void Invoker::RejectKey(int dc) {
  std::vector<std::unique_ptr<ClientConnection>> closing;
  std::deque<std::shared_ptr<PendingCall>> waiting;
  {
    absl::MutexLock lock(&mutex_);
    DcState& state = StateOf(dc);
    if (!state.rejected.ok()) return;
    state.rejected = KeyRejected(dc);
    for (auto& session : state.sessions) {
      ReportClosed(dc, session->state);
      closing.push_back(std::move(session->connection));
    }
    state.sessions.clear();
    waiting.swap(state.queue);
  }
  Log(LogLevel::kError, absl::StrCat("Telegram does not know the key on DC ", dc,
                                     ": its calls fail until the account signs in again"));
  for (auto& call : waiting) Finish(call, KeyRejected(dc));
  // Calls in flight come back Cancelled from Stop, turned into the rejection by OnResult.
  Dispose(std::move(closing));
  if (options_.on_key_rejected) options_.on_key_rejected(dc);
}

void Invoker::StartIdleTimer() {
  std::weak_ptr<Invoker> weak = weak_from_this();
  std::function<void()> cancel = RunAfter(options_.idle_session_timeout / 2, [weak] {
    if (auto self = weak.lock()) {
      self->CloseIdleSessions();
      self->StartIdleTimer();
    }
  });
  absl::MutexLock lock(&timer_mutex_);
  cancel_idle_timer_ = std::move(cancel);
}

void Invoker::CloseIdleSessions() {
  std::vector<std::unique_ptr<ClientConnection>> closing;
  {
    absl::MutexLock lock(&mutex_);
    if (stopped_) return;
    const absl::Time now = Now();
    for (auto& [dc, state] : dcs_) {
      auto& sessions = state->sessions;
      // A DC's first session stays; later ones go when idle.
      for (size_t i = sessions.size(); i-- > 1;) {
        Session& s = *sessions[i];
        if (s.in_flight == 0 && now - s.last_used > options_.idle_session_timeout) {
          Log(LogLevel::kInfo, absl::StrCat("closing idle session ", s.id, " on DC ", dc));
          ReportClosed(dc, s.state);
          closing.push_back(std::move(s.connection));
          sessions.erase(sessions.begin() + static_cast<std::ptrdiff_t>(i));
        }
      }
    }
  }
  Dispose(std::move(closing));
}

void Invoker::ReportClosed(int dc, ConnectionState state) {
  if (options_.on_session_state) {
    options_.on_session_state(dc, mtproto::net::ConnectionStateName(state), "");
  }
}

void Invoker::Dispose(std::vector<std::unique_ptr<ClientConnection>> connections) {
  // Without waiting: this may run on the io_context's own thread, in a connection's callback.
  for (auto& c : connections) ClientConnection::Close(std::move(c));
}

std::shared_ptr<mtproto::net::DcKeyStore> Invoker::MakeKeyStore(int dc,
                                                                std::optional<StoredAuthKey> key,
                                                                bool cdn) {
  mtproto::net::DcKeyStoreOptions options;
  options.permanent = std::move(key);
  // A CDN DC's key is not bound to a temporary key: no auth methods are called there.
  options.temp_key_lifetime = cdn ? 0 : options_.temp_key_lifetime;
  std::weak_ptr<Invoker> weak = weak_from_this();
  options.on_auth_key = [weak, dc, cdn](const StoredAuthKey& key) {
    auto self = weak.lock();
    if (!self) return;
    self->Log(LogLevel::kInfo,
              absl::StrCat("made a permanent auth key on ", cdn ? "CDN " : "", "DC ", dc));
    if (self->options_.on_auth_key && !cdn) self->options_.on_auth_key(dc, key);
    self->DrainQueue(dc);
  };
  options.on_key_state = [weak, dc, cdn](const StoredAuthKey& key) {
    auto self = weak.lock();
    if (!self || cdn) return;
    self->Log(LogLevel::kDebug, absl::StrCat("DC ", dc, ": new salt, time offset (",
                                             absl::FormatDuration(key.time_offset),
                                             ") or future salts (", key.future_salts.size(), ")"));
    if (self->options_.on_auth_key) self->options_.on_auth_key(dc, key);
  };
  options.on_temp_key = [weak, dc](const mtproto::net::TempAuthKey& key) {
    if (auto self = weak.lock()) {
      self->Log(LogLevel::kInfo, absl::StrCat("DC ", dc,
                                              ": temporary key bound, shared by its "
                                              "sessions until ",
                                              key.expires_at));
    }
  };
  return std::make_shared<mtproto::net::DcKeyStore>(std::move(options));
}

void Invoker::Stop() {
  std::vector<std::unique_ptr<ClientConnection>> closing;
  std::vector<std::shared_ptr<PendingCall>> waiting;
  {
    absl::MutexLock lock(&mutex_);
    if (stopped_) return;
    stopped_ = true;
    closed_ = true;
    for (auto& [dc, state] : dcs_) {
      for (auto& session : state->sessions) {
        ReportClosed(dc, session->state);
        closing.push_back(std::move(session->connection));
      }
      state->sessions.clear();
      for (auto& call : state->queue) waiting.push_back(std::move(call));
      state->queue.clear();
    }
    for (auto& call : awaiting_config_) waiting.push_back(std::move(call));
    awaiting_config_.clear();
    for (auto& call : awaiting_cdn_config_) waiting.push_back(std::move(call));
    awaiting_cdn_config_.clear();
  }
  {
    absl::MutexLock lock(&timer_mutex_);
    if (cancel_idle_timer_) cancel_idle_timer_();
    cancel_idle_timer_ = nullptr;
  }
  for (auto& call : waiting)
    Finish(call, absl::CancelledError("the account's connections are closed"));
  Dispose(std::move(closing));
}

}  // namespace tgrpc::service

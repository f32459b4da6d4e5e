#include "service/telegram/account.h"

#include <algorithm>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "asio.hpp"
#include "base/status_macros.h"
#include "google/rpc/error_details.pb.h"
#include "mtproto/crypto/random_source.h"
#include "mtproto/crypto/srp.h"
#include "mtproto/net/rpc_status.h"
#include "service/api/convert.h"
#include "service/api/errors.h"
#include "service/api/utf8.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace api = tl::api;
using mtproto::net::LogLevel;
using mtproto::net::StoredAuthKey;

namespace {

std::string CodeTypeName(const tl::Object* type) {
  if (type == nullptr) return "";
  std::string name = type->tl_name();
  for (absl::string_view prefix : {"auth.sentCodeType", "auth.codeType"}) {
    if (absl::StartsWith(name, prefix)) name = name.substr(prefix.size());
  }
  std::string out;
  for (char c : name) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      if (!out.empty()) out.push_back('_');
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// Errors after which the authorization is gone: the account must sign in again.
bool RevokesAuthorization(absl::string_view type) {
  return type == "AUTH_KEY_UNREGISTERED" || type == "SESSION_REVOKED" ||
         type == "SESSION_EXPIRED" || type == "USER_DEACTIVATED" ||
         type == "USER_DEACTIVATED_BAN" || type == "AUTH_KEY_PERM_EMPTY";
}

// The login state after Telegram ended the authorization: no login, and why (ErrorInfo's reason
// is Telegram's error, or tgrpc's AUTH_KEY_UNKNOWN), for WatchLogin and the update streams.
v1::LoginState RevokedLoginState(absl::string_view reason, absl::string_view domain) {
  v1::LoginState state;
  state.set_step(v1::LoginState::STEP_UNSPECIFIED);
  google::rpc::Status* error = state.mutable_error();
  error->set_code(static_cast<int>(absl::StatusCode::kFailedPrecondition));
  error->set_message(
      absl::StrCat("Telegram ended the authorization (", reason, "): sign in again"));
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(std::string(domain));
  error->add_details()->PackFrom(info);
  return state;
}

absl::Status LoginStepError(absl::string_view what) {
  return ServiceError(absl::StatusCode::kFailedPrecondition, "LOGIN_STEP_INVALID", what);
}

bool IsFloodWait(const CallStats& stats) {
  return (stats.rpc_error_type == "FLOOD_WAIT" || stats.rpc_error_type == "FLOOD_PREMIUM_WAIT") &&
         stats.rpc_error_argument > 0;
}

// Future salts between the session (absl::Time) and storage (unix seconds, the protocol's unit).
std::vector<FutureSaltRecord> ToRecords(const std::vector<mtproto::session::FutureSalt>& salts) {
  std::vector<FutureSaltRecord> records;
  records.reserve(salts.size());
  for (const mtproto::session::FutureSalt& salt : salts) {
    records.push_back(
        {absl::ToUnixSeconds(salt.valid_since), absl::ToUnixSeconds(salt.valid_until), salt.salt});
  }
  return records;
}

std::vector<mtproto::session::FutureSalt> FromRecords(
    const std::vector<FutureSaltRecord>& records) {
  std::vector<mtproto::session::FutureSalt> salts;
  salts.reserve(records.size());
  for (const FutureSaltRecord& record : records) {
    salts.push_back({absl::FromUnixSeconds(record.valid_since_unix),
                     absl::FromUnixSeconds(record.valid_until_unix), record.salt});
  }
  return salts;
}

// The flood wait of `method` in `waits`, if any.
std::optional<FloodWaitInfo> FloodWaitOf(std::vector<FloodWaitInfo> waits,
                                         absl::string_view method) {
  for (FloodWaitInfo& wait : waits) {
    if (wait.method == method) return std::move(wait);
  }
  return std::nullopt;
}

}  // namespace

std::string AccountLogName(const AccountKey& account) {
  return absl::StrCat(account.id, " (tenant ", account.tenant, ")");
}

std::shared_ptr<Account> Account::Load(AccountRecord record, std::vector<AuthKeyRecord> keys,
                                       const AccountEnv* env) {
  // A login is held in memory only: one that was under way when the process stopped is over.
  const bool stale_login = record.state == AccountState::kLoginInProgress;
  if (stale_login) record.state = AccountState::kLoggedOut;
  std::shared_ptr<Account> account(new Account(std::move(record), env));
  if (stale_login) (void)account->Persist();
  std::map<int, StoredAuthKey> stored;
  for (const AuthKeyRecord& key : keys) {
    absl::StatusOr<mtproto::crypto::AuthKey> auth_key = mtproto::crypto::AuthKey::FromBytes(
        absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(key.key.data()), key.key.size()));
    if (!auth_key.ok()) {
      account->Log(LogLevel::kError, absl::StrCat("stored key for DC ", key.dc_id,
                                                  " is unusable: ", auth_key.status().message()));
      continue;
    }
    if (key.future_salts_unreadable) {
      account->Log(LogLevel::kWarning,
                   absl::StrCat("stored future salts for DC ", key.dc_id,
                                " are damaged: ignored (the session asks for new ones)"));
    }
    StoredAuthKey s{*std::move(auth_key), key.salt, absl::Milliseconds(key.time_offset_ms),
                    FromRecords(key.future_salts)};
    stored.emplace(key.dc_id, std::move(s));
  }
  account->StartInvoker(std::move(stored));
  account->StartUpdates();
  return account;
}

Account::Account(AccountRecord record, const AccountEnv* env)
    : id_(record.id),
      key_(record.key()),
      env_(env),
      io_(env->next_io ? env->next_io() : env->io),
      peers_(record.key(), env->storage),
      record_(std::move(record)) {
  login_.set_account(name());
  if (record_.state == AccountState::kSignedIn) {
    login_.set_step(v1::LoginState::SIGNED_IN);
    if (!record_.user_tl.empty()) {
      absl::StatusOr<tl::Ptr<api::User>> user = tl::Decode<api::User>(record_.user_tl);
      if (user.ok()) ToProto(**user, id_, login_.mutable_user());
    }
  }
}

Account::~Account() { Stop(); }

void Account::Log(LogLevel level, absl::string_view message) const {
  if (env_->log) env_->log(AccountLogName(key_), level, message);
}

void Account::StartInvoker(std::map<int, StoredAuthKey> keys) {
  InvokerOptions options = env_->invoker;
  std::weak_ptr<Account> weak = weak_from_this();
  int home_dc = 0;
  bool signed_in = false;
  {
    absl::MutexLock lock(&mutex_);
    options.name = id_;
    options.max_sessions = record_.max_sessions;
    home_dc = record_.home_dc;
    signed_in = record_.state == AccountState::kSignedIn;
  }
  options.on_auth_key = [weak](int dc, const StoredAuthKey& key) {
    auto self = weak.lock();
    if (!self) return;
    AuthKeyRecord record;
    record.account = self->key_;
    record.dc_id = dc;
    record.key.assign(reinterpret_cast<const char*>(key.key.bytes().data()),
                      key.key.bytes().size());
    record.salt = key.salt;
    record.time_offset_ms = absl::ToInt64Milliseconds(key.time_offset);
    record.future_salts = ToRecords(key.future_salts);
    if (absl::Status s = self->env_->storage->PutAuthKey(record); !s.ok()) {
      self->Log(LogLevel::kError, absl::StrCat("cannot store the auth key: ", s.message()));
    }
  };
  options.on_home_dc = [weak](int dc) {
    auto self = weak.lock();
    if (!self) return;
    int from = 0;
    {
      absl::MutexLock lock(&self->mutex_);
      from = self->record_.home_dc;
      self->record_.home_dc = dc;
    }
    if (self->env_->on_migration) self->env_->on_migration(from, dc);
    (void)self->Persist();
  };
  options.on_updates = [weak](const std::string& body) {
    if (auto self = weak.lock()) self->OnUpdates(body);
  };
  options.on_new_session = [weak](int dc) {
    auto self = weak.lock();
    if (!self) return;
    std::shared_ptr<updates::UpdateEngine> engine = self->update_engine();
    if (engine && dc == self->record().home_dc) engine->CatchUp("new_session_created");
  };
  options.on_call = [weak](const CallStats& stats) {
    if (auto self = weak.lock()) self->OnCall(stats);
  };
  options.on_session_state = [weak, io = io_, report = env_->on_session_state](
                                 int dc, absl::string_view from, absl::string_view to) {
    if (report) report(dc, from, to);
    if (to == "ready") {
      if (auto self = weak.lock()) self->OnSessionReady(dc, from);
    }
    NotifyStatus(io, weak);
  };
  options.on_key_rejected = [weak](int dc) {
    auto self = weak.lock();
    if (!self) return;
    v1::LoginState revoked = RevokedLoginState("AUTH_KEY_UNKNOWN", kTgrpcDomain);
    revoked.set_account(self->name());
    {
      absl::MutexLock lock(&self->mutex_);
      if (dc != self->record_.home_dc || self->record_.state != AccountState::kSignedIn) return;
      self->record_.state = AccountState::kRevoked;
      self->login_ = revoked;
    }
    self->Log(LogLevel::kWarning, "the home DC's key is unknown to Telegram: sign in again");
    self->login_watchers_.Notify(revoked);
    (void)self->Persist();
  };
  options.log = [weak](LogLevel level, absl::string_view message) {
    if (auto self = weak.lock()) self->Log(level, message);
  };
  std::shared_ptr<Invoker> invoker =
      Invoker::Create(*io_, std::move(options), home_dc, std::move(keys));
  invoker->SetSignedIn(signed_in);
  std::shared_ptr<Invoker> old;
  {
    absl::MutexLock lock(&mutex_);
    old = std::move(invoker_);
    invoker_ = std::move(invoker);
    // The new invoker holds no call back.
    reported_flood_waits_.clear();
  }
  if (old) old->Stop();
  NotifyStatus(io_, weak);
}

AccountRecord Account::record() const {
  absl::MutexLock lock(&mutex_);
  return record_;
}

bool Account::signed_in() const {
  absl::MutexLock lock(&mutex_);
  return record_.state == AccountState::kSignedIn;
}

int64_t Account::self_id() const {
  absl::MutexLock lock(&mutex_);
  return record_.user_id;
}

std::shared_ptr<Invoker> Account::invoker() const {
  absl::MutexLock lock(&mutex_);
  return invoker_;
}

std::vector<FloodWaitInfo> Account::FloodWaits() const {
  std::vector<FloodWaitInfo> waits = invoker()->FloodWaits();
  const absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&mutex_);
    for (const auto& [method, until] : reported_flood_waits_) {
      if (until > now && !FloodWaitOf(waits, method).has_value()) waits.push_back({method, until});
    }
  }
  std::sort(waits.begin(), waits.end(),
            [](const FloodWaitInfo& a, const FloodWaitInfo& b) { return a.method < b.method; });
  return waits;
}

absl::Status Account::Persist() {
  AccountRecord copy = record();
  absl::Status status = env_->storage->PutAccount(copy);
  if (!status.ok())
    Log(LogLevel::kError, absl::StrCat("cannot store the account: ", status.message()));
  NotifyStatus(io_, weak_from_this());
  return status;
}

void Account::NotifyStatus(asio::io_context* io, std::weak_ptr<Account> account) {
  asio::post(*io, [account = std::move(account)] {
    if (auto self = account.lock()) self->status_watchers_.Notify();
  });
}

void Account::NotifyStatusWhenFloodEnds(std::string method, absl::Time until) {
  auto timer = std::make_shared<asio::steady_timer>(*io_);
  timer->expires_after(
      absl::ToChronoNanoseconds(std::max(until - absl::Now(), absl::ZeroDuration())));
  timer->async_wait([weak = weak_from_this(), timer,
                     method = std::move(method)](const asio::error_code& error) mutable {
    auto self = weak.lock();
    if (error || !self) return;
    // Still there: the clocks differ by a hair, or Telegram made the method wait again.
    if (std::optional<FloodWaitInfo> wait = FloodWaitOf(self->FloodWaits(), method)) {
      return self->NotifyStatusWhenFloodEnds(std::move(method), wait->until);
    }
    self->status_watchers_.Notify();
  });
}

void Account::OnCall(const CallStats& stats) {
  if (env_->on_call) env_->on_call(stats);
  if (IsFloodWait(stats)) {
    const absl::Time now = absl::Now();
    const absl::Time until = now + absl::Seconds(stats.rpc_error_argument);
    {
      absl::MutexLock lock(&mutex_);
      std::erase_if(reported_flood_waits_, [now](const auto& wait) { return wait.second <= now; });
      absl::Time& reported = reported_flood_waits_[stats.method];
      reported = std::max(reported, until);
    }
    NotifyStatus(io_, weak_from_this());
    NotifyStatusWhenFloodEnds(stats.method, until);
  }
  if (!RevokesAuthorization(stats.rpc_error_type)) return;
  v1::LoginState revoked = RevokedLoginState(stats.rpc_error_type, kTelegramDomain);
  revoked.set_account(name());
  {
    // The state and the login's reason change together: a reader sees both or neither.
    absl::MutexLock lock(&mutex_);
    if (record_.state != AccountState::kSignedIn) return;
    record_.state = AccountState::kRevoked;
    login_ = revoked;
  }
  Log(LogLevel::kWarning,
      absl::StrCat("Telegram ended the authorization (", stats.rpc_error_type, "): sign in again"));
  login_watchers_.Notify(revoked);
  (void)Persist();
}

void Account::SetState(v1::LoginState state) {
  {
    absl::MutexLock lock(&mutex_);
    state.set_account(name());
    login_ = state;
  }
  login_watchers_.Notify(state);
}

v1::LoginState Account::login_state() const {
  absl::MutexLock lock(&mutex_);
  return login_;
}

absl::StatusOr<v1::LoginState> Account::SignedIn(const api::auth_Authorization& authorization) {
  if (dynamic_cast<const api::auth_authorizationSignUpRequired*>(&authorization) != nullptr) {
    v1::LoginState state;
    state.set_step(v1::LoginState::SIGN_UP_NEEDED);
    SetState(state);
    return state;
  }
  const auto* signed_in = dynamic_cast<const api::auth_authorization*>(&authorization);
  const auto* user =
      signed_in != nullptr ? dynamic_cast<const api::user*>(signed_in->user.get()) : nullptr;
  if (user == nullptr) return absl::DataLossError("the authorization carries no user");
  return SignedInAs(*user);
}

absl::StatusOr<v1::LoginState> Account::SignedInAs(const api::user& signed_in_user) {
  const api::user* user = &signed_in_user;
  absl::StatusOr<std::string> user_tl = tl::Serialize(*user);
  std::shared_ptr<Invoker> invoker;
  {
    absl::MutexLock lock(&mutex_);
    record_.state = AccountState::kSignedIn;
    record_.user_id = user->id;
    if (user_tl.ok()) record_.user_tl = *user_tl;
    invoker = invoker_;
    record_.home_dc = invoker->home_dc();
    phone_code_hash_.clear();
  }
  invoker->SetSignedIn(true);
  peers_.AddUser(*user);
  TGRPC_RETURN_IF_ERROR(Persist());
  StartUpdates();
  v1::LoginState state;
  state.set_step(v1::LoginState::SIGNED_IN);
  ToProto(*user, id_, state.mutable_user());
  Log(LogLevel::kInfo, absl::StrCat("signed in as user ", user->id));
  SetState(state);
  return state;
}

void Account::StartLogin(v1::StartLoginRequest::Method method, absl::Time deadline,
                         LoginCallback done) {
  AccountRecord record = this->record();
  if (record.state == AccountState::kSignedIn) {
    return done(ServiceError(absl::StatusCode::kFailedPrecondition, "ALREADY_SIGNED_IN",
                             "the account is signed in; LogOut first"));
  }
  if (record.bot) {
    return done(ServiceError(absl::StatusCode::kFailedPrecondition, "BOT_ACCOUNT",
                             "a bot account signs in with its token when it is created"));
  }
  uint64_t generation = 0;
  {
    absl::MutexLock lock(&mutex_);
    generation = ++login_generation_;
    record_.state = AccountState::kLoginInProgress;
  }
  (void)Persist();
  std::weak_ptr<Account> weak = weak_from_this();
  if (method == v1::StartLoginRequest::QR) {
    Log(LogLevel::kInfo, "login started (QR)");
    return RefreshQrToken(deadline, std::move(done));
  }
  Log(LogLevel::kInfo, "login started (phone code)");
  api::auth_sendCode request;
  request.phone_number = absl::StrCat("+", record.phone);
  request.api_id = env_->invoker.app.api_id;
  request.api_hash = env_->invoker.app.api_hash;
  request.settings = std::make_unique<api::codeSettings>();
  invoker()->Call<api::auth_sendCode>(
      request, {deadline},
      [weak, generation, done = std::move(done),
       deadline](absl::StatusOr<tl::Ptr<api::auth_SentCode>> sent) {
        auto self = weak.lock();
        if (!self) return done(absl::CancelledError("the account was deleted"));
        {
          absl::MutexLock lock(&self->mutex_);
          if (generation != self->login_generation_) {
            return done(absl::AbortedError("the login was cancelled or restarted"));
          }
        }
        if (!sent.ok()) return done(sent.status());
        if (const auto* success = dynamic_cast<const api::auth_sentCodeSuccess*>(sent->get())) {
          return done(self->SignedIn(*success->authorization));
        }
        const auto* code = dynamic_cast<const api::auth_sentCode*>(sent->get());
        if (code == nullptr) {
          return done(ServiceError(absl::StatusCode::kUnimplemented, "LOGIN_METHOD_UNSUPPORTED",
                                   absl::StrCat("Telegram asks for ", (*sent)->tl_name())));
        }
        {
          absl::MutexLock lock(&self->mutex_);
          self->phone_code_hash_ = code->phone_code_hash;
        }
        v1::LoginState state;
        state.set_step(v1::LoginState::CODE_SENT);
        state.mutable_code()->set_type(CodeTypeName(code->type.get()));
        if (const auto* app = dynamic_cast<const api::auth_sentCodeTypeApp*>(code->type.get())) {
          state.mutable_code()->set_length(app->length);
        } else if (const auto* sms =
                       dynamic_cast<const api::auth_sentCodeTypeSms*>(code->type.get())) {
          state.mutable_code()->set_length(sms->length);
        }
        state.mutable_code()->set_next_type(CodeTypeName(code->next_type.get()));
        if (code->timeout.has_value())
          state.mutable_code()->mutable_timeout()->set_seconds(*code->timeout);
        self->Log(LogLevel::kInfo, absl::StrCat("sign-in code sent (", state.code().type(), ")"));
        self->SetState(state);
        done(state);
      });
}

void Account::SubmitCode(std::string code, absl::Time deadline, LoginCallback done) {
  std::string hash;
  AccountRecord record;
  {
    absl::MutexLock lock(&mutex_);
    if (login_.step() != v1::LoginState::CODE_SENT) {
      return done(LoginStepError("no code is awaited: StartLogin first"));
    }
    hash = phone_code_hash_;
    record = record_;
  }
  api::auth_signIn request;
  request.phone_number = absl::StrCat("+", record.phone);
  request.phone_code_hash = hash;
  request.phone_code = std::move(code);
  std::weak_ptr<Account> weak = weak_from_this();
  invoker()->Call<api::auth_signIn>(
      request, {deadline},
      [weak, deadline,
       done = std::move(done)](absl::StatusOr<tl::Ptr<api::auth_Authorization>> result) {
        auto self = weak.lock();
        if (!self) return done(absl::CancelledError("the account was deleted"));
        if (result.ok()) return done(self->SignedIn(**result));
        std::optional<mtproto::session::RpcError> rpc = mtproto::net::RpcErrorOf(result.status());
        if (!rpc.has_value() || rpc->type != "SESSION_PASSWORD_NEEDED") {
          return done(result.status());
        }
        // 2FA: fetch the hint, then wait for SubmitPassword.
        self->invoker()->Call<api::account_getPassword>(
            api::account_getPassword(), {deadline},
            [weak, done](absl::StatusOr<tl::Ptr<api::account_Password>> password) {
              auto self = weak.lock();
              if (!self) return done(absl::CancelledError("the account was deleted"));
              v1::LoginState state;
              state.set_step(v1::LoginState::PASSWORD_NEEDED);
              if (password.ok()) {
                if (const auto* p = dynamic_cast<const api::account_password*>(password->get())) {
                  state.set_password_hint(ValidUtf8(p->hint.value_or("")));
                }
              }
              self->Log(LogLevel::kInfo, "the account has a 2FA password: waiting for it");
              self->SetState(state);
              done(state);
            });
      });
}

void Account::SubmitPassword(std::string password, absl::Time deadline, LoginCallback done) {
  {
    absl::MutexLock lock(&mutex_);
    if (login_.step() != v1::LoginState::PASSWORD_NEEDED) {
      return done(LoginStepError("no password is awaited"));
    }
  }
  std::weak_ptr<Account> weak = weak_from_this();
  invoker()->Call<api::account_getPassword>(
      api::account_getPassword(), {deadline},
      [weak, deadline, password = std::move(password),
       done = std::move(done)](absl::StatusOr<tl::Ptr<api::account_Password>> got) mutable {
        auto self = weak.lock();
        if (!self) return done(absl::CancelledError("the account was deleted"));
        if (!got.ok()) return done(got.status());
        const auto* p = dynamic_cast<const api::account_password*>(got->get());
        const auto* algo =
            p != nullptr
                ? dynamic_cast<
                      const api::
                          passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow*>(
                      p->current_algo.get())
                : nullptr;
        if (algo == nullptr || !p->srp_B.has_value() || !p->srp_id.has_value()) {
          return done(ServiceError(absl::StatusCode::kUnimplemented, "PASSWORD_ALGO_UNSUPPORTED",
                                   "Telegram asks for a password algorithm tgrpc does not know"));
        }
        mtproto::crypto::SrpParams params;
        params.salt1.assign(algo->salt1.begin(), algo->salt1.end());
        params.salt2.assign(algo->salt2.begin(), algo->salt2.end());
        params.g = algo->g;
        params.p.assign(algo->p.begin(), algo->p.end());
        std::vector<uint8_t> srp_b(p->srp_B->begin(), p->srp_B->end());
        const int64_t srp_id = *p->srp_id;
        // The password hash takes about 0.1 s of CPU: off the io threads.
        std::thread([weak, deadline, password = std::move(password), params = std::move(params),
                     srp_b = std::move(srp_b), srp_id, done = std::move(done)]() mutable {
          auto self = weak.lock();
          if (!self) return done(absl::CancelledError("the account was deleted"));
          const mtproto::crypto::Sha256Digest x =
              mtproto::crypto::SrpPasswordHash(password, params.salt1, params.salt2);
          absl::StatusOr<mtproto::crypto::SrpProof> proof =
              mtproto::crypto::SrpClientProof(params, srp_b, x, mtproto::crypto::SecureRandom());
          if (!proof.ok()) return done(proof.status());
          auto check = std::make_unique<api::inputCheckPasswordSRP>();
          check->srp_id = srp_id;
          check->A.assign(reinterpret_cast<const char*>(proof->a.data()), proof->a.size());
          check->M1.assign(reinterpret_cast<const char*>(proof->m1.data()), proof->m1.size());
          api::auth_checkPassword request;
          request.password = std::move(check);
          self->invoker()->Call<api::auth_checkPassword>(
              request, {deadline},
              [weak, done](absl::StatusOr<tl::Ptr<api::auth_Authorization>> result) {
                auto self = weak.lock();
                if (!self) return done(absl::CancelledError("the account was deleted"));
                if (!result.ok()) return done(result.status());
                done(self->SignedIn(**result));
              });
        }).detach();
      });
}

void Account::SignUp(std::string first_name, std::string last_name, absl::Time deadline,
                     LoginCallback done) {
  std::string hash;
  AccountRecord record;
  {
    absl::MutexLock lock(&mutex_);
    if (login_.step() != v1::LoginState::SIGN_UP_NEEDED) {
      return done(LoginStepError("Telegram did not ask for a sign-up"));
    }
    hash = phone_code_hash_;
    record = record_;
  }
  api::auth_signUp request;
  request.phone_number = absl::StrCat("+", record.phone);
  request.phone_code_hash = hash;
  request.first_name = std::move(first_name);
  request.last_name = std::move(last_name);
  std::weak_ptr<Account> weak = weak_from_this();
  invoker()->Call<api::auth_signUp>(
      request, {deadline},
      [weak, done = std::move(done)](absl::StatusOr<tl::Ptr<api::auth_Authorization>> result) {
        auto self = weak.lock();
        if (!self) return done(absl::CancelledError("the account was deleted"));
        if (!result.ok()) return done(result.status());
        done(self->SignedIn(**result));
      });
}

void Account::RefreshQrToken(absl::Time deadline, LoginCallback done) {
  api::auth_exportLoginToken request;
  request.api_id = env_->invoker.app.api_id;
  request.api_hash = env_->invoker.app.api_hash;
  std::weak_ptr<Account> weak = weak_from_this();
  invoker()->Call<api::auth_exportLoginToken>(
      request, {deadline},
      [weak, deadline,
       done = std::move(done)](absl::StatusOr<tl::Ptr<api::auth_LoginToken>> token) mutable {
        auto self = weak.lock();
        if (!self) return done(absl::CancelledError("the account was deleted"));
        if (!token.ok()) return done(token.status());
        if (const auto* success = dynamic_cast<const api::auth_loginTokenSuccess*>(token->get())) {
          return done(self->SignedIn(*success->authorization));
        }
        if (const auto* migrate =
                dynamic_cast<const api::auth_loginTokenMigrateTo*>(token->get())) {
          // Accepted for an account on another DC: import the token there.
          self->invoker()->SetHomeDc(migrate->dc_id);
          api::auth_importLoginToken import;
          import.token = migrate->token;
          self->invoker()->Call<api::auth_importLoginToken>(
              import, {deadline},
              [weak, done](absl::StatusOr<tl::Ptr<api::auth_LoginToken>> imported) {
                auto self = weak.lock();
                if (!self) return done(absl::CancelledError("the account was deleted"));
                if (!imported.ok()) return done(imported.status());
                const auto* success =
                    dynamic_cast<const api::auth_loginTokenSuccess*>(imported->get());
                if (success == nullptr) {
                  return done(absl::DataLossError("auth.importLoginToken did not sign in"));
                }
                done(self->SignedIn(*success->authorization));
              });
          return;
        }
        const auto* login = dynamic_cast<const api::auth_loginToken*>(token->get());
        if (login == nullptr) return done(absl::DataLossError("unexpected login token answer"));
        v1::LoginState state;
        state.set_step(v1::LoginState::QR_TOKEN);
        state.mutable_qr()->set_token(login->token);
        state.mutable_qr()->set_url(
            absl::StrCat("tg://login?token=", absl::WebSafeBase64Escape(login->token)));
        state.mutable_qr()->mutable_expire_time()->set_seconds(login->expires);
        self->SetState(state);
        done(state);
        // A new token before this one expires, while the login still waits for it.
        auto timer = std::make_shared<asio::steady_timer>(*self->io_);
        const absl::Duration left =
            std::max(absl::FromUnixSeconds(login->expires) - absl::Now() - absl::Seconds(2),
                     absl::Seconds(1));
        timer->expires_after(absl::ToChronoNanoseconds(left));
        const std::string token_bytes = login->token;
        timer->async_wait([weak, timer, token_bytes](const asio::error_code& error) {
          auto self = weak.lock();
          if (error || !self) return;
          v1::LoginState now = self->login_state();
          if (now.step() != v1::LoginState::QR_TOKEN || now.qr().token() != token_bytes) return;
          self->RefreshQrToken(absl::InfiniteFuture(), [](absl::StatusOr<v1::LoginState>) {});
        });
      });
}

void Account::CancelLogin(LoginCallback done) {
  {
    absl::MutexLock lock(&mutex_);
    if (record_.state == AccountState::kSignedIn) {
      return done(LoginStepError("the account is signed in; there is no login to cancel"));
    }
    ++login_generation_;
    record_.state = AccountState::kLoggedOut;
    phone_code_hash_.clear();
  }
  (void)Persist();
  v1::LoginState state;
  state.set_step(v1::LoginState::CANCELLED);
  SetState(state);
  done(state);
}

void Account::SignInBot(absl::Time deadline, std::function<void(absl::Status)> done) {
  AccountRecord record = this->record();
  api::auth_importBotAuthorization request;
  request.api_id = env_->invoker.app.api_id;
  request.api_hash = env_->invoker.app.api_hash;
  request.bot_auth_token = record.bot_token;
  std::weak_ptr<Account> weak = weak_from_this();
  invoker()->Call<api::auth_importBotAuthorization>(
      request, {deadline},
      [weak, done = std::move(done)](absl::StatusOr<tl::Ptr<api::auth_Authorization>> result) {
        auto self = weak.lock();
        if (!self) return done(absl::CancelledError("the account was deleted"));
        if (!result.ok()) return done(result.status());
        absl::StatusOr<v1::LoginState> state = self->SignedIn(**result);
        done(state.status());
      });
}

void Account::AdoptImportedKey(absl::Time deadline, std::function<void(absl::Status)> done) {
  api::users_getUsers request;
  request.id.push_back(std::make_unique<api::inputUserSelf>());
  std::weak_ptr<Account> weak = weak_from_this();
  invoker()->Call<api::users_getUsers>(
      request, {deadline},
      [weak, done = std::move(done)](absl::StatusOr<std::vector<tl::Ptr<api::User>>> users) {
        auto self = weak.lock();
        if (!self) return done(absl::CancelledError("the account was deleted"));
        if (!users.ok()) return done(users.status());
        const auto* user =
            users->empty() ? nullptr : dynamic_cast<const api::user*>((*users)[0].get());
        if (user == nullptr) {
          return done(ServiceError(absl::StatusCode::kFailedPrecondition, "SESSION_NOT_SIGNED_IN",
                                   "the session's key is not signed in"));
        }
        {
          absl::MutexLock lock(&self->mutex_);
          if (user->phone.has_value()) self->record_.phone = *user->phone;
          self->record_.bot = user->bot;
        }
        done(self->SignedInAs(*user).status());
      });
}

void Account::LogOut(absl::Time deadline, std::function<void(absl::Status)> done) {
  std::weak_ptr<Account> weak = weak_from_this();
  invoker()->Call<api::auth_logOut>(
      api::auth_logOut(), {deadline},
      [weak, done = std::move(done)](absl::StatusOr<tl::Ptr<api::auth_LoggedOut>> result) {
        auto self = weak.lock();
        if (!self) return done(absl::CancelledError("the account was deleted"));
        if (!result.ok()) {
          // Logged out locally all the same: the key is dropped below.
          self->Log(LogLevel::kWarning,
                    absl::StrCat("auth.logOut failed: ", result.status().message()));
        }
        {
          absl::MutexLock lock(&self->mutex_);
          self->record_.state = AccountState::kLoggedOut;
          self->record_.user_id = 0;
          self->record_.user_tl.clear();
        }
        self->StopUpdates();
        absl::Status status = self->env_->storage->DeleteAuthKeys(self->key_);
        if (status.ok()) status = self->Persist();
        // The old keys are dead on Telegram's side: new connections make new ones.
        self->StartInvoker({});
        v1::LoginState state;
        state.set_step(v1::LoginState::STEP_UNSPECIFIED);
        self->SetState(state);
        self->Log(LogLevel::kInfo, "logged out");
        done(status);
      });
}

void Account::Stop() {
  if (stopped_.exchange(true)) return;
  StopUpdates();
  std::shared_ptr<Invoker> invoker;
  {
    absl::MutexLock lock(&mutex_);
    invoker = invoker_;
  }
  if (invoker) invoker->Stop();
  // Streams watching the account end now (they resume wherever it is served next).
  NotifyStatus(io_, weak_from_this());
}

}  // namespace tgrpc::service

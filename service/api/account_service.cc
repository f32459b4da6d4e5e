// AccountService: accounts, the RPC-driven sign-in, log out and account status.
#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "service/api/convert.h"
#include "service/api/errors.h"
#include "service/api/services.h"
#include "service/api/utf8.h"
#include "service/telegram/session_strings.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace {

namespace api = tl::api;

void RecordToProto(const AccountRecord& record, v1::Account* out) {
  out->set_name("accounts/" + record.id);
  out->set_phone_number(record.phone.empty() ? "" : absl::StrCat("+", record.phone));
  out->set_max_sessions(record.max_sessions);
  out->set_state(static_cast<v1::Account::State>(static_cast<int>(record.state)));
  out->set_kind(record.bot ? v1::Account::BOT : v1::Account::USER);
  out->set_home_dc(record.home_dc);
  out->mutable_create_time()->set_seconds(record.create_time_unix);
  out->set_display_name(record.display_name);
  if (!record.user_tl.empty() && record.state == AccountState::kSignedIn) {
    absl::StatusOr<tl::Ptr<api::User>> user = tl::Decode<api::User>(record.user_tl);
    if (user.ok()) ToProto(**user, record.id, out->mutable_user());
  }
}

void AccountToProto(const Account& account, v1::Account* out) {
  RecordToProto(account.record(), out);
}

// Cluster mode: a retried CreateAccount or ImportSession whose first try made the account on
// another replica (the retry names no account, so it was not routed there). Answered with the
// account as stored, which is what the first try would have answered; `failed` otherwise.
absl::Status MadeElsewhere(const ApiContext& api, const std::string& tenant,
                           const std::string& request_id, absl::Status failed,
                           v1::Account* response) {
  if (request_id.empty() || failed.code() != absl::StatusCode::kUnavailable) return failed;
  absl::StatusOr<std::vector<AccountRecord>> records = api.accounts->ListRecords(tenant);
  if (!records.ok()) return failed;
  for (const AccountRecord& record : *records) {
    if (record.create_request_id == request_id) {
      RecordToProto(record, response);
      return absl::OkStatus();
    }
  }
  return failed;
}

// Digits of a phone number in international format: +, spaces, dashes and brackets dropped.
absl::StatusOr<std::string> PhoneDigits(absl::string_view phone) {
  std::string digits;
  for (char c : phone) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      digits.push_back(c);
    } else if (c != '+' && c != ' ' && c != '-' && c != '(' && c != ')') {
      return InvalidField("account.phone_number",
                          "a phone number in international format, e.g. +15551234567");
    }
  }
  if (digits.size() < 5 || digits.size() > 15) {
    return InvalidField("account.phone_number", "5 to 15 digits in international format");
  }
  return digits;
}

bool IsBotToken(absl::string_view token) {
  const size_t colon = token.find(':');
  int64_t id = 0;
  return colon != absl::string_view::npos && colon > 0 && token.size() - colon > 10 &&
         token.size() < 128 && absl::SimpleAtoi(token.substr(0, colon), &id) && id > 0;
}

// Answers a login step: the state, or the error.
LoginCallback ReplyLogin(grpc::ServerUnaryReactor* reactor, v1::LoginState* response) {
  return [reactor, response](absl::StatusOr<v1::LoginState> state) {
    if (state.ok()) *response = *std::move(state);
    Finish(reactor, state.status());
  };
}

// Answers a creation that Telegram must confirm (a bot token, an imported key): the account on
// success; on failure the error, and no account is left behind.
std::function<void(absl::Status)> KeepOrRemove(const ApiContext* api, std::string tenant,
                                               std::shared_ptr<Account> created,
                                               grpc::ServerUnaryReactor* reactor,
                                               v1::Account* response) {
  return [api, tenant = std::move(tenant), created = std::move(created), reactor,
          response](absl::Status status) {
    if (!status.ok()) {
      (void)api->accounts->Delete(tenant, created->id());
      return Finish(reactor, status);
    }
    AccountToProto(*created, response);
    Finish(reactor, absl::OkStatus());
  };
}

}  // namespace

grpc::ServerUnaryReactor* AccountServiceImpl::CreateAccount(grpc::CallbackServerContext* context,
                                                            const v1::CreateAccountRequest* request,
                                                            v1::Account* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> tenant = Authenticate(*context, *api_);
  if (!tenant.ok()) return Finish(reactor, tenant.status()), reactor;
  const v1::Account& in = request->account();
  if (!request->has_account()) return Finish(reactor, InvalidField("account", "required")), reactor;
  if (in.phone_number().empty() == in.bot_token().empty()) {
    Finish(reactor, InvalidField("account", "set exactly one of phone_number and bot_token"));
    return reactor;
  }
  if (in.max_sessions() < 0 || in.max_sessions() > 10) {
    Finish(reactor, InvalidField("account.max_sessions", "1-10 (0: the default, 4)"));
    return reactor;
  }
  if (request->request_id().size() > 128) {
    Finish(reactor, InvalidField("request_id", "at most 128 characters"));
    return reactor;
  }
  if (in.display_name().size() > 256) {
    Finish(reactor, InvalidField("account.display_name", "at most 256 bytes"));
    return reactor;
  }
  AccountRecord record;
  if (!in.phone_number().empty()) {
    absl::StatusOr<std::string> digits = PhoneDigits(in.phone_number());
    if (!digits.ok()) return Finish(reactor, digits.status()), reactor;
    record.phone = *digits;
  } else {
    if (!IsBotToken(in.bot_token())) {
      Finish(reactor, InvalidField("account.bot_token", "not a bot token (<bot id>:<secret>)"));
      return reactor;
    }
    record.bot = true;
    record.bot_token = in.bot_token();
  }
  record.max_sessions = in.max_sessions() == 0 ? 4 : in.max_sessions();
  record.display_name = in.display_name();
  record.home_dc = api_->accounts->env().invoker.dcs.default_dc;
  absl::StatusOr<std::shared_ptr<Account>> account = api_->accounts->Create(
      *tenant, std::move(record), request->account_id(), request->request_id());
  if (!account.ok()) {
    Finish(reactor,
           MadeElsewhere(*api_, *tenant, request->request_id(), account.status(), response));
    return reactor;
  }
  std::shared_ptr<Account> created = *account;
  if (!created->record().bot || created->signed_in()) {
    AccountToProto(*created, response);
    Finish(reactor, absl::OkStatus());
    return reactor;
  }
  created->SignInBot(CallDeadline(*context, *api_),
                     KeepOrRemove(api_, *tenant, created, reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* AccountServiceImpl::GetAccount(grpc::CallbackServerContext* context,
                                                         const v1::GetAccountRequest* request,
                                                         v1::Account* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> account =
      CallerAccount(*api_, *context, request->name(), "name");
  if (account.ok()) AccountToProto(**account, response);
  Finish(reactor, account.status());
  return reactor;
}

grpc::ServerUnaryReactor* AccountServiceImpl::ListAccounts(grpc::CallbackServerContext* context,
                                                           const v1::ListAccountsRequest* request,
                                                           v1::ListAccountsResponse* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> tenant = Authenticate(*context, *api_);
  if (!tenant.ok()) return Finish(reactor, tenant.status()), reactor;
  if (request->page_size() < 0 || request->page_size() > 1000) {
    return Finish(reactor, InvalidField("page_size", "0-1000")), reactor;
  }
  absl::StatusOr<std::map<std::string, std::string>> token =
      ParsePageToken(request->page_token(), "page_token");
  if (!token.ok()) return Finish(reactor, token.status()), reactor;
  const std::string after = (*token)["after"];
  const int size = request->page_size() == 0 ? 100 : request->page_size();
  // In cluster mode, every replica's accounts (as stored for those served elsewhere).
  absl::StatusOr<std::vector<AccountRecord>> records = api_->accounts->ListRecords(*tenant);
  if (!records.ok()) return Finish(reactor, records.status()), reactor;
  for (const AccountRecord& record : *records) {
    if (!after.empty() && record.id <= after) continue;
    if (response->accounts_size() == size) {
      response->set_next_page_token(
          MakePageToken({{"after", response->accounts(size - 1).name().substr(9)}}));
      break;
    }
    RecordToProto(record, response->add_accounts());
  }
  Finish(reactor, absl::OkStatus());
  return reactor;
}

grpc::ServerUnaryReactor* AccountServiceImpl::DeleteAccount(grpc::CallbackServerContext* context,
                                                            const v1::DeleteAccountRequest* request,
                                                            google::protobuf::Empty* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> account =
      CallerAccount(*api_, *context, request->name(), "name");
  if (!account.ok()) return Finish(reactor, account.status()), reactor;
  const ApiContext* api = api_;
  auto remove = [reactor, api, key = (*account)->key()](absl::Status) {
    Finish(reactor, api->accounts->Delete(key.tenant, key.id));
  };
  if ((*account)->signed_in()) {
    // Best effort: end the Telegram authorization before the key is forgotten.
    (*account)->LogOut(absl::Now() + absl::Seconds(10), remove);
  } else {
    remove(absl::OkStatus());
  }
  return reactor;
}

grpc::ServerUnaryReactor* AccountServiceImpl::StartLogin(grpc::CallbackServerContext* context,
                                                         const v1::StartLoginRequest* request,
                                                         v1::LoginState* response) {
  auto* reactor = context->DefaultReactor();
  if (!v1::StartLoginRequest::Method_IsValid(request->method())) {
    return Finish(reactor, InvalidField("method", "PHONE_CODE or QR")), reactor;
  }
  absl::StatusOr<std::shared_ptr<Account>> account =
      CallerAccount(*api_, *context, request->name(), "name");
  if (!account.ok()) return Finish(reactor, account.status()), reactor;
  (*account)->StartLogin(request->method(), CallDeadline(*context, *api_),
                         ReplyLogin(reactor, response));
  return reactor;
}

namespace {

// Streams a login's states: the current one, then each change, until a final one.
class LoginWatcher final : public grpc::ServerWriteReactor<v1::LoginState> {
 public:
  LoginWatcher(std::shared_ptr<Account> account, absl::Status error) : account_(account) {
    if (!error.ok()) {
      Finish(ToGrpcStatus(error));
      return;
    }
    // The account calls watchers from its own threads: they reach this reactor through `link_`,
    // which OnDone clears before the reactor is deleted.
    watch_id_ = account_->Watch([link = link_](const v1::LoginState& state) {
      absl::MutexLock lock(&link->mutex);
      if (link->watcher != nullptr) link->watcher->Push(state);
    });
    Push(account_->login_state());
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mutex_);
    writing_ = false;
    if (!ok) {
      Close(grpc::Status::CANCELLED);
      return;
    }
    WriteNext();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mutex_);
    Close(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    if (account_ != nullptr && watch_id_ != 0) account_->Unwatch(watch_id_);
    {
      absl::MutexLock lock(&link_->mutex);
      link_->watcher = nullptr;
    }
    delete this;
  }

 private:
  static bool IsFinal(const v1::LoginState& state) {
    return state.step() == v1::LoginState::SIGNED_IN || state.step() == v1::LoginState::FAILED ||
           state.step() == v1::LoginState::CANCELLED;
  }

  void Push(const v1::LoginState& state) {
    absl::MutexLock lock(&mutex_);
    if (closed_) return;
    pending_.push_back(state);
    WriteNext();
  }

  void WriteNext() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (writing_ || closed_) return;
    if (pending_.empty()) {
      if (final_sent_) Close(grpc::Status::OK);
      return;
    }
    current_ = pending_.front();
    pending_.erase(pending_.begin());
    final_sent_ = IsFinal(current_);
    writing_ = true;
    StartWrite(&current_);
  }

  void Close(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (closed_) return;
    closed_ = true;
    Finish(status);
  }

  struct Link {
    absl::Mutex mutex;
    LoginWatcher* watcher ABSL_GUARDED_BY(mutex) = nullptr;
  };
  std::shared_ptr<Link> link_ = MakeLink(this);
  static std::shared_ptr<Link> MakeLink(LoginWatcher* watcher) {
    auto link = std::make_shared<Link>();
    absl::MutexLock lock(&link->mutex);
    link->watcher = watcher;
    return link;
  }

  std::shared_ptr<Account> account_;
  int watch_id_ = 0;
  absl::Mutex mutex_;
  std::vector<v1::LoginState> pending_ ABSL_GUARDED_BY(mutex_);
  v1::LoginState current_ ABSL_GUARDED_BY(mutex_);
  bool writing_ ABSL_GUARDED_BY(mutex_) = false;
  bool final_sent_ ABSL_GUARDED_BY(mutex_) = false;
  bool closed_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace

grpc::ServerWriteReactor<v1::LoginState>* AccountServiceImpl::WatchLogin(
    grpc::CallbackServerContext* context, const v1::WatchLoginRequest* request) {
  absl::StatusOr<std::shared_ptr<Account>> account =
      CallerAccount(*api_, *context, request->name(), "name");
  return new LoginWatcher(account.ok() ? *account : nullptr, account.status());
}

grpc::ServerUnaryReactor* AccountServiceImpl::SubmitCode(grpc::CallbackServerContext* context,
                                                         const v1::SubmitCodeRequest* request,
                                                         v1::LoginState* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> account =
      CallerAccount(*api_, *context, request->name(), "name");
  if (!account.ok()) return Finish(reactor, account.status()), reactor;
  if (request->code().empty() || request->code().size() > 32) {
    return Finish(reactor, InvalidField("code", "1-32 characters")), reactor;
  }
  (*account)->SubmitCode(request->code(), CallDeadline(*context, *api_),
                         ReplyLogin(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* AccountServiceImpl::SubmitPassword(
    grpc::CallbackServerContext* context, const v1::SubmitPasswordRequest* request,
    v1::LoginState* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> account =
      CallerAccount(*api_, *context, request->name(), "name");
  if (!account.ok()) return Finish(reactor, account.status()), reactor;
  if (request->password().empty() || request->password().size() > 1024) {
    return Finish(reactor, InvalidField("password", "1-1024 bytes")), reactor;
  }
  (*account)->SubmitPassword(request->password(), CallDeadline(*context, *api_),
                             ReplyLogin(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* AccountServiceImpl::SignUp(grpc::CallbackServerContext* context,
                                                     const v1::SignUpRequest* request,
                                                     v1::LoginState* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> account =
      CallerAccount(*api_, *context, request->name(), "name");
  if (!account.ok()) return Finish(reactor, account.status()), reactor;
  if (request->first_name().empty() || request->first_name().size() > 64) {
    return Finish(reactor, InvalidField("first_name", "1-64 bytes")), reactor;
  }
  if (request->last_name().size() > 64) {
    return Finish(reactor, InvalidField("last_name", "at most 64 bytes")), reactor;
  }
  (*account)->SignUp(request->first_name(), request->last_name(), CallDeadline(*context, *api_),
                     ReplyLogin(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* AccountServiceImpl::CancelLogin(grpc::CallbackServerContext* context,
                                                          const v1::CancelLoginRequest* request,
                                                          v1::LoginState* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> account =
      CallerAccount(*api_, *context, request->name(), "name");
  if (!account.ok()) return Finish(reactor, account.status()), reactor;
  (*account)->CancelLogin(ReplyLogin(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* AccountServiceImpl::LogOut(grpc::CallbackServerContext* context,
                                                     const v1::LogOutRequest* request,
                                                     v1::Account* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> account =
      CallerSignedInAccount(*api_, *context, request->name(), "name");
  if (!account.ok()) return Finish(reactor, account.status()), reactor;
  std::shared_ptr<Account> target = *account;
  target->LogOut(CallDeadline(*context, *api_), [reactor, response, target](absl::Status status) {
    if (status.ok()) AccountToProto(*target, response);
    Finish(reactor, status);
  });
  return reactor;
}

namespace {

void StatusOf(const Account& account, v1::AccountStatus* response) {
  AccountRecord record = account.record();
  response->set_name(account.name());
  response->set_state(static_cast<v1::Account::State>(static_cast<int>(record.state)));
  std::shared_ptr<Invoker> invoker = account.invoker();
  response->set_home_dc(invoker->home_dc());
  for (const SessionInfo& info : invoker->Sessions()) {
    v1::AccountStatus::Session* session = response->add_sessions();
    session->set_dc_id(info.dc);
    session->set_state(absl::AsciiStrToUpper(mtproto::net::ConnectionStateName(info.state)));
    session->set_calls_in_flight(info.calls_in_flight);
    session->mutable_latency()->set_seconds(absl::ToInt64Seconds(info.latency));
    session->mutable_latency()->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(
        info.latency - absl::Seconds(absl::ToInt64Seconds(info.latency)))));
    session->set_last_error(ValidUtf8(info.last_error));
  }
  for (const FloodWaitInfo& wait : account.FloodWaits()) {
    v1::AccountStatus::FloodWait* out = response->add_flood_waits();
    out->set_method(wait.method);
    out->mutable_until()->set_seconds(absl::ToUnixSeconds(wait.until));
  }
}

// What WatchAccountStatus reports a change of: not latencies or calls in flight, which move with
// every call.
std::string StatusShape(const v1::AccountStatus& status) {
  std::string shape = absl::StrCat(status.state(), "/", status.home_dc());
  for (const auto& s : status.sessions()) absl::StrAppend(&shape, "/", s.dc_id(), ":", s.state());
  for (const auto& w : status.flood_waits()) {
    absl::StrAppend(&shape, "/", w.method(), "@", w.until().seconds());
  }
  return shape;
}

// Streams an account's status: now, then after every change the account reports
// (Account::WatchStatus), with no thread and no timer per stream. A change that comes while a
// write is in flight is looked at when the write is done. The account reaches the reactor
// through `link_`, cleared in OnDone before the reactor is deleted.
class StatusWatcher final : public grpc::ServerWriteReactor<v1::AccountStatus> {
 public:
  StatusWatcher(std::shared_ptr<Account> account, absl::Status error)
      : account_(std::move(account)) {
    if (!error.ok()) {
      Finish(ToGrpcStatus(error));
      return;
    }
    watch_id_ = account_->WatchStatus([link = link_] {
      absl::MutexLock lock(&link->mutex);
      if (link->watcher == nullptr) return;
      absl::MutexLock inner(&link->watcher->mutex_);
      link->watcher->SendIfChanged();
    });
    absl::MutexLock lock(&mutex_);
    SendIfChanged();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mutex_);
    writing_ = false;
    if (!ok || cancelled_) return Close(grpc::Status::CANCELLED);
    SendIfChanged();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mutex_);
    cancelled_ = true;
    if (!writing_) Close(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    if (watch_id_ != 0) account_->UnwatchStatus(watch_id_);
    {
      absl::MutexLock lock(&link_->mutex);
      link_->watcher = nullptr;
    }
    delete this;
  }

 private:
  struct Link {
    absl::Mutex mutex;
    StatusWatcher* watcher ABSL_GUARDED_BY(mutex) = nullptr;
  };
  static std::shared_ptr<Link> MakeLink(StatusWatcher* watcher) {
    auto link = std::make_shared<Link>();
    absl::MutexLock lock(&link->mutex);
    link->watcher = watcher;
    return link;
  }

  // Writes the status if it differs from the last one written (the first always goes).
  void SendIfChanged() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (writing_ || closed_ || cancelled_) return;
    if (account_->stopped()) return Close(ToGrpcStatus(NoLongerServed(*account_)));
    v1::AccountStatus status;
    StatusOf(*account_, &status);
    std::string shape = StatusShape(status);
    if (sent_any_ && shape == last_shape_) return;
    sent_any_ = true;
    last_shape_ = std::move(shape);
    current_ = std::move(status);
    writing_ = true;
    StartWrite(&current_);
  }

  void Close(const grpc::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    if (closed_) return;
    closed_ = true;
    Finish(status);
  }

  std::shared_ptr<Link> link_ = MakeLink(this);
  std::shared_ptr<Account> account_;
  int watch_id_ = 0;
  absl::Mutex mutex_;
  v1::AccountStatus current_ ABSL_GUARDED_BY(mutex_);
  std::string last_shape_ ABSL_GUARDED_BY(mutex_);
  bool sent_any_ ABSL_GUARDED_BY(mutex_) = false;
  bool writing_ ABSL_GUARDED_BY(mutex_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mutex_) = false;
  bool closed_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace

grpc::ServerUnaryReactor* AccountServiceImpl::GetAccountStatus(
    grpc::CallbackServerContext* context, const v1::GetAccountStatusRequest* request,
    v1::AccountStatus* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> account =
      CallerAccount(*api_, *context, request->name(), "name");
  if (!account.ok()) return Finish(reactor, account.status()), reactor;
  StatusOf(**account, response);
  Finish(reactor, absl::OkStatus());
  return reactor;
}

grpc::ServerWriteReactor<v1::AccountStatus>* AccountServiceImpl::WatchAccountStatus(
    grpc::CallbackServerContext* context, const v1::GetAccountStatusRequest* request) {
  absl::StatusOr<std::shared_ptr<Account>> account =
      CallerAccount(*api_, *context, request->name(), "name");
  return new StatusWatcher(account.ok() ? *account : nullptr, account.status());
}

grpc::ServerUnaryReactor* AccountServiceImpl::ImportSession(grpc::CallbackServerContext* context,
                                                            const v1::ImportSessionRequest* request,
                                                            v1::Account* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::string> tenant = Authenticate(*context, *api_);
  if (!tenant.ok()) return Finish(reactor, tenant.status()), reactor;
  if (request->session_string().empty()) {
    return Finish(reactor, InvalidField("session_string", "required")), reactor;
  }
  if (request->max_sessions() < 0 || request->max_sessions() > 10) {
    return Finish(reactor, InvalidField("max_sessions", "1-10 (0: the default, 4)")), reactor;
  }
  if (request->request_id().size() > 128) {
    return Finish(reactor, InvalidField("request_id", "at most 128 characters")), reactor;
  }
  // Pasted strings often end in a newline.
  const std::string text(absl::StripAsciiWhitespace(request->session_string()));
  absl::StatusOr<PortableSession> session;
  switch (request->format()) {
    case v1::SESSION_FORMAT_UNSPECIFIED: {
      auto detected = DetectSessionString(text);
      if (detected.ok())
        session = detected->second;
      else
        session = detected.status();
      break;
    }
    case v1::TELETHON:
      session = ParseSessionString(text, SessionFormat::kTelethon);
      break;
    case v1::GRAMJS:
      session = ParseSessionString(text, SessionFormat::kGramJs);
      break;
    case v1::PYROGRAM:
      session = ParseSessionString(text, SessionFormat::kPyrogram);
      break;
    default:
      return Finish(reactor, InvalidField("format", "TELETHON, GRAMJS or PYROGRAM")), reactor;
  }
  if (!session.ok()) {
    return Finish(reactor, InvalidField("session_string", session.status().message())), reactor;
  }
  if (api_->accounts->env().invoker.dcs.dcs.count(session->dc_id) == 0) {
    Finish(reactor,
           InvalidField("session_string",
                        absl::StrCat("DC ", session->dc_id, " is not one of ",
                                     api_->accounts->env().invoker.dcs.network, "'s DCs")));
    return reactor;
  }
  if (!request->request_id().empty()) {
    // A retry of an import that made its account: answered below by CreateWithKey.
  } else if (api_->accounts->AccountWithKey(session->auth_key).has_value()) {
    Finish(reactor, ServiceError(absl::StatusCode::kAlreadyExists, "AUTH_KEY_DUPLICATED",
                                 "this session's key already serves an account of this tgrpcd; "
                                 "one key must not be used from two places"));
    return reactor;
  }
  AccountRecord record;
  record.home_dc = session->dc_id;
  record.bot = session->bot;
  record.max_sessions = request->max_sessions() == 0 ? 4 : request->max_sessions();
  record.display_name = request->display_name();
  absl::StatusOr<std::shared_ptr<Account>> account = api_->accounts->CreateWithKey(
      *tenant, std::move(record), request->account_id(), request->request_id(), session->auth_key);
  if (!account.ok()) {
    Finish(reactor,
           MadeElsewhere(*api_, *tenant, request->request_id(), account.status(), response));
    return reactor;
  }
  std::shared_ptr<Account> created = *account;
  if (created->signed_in()) {  // a retry of an import that completed
    AccountToProto(*created, response);
    return Finish(reactor, absl::OkStatus()), reactor;
  }
  created->AdoptImportedKey(CallDeadline(*context, *api_),
                            KeepOrRemove(api_, *tenant, created, reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* AccountServiceImpl::ExportSession(grpc::CallbackServerContext* context,
                                                            const v1::ExportSessionRequest* request,
                                                            v1::ExportSessionResponse* response) {
  auto* reactor = context->DefaultReactor();
  absl::StatusOr<std::shared_ptr<Account>> account =
      CallerSignedInAccount(*api_, *context, request->name(), "name");
  if (!account.ok()) return Finish(reactor, account.status()), reactor;
  SessionFormat format = SessionFormat::kTelethon;
  v1::SessionFormat out_format = v1::TELETHON;
  switch (request->format()) {
    case v1::SESSION_FORMAT_UNSPECIFIED:
    case v1::TELETHON:
      break;
    case v1::GRAMJS:
      format = SessionFormat::kGramJs, out_format = v1::GRAMJS;
      break;
    case v1::PYROGRAM:
      format = SessionFormat::kPyrogram, out_format = v1::PYROGRAM;
      break;
    default:
      return Finish(reactor, InvalidField("format", "TELETHON, GRAMJS or PYROGRAM")), reactor;
  }
  AccountRecord record = (*account)->record();
  const int dc = (*account)->invoker()->home_dc();
  absl::StatusOr<std::vector<AuthKeyRecord>> keys =
      api_->accounts->env().storage->GetAuthKeys((*account)->key());
  if (!keys.ok()) return Finish(reactor, keys.status()), reactor;
  PortableSession session;
  for (const AuthKeyRecord& key : *keys) {
    if (key.dc_id == dc) session.auth_key = key.key;
  }
  if (session.auth_key.empty()) {
    Finish(reactor, absl::FailedPreconditionError("no key on the home DC yet"));
    return reactor;
  }
  const DcTable& dcs = api_->accounts->env().invoker.dcs;
  session.dc_id = dc;
  if (auto it = dcs.dcs.find(dc); it != dcs.dcs.end()) {
    session.host = it->second.host;
    session.port = it->second.port;
  }
  session.api_id = api_->accounts->env().invoker.app.api_id;
  session.test_mode = dcs.test_mode;
  session.user_id = record.user_id;
  session.bot = record.bot;
  absl::StatusOr<std::string> text = FormatSessionString(session, format);
  if (!text.ok()) return Finish(reactor, text.status()), reactor;
  response->set_session_string(*text);
  response->set_format(out_format);
  Finish(reactor, absl::OkStatus());
  return reactor;
}

}  // namespace tgrpc::service

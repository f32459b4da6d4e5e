// Invoker: the DC table from help.getConfig (asked once the home DC is up, when the config
// expires, and when a call needs a DC the table does not know), and sessions left on addresses
// the table no longer gives.
#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "service/telegram/invoker.h"
#include "service/telegram/invoker_internal.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace api = tl::api;
using mtproto::net::ClientConnection;
using mtproto::net::ConnectionState;
using mtproto::net::LogLevel;

namespace {

// How long our own help.getConfig may take, and the longest a config is trusted.
constexpr absl::Duration kConfigCallTimeout = absl::Seconds(30);
constexpr absl::Duration kConfigMaxAge = absl::Hours(24);

}  // namespace

bool Invoker::ConfigDue(absl::Time now) {
  if (config_asking_ || now < config_due_) return false;
  auto it = dcs_.find(home_dc_);
  if (it == dcs_.end()) return false;
  for (const auto& session : it->second->sessions) {
    if (session->state == ConnectionState::kReady) {
      config_asking_ = true;
      return true;
    }
  }
  return false;
}

bool Invoker::WaitForConfig(int dc, std::shared_ptr<PendingCall>& call, int& ask_dc) {
  const bool cdn = call->options.cdn;
  if (call->waited_for_config || (cdn ? dc_table_.Cdn(dc).has_value() : dc_table_.Knows(dc))) {
    return false;
  }
  // A CDN DC came from a redirect, as a migration does: the config may name it.
  if (call->migrations == 0 && dc != home_dc_ && !cdn) return false;
  // Ask a DC we can reach: the home DC, else one with a session, else any known one.
  int source = dc_table_.Knows(home_dc_) ? home_dc_ : 0;
  for (const auto& [id, state] : dcs_) {
    if (source == 0 && !state->sessions.empty() && dc_table_.Knows(id)) source = id;
  }
  const std::vector<int> known = dc_table_.Dcs();
  if (source == 0 && !known.empty()) source = known.front();
  if (source == 0) return false;
  Log(LogLevel::kInfo, absl::StrCat(call->method, " waits for help.getConfig to name DC ", dc));
  call->waited_for_config = true;
  awaiting_config_.push_back(std::move(call));
  if (!config_asking_) {
    config_asking_ = true;
    ask_dc = source;
  }
  return true;
}

void Invoker::AskConfig(int dc) {
  Log(LogLevel::kInfo, absl::StrCat("asking DC ", dc, " for help.getConfig's DC table"));
  absl::StatusOr<std::string> body = tl::Serialize(api::help_getConfig());
  auto call = std::make_shared<PendingCall>();
  call->body = body.ok() ? *std::move(body) : std::string();
  call->method = api::help_getConfig::kName;
  call->options.deadline = Now() + kConfigCallTimeout;
  call->target_dc = dc;
  // Any DC answers help.getConfig, signed in there or not.
  call->skip_import = true;
  call->waited_for_config = true;
  std::weak_ptr<Invoker> weak = weak_from_this();
  call->done = [weak](absl::StatusOr<std::string> result) {
    auto self = weak.lock();
    if (!self) return;
    if (!result.ok()) return self->OnConfig(result.status());
    self->OnConfig(tl::DecodeResult<api::help_getConfig>(*result));
  };
  Dispatch(std::move(call));
}

void Invoker::OnConfig(absl::StatusOr<tl::Ptr<api::Config>> got) {
  const auto* config = got.ok() ? dynamic_cast<const api::config*>(got->get()) : nullptr;
  DcAddressTable::Applied applied;
  std::vector<std::shared_ptr<PendingCall>> waiting;
  std::vector<std::unique_ptr<ClientConnection>> stale;
  {
    absl::MutexLock lock(&mutex_);
    config_asking_ = false;
    absl::Duration valid_for = options_.config_refresh_min;
    if (config != nullptr) {
      applied = dc_table_.Apply(*config);
      for (const std::string& change : applied.changes) Log(LogLevel::kInfo, change);
      valid_for = std::clamp(absl::Seconds(int64_t{config->expires} - config->date),
                             options_.config_refresh_min, kConfigMaxAge);
      for (int dc : applied.moved) CloseStaleSessions(dc, stale);
    }
    config_due_ = Now() + valid_for;
    waiting.swap(awaiting_config_);
  }
  if (config == nullptr) {
    Log(LogLevel::kWarning, absl::StrCat("help.getConfig failed, keeping the DC table: ",
                                         got.ok() ? "not a config" : got.status().message()));
  } else if (applied.ignored > 0) {
    Log(LogLevel::kWarning, absl::StrCat("help.getConfig: ignored ", applied.ignored,
                                         " dc_options entries with a bad id, port or address"));
  }
  Dispose(std::move(stale));
  for (auto& call : waiting) Dispatch(std::move(call));
}

void Invoker::CloseStaleSessions(int dc, std::vector<std::unique_ptr<ClientConnection>>& out) {
  auto it = dcs_.find(dc);
  const std::optional<DcEndpoint> now = dc_table_.Main(dc);
  if (it == dcs_.end() || !now.has_value()) return;
  auto& sessions = it->second->sessions;
  for (size_t i = sessions.size(); i-- > 0;) {
    Session& s = *sessions[i];
    if (s.state != ConnectionState::kBackoff ||
        (s.endpoint.host == now->host && s.endpoint.port == now->port)) {
      continue;
    }
    Log(LogLevel::kInfo,
        absl::StrCat("closing session ", s.id, " on DC ", dc, ": it failed on ",
                     DcEndpointString(s.endpoint), ", the DC is now at ", DcEndpointString(*now)));
    ReportClosed(dc, s.state);
    out.push_back(std::move(s.connection));
    sessions.erase(sessions.begin() + static_cast<std::ptrdiff_t>(i));
  }
}

}  // namespace tgrpc::service

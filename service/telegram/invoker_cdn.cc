// Invoker: CDN DCs (core.telegram.org/cdn). A download redirected to a CDN DC sends its
// upload.getCdnFile calls there with InvokeOptions::cdn. Such a DC is not part of Telegram's cloud:
// its key exchange uses the RSA key help.getCdnConfig gives (asked on the home DC once, the first
// time a CDN call needs it), the key lives in memory only and no authorization is imported there.
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "service/telegram/invoker.h"
#include "service/telegram/invoker_internal.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace api = tl::api;
using mtproto::net::LogLevel;

namespace {

constexpr absl::Duration kCdnConfigCallTimeout = absl::Seconds(30);

absl::Status NoCdnKey(int dc) {
  return absl::UnavailableError(
      absl::StrCat("help.getCdnConfig gives no usable RSA key for CDN DC ", dc));
}

}  // namespace

Invoker::DcState& Invoker::CdnStateOf(int dc) {
  std::unique_ptr<DcState>& state = dcs_[dc];
  if (state == nullptr) {
    state = std::make_unique<DcState>();
    state->cdn = true;
    state->keys = MakeKeyStore(dc, std::nullopt, /*cdn=*/true);
  }
  return *state;
}

bool Invoker::WaitForCdnKey(int dc, std::shared_ptr<PendingCall>& call, bool& ask,
                            absl::Status& failed) {
  if (auto it = cdn_keys_.find(dc); it != cdn_keys_.end() && !it->second.empty()) return false;
  if (cdn_config_asked_ && !cdn_config_asking_) {
    // Asked already, and the answer named no key for this DC: it cannot be reached.
    failed = NoCdnKey(dc);
    return false;
  }
  awaiting_cdn_config_.push_back(std::move(call));
  if (!cdn_config_asking_) {
    cdn_config_asking_ = true;
    ask = true;
  }
  return true;
}

void Invoker::AskCdnConfig() {
  Log(LogLevel::kInfo, "asking help.getCdnConfig for the CDN DCs' RSA keys");
  absl::StatusOr<std::string> body = tl::Serialize(api::help_getCdnConfig());
  auto call = std::make_shared<PendingCall>();
  call->body = body.ok() ? *std::move(body) : std::string();
  call->method = api::help_getCdnConfig::kName;
  call->options.deadline = Now() + kCdnConfigCallTimeout;
  std::weak_ptr<Invoker> weak = weak_from_this();
  call->done = [weak](absl::StatusOr<std::string> result) {
    auto self = weak.lock();
    if (!self) return;
    if (!result.ok()) return self->OnCdnConfig(result.status());
    self->OnCdnConfig(tl::DecodeResult<api::help_getCdnConfig>(*result));
  };
  Dispatch(std::move(call));
}

void Invoker::OnCdnConfig(absl::StatusOr<tl::Ptr<api::CdnConfig>> got) {
  const auto* config = got.ok() ? dynamic_cast<const api::cdnConfig*>(got->get()) : nullptr;
  std::vector<std::string> problems;
  std::map<int, std::vector<mtproto::crypto::RsaPublicKey>> keys;
  if (config != nullptr) {
    for (const auto& entry : config->public_keys) {
      const auto* key = dynamic_cast<const api::cdnPublicKey*>(entry.get());
      if (key == nullptr) continue;
      absl::StatusOr<mtproto::crypto::RsaPublicKey> parsed =
          mtproto::crypto::RsaPublicKey::FromPem(key->public_key);
      if (!parsed.ok()) {
        problems.push_back(absl::StrCat("CDN DC ", key->dc_id, ": ", parsed.status().message()));
        continue;
      }
      keys[key->dc_id].push_back(*std::move(parsed));
    }
  }
  std::vector<std::shared_ptr<PendingCall>> waiting;
  {
    absl::MutexLock lock(&mutex_);
    cdn_config_asking_ = false;
    // A failed ask is asked again by the next CDN call.
    cdn_config_asked_ = config != nullptr;
    for (auto& [dc, list] : keys) cdn_keys_[dc] = std::move(list);
    waiting.swap(awaiting_cdn_config_);
  }
  for (const std::string& problem : problems) {
    Log(LogLevel::kWarning, absl::StrCat("help.getCdnConfig: ignored a key: ", problem));
  }
  if (config == nullptr) {
    const absl::Status status =
        got.ok() ? absl::DataLossError("help.getCdnConfig: not a cdnConfig") : got.status();
    Log(LogLevel::kWarning, absl::StrCat("help.getCdnConfig failed: ", status.message()));
    for (auto& call : waiting) Finish(call, status);
    return;
  }
  for (auto& call : waiting) Dispatch(std::move(call));
}

}  // namespace tgrpc::service

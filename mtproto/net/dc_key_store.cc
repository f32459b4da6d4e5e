#include "mtproto/net/dc_key_store.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace tgrpc::mtproto::net {
namespace {

// A time offset that moved less than this is not worth a write.
constexpr absl::Duration kOffsetReportStep = absl::Seconds(1);

// The end of the last salt's validity (InfinitePast for none): a new session asks for more salts
// when this comes near, so a list that reaches to another time, or is gone, is worth a write.
absl::Time CoveredUntil(const std::vector<session::FutureSalt>& salts) {
  absl::Time until = absl::InfinitePast();
  for (const session::FutureSalt& salt : salts) until = std::max(until, salt.valid_until);
  return until;
}

}  // namespace

DcKeyStore::DcKeyStore(DcKeyStoreOptions options)
    : options_(std::move(options)), permanent_(options_.permanent) {}

std::unique_ptr<DcKeyStore::Member> DcKeyStore::Join(std::function<void()> changed) {
  absl::MutexLock lock(&mutex_);
  const uint64_t id = next_member_++;
  members_[id] = std::make_shared<std::function<void()>>(std::move(changed));
  return std::unique_ptr<Member>(new Member(shared_from_this(), id));
}

void DcKeyStore::Leave(uint64_t member) {
  bool released = false;
  {
    absl::MutexLock lock(&mutex_);
    members_.erase(member);
    if (maker_.member == member) {
      maker_ = Maker{};
      released = true;
    }
  }
  if (released) NotifyAll();
}

void DcKeyStore::NotifyAll() {
  std::vector<std::shared_ptr<std::function<void()>>> callbacks;
  {
    absl::MutexLock lock(&mutex_);
    callbacks.reserve(members_.size());
    for (const auto& [id, changed] : members_) callbacks.push_back(changed);
  }
  for (const auto& changed : callbacks) {
    if (*changed) (*changed)();
  }
}

absl::Time DcKeyStore::RenewTime(const TempAuthKey& key) const {
  const absl::Duration margin =
      std::min(options_.renew_before, absl::Seconds(options_.temp_key_lifetime) / 2);
  // expires_at is in the server's clock.
  return absl::FromUnixSeconds(key.expires_at) - key.key.time_offset - margin;
}

std::optional<StoredAuthKey> DcKeyStore::permanent() const {
  absl::MutexLock lock(&mutex_);
  return permanent_;
}

std::optional<TempAuthKey> DcKeyStore::temp() const {
  absl::MutexLock lock(&mutex_);
  return temp_;
}

int DcKeyStore::temp_keys_bound() const {
  absl::MutexLock lock(&mutex_);
  return temp_keys_bound_;
}

// ---- Member --------------------------------------------------------------------------------

DcKeyStore::Member::~Member() { store_->Leave(id_); }

DcKeyStore::PermanentAnswer DcKeyStore::Member::AcquirePermanent() {
  DcKeyStore& s = *store_;
  absl::MutexLock lock(&s.mutex_);
  if (s.permanent_.has_value()) return {Step::kUse, s.permanent_};
  if (s.maker_.job == Job::kNone || s.maker_.member == id_) {
    s.maker_ = {Job::kPermanent, id_};
    return {Step::kMake, std::nullopt};
  }
  return {Step::kWait, std::nullopt};
}

void DcKeyStore::Member::PublishPermanent(StoredAuthKey key) {
  DcKeyStore& s = *store_;
  {
    absl::MutexLock lock(&s.mutex_);
    s.permanent_ = key;
    s.temp_.reset();
    if (s.maker_.member == id_) s.maker_ = Maker{};
  }
  if (s.options_.on_auth_key) s.options_.on_auth_key(key);
  s.NotifyAll();
}

DcKeyStore::TempAnswer DcKeyStore::Member::AcquireTemp(uint64_t perm_key_id, absl::Time now) {
  DcKeyStore& s = *store_;
  absl::MutexLock lock(&s.mutex_);
  TempAnswer answer;
  if (!s.permanent_.has_value() || s.permanent_->key.id() != perm_key_id) {
    answer.stale_permanent = true;
    return answer;
  }
  if (s.temp_.has_value() && now < s.RenewTime(*s.temp_)) {
    answer.step = Step::kUse;
    answer.key = s.temp_;
    return answer;
  }
  // Due for renewal, or none yet. Until the next one is bound, the current one still serves
  // while it has not expired.
  if (s.temp_.has_value() &&
      now < absl::FromUnixSeconds(s.temp_->expires_at) - s.temp_->key.time_offset) {
    answer.key = s.temp_;
  }
  if (s.maker_.job == Job::kNone || s.maker_.member == id_) {
    s.maker_ = {Job::kTemp, id_};
    answer.step = Step::kMake;
  } else {
    answer.step = Step::kWait;
  }
  return answer;
}

void DcKeyStore::Member::PublishTemp(uint64_t perm_key_id, TempAuthKey key) {
  DcKeyStore& s = *store_;
  bool published = false;
  {
    absl::MutexLock lock(&s.mutex_);
    if (s.maker_.member == id_) s.maker_ = Maker{};
    if (s.permanent_.has_value() && s.permanent_->key.id() == perm_key_id) {
      s.temp_ = key;
      ++s.temp_keys_bound_;
      published = true;
    }
  }
  if (published && s.options_.on_temp_key) s.options_.on_temp_key(key);
  s.NotifyAll();
}

void DcKeyStore::Member::Abandon() {
  DcKeyStore& s = *store_;
  {
    absl::MutexLock lock(&s.mutex_);
    if (s.maker_.member != id_) return;
    s.maker_ = Maker{};
  }
  s.NotifyAll();
}

void DcKeyStore::Member::ForgetTemp(uint64_t temp_key_id) {
  DcKeyStore& s = *store_;
  {
    absl::MutexLock lock(&s.mutex_);
    if (!s.temp_.has_value() || s.temp_->key.key.id() != temp_key_id) return;
    s.temp_.reset();
  }
  s.NotifyAll();
}

void DcKeyStore::Member::ForgetPermanent(uint64_t perm_key_id) {
  DcKeyStore& s = *store_;
  {
    absl::MutexLock lock(&s.mutex_);
    if (!s.permanent_.has_value() || s.permanent_->key.id() != perm_key_id) return;
    s.permanent_.reset();
    s.temp_.reset();
  }
  s.NotifyAll();
}

void DcKeyStore::Member::UpdateKeyState(uint64_t key_id, uint64_t salt, absl::Duration time_offset,
                                        const std::vector<session::FutureSalt>& future_salts) {
  DcKeyStore& s = *store_;
  std::optional<StoredAuthKey> report;
  {
    absl::MutexLock lock(&s.mutex_);
    if (!s.permanent_.has_value()) return;
    StoredAuthKey& perm = *s.permanent_;
    bool changed = false;
    if (perm.key.id() == key_id) {
      if (perm.salt != salt) {
        perm.salt = salt;
        changed = true;
      }
      if (perm.future_salts != future_salts) {
        if (CoveredUntil(perm.future_salts) != CoveredUntil(future_salts)) changed = true;
        perm.future_salts = future_salts;
      }
    }
    // The offset is the DC's clock, whichever key measured it.
    if (absl::AbsDuration(perm.time_offset - time_offset) >= kOffsetReportStep) {
      perm.time_offset = time_offset;
      changed = true;
    }
    if (s.temp_.has_value() && s.temp_->key.key.id() == key_id) {
      s.temp_->key.salt = salt;
      s.temp_->key.time_offset = time_offset;
      s.temp_->key.future_salts = future_salts;
    }
    if (changed) report = perm;
  }
  if (report.has_value() && s.options_.on_key_state) s.options_.on_key_state(*report);
}

uint64_t DcKeyStore::Member::current_temp_key_id() const {
  DcKeyStore& s = *store_;
  absl::MutexLock lock(&s.mutex_);
  return s.temp_.has_value() ? s.temp_->key.key.id() : 0;
}

}  // namespace tgrpc::mtproto::net

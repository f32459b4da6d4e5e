#include "service/api/file_upload.h"

#include <openssl/evp.h>

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "mtproto/crypto/random_source.h"
#include "service/api/errors.h"
#include "service/api/file_parts.h"
#include "service/api/upload_message.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

namespace {

namespace api = tl::api;
using files::kPartSize;

// MD5 of the whole file, fed in order (Telegram wants it with upload.saveFilePart's files).
class Md5 {
 public:
  Md5() : context_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(context_, EVP_md5(), nullptr); }
  ~Md5() { EVP_MD_CTX_free(context_); }
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  void Update(absl::string_view data) { EVP_DigestUpdate(context_, data.data(), data.size()); }
  std::string HexDigest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(context_, digest, &length);
    return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
  }

 private:
  EVP_MD_CTX* context_;
};

int64_t RandomFileId() {
  int64_t id = 0;
  mtproto::crypto::SecureRandom()(absl::MakeSpan(reinterpret_cast<uint8_t*>(&id), sizeof(id)));
  return id == 0 ? 1 : id;
}

// A fingerprint of a part's bytes: the first 8 bytes of their SHA-256.
uint64_t Fingerprint(absl::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  uint64_t out = 0;
  for (int i = 0; i < 8; ++i) out = (out << 8) | digest[i];
  return out;
}

// What tgrpcd remembers of an unfinished upload named by a request_id: its file id and the parts
// Telegram confirmed, with a fingerprint of each, so that a retry after a broken call sends only
// the others (and a part whose bytes changed).
struct ResumeRecord {
  ResumeRecord(std::weak_ptr<Account> owner, int64_t file_id, int64_t size, int32_t parts)
      : account(std::move(owner)),
        file_id(file_id),
        size(size),
        confirmed(parts, false),
        fingerprints(parts, 0) {}

  const std::weak_ptr<Account> account;
  const int64_t file_id;
  const int64_t size;

  absl::Mutex mutex;
  std::vector<bool> confirmed ABSL_GUARDED_BY(mutex);
  std::vector<uint64_t> fingerprints ABSL_GUARDED_BY(mutex);
  // A call is uploading with it: another one with the same request_id is ABORTED meanwhile.
  bool running ABSL_GUARDED_BY(mutex) = false;
  absl::Time touched ABSL_GUARDED_BY(mutex);

  bool Has(int32_t part, uint64_t fingerprint) {
    absl::MutexLock lock(&mutex);
    return confirmed[part] && fingerprints[part] == fingerprint;
  }
  void Confirm(int32_t part, uint64_t fingerprint) {
    absl::MutexLock lock(&mutex);
    confirmed[part] = true;
    fingerprints[part] = fingerprint;
    touched = absl::Now();
  }
  void Release() {
    absl::MutexLock lock(&mutex);
    running = false;
    touched = absl::Now();
  }
};

// The unfinished uploads of the process, by RequestKey. In memory: a record is worth only as long
// as Telegram keeps the parts (hours) and tgrpcd keeps the account, and losing it (a restart)
// costs a full upload, never a wrong file. Bounded: records untouched for kResumeTtl go, and past
// kMaxResumeRecords the least recently touched idle one; each holds 9 bytes per part (72 KB for
// 8000 parts), so at most about 72 MB.
class ResumeTable {
 public:
  static constexpr absl::Duration kResumeTtl = absl::Hours(1);
  static constexpr size_t kMaxResumeRecords = 1000;

  static ResumeTable& Get() {
    static ResumeTable* const table = new ResumeTable();
    return *table;
  }

  // The record a call with `key` uploads with, marked running: the earlier call's when it was for
  // this account object (not one loaded again since) and this size, else a new one with
  // `file_id`. ABORTED while another call runs with it; INVALID_ARGUMENT naming
  // header.request_id when it names an upload of another size.
  absl::StatusOr<std::shared_ptr<ResumeRecord>> Begin(const std::string& key,
                                                      const std::shared_ptr<Account>& account,
                                                      int64_t size, int64_t file_id) {
    absl::MutexLock lock(&mutex_);
    Expire();
    std::shared_ptr<ResumeRecord>& record = records_[key];
    if (record != nullptr && record->account.lock() == account) {
      absl::MutexLock record_lock(&record->mutex);
      if (record->running) {
        return absl::AbortedError(
            "an upload with this request_id is still running; retry once it has ended");
      }
      if (record->size != size) {
        return InvalidField("header.request_id",
                            absl::StrCat("it names an unfinished upload of ", record->size,
                                         " bytes, not ", size, "; use another request_id"));
      }
      record->running = true;
      record->touched = absl::Now();
      return record;
    }
    record = std::make_shared<ResumeRecord>(account, file_id, size, files::PartCount(size));
    absl::MutexLock record_lock(&record->mutex);
    record->running = true;
    record->touched = absl::Now();
    return record;
  }

  // The upload finished: a retry gets its answer from the request cache instead.
  void Forget(const std::string& key) {
    absl::MutexLock lock(&mutex_);
    records_.erase(key);
  }

 private:
  void Expire() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    const absl::Time now = absl::Now();
    std::string oldest;
    absl::Time oldest_time = absl::InfiniteFuture();
    for (auto it = records_.begin(); it != records_.end();) {
      absl::MutexLock record_lock(&it->second->mutex);
      if (!it->second->running && now - it->second->touched > kResumeTtl) {
        it = records_.erase(it);
        continue;
      }
      if (!it->second->running && it->second->touched < oldest_time) {
        oldest_time = it->second->touched;
        oldest = it->first;
      }
      ++it;
    }
    if (records_.size() >= kMaxResumeRecords && oldest_time != absl::InfiniteFuture()) {
      records_.erase(oldest);
    }
  }

  absl::Mutex mutex_;
  std::map<std::string, std::shared_ptr<ResumeRecord>> records_ ABSL_GUARDED_BY(mutex_);
};

class Upload;

// How the invoker's callbacks reach the reactor: `upload` is cleared before the reactor is
// deleted. Its mutex guards the reactor's state, but for what only the reader touches.
struct UploadLink {
  absl::Mutex mutex;
  Upload* upload ABSL_GUARDED_BY(mutex) = nullptr;
};

// A part ready to go, as its serialized call.
struct OutgoingPart {
  std::string body;
  const char* method = nullptr;
  int32_t index = 0;
  uint64_t fingerprint = 0;  // with a request_id only
};

// What to hand to the invoker once the lock is released.
struct Dispatch {
  std::shared_ptr<UploadLink> link;
  std::shared_ptr<Invoker> invoker;
  absl::Time deadline;
  std::vector<OutgoingPart> parts;
  std::shared_ptr<ResumeRecord> resume;
  bool check_premium = false;
};

class Upload final : public grpc::ServerReadReactor<grpc::ByteBuffer> {
 public:
  Upload(const ApiContext* api, grpc::CallbackServerContext* context, grpc::ByteBuffer* response)
      : api_(api), context_(context), response_(response), link_(std::make_shared<UploadLink>()) {
    absl::MutexLock lock(&link_->mutex);
    link_->upload = this;
    reading_ = true;
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    Dispatch dispatch;
    bool chunk = false;
    {
      absl::MutexLock lock(&link_->mutex);
      if (finished_) {
        reading_ = false;
        return;
      }
      // A chunk is taken below, reading_ still set so that no other read starts meanwhile.
      chunk = ok && have_header_;
      if (!chunk) {
        // The header, or the end of the stream: short work, under the lock.
        reading_ = false;
        absl::Status status = ok ? TakeFirst() : EndOfStream();
        if (!status.ok()) return Fail(status);
        dispatch = Pump();
      }
    }
    if (chunk) return TakeChunk();
    Run(std::move(dispatch));
  }

  void OnCancel() override {
    absl::MutexLock lock(&link_->mutex);
    if (!finished_) Fail(absl::CancelledError("the caller cancelled the upload"));
  }

  void OnDone() override {
    {
      absl::MutexLock lock(&link_->mutex);
      link_->upload = nullptr;
      if (resume_ != nullptr) resume_->Release();
    }
    delete this;
  }

 private:
  // The first message, which must be the header.
  absl::Status TakeFirst() ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    absl::Status read = ReadUploadMessage(request_, message_);
    if (!read.ok()) return read;
    if (!message_.header.has_value()) {
      return InvalidField("header", "the first message must be the header");
    }
    absl::Status taken = TakeHeader(*message_.header);
    message_ = UploadMessage();
    // Set last: from now on the reader alone touches the part being cut (TakeChunk).
    have_header_ = true;
    return taken;
  }

  // A chunk, read after the header. Its bytes are copied into the part being cut without the
  // lock, which the parts' answers take meanwhile on the network thread: only this reader (one
  // read at a time, and reading_ stays set until it is done) touches the reader's state below.
  void TakeChunk() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    absl::Status status = ReadUploadMessage(request_, message_);
    if (status.ok() && message_.header.has_value()) {
      status = InvalidField("header", "only the first message");
    }
    const int64_t chunk = static_cast<int64_t>(message_.chunk_size);
    if (status.ok() && chunk > files::kMaxChunkSize) {
      status = InvalidField("chunk", "at most 1 MiB per message");
    }
    if (status.ok() && chunk > size_ - received_) {
      status = InvalidField("chunk", absl::StrCat("more bytes than header.size (", size_, ")"));
    }
    std::vector<OutgoingPart> cut;
    int32_t skipped = 0;
    if (status.ok()) {
      received_ += chunk;
      for (absl::string_view piece : message_.chunk) TakeBytes(piece, cut, skipped);
    }
    message_ = UploadMessage();  // gives gRPC's slices back
    Dispatch dispatch;
    {
      absl::MutexLock lock(&link_->mutex);
      reading_ = false;
      if (finished_) return;
      if (!status.ok()) return Fail(status);
      saved_ += skipped;
      resumed_ += skipped;
      for (OutgoingPart& part : cut) ready_.push_back(std::move(part));
      dispatch = Pump();
    }
    Run(std::move(dispatch));
  }

  // The chunk's bytes, from gRPC's slices into the part being cut (its only copy on the way);
  // parts cut whole go to `cut`, or count in `skipped` when an earlier call saved them.
  void TakeBytes(absl::string_view bytes, std::vector<OutgoingPart>& cut,
                 int32_t& skipped) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    if (md5_ != nullptr) md5_->Update(bytes);
    while (!bytes.empty()) {
      if (current_.empty()) StartPart();
      const size_t take = std::min(bytes.size(), part_size_ - PartBytes());
      current_.append(bytes.data(), take);
      bytes.remove_prefix(take);
      if (PartBytes() == part_size_) CutPart(cut, skipped);
    }
  }

  absl::Status TakeHeader(const v1::UploadFileRequest::Header& header)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    absl::StatusOr<std::shared_ptr<Account>> account =
        CallerSignedInAccount(*api_, *context_, header.account(), "header.account");
    if (!account.ok()) return account.status();
    if (header.file_name().empty() || header.file_name().size() > 255) {
      return InvalidField("header.file_name", "required: 1-255 bytes");
    }
    if (header.request_id().size() > 128) {
      return InvalidField("header.request_id", "at most 128 characters");
    }
    if (header.size() <= 0) return InvalidField("header.size", "required: the file's size");
    if (header.size() > files::kMaxPremiumFileSize) {
      return files::InvalidFieldWithReason(
          "header.size", "FILE_TOO_BIG",
          absl::StrCat(header.size(),
                       " bytes: Telegram takes files of up to 2000 MiB, 4000 MiB "
                       "with Telegram Premium"));
    }
    account_ = *std::move(account);
    size_ = header.size();
    parts_ = files::PartCount(size_);
    big_ = files::IsBigFile(size_);
    if (!big_) md5_ = std::make_unique<Md5>();
    file_id_ = RandomFileId();
    file_name_ = header.file_name();
    started_ = absl::Now();
    const std::shared_ptr<Invoker> invoker = account_->invoker();
    parts_in_flight_ = files::PartsInFlight(invoker != nullptr ? invoker->max_sessions() : 1);
    absl::StatusOr<std::string> tenant = Authenticate(*context_, *api_);
    cache_key_ =
        RequestKey(tenant.ok() ? *tenant : "", account_->id(), "UploadFile", header.request_id());
    if (api_->requests != nullptr && !cache_key_.empty()) {
      std::optional<std::string> answer = api_->requests->Find(cache_key_);
      if (v1::UploadedFile cached; answer.has_value() && cached.ParseFromString(*answer)) {
        // The first call's answer; its bytes are not needed again.
        SetResponse(*answer);
        finished_ = true;
        Finish(grpc::Status::OK);
        return absl::OkStatus();
      }
    }
    if (!cache_key_.empty()) {
      // Named: resumable. An earlier broken call's file id and confirmed parts carry on.
      absl::StatusOr<std::shared_ptr<ResumeRecord>> resume =
          ResumeTable::Get().Begin(cache_key_, account_, size_, file_id_);
      if (!resume.ok()) return resume.status();
      resume_ = *std::move(resume);
      file_id_ = resume_->file_id;
    }
    premium_check_ = size_ > files::kMaxFileSize;
    return absl::OkStatus();
  }

  // The caller closed its side (or the call ended).
  absl::Status EndOfStream() ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    if (context_->IsCancelled()) return absl::CancelledError("the caller cancelled the upload");
    if (!have_header_) return InvalidField("header", "required: the stream was empty");
    if (received_ < size_) {
      return InvalidField("header.size", absl::StrCat("the stream ended after ", received_, " of ",
                                                      size_, " bytes"));
    }
    ended_ = true;
    return absl::OkStatus();
  }

  // Starts the next part's call in `current_`: its serialized fields up to the TL length of its
  // bytes, which follow as the chunks bring them (so the part is never copied into its call).
  // A part's length is known before its bytes: kPartSize, or what is left of the file.
  void StartPart() ABSL_NO_THREAD_SAFETY_ANALYSIS {
    const int32_t index = next_part_;
    part_size_ = static_cast<size_t>(std::min(kPartSize, size_ - files::BlockOffset(index)));
    absl::StatusOr<std::string> fields;
    if (big_) {
      api::upload_saveBigFilePart part;
      part.file_id = file_id_;
      part.file_part = index;
      part.file_total_parts = parts_;
      fields = tl::Serialize(part);
    } else {
      api::upload_saveFilePart part;
      part.file_id = file_id_;
      part.file_part = index;
      fields = tl::Serialize(part);
    }
    // `bytes` is the last field of both: empty, it is its length byte and 3 of padding.
    current_ = fields.ok() ? *std::move(fields) : std::string(4, '\0');
    current_.resize(current_.size() - 4);
    current_.reserve(current_.size() + 4 + part_size_ + 3);
    AppendBytesHeader(part_size_, current_);
    part_start_ = current_.size();
  }

  // TL's length header of `size` bytes.
  static void AppendBytesHeader(size_t size, std::string& out) {
    if (size < 254) {
      out.push_back(static_cast<char>(size));
      return;
    }
    const char header[4] = {static_cast<char>(0xfe), static_cast<char>(size & 0xff),
                            static_cast<char>((size >> 8) & 0xff),
                            static_cast<char>((size >> 16) & 0xff)};
    out.append(header, 4);
  }

  // The part bytes in `current_` so far.
  size_t PartBytes() const ABSL_NO_THREAD_SAFETY_ANALYSIS { return current_.size() - part_start_; }

  // The part in `current_`, all its bytes in, as the next part's call.
  void CutPart(std::vector<OutgoingPart>& cut, int32_t& skipped) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    const int32_t index = next_part_++;
    const absl::string_view bytes = absl::string_view(current_).substr(part_start_);
    const uint64_t fingerprint = resume_ != nullptr ? Fingerprint(bytes) : 0;
    if (resume_ != nullptr && resume_->Has(index, fingerprint)) {
      // Telegram confirmed these very bytes to an earlier call: not sent again.
      current_ = std::string();
      ++skipped;
      return;
    }
    // TL's zero padding to 4 bytes, after the length header and the bytes.
    const size_t header = part_size_ < 254 ? 1 : 4;
    current_.append((4 - (header + part_size_) % 4) % 4, '\0');
    cut.push_back({std::move(current_),
                   big_ ? api::upload_saveBigFilePart::kName : api::upload_saveFilePart::kName,
                   index, fingerprint});
    current_ = std::string();
  }

  // What may go now (Run sends it once the lock is released), the next read if there is room,
  // or the answer when every part is saved.
  Dispatch Pump() ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    Dispatch out;
    if (finished_) return out;
    if (premium_check_ && !premium_ok_) {
      if (!premium_asked_) {
        premium_asked_ = true;
        out = Dispatch{link_, account_->invoker(), PartDeadline()};
        out.check_premium = true;
      }
      return out;
    }
    while (!ready_.empty() && in_flight_ < parts_in_flight_) {
      if (out.invoker == nullptr) {
        out = Dispatch{link_, account_->invoker(), PartDeadline()};
        out.resume = resume_;
      }
      out.parts.push_back(std::move(ready_.front()));
      ready_.pop_front();
      ++in_flight_;
    }
    if (ended_ && saved_ == parts_) {
      v1::UploadedFile uploaded;
      uploaded.set_account(account_->name());
      uploaded.set_file_id(file_id_);
      uploaded.set_parts(parts_);
      uploaded.set_size(size_);
      uploaded.set_file_name(file_name_);
      uploaded.set_big(big_);
      uploaded.set_resumed_parts(resumed_);
      if (md5_ != nullptr) uploaded.set_md5_checksum(md5_->HexDigest());
      const absl::Duration elapsed = absl::Now() - started_;
      uploaded.mutable_elapsed()->set_seconds(absl::ToInt64Seconds(elapsed));
      uploaded.mutable_elapsed()->set_nanos(
          static_cast<int32_t>(absl::ToInt64Nanoseconds(elapsed % absl::Seconds(1))));
      const std::string answer = uploaded.SerializeAsString();
      if (!cache_key_.empty() && api_->requests != nullptr) {
        api_->requests->Store(cache_key_, answer);
      }
      SetResponse(answer);
      if (resume_ != nullptr) ResumeTable::Get().Forget(cache_key_);
      finished_ = true;
      Finish(grpc::Status::OK);
    } else if (!reading_ && !ended_ && ready_.empty() && in_flight_ < parts_in_flight_) {
      reading_ = true;
      StartRead(&request_);
    }
    return out;
  }

  // The answer, an UploadedFile, in the raw method's response.
  void SetResponse(const std::string& answer) ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    grpc::Slice slice(answer);
    *response_ = grpc::ByteBuffer(&slice, 1);
  }

  void Fail(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    finished_ = true;
    // A retry may start now; parts still in flight confirm into the record when they return.
    if (resume_ != nullptr) resume_->Release();
    ready_.clear();
    // The part being cut is the reader's (it may be filling it now): freed with the reactor.
    Finish(ToGrpcStatus(status));
  }

  // Sends a dispatch's parts (or the premium check), outside the lock: the invoker may answer on
  // this thread, and the reactor may be gone by now (only the link is used).
  static void Run(Dispatch dispatch) {
    if (dispatch.check_premium) return CheckPremium(std::move(dispatch));
    InvokeOptions options{dispatch.deadline};
    options.bulk = true;  // spread over the account's sessions
    for (OutgoingPart& part : dispatch.parts) {
      dispatch.invoker->Invoke(
          std::move(part.body), part.method, options,
          [link = dispatch.link, resume = dispatch.resume, index = part.index,
           fingerprint = part.fingerprint](absl::StatusOr<std::string> result) {
            // Both methods answer a Bool.
            absl::StatusOr<bool> saved =
                result.ok() ? tl::DecodeResult<api::upload_saveFilePart>(*result) : result.status();
            // Noted even when the call has ended meanwhile: a retry need not send it.
            if (resume != nullptr && saved.ok() && *saved) resume->Confirm(index, fingerprint);
            OnPartSaved(link, std::move(saved));
          });
    }
  }

  static void OnPartSaved(const std::shared_ptr<UploadLink>& link, absl::StatusOr<bool> saved) {
    Dispatch dispatch;
    {
      absl::MutexLock lock(&link->mutex);
      Upload* upload = link->upload;
      if (upload == nullptr) return;
      --upload->in_flight_;
      if (upload->finished_) return;
      if (!saved.ok()) return upload->Fail(saved.status());
      if (!*saved) return upload->Fail(absl::UnavailableError("Telegram did not save a part"));
      ++upload->saved_;
      dispatch = upload->Pump();
    }
    Run(std::move(dispatch));
  }

  // Over 2000 MiB needs Telegram Premium: asked of Telegram (users.getUsers(self)) before any
  // byte is read.
  static void CheckPremium(Dispatch dispatch) {
    api::users_getUsers get;
    get.id.push_back(std::make_unique<api::inputUserSelf>());
    dispatch.invoker->Call<api::users_getUsers>(
        get, {dispatch.deadline},
        [link = dispatch.link](absl::StatusOr<std::vector<tl::Ptr<api::User>>> users) {
          Dispatch next;
          {
            absl::MutexLock lock(&link->mutex);
            Upload* upload = link->upload;
            if (upload == nullptr || upload->finished_) return;
            if (!users.ok()) return upload->Fail(users.status());
            const auto* self =
                users->empty() ? nullptr : dynamic_cast<const api::user*>(users->front().get());
            if (self == nullptr || !self->premium) {
              return upload->Fail(files::InvalidFieldWithReason(
                  "header.size", "PREMIUM_ACCOUNT_REQUIRED",
                  absl::StrCat(upload->size_,
                               " bytes: files over 2000 MiB need Telegram "
                               "Premium")));
            }
            upload->premium_ok_ = true;
            next = upload->Pump();
          }
          Run(std::move(next));
        });
  }

  // Each part's deadline: the call's, or the default one from now when the caller set none
  // (a long upload is not cut at the default deadline).
  absl::Time PartDeadline() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    if (context_->deadline() != std::chrono::system_clock::time_point::max()) {
      return CallDeadline(*context_, *api_);
    }
    return absl::Now() + api_->default_deadline;
  }

  const ApiContext* const api_;
  grpc::CallbackServerContext* const context_;
  grpc::ByteBuffer* const response_;
  const std::shared_ptr<UploadLink> link_;

  // The reader's: read and written by the OnReadDone in progress only (gRPC runs one read at a
  // time, and StartRead waits for reading_ to clear), without the lock while a chunk is taken.
  grpc::ByteBuffer request_;
  UploadMessage message_;  // request_, read
  int64_t received_ = 0;
  std::unique_ptr<Md5> md5_;  // read by Pump once the stream has ended
  // The part being cut, as its call: its fields, then its bytes from part_start_ on.
  std::string current_;
  size_t part_start_ = 0;
  size_t part_size_ = 0;  // the bytes the part will have
  int32_t next_part_ = 0;

  std::shared_ptr<Account> account_ ABSL_GUARDED_BY(link_->mutex);
  bool have_header_ ABSL_GUARDED_BY(link_->mutex) = false;
  bool premium_check_ ABSL_GUARDED_BY(link_->mutex) = false;
  bool premium_asked_ ABSL_GUARDED_BY(link_->mutex) = false;
  bool premium_ok_ ABSL_GUARDED_BY(link_->mutex) = false;
  int64_t size_ ABSL_GUARDED_BY(link_->mutex) = 0;
  int32_t parts_ ABSL_GUARDED_BY(link_->mutex) = 0;
  bool big_ ABSL_GUARDED_BY(link_->mutex) = false;
  int64_t file_id_ ABSL_GUARDED_BY(link_->mutex) = 0;
  std::string file_name_ ABSL_GUARDED_BY(link_->mutex);
  std::string cache_key_ ABSL_GUARDED_BY(link_->mutex);
  absl::Time started_ ABSL_GUARDED_BY(link_->mutex);

  std::deque<OutgoingPart> ready_ ABSL_GUARDED_BY(link_->mutex);
  int in_flight_ ABSL_GUARDED_BY(link_->mutex) = 0;
  int parts_in_flight_ ABSL_GUARDED_BY(link_->mutex) = files::kPartsInFlight;  // the cap
  std::shared_ptr<ResumeRecord> resume_ ABSL_GUARDED_BY(link_->mutex);         // with a request_id
  int32_t resumed_ ABSL_GUARDED_BY(link_->mutex) = 0;  // parts an earlier call saved
  int32_t saved_ ABSL_GUARDED_BY(link_->mutex) = 0;
  bool reading_ ABSL_GUARDED_BY(link_->mutex) = false;
  bool ended_ ABSL_GUARDED_BY(link_->mutex) = false;
  bool finished_ ABSL_GUARDED_BY(link_->mutex) = false;
};

}  // namespace

grpc::ServerReadReactor<grpc::ByteBuffer>* NewUploadReactor(const ApiContext* api,
                                                            grpc::CallbackServerContext* context,
                                                            grpc::ByteBuffer* response) {
  return new Upload(api, context, response);
}

}  // namespace tgrpc::service

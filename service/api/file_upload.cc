#include "service/api/file_upload.h"

#include <openssl/evp.h>

#include <deque>
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

class Upload;

// How the invoker's callbacks reach the reactor: `upload` is cleared before the reactor is
// deleted. Its mutex guards all of the reactor's state too.
struct UploadLink {
  absl::Mutex mutex;
  Upload* upload ABSL_GUARDED_BY(mutex) = nullptr;
};

// A part ready to go, as its serialized call.
struct OutgoingPart {
  std::string body;
  const char* method = nullptr;
};

// What to hand to the invoker once the lock is released.
struct Dispatch {
  std::shared_ptr<UploadLink> link;
  std::shared_ptr<Invoker> invoker;
  absl::Time deadline;
  std::vector<OutgoingPart> parts;
  bool check_premium = false;
};

class Upload final : public grpc::ServerReadReactor<v1::UploadFileRequest> {
 public:
  Upload(const ApiContext* api, grpc::CallbackServerContext* context, v1::UploadedFile* response)
      : api_(api), context_(context), response_(response), link_(std::make_shared<UploadLink>()) {
    absl::MutexLock lock(&link_->mutex);
    link_->upload = this;
    reading_ = true;
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    Dispatch dispatch;
    {
      absl::MutexLock lock(&link_->mutex);
      reading_ = false;
      if (finished_) return;
      absl::Status status = ok ? Take() : EndOfStream();
      if (!status.ok()) return Fail(status);
      dispatch = Pump();
    }
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
    }
    delete this;
  }

 private:
  // The message just read: the header first, then chunks.
  absl::Status Take() ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    if (!have_header_) {
      if (!request_.has_header()) {
        return InvalidField("header", "the first message must be the header");
      }
      have_header_ = true;
      return TakeHeader(request_.header());
    }
    if (request_.has_header()) return InvalidField("header", "only the first message");
    const std::string& chunk = request_.chunk();
    if (static_cast<int64_t>(chunk.size()) > files::kMaxChunkSize) {
      return InvalidField("chunk", "at most 1 MiB per message");
    }
    if (static_cast<int64_t>(chunk.size()) > size_ - received_) {
      return InvalidField("chunk", absl::StrCat("more bytes than header.size (", size_, ")"));
    }
    if (md5_ != nullptr) md5_->Update(chunk);
    received_ += static_cast<int64_t>(chunk.size());
    absl::string_view rest = chunk;
    while (!rest.empty()) {
      if (current_.empty()) current_.reserve(static_cast<size_t>(kPartSize));
      const size_t take = std::min(rest.size(), static_cast<size_t>(kPartSize) - current_.size());
      current_.append(rest.data(), take);
      rest.remove_prefix(take);
      if (static_cast<int64_t>(current_.size()) == kPartSize) CutPart();
    }
    if (received_ == size_ && !current_.empty()) CutPart();
    request_.Clear();
    return absl::OkStatus();
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
    if (api_->requests != nullptr) {
      absl::StatusOr<std::string> tenant = Authenticate(*context_, *api_);
      cache_key_ =
          RequestKey(tenant.ok() ? *tenant : "", account_->id(), "UploadFile", header.request_id());
      std::optional<std::string> answer =
          cache_key_.empty() ? std::nullopt : api_->requests->Find(cache_key_);
      if (answer.has_value() && response_->ParseFromString(*answer)) {
        // The first call's answer; its bytes are not needed again.
        finished_ = true;
        Finish(grpc::Status::OK);
        return absl::OkStatus();
      }
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

  // The bytes in `current_` as the next part's call.
  void CutPart() ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    absl::StatusOr<std::string> body;
    const int32_t index = next_part_++;
    if (big_) {
      api::upload_saveBigFilePart part;
      part.file_id = file_id_;
      part.file_part = index;
      part.file_total_parts = parts_;
      part.bytes = std::move(current_);
      body = tl::Serialize(part);
    } else {
      api::upload_saveFilePart part;
      part.file_id = file_id_;
      part.file_part = index;
      part.bytes = std::move(current_);
      body = tl::Serialize(part);
    }
    current_ = std::string();
    ready_.push_back({body.ok() ? *std::move(body) : std::string(),
                      big_ ? api::upload_saveBigFilePart::kName : api::upload_saveFilePart::kName});
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
    while (!ready_.empty() && in_flight_ < files::kPartsInFlight) {
      if (out.invoker == nullptr) out = Dispatch{link_, account_->invoker(), PartDeadline()};
      out.parts.push_back(std::move(ready_.front()));
      ready_.pop_front();
      ++in_flight_;
    }
    if (ended_ && saved_ == parts_) {
      response_->set_account(account_->name());
      response_->set_file_id(file_id_);
      response_->set_parts(parts_);
      response_->set_size(size_);
      response_->set_file_name(file_name_);
      response_->set_big(big_);
      if (md5_ != nullptr) response_->set_md5_checksum(md5_->HexDigest());
      const absl::Duration elapsed = absl::Now() - started_;
      response_->mutable_elapsed()->set_seconds(absl::ToInt64Seconds(elapsed));
      response_->mutable_elapsed()->set_nanos(
          static_cast<int32_t>(absl::ToInt64Nanoseconds(elapsed % absl::Seconds(1))));
      if (!cache_key_.empty()) api_->requests->Store(cache_key_, response_->SerializeAsString());
      finished_ = true;
      Finish(grpc::Status::OK);
    } else if (!reading_ && !ended_ && ready_.empty() && in_flight_ < files::kPartsInFlight) {
      reading_ = true;
      StartRead(&request_);
    }
    return out;
  }

  void Fail(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    finished_ = true;
    ready_.clear();
    current_ = std::string();
    Finish(ToGrpcStatus(status));
  }

  // Sends a dispatch's parts (or the premium check), outside the lock: the invoker may answer on
  // this thread, and the reactor may be gone by now (only the link is used).
  static void Run(Dispatch dispatch) {
    if (dispatch.check_premium) return CheckPremium(std::move(dispatch));
    const InvokeOptions options{dispatch.deadline};
    for (OutgoingPart& part : dispatch.parts) {
      dispatch.invoker->Invoke(std::move(part.body), part.method, options,
                               [link = dispatch.link](absl::StatusOr<std::string> result) {
                                 OnPartSaved(link, std::move(result));
                               });
    }
  }

  static void OnPartSaved(const std::shared_ptr<UploadLink>& link,
                          absl::StatusOr<std::string> result) {
    Dispatch dispatch;
    {
      absl::MutexLock lock(&link->mutex);
      Upload* upload = link->upload;
      if (upload == nullptr) return;
      --upload->in_flight_;
      if (upload->finished_) return;
      // Both methods answer a Bool.
      absl::StatusOr<bool> saved =
          result.ok() ? tl::DecodeResult<api::upload_saveFilePart>(*result) : result.status();
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
  v1::UploadedFile* const response_;
  const std::shared_ptr<UploadLink> link_;

  v1::UploadFileRequest request_ ABSL_GUARDED_BY(link_->mutex);
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
  std::unique_ptr<Md5> md5_ ABSL_GUARDED_BY(link_->mutex);
  absl::Time started_ ABSL_GUARDED_BY(link_->mutex);

  int64_t received_ ABSL_GUARDED_BY(link_->mutex) = 0;
  std::string current_ ABSL_GUARDED_BY(link_->mutex);  // the part being cut
  int32_t next_part_ ABSL_GUARDED_BY(link_->mutex) = 0;
  std::deque<OutgoingPart> ready_ ABSL_GUARDED_BY(link_->mutex);
  int in_flight_ ABSL_GUARDED_BY(link_->mutex) = 0;
  int32_t saved_ ABSL_GUARDED_BY(link_->mutex) = 0;
  bool reading_ ABSL_GUARDED_BY(link_->mutex) = false;
  bool ended_ ABSL_GUARDED_BY(link_->mutex) = false;
  bool finished_ ABSL_GUARDED_BY(link_->mutex) = false;
};

}  // namespace

grpc::ServerReadReactor<v1::UploadFileRequest>* NewUploadReactor(
    const ApiContext* api, grpc::CallbackServerContext* context, v1::UploadedFile* response) {
  return new Upload(api, context, response);
}

}  // namespace tgrpc::service

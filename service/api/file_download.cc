#include "service/api/file_download.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "service/api/cdn_file.h"
#include "service/api/convert.h"
#include "service/api/errors.h"
#include "service/api/file_parts.h"
#include "service/telegram/peer_id.h"

namespace tgrpc::service {

namespace {

namespace api = tl::api;
using files::DownloadPlan;

// Reads the file's source again (the message, or the peer's photo) for a fresh location
// (file_source.h).
using Refresher = std::function<void(SourceCallback)>;

// Refreshes in a row that brought no block: past this, the download fails with Telegram's error.
constexpr int kMaxRefreshesWithoutProgress = 3;
// upload.cdnFileReuploadNeeded answers for one CDN piece: past this, the download falls back to
// the master DC.
constexpr int kMaxCdnReuploadsPerPiece = 2;
// CDN pieces per block (a block is upload.getFile's 512 KiB; a piece, one hashed 128 KiB).
constexpr int kCdnPiecesPerBlock = static_cast<int>(files::kPartSize / CdnFile::kPieceSize);

class Download;

// How the invoker's callbacks reach the reactor: `download` is cleared before the reactor is
// deleted. Its mutex guards the reactor's state too.
struct DownloadLink {
  absl::Mutex mutex;
  Download* download ABSL_GUARDED_BY(mutex) = nullptr;
};

// Blocks to fetch, and a refresh to start, once the lock is released.
struct Fetches {
  std::shared_ptr<DownloadLink> link;
  std::shared_ptr<Invoker> invoker;
  InvokeOptions options;
  int generation = 0;
  std::vector<std::pair<int64_t, std::string>> blocks;  // index, serialized upload.getFile
  Refresher refresh;
  // Other calls to start (the CDN's pieces, reuploads, hashes), each bound to its own answer.
  std::vector<std::function<void()>> calls;
};

// Adds `from`'s work to `into`.
void Merge(Fetches& into, Fetches from) {
  if (into.invoker == nullptr && from.invoker != nullptr) {
    into.link = from.link;
    into.invoker = from.invoker;
    into.options = from.options;
    into.generation = from.generation;
  }
  for (auto& block : from.blocks) into.blocks.push_back(std::move(block));
  for (auto& call : from.calls) into.calls.push_back(std::move(call));
  if (from.refresh) into.refresh = std::move(from.refresh);
}

class Download final : public grpc::ServerWriteReactor<v1::DownloadFileResponse> {
 public:
  Download(const ApiContext* api, grpc::CallbackServerContext* context,
           const v1::DownloadFileRequest& request)
      : api_(api), context_(context), link_(std::make_shared<DownloadLink>()) {
    {
      absl::MutexLock lock(&link_->mutex);
      link_->download = this;
    }
    Resolve(request);
  }

  void OnWriteDone(bool ok) override {
    Fetches fetches;
    {
      absl::MutexLock lock(&link_->mutex);
      writing_ = false;
      if (!ok) return Fail(absl::CancelledError("the caller went away"));
      if (done_) return Fail(failure_);  // a failure waited for this write
      if (written_block_ >= 0) next_write_ = written_block_ + 1;
      written_block_ = -1;
      fetches = Pump();
    }
    Fetch(std::move(fetches));
  }

  void OnCancel() override {
    absl::MutexLock lock(&link_->mutex);
    Fail(absl::CancelledError("the caller cancelled the download"));
  }

  void OnDone() override {
    {
      absl::MutexLock lock(&link_->mutex);
      link_->download = nullptr;
    }
    delete this;
  }

 private:
  using BeginCallback =
      std::function<void(std::shared_ptr<Account>, absl::StatusOr<FileSource>, Refresher)>;

  // Finds the file (an async chain for a message or a peer's photo), then starts.
  void Resolve(const v1::DownloadFileRequest& request) {
    const std::shared_ptr<DownloadLink> link = link_;
    BeginCallback begin = [link](std::shared_ptr<Account> account,
                                 absl::StatusOr<FileSource> source, Refresher refresh) {
      Begin(link, std::move(account), std::move(source), std::move(refresh));
    };
    auto fail = [begin](absl::Status status) { begin(nullptr, std::move(status), nullptr); };
    const int64_t offset = request.offset(), limit = request.limit();
    if (offset < 0) return fail(InvalidField("offset", "must not be negative"));
    if (limit < 0) return fail(InvalidField("limit", "must not be negative"));
    {
      absl::MutexLock lock(&link_->mutex);
      offset_ = offset;
      limit_ = limit;
    }
    if (request.has_location()) {
      absl::StatusOr<std::shared_ptr<Account>> account =
          CallerSignedInAccount(*api_, *context_, request.location().account(), "location.account");
      if (!account.ok()) return fail(account.status());
      return begin(*account, FileSourceOf(request.location()), nullptr);
    }
    if (!request.peer_photo().empty()) return ResolvePeerPhoto(request, begin);
    if (request.message().empty()) {
      return fail(InvalidField("message", "required: a message name, a location or a peer_photo"));
    }
    absl::StatusOr<ChildName> name =
        ParseChildName(request.message(), "message", "chats", "messages");
    if (!name.ok()) return fail(name.status());
    int32_t id = 0;
    if (!absl::SimpleAtoi(name->rest, &id) || id <= 0) {
      return fail(InvalidField("message", "the message id must be positive"));
    }
    absl::StatusOr<std::shared_ptr<Account>> found = CallerSignedInAccount(
        *api_, *context_, absl::StrCat("accounts/", name->account), "message");
    if (!found.ok()) return fail(found.status());
    std::shared_ptr<Account> account = *found;
    const absl::Time deadline = CallDeadline(*context_, *api_);
    ResolveChat(account, name->child, "message", deadline,
                [account, id, deadline, begin, fail](absl::StatusOr<ResolvedPeer> peer) {
                  if (!peer.ok()) return fail(peer.status());
                  const int64_t chat = peer->marked_id;
                  // The message read again gives a fresh file reference.
                  Refresher refresh = [account, chat, id, deadline](SourceCallback done) {
                    FetchMessageFile(account, chat, id, deadline, std::move(done));
                  };
                  refresh([account, begin, refresh](absl::StatusOr<FileSource> source) {
                    begin(account, std::move(source), refresh);
                  });
                });
  }

  // accounts/{a}/users/{u} or accounts/{a}/chats/{c}.
  void ResolvePeerPhoto(const v1::DownloadFileRequest& request, const BeginCallback& begin) {
    auto fail = [begin](absl::Status status) { begin(nullptr, std::move(status), nullptr); };
    const bool user = absl::StrContains(request.peer_photo(), "/users/");
    absl::StatusOr<ChildName> name =
        ParseChildName(request.peer_photo(), "peer_photo", user ? "users" : "chats");
    if (!name.ok()) return fail(name.status());
    if (!name->rest.empty()) {
      return fail(InvalidField("peer_photo", "accounts/{a}/users/{u} or accounts/{a}/chats/{c}"));
    }
    absl::StatusOr<std::shared_ptr<Account>> found = CallerSignedInAccount(
        *api_, *context_, absl::StrCat("accounts/", name->account), "peer_photo");
    if (!found.ok()) return fail(found.status());
    std::shared_ptr<Account> account = *found;
    const absl::Time deadline = CallDeadline(*context_, *api_);
    const bool big = request.big();
    ResolveChat(account, name->child, "peer_photo", deadline,
                [account, user, big, deadline, begin, fail](absl::StatusOr<ResolvedPeer> peer) {
                  if (!peer.ok()) return fail(peer.status());
                  // A chat may be a private chat (its photo is the user's); a user must be one.
                  if (user && MarkedType(peer->marked_id) != PeerType::kUser) {
                    return fail(InvalidField(
                        "peer_photo", "names a group or channel: use accounts/{a}/chats/{c}"));
                  }
                  const int64_t marked = peer->marked_id;
                  Refresher refresh = [account, marked, big, deadline](SourceCallback done) {
                    FetchPeerPhoto(account, marked, big, deadline, std::move(done));
                  };
                  refresh([account, begin, refresh](absl::StatusOr<FileSource> source) {
                    begin(account, std::move(source), refresh);
                  });
                });
  }

  static void Begin(const std::shared_ptr<DownloadLink>& link, std::shared_ptr<Account> account,
                    absl::StatusOr<FileSource> source, Refresher refresh) {
    Fetches fetches;
    {
      absl::MutexLock lock(&link->mutex);
      Download* self = link->download;
      if (self == nullptr || self->done_) return;
      if (!source.ok()) return self->Fail(source.status());
      self->account_ = std::move(account);
      // As uploads: more blocks in flight when the account may open more sessions.
      if (const auto invoker = self->account_->invoker(); invoker != nullptr) {
        self->parts_in_flight_ = files::PartsInFlight(invoker->max_sessions());
      }
      self->refresh_ = std::move(refresh);
      if (!self->Start(*std::move(source))) return;
      self->started_ = true;
      fetches = self->Pump();
    }
    Fetch(std::move(fetches));
  }

  // Plans the download of `source` from the first block (again, for a peer photo that changed
  // before any byte was sent); false when it failed the call.
  bool Start(FileSource source) ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    absl::StatusOr<DownloadPlan> plan = files::PlanDownload(offset_, limit_, source.size);
    if (!plan.ok()) {
      Fail(plan.status());
      return false;
    }
    plan_ = *plan;
    size_known_ = source.size > 0;
    dc_ = source.dc;
    location_ = std::move(source.location);
    peer_photo_ = dynamic_cast<const api::inputPeerPhotoFileLocation*>(location_.get()) != nullptr;
    info_ = std::move(source.info);
    next_fetch_ = next_write_ = plan->first_block;
    blocks_.clear();
    retry_.clear();
    cdn_.reset();
    cdn_off_ = false;
    cdn_blocks_.clear();
    ++generation_;  // blocks of the old file still in flight are dropped
    return true;
  }

  // The next write (one at a time, in order), the blocks that may be fetched now, or the end.
  Fetches Pump() ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    Fetches out;
    if (done_ || !started_) return out;
    if (!writing_) {
      auto next = blocks_.find(next_write_);
      if (next != blocks_.end() && next_write_ < plan_.end_block) {
        response_.Clear();
        response_.set_data(std::move(next->second.data));
        response_.set_offset(next->second.offset);
        blocks_.erase(next);
        written_block_ = next_write_;
        Write();
      } else if (next_write_ >= plan_.end_block) {
        if (!info_sent_) {
          response_.Clear();  // nothing to send but what the file is
          response_.set_offset(plan_.begin);
          Write();
        } else {
          done_ = finished_ = true;
          Finish(grpc::Status::OK);
        }
        return out;
      }
    }
    // While the location is refreshed, new blocks wait for the fresh one.
    while (!refreshing_ && next_fetch_ < plan_.end_block &&
           next_fetch_ - next_write_ < parts_in_flight_) {
      if (!AddFetch(next_fetch_, out)) return Fetches{};
      ++next_fetch_;
    }
    return out;
  }

  // Adds upload.getFile of block `index` at the current location; false when it failed the call.
  bool AddFetch(int64_t index, Fetches& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    // Once Telegram redirected the file to a CDN DC, its blocks come from there.
    if (cdn_.has_value()) return AddCdnBlock(index, out);
    api::upload_getFile get;
    // Telegram may then answer upload.fileCdnRedirect (a popular file of a big public channel).
    get.cdn_supported = !cdn_off_;
    get.location = std::move(location_);
    get.offset = files::BlockOffset(index);
    get.limit = static_cast<int32_t>(files::kPartSize);
    absl::StatusOr<std::string> body = tl::Serialize(get);
    location_ = std::move(get.location);
    if (!body.ok()) {
      Fail(absl::InternalError(body.status().message()));
      return false;
    }
    if (out.invoker == nullptr) {
      out.link = link_;
      out.invoker = account_->invoker();
      out.generation = generation_;
      // The document's DC (FILE_MIGRATE is followed inside too). Each block's deadline: the
      // call's, or the default one from now when the caller set none.
      out.options = BlockOptions();
    }
    out.blocks.emplace_back(index, *std::move(body));
    return true;
  }

  // A block's call: on the document's DC (FILE_MIGRATE is followed inside too), spread over the
  // account's sessions, with the call's deadline, or the default one from now when it set none.
  InvokeOptions BlockOptions() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    InvokeOptions options;
    options.dc = dc_;
    options.bulk = true;
    options.deadline = context_->deadline() != std::chrono::system_clock::time_point::max()
                           ? CallDeadline(*context_, *api_)
                           : absl::Now() + api_->default_deadline;
    return options;
  }

  // A call of `body` (method `method`) to start once the lock is released; its answer goes to
  // `on_answer` under the lock, unless the download ended or started over meanwhile.
  using Answer = std::function<Fetches(Download&, absl::StatusOr<std::string>)>;
  void AddCall(std::string body, const char* method, InvokeOptions options, Answer on_answer,
               Fetches& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    out.calls.push_back([invoker = account_->invoker(), link = link_, generation = generation_,
                         body = std::move(body), method, options,
                         on_answer = std::move(on_answer)]() mutable {
      invoker->Invoke(std::move(body), method, options,
                      [link, generation, on_answer](absl::StatusOr<std::string> result) {
                        Fetches fetches;
                        {
                          absl::MutexLock lock(&link->mutex);
                          Download* self = link->download;
                          if (self == nullptr || self->done_ || generation != self->generation_) {
                            return;
                          }
                          fetches = on_answer(*self, std::move(result));
                        }
                        Fetch(std::move(fetches));
                      });
    });
  }

  // Block `index` from the CDN DC: one upload.getCdnFile per 128 KiB piece (none past a known
  // end), each decrypted and checked against its hash; the block is done when all are.
  bool AddCdnBlock(int64_t index, Fetches& out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    CdnBlock& block = cdn_blocks_[index];
    block.pieces.assign(kCdnPiecesPerBlock, std::string());
    block.pending = 0;
    for (int i = 0; i < kCdnPiecesPerBlock; ++i) {
      const int64_t offset = files::BlockOffset(index) + i * CdnFile::kPieceSize;
      if (size_known_ && offset >= info_.size() && i > 0) continue;
      ++block.pending;
      if (!AddCdnPiece(index, i, 0, out)) return false;
    }
    return true;
  }

  bool AddCdnPiece(int64_t index, int piece, int reuploads, Fetches& out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    const int64_t offset = files::BlockOffset(index) + piece * CdnFile::kPieceSize;
    api::upload_getCdnFile get;
    get.file_token = cdn_->token();
    get.offset = offset;
    get.limit = static_cast<int32_t>(CdnFile::kPieceSize);
    absl::StatusOr<std::string> body = tl::Serialize(get);
    if (!body.ok()) {
      Fail(absl::InternalError(body.status().message()));
      return false;
    }
    InvokeOptions options = BlockOptions();
    options.dc = cdn_->dc();
    options.cdn = true;
    const std::string token = cdn_->token();
    AddCall(
        *std::move(body), api::upload_getCdnFile::kName, options,
        [index, piece, reuploads, token](Download& self, absl::StatusOr<std::string> result) {
          if (!self.cdn_.has_value() || self.cdn_->token() != token) return Fetches{};
          return self.OnCdnPiece(index, piece, reuploads, std::move(result));
        },
        out);
    return true;
  }

  Fetches OnCdnPiece(int64_t index, int piece, int reuploads, absl::StatusOr<std::string> result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    const int64_t offset = files::BlockOffset(index) + piece * CdnFile::kPieceSize;
    absl::StatusOr<tl::Ptr<api::upload_CdnFile>> file =
        result.ok() ? tl::DecodeResult<api::upload_getCdnFile>(*result) : result.status();
    if (!file.ok()) {
      if (result.ok())
        return FailNow(absl::DataLossError(absl::StrCat(
            "upload.getCdnFile: the answer does not decode: ", file.status().message())));
      return FallBack(file.status());
    }
    if (const auto* needed = dynamic_cast<const api::upload_cdnFileReuploadNeeded*>(file->get())) {
      if (reuploads >= kMaxCdnReuploadsPerPiece) {
        return FallBack(absl::UnavailableError("the CDN DC keeps asking for a reupload"));
      }
      return Reupload(index, piece, reuploads + 1, needed->request_token);
    }
    auto* part = dynamic_cast<api::upload_cdnFile*>(file->get());
    if (part == nullptr) return FailNow(absl::DataLossError("upload.getCdnFile: no file"));
    std::string bytes = std::move(part->bytes);  // the decoded answer is not used again
    if (bytes.empty() && (!size_known_ || offset >= info_.size())) {
      return PieceDone(index, piece, std::move(bytes));  // past the end
    }
    if (!cdn_->HasHash(offset)) return AskHashes(index, piece, std::move(bytes));
    if (absl::Status s = cdn_->DecryptAndVerify(offset, bytes); !s.ok()) return FailNow(s);
    return PieceDone(index, piece, std::move(bytes));
  }

  // upload.reuploadCdnFile on the master DC, then the piece again.
  Fetches Reupload(int64_t index, int piece, int reuploads, const std::string& request_token)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    api::upload_reuploadCdnFile reupload;
    reupload.file_token = cdn_->token();
    reupload.request_token = request_token;
    absl::StatusOr<std::string> body = tl::Serialize(reupload);
    if (!body.ok()) return FailNow(absl::InternalError(body.status().message()));
    Fetches out;
    const std::string token = cdn_->token();
    AddCall(
        *std::move(body), api::upload_reuploadCdnFile::kName, BlockOptions(),
        [index, piece, reuploads, token](Download& self, absl::StatusOr<std::string> result) {
          if (!self.cdn_.has_value() || self.cdn_->token() != token) return Fetches{};
          absl::StatusOr<std::vector<tl::Ptr<api::FileHash>>> hashes =
              result.ok() ? tl::DecodeResult<api::upload_reuploadCdnFile>(*result)
                          : result.status();
          if (!hashes.ok()) return self.FallBack(hashes.status());
          if (absl::Status s = self.cdn_->AddHashes(*hashes); !s.ok()) return self.FailNow(s);
          Fetches again;
          if (!self.AddCdnPiece(index, piece, reuploads, again)) return Fetches{};
          return again;
        },
        out);
    return out;
  }

  // upload.getCdnFileHashes on the master DC for a piece whose hash is not known yet.
  Fetches AskHashes(int64_t index, int piece, std::string bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    const int64_t offset = files::BlockOffset(index) + piece * CdnFile::kPieceSize;
    api::upload_getCdnFileHashes get;
    get.file_token = cdn_->token();
    get.offset = offset;
    absl::StatusOr<std::string> body = tl::Serialize(get);
    if (!body.ok()) return FailNow(absl::InternalError(body.status().message()));
    Fetches out;
    const std::string token = cdn_->token();
    AddCall(
        *std::move(body), api::upload_getCdnFileHashes::kName, BlockOptions(),
        [index, piece, offset, token, bytes = std::move(bytes)](
            Download& self, absl::StatusOr<std::string> result) mutable {
          if (!self.cdn_.has_value() || self.cdn_->token() != token) return Fetches{};
          absl::StatusOr<std::vector<tl::Ptr<api::FileHash>>> hashes =
              result.ok() ? tl::DecodeResult<api::upload_getCdnFileHashes>(*result)
                          : result.status();
          if (!hashes.ok()) return self.FallBack(hashes.status());
          if (absl::Status s = self.cdn_->AddHashes(*hashes); !s.ok()) return self.FailNow(s);
          if (!self.cdn_->HasHash(offset)) {
            return self.FailNow(absl::DataLossError(absl::StrCat(
                "upload.getCdnFileHashes gave no hash for the CDN piece at ", offset)));
          }
          if (absl::Status s = self.cdn_->DecryptAndVerify(offset, bytes); !s.ok()) {
            return self.FailNow(s);
          }
          return self.PieceDone(index, piece, std::move(bytes));
        },
        out);
    return out;
  }

  // A checked piece of block `index`; the block joins the others once its pieces are all here.
  Fetches PieceDone(int64_t index, int piece, std::string bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    auto it = cdn_blocks_.find(index);
    if (it == cdn_blocks_.end()) return Fetches{};
    it->second.pieces[piece] = std::move(bytes);
    if (--it->second.pending > 0) return Fetches{};
    std::string data;
    for (std::string& p : it->second.pieces) {
      if (static_cast<int64_t>(data.size()) % CdnFile::kPieceSize != 0 && !p.empty()) {
        return FailNow(absl::DataLossError("the CDN DC served a short piece inside the file"));
      }
      data += p;
      p.clear();
    }
    cdn_blocks_.erase(it);
    return BlockArrived(index, data);
  }

  // Gives up on the CDN (an expired token, an unreachable CDN DC): the blocks it owed come from
  // the master DC, asked without cdn_supported from now on.
  Fetches FallBack(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    if (!cdn_.has_value()) return Fetches{};
    // The CDN's failure is not the caller's: the master DC serves the same bytes.
    (void)status;
    cdn_.reset();
    cdn_off_ = true;
    std::vector<int64_t> owed;
    for (const auto& [index, unused] : cdn_blocks_) owed.push_back(index);
    cdn_blocks_.clear();
    Fetches out;
    if (refreshing_) {
      for (int64_t index : owed) retry_.push_back(index);
      return out;
    }
    for (int64_t index : owed) {
      if (!AddFetch(index, out)) return Fetches{};
    }
    return out;
  }

  Fetches FailNow(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    Fail(status);
    return Fetches{};
  }

  // Block `index`'s bytes, from the master DC or the CDN: kept for its turn to be written.
  Fetches BlockArrived(int64_t index, absl::string_view bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    refreshes_without_progress_ = 0;
    if (index < plan_.end_block) {
      absl::StatusOr<files::BlockSlice> slice = files::SliceBlock(plan_, index, bytes, size_known_);
      if (!slice.ok()) return FailNow(slice.status());
      if (index < plan_.end_block) blocks_[index] = {std::string(slice->data), slice->offset};
    }
    return Pump();
  }

  // upload.fileCdnRedirect for block `index`: the file's blocks come from the CDN DC now.
  Fetches OnRedirect(int64_t index, const api::upload_fileCdnRedirect& redirect)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    if (!cdn_.has_value() || cdn_->token() != redirect.file_token) {
      absl::StatusOr<CdnFile> file = CdnFile::FromRedirect(redirect);
      if (!file.ok()) return FailNow(file.status());
      cdn_ = *std::move(file);
    } else if (absl::Status s = cdn_->AddHashes(redirect.file_hashes); !s.ok()) {
      return FailNow(s);
    }
    Fetches out;
    if (!AddCdnBlock(index, out)) return Fetches{};
    return out;
  }

  void Write() ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    response_.set_total_size(size_known_ ? info_.size() : 0);
    if (!info_sent_) *response_.mutable_file() = info_;
    info_sent_ = true;
    writing_ = true;
    StartWrite(&response_);
  }

  // Ends the call with `status` once no write is in flight; nothing more is fetched.
  void Fail(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    if (!done_) {
      done_ = true;
      blocks_.clear();
      failure_ = status;
    }
    if (!writing_ && !finished_) {
      finished_ = true;
      Finish(ToGrpcStatus(failure_));
    }
  }

  static void Fetch(Fetches fetches) {
    for (auto& call : fetches.calls) call();
    for (auto& [index, body] : fetches.blocks) {
      fetches.invoker->Invoke(
          std::move(body), api::upload_getFile::kName, fetches.options,
          [link = fetches.link, index = index, generation = fetches.generation](
              absl::StatusOr<std::string> r) { OnBlock(link, index, generation, std::move(r)); });
    }
    if (fetches.refresh) {
      fetches.refresh([link = fetches.link](absl::StatusOr<FileSource> source) {
        OnRefreshed(link, std::move(source));
      });
    }
  }

  static void OnBlock(const std::shared_ptr<DownloadLink>& link, int64_t index, int generation,
                      absl::StatusOr<std::string> result) {
    Fetches fetches;
    {
      absl::MutexLock lock(&link->mutex);
      Download* self = link->download;
      if (self == nullptr || self->done_ || generation != self->generation_) return;
      absl::StatusOr<tl::Ptr<api::upload_File>> file =
          result.ok() ? tl::DecodeResult<api::upload_getFile>(*result) : result.status();
      if (!file.ok()) {
        if (!IsStaleLocation(file.status(), self->peer_photo_)) return self->Fail(file.status());
        fetches = self->OnStale(index, file.status());
      } else {
        if (const auto* part = dynamic_cast<const api::upload_file*>(file->get())) {
          fetches = self->BlockArrived(index, part->bytes);
        } else if (const auto* redirect =
                       dynamic_cast<const api::upload_fileCdnRedirect*>(file->get())) {
          fetches = self->OnRedirect(index, *redirect);
        } else {
          return self->Fail(absl::DataLossError("upload.getFile: neither a file nor a redirect"));
        }
      }
    }
    Fetch(std::move(fetches));
  }

  // Block `index` was refused for a stale location: it waits for a refresh (one at a time).
  Fetches OnStale(int64_t index, const absl::Status& status)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    Fetches out;
    if (refresh_ == nullptr) {
      Fail(ServiceError(
          absl::StatusCode::kFailedPrecondition, "FILE_REFERENCE_EXPIRED",
          absl::StrCat("Telegram refused the location's file reference (", status.message(),
                       "); a download by location cannot refresh it: download by "
                       "message (DownloadFileRequest.message) instead")));
      return out;
    }
    retry_.push_back(index);
    if (refreshing_) return out;
    if (++refreshes_without_progress_ > kMaxRefreshesWithoutProgress) {
      Fail(status);
      return out;
    }
    refreshing_ = true;
    out.link = link_;
    out.refresh = refresh_;
    return out;
  }

  static void OnRefreshed(const std::shared_ptr<DownloadLink>& link,
                          absl::StatusOr<FileSource> source) {
    Fetches fetches;
    {
      absl::MutexLock lock(&link->mutex);
      Download* self = link->download;
      if (self == nullptr || self->done_) return;
      fetches = self->Refreshed(std::move(source));
    }
    Fetch(std::move(fetches));
  }

  Fetches Refreshed(absl::StatusOr<FileSource> source) ABSL_EXCLUSIVE_LOCKS_REQUIRED(link_->mutex) {
    refreshing_ = false;
    if (!source.ok()) {
      Fail(source.status());
      return Fetches{};
    }
    if (source->info.id() != info_.id() || source->info.type() != info_.type()) {
      // Another file now: the peer's new photo, or a message edited to hold another file.
      if (info_sent_) {
        Fail(ServiceError(absl::StatusCode::kAborted,
                          peer_photo_ ? "PHOTO_CHANGED" : "FILE_CHANGED",
                          peer_photo_ ? "the photo changed during the download: download it again"
                                      : "the message's file changed during the download"));
        return Fetches{};
      }
      if (!Start(*std::move(source))) return Fetches{};
      return Pump();
    }
    location_ = std::move(source->location);
    dc_ = source->dc;
    Fetches out;
    std::vector<int64_t> retry = std::move(retry_);
    retry_.clear();
    for (int64_t index : retry) {
      if (!AddFetch(index, out)) return Fetches{};
    }
    Merge(out, Pump());
    return out;
  }

  struct Block {
    std::string data;
    int64_t offset = 0;
  };
  // A block coming from the CDN: its pieces (kCdnPiecesPerBlock; those past the end stay empty)
  // and how many are still awaited.
  struct CdnBlock {
    std::vector<std::string> pieces;
    int pending = 0;
  };

  const ApiContext* const api_;
  grpc::CallbackServerContext* const context_;
  const std::shared_ptr<DownloadLink> link_;

  int64_t offset_ ABSL_GUARDED_BY(link_->mutex) = 0;
  int64_t limit_ ABSL_GUARDED_BY(link_->mutex) = 0;
  bool started_ ABSL_GUARDED_BY(link_->mutex) = false;
  std::shared_ptr<Account> account_ ABSL_GUARDED_BY(link_->mutex);
  DownloadPlan plan_ ABSL_GUARDED_BY(link_->mutex);
  bool size_known_ ABSL_GUARDED_BY(link_->mutex) = false;
  int dc_ ABSL_GUARDED_BY(link_->mutex) = 0;
  tl::Ptr<api::InputFileLocation> location_ ABSL_GUARDED_BY(link_->mutex);
  bool peer_photo_ ABSL_GUARDED_BY(link_->mutex) = false;
  v1::DownloadFileResponse::FileInfo info_ ABSL_GUARDED_BY(link_->mutex);

  // Stale locations: how to read the source again (none for a FileLocation), whether that runs,
  // the blocks waiting for it, and the refreshes in a row that brought no block.
  Refresher refresh_ ABSL_GUARDED_BY(link_->mutex);
  bool refreshing_ ABSL_GUARDED_BY(link_->mutex) = false;
  std::vector<int64_t> retry_ ABSL_GUARDED_BY(link_->mutex);
  int refreshes_without_progress_ ABSL_GUARDED_BY(link_->mutex) = 0;
  // The file's CDN copy once Telegram redirected it there (upload.fileCdnRedirect), the blocks
  // being fetched from it, and whether the CDN failed (then the master DC serves every block).
  std::optional<CdnFile> cdn_ ABSL_GUARDED_BY(link_->mutex);
  std::map<int64_t, CdnBlock> cdn_blocks_ ABSL_GUARDED_BY(link_->mutex);
  bool cdn_off_ ABSL_GUARDED_BY(link_->mutex) = false;
  // Bumped when the download starts over with another file: answers for the old one are dropped.
  int generation_ ABSL_GUARDED_BY(link_->mutex) = 0;

  int64_t next_fetch_ ABSL_GUARDED_BY(link_->mutex) = 0;
  // Blocks fetched or waiting to be written, at most (files::PartsInFlight).
  int parts_in_flight_ ABSL_GUARDED_BY(link_->mutex) = files::kPartsInFlight;
  int64_t next_write_ ABSL_GUARDED_BY(link_->mutex) = 0;
  // Fetched blocks waiting for their turn, by index.
  std::map<int64_t, Block> blocks_ ABSL_GUARDED_BY(link_->mutex);
  v1::DownloadFileResponse response_ ABSL_GUARDED_BY(link_->mutex);
  int64_t written_block_ ABSL_GUARDED_BY(link_->mutex) = -1;  // the block being written
  bool writing_ ABSL_GUARDED_BY(link_->mutex) = false;
  bool info_sent_ ABSL_GUARDED_BY(link_->mutex) = false;
  bool done_ ABSL_GUARDED_BY(link_->mutex) = false;
  bool finished_ ABSL_GUARDED_BY(link_->mutex) = false;
  absl::Status failure_ ABSL_GUARDED_BY(link_->mutex);
};

}  // namespace

grpc::ServerWriteReactor<v1::DownloadFileResponse>* NewDownloadReactor(
    const ApiContext* api, grpc::CallbackServerContext* context,
    const v1::DownloadFileRequest* request) {
  return new Download(api, context, *request);
}

}  // namespace tgrpc::service

#include "service/api/file_download.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "service/api/convert.h"
#include "service/api/errors.h"
#include "service/api/file_parts.h"
#include "service/api/utf8.h"
#include "service/telegram/peer_id.h"

namespace tgrpc::service {

namespace {

namespace api = tl::api;
using files::DownloadPlan;

// The largest of a photo's sizes (by area) that can be fetched: its type and bytes.
bool LargestPhotoSize(const api::photo& photo, std::string* type, int64_t* size) {
  int64_t best_area = -1;
  for (const auto& s : photo.sizes) {
    if (const auto* p = dynamic_cast<const api::photoSize*>(s.get())) {
      if (int64_t{p->w} * p->h > best_area) {
        best_area = int64_t{p->w} * p->h;
        *type = p->type;
        *size = p->size;
      }
    } else if (const auto* p = dynamic_cast<const api::photoSizeProgressive*>(s.get())) {
      if (int64_t{p->w} * p->h > best_area && !p->sizes.empty()) {
        best_area = int64_t{p->w} * p->h;
        *type = p->type;
        *size = p->sizes.back();  // the full image; the others are its prefixes
      }
    }
  }
  return best_area >= 0;
}

}  // namespace

absl::StatusOr<FileSource> FileSourceOf(const api::Message& message, absl::string_view field) {
  const auto* m = dynamic_cast<const api::message*>(&message);
  const api::MessageMedia* media = m != nullptr ? m->media.get() : nullptr;
  FileSource out;
  if (const auto* d = dynamic_cast<const api::messageMediaDocument*>(media)) {
    if (const auto* document = dynamic_cast<const api::document*>(d->document.get())) {
      auto location = std::make_unique<api::inputDocumentFileLocation>();
      location->id = document->id;
      location->access_hash = document->access_hash;
      location->file_reference = document->file_reference;
      out.location = std::move(location);
      out.dc = document->dc_id;
      out.size = document->size;
      out.info.set_type("document");
      out.info.set_id(document->id);
      out.info.set_mime_type(ValidUtf8(document->mime_type));
      for (const auto& attribute : document->attributes) {
        if (const auto* a = dynamic_cast<const api::documentAttributeFilename*>(attribute.get())) {
          out.info.set_file_name(ValidUtf8(a->file_name));
        }
      }
    }
  } else if (const auto* p = dynamic_cast<const api::messageMediaPhoto*>(media)) {
    const auto* photo = dynamic_cast<const api::photo*>(p->photo.get());
    std::string type;
    int64_t size = 0;
    if (photo != nullptr && LargestPhotoSize(*photo, &type, &size)) {
      auto location = std::make_unique<api::inputPhotoFileLocation>();
      location->id = photo->id;
      location->access_hash = photo->access_hash;
      location->file_reference = photo->file_reference;
      location->thumb_size = type;
      out.location = std::move(location);
      out.dc = photo->dc_id;
      out.size = size;
      out.info.set_type("photo");
      out.info.set_id(photo->id);
      out.info.set_mime_type("image/jpeg");
    }
  }
  if (out.location == nullptr) {
    return InvalidField(field, "the message has no photo or document");
  }
  out.info.set_dc_id(out.dc);
  out.info.set_size(out.size);
  return out;
}

absl::StatusOr<FileSource> FileSourceOf(const v1::FileLocation& location) {
  const std::string& type = location.type();
  if (!type.empty() && type != "document" && type != "photo") {
    return InvalidField("location.type", "\"document\" or \"photo\"");
  }
  if (location.id() == 0) return InvalidField("location.id", "required: Media.id");
  if (location.dc_id() <= 0 || location.dc_id() > 1000) {
    return InvalidField("location.dc_id", "required: Media.dc_id");
  }
  if (location.size() < 0) return InvalidField("location.size", "must not be negative");
  if (location.file_reference().size() > 1024) {
    return InvalidField("location.file_reference", "at most 1024 bytes");
  }
  FileSource out;
  if (type == "photo") {
    if (location.thumb_size().empty() || location.thumb_size().size() > 8) {
      return InvalidField("location.thumb_size", "required for a photo: 1-8 characters");
    }
    auto photo = std::make_unique<api::inputPhotoFileLocation>();
    photo->id = location.id();
    photo->access_hash = location.access_hash();
    photo->file_reference = location.file_reference();
    photo->thumb_size = location.thumb_size();
    out.location = std::move(photo);
  } else {
    auto document = std::make_unique<api::inputDocumentFileLocation>();
    document->id = location.id();
    document->access_hash = location.access_hash();
    document->file_reference = location.file_reference();
    out.location = std::move(document);
  }
  out.dc = location.dc_id();
  out.size = location.size();
  out.info.set_type(type.empty() ? "document" : type);
  out.info.set_id(location.id());
  out.info.set_dc_id(out.dc);
  out.info.set_size(out.size);
  return out;
}

namespace {

using SourceCallback = std::function<void(absl::StatusOr<FileSource>)>;

// The message `id` in `peer`'s chat, and its file.
void FetchMessageFile(std::shared_ptr<Account> account, ResolvedPeer peer, int32_t id,
                      absl::Time deadline, SourceCallback done) {
  std::vector<tl::Ptr<api::InputMessage>> ids;
  auto input = std::make_unique<api::inputMessageID>();
  input->id = id;
  ids.push_back(std::move(input));
  const int64_t chat = peer.marked_id;
  auto answer = [account, id, chat, done](absl::StatusOr<tl::Ptr<api::messages_Messages>> result) {
    if (!result.ok()) return done(result.status());
    const std::vector<tl::Ptr<api::Message>>* messages = nullptr;
    if (const auto* m = dynamic_cast<const api::messages_messages*>(result->get())) {
      messages = &m->messages;
      account->peers().AddUsers(m->users);
      account->peers().AddChats(m->chats);
    } else if (const auto* m = dynamic_cast<const api::messages_messagesSlice*>(result->get())) {
      messages = &m->messages;
    } else if (const auto* m = dynamic_cast<const api::messages_channelMessages*>(result->get())) {
      messages = &m->messages;
    }
    if (messages != nullptr) {
      for (const auto& message : *messages) {
        const auto* found = dynamic_cast<const api::message*>(message.get());
        // messages.getMessages looks in every private chat and basic group: the id must be the
        // named chat's.
        if (found != nullptr && found->id == id && MarkedPeerId(found->peer_id.get()) == chat) {
          return done(FileSourceOf(*found, "message"));
        }
      }
    }
    done(ServiceError(absl::StatusCode::kNotFound, "MESSAGE_NOT_FOUND",
                      absl::StrCat("message ", id, " does not exist or is not visible")));
  };
  if (MarkedType(peer.marked_id) == PeerType::kChannel) {
    absl::StatusOr<tl::Ptr<api::InputChannel>> channel =
        account->peers().InputChannel(peer.marked_id);
    if (!channel.ok()) return done(channel.status());
    api::channels_getMessages get;
    get.channel = *std::move(channel);
    get.id = std::move(ids);
    account->invoker()->Call<api::channels_getMessages>(get, {deadline}, answer);
  } else {
    api::messages_getMessages get;
    get.id = std::move(ids);
    account->invoker()->Call<api::messages_getMessages>(get, {deadline}, answer);
  }
}

class Download;

// How the invoker's callbacks reach the reactor: `download` is cleared before the reactor is
// deleted. Its mutex guards the reactor's state too.
struct DownloadLink {
  absl::Mutex mutex;
  Download* download ABSL_GUARDED_BY(mutex) = nullptr;
};

// Blocks to fetch once the lock is released.
struct Fetches {
  std::shared_ptr<DownloadLink> link;
  std::shared_ptr<Invoker> invoker;
  InvokeOptions options;
  std::vector<std::pair<int64_t, std::string>> blocks;  // index, serialized upload.getFile
};

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
  // Finds the file (an async chain for a message), then starts.
  void Resolve(const v1::DownloadFileRequest& request) {
    const std::shared_ptr<DownloadLink> link = link_;
    auto begin = [link](std::shared_ptr<Account> account, absl::StatusOr<FileSource> source) {
      Begin(link, std::move(account), std::move(source));
    };
    const int64_t offset = request.offset(), limit = request.limit();
    if (offset < 0) return begin(nullptr, InvalidField("offset", "must not be negative"));
    if (limit < 0) return begin(nullptr, InvalidField("limit", "must not be negative"));
    {
      absl::MutexLock lock(&link_->mutex);
      offset_ = offset;
      limit_ = limit;
    }
    if (request.has_location()) {
      absl::StatusOr<std::shared_ptr<Account>> account =
          CallerSignedInAccount(*api_, *context_, request.location().account(), "location.account");
      if (!account.ok()) return begin(nullptr, account.status());
      return begin(*account, FileSourceOf(request.location()));
    }
    if (request.message().empty()) {
      return begin(nullptr, InvalidField("message", "required: a message name or a location"));
    }
    absl::StatusOr<ChildName> name =
        ParseChildName(request.message(), "message", "chats", "messages");
    if (!name.ok()) return begin(nullptr, name.status());
    int32_t id = 0;
    if (!absl::SimpleAtoi(name->rest, &id) || id <= 0) {
      return begin(nullptr, InvalidField("message", "the message id must be positive"));
    }
    absl::StatusOr<std::shared_ptr<Account>> found = CallerSignedInAccount(
        *api_, *context_, absl::StrCat("accounts/", name->account), "message");
    if (!found.ok()) return begin(nullptr, found.status());
    std::shared_ptr<Account> account = *found;
    const absl::Time deadline = CallDeadline(*context_, *api_);
    ResolveChat(account, name->child, "message", deadline,
                [account, id, deadline, begin](absl::StatusOr<ResolvedPeer> peer) {
                  if (!peer.ok()) return begin(nullptr, peer.status());
                  FetchMessageFile(account, *std::move(peer), id, deadline,
                                   [account, begin](absl::StatusOr<FileSource> source) {
                                     begin(account, std::move(source));
                                   });
                });
  }

  static void Begin(const std::shared_ptr<DownloadLink>& link, std::shared_ptr<Account> account,
                    absl::StatusOr<FileSource> source) {
    Fetches fetches;
    {
      absl::MutexLock lock(&link->mutex);
      Download* self = link->download;
      if (self == nullptr || self->done_) return;
      if (!source.ok()) return self->Fail(source.status());
      absl::StatusOr<DownloadPlan> plan =
          files::PlanDownload(self->offset_, self->limit_, source->size);
      if (!plan.ok()) return self->Fail(plan.status());
      self->account_ = std::move(account);
      self->plan_ = *plan;
      self->size_known_ = source->size > 0;
      self->dc_ = source->dc;
      self->location_ = std::move(source->location);
      self->info_ = std::move(source->info);
      self->next_fetch_ = self->next_write_ = plan->first_block;
      self->started_ = true;
      fetches = self->Pump();
    }
    Fetch(std::move(fetches));
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
    while (next_fetch_ < plan_.end_block && next_fetch_ - next_write_ < files::kPartsInFlight) {
      api::upload_getFile get;
      get.location = std::move(location_);
      get.offset = files::BlockOffset(next_fetch_);
      get.limit = static_cast<int32_t>(files::kPartSize);
      absl::StatusOr<std::string> body = tl::Serialize(get);
      location_ = std::move(get.location);
      if (!body.ok()) {
        Fail(absl::InternalError(body.status().message()));
        return Fetches{};
      }
      if (out.invoker == nullptr) {
        out.link = link_;
        out.invoker = account_->invoker();
        // The document's DC (FILE_MIGRATE is followed inside too). Each block's deadline: the
        // call's, or the default one from now when the caller set none.
        out.options.dc = dc_;
        out.options.bulk = true;  // blocks spread over the account's sessions
        out.options.deadline = context_->deadline() != std::chrono::system_clock::time_point::max()
                                   ? CallDeadline(*context_, *api_)
                                   : absl::Now() + api_->default_deadline;
      }
      out.blocks.emplace_back(next_fetch_++, *std::move(body));
    }
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
    for (auto& [index, body] : fetches.blocks) {
      fetches.invoker->Invoke(std::move(body), api::upload_getFile::kName, fetches.options,
                              [link = fetches.link, index = index](absl::StatusOr<std::string> r) {
                                OnBlock(link, index, std::move(r));
                              });
    }
  }

  static void OnBlock(const std::shared_ptr<DownloadLink>& link, int64_t index,
                      absl::StatusOr<std::string> result) {
    Fetches fetches;
    {
      absl::MutexLock lock(&link->mutex);
      Download* self = link->download;
      if (self == nullptr || self->done_) return;
      absl::StatusOr<tl::Ptr<api::upload_File>> file =
          result.ok() ? tl::DecodeResult<api::upload_getFile>(*result) : result.status();
      if (!file.ok()) return self->Fail(file.status());
      const auto* part = dynamic_cast<const api::upload_file*>(file->get());
      if (part == nullptr) {
        // upload.fileCdnRedirect: cdn_supported is not set, so Telegram should not send it.
        return self->Fail(absl::UnimplementedError("Telegram redirected the file to a CDN"));
      }
      if (index < self->plan_.end_block) {
        absl::StatusOr<files::BlockSlice> slice =
            files::SliceBlock(self->plan_, index, part->bytes, self->size_known_);
        if (!slice.ok()) return self->Fail(slice.status());
        if (index < self->plan_.end_block) {
          self->blocks_[index] = {std::string(slice->data), slice->offset};
        }
      }
      fetches = self->Pump();
    }
    Fetch(std::move(fetches));
  }

  struct Block {
    std::string data;
    int64_t offset = 0;
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
  v1::DownloadFileResponse::FileInfo info_ ABSL_GUARDED_BY(link_->mutex);

  int64_t next_fetch_ ABSL_GUARDED_BY(link_->mutex) = 0;
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

#include "tests/fakedc/uploads.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/fakedc/photos.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;
namespace fs = std::filesystem;

int MaxParts(const MethodEnv& env, int64_t user_id) {
  const UserRecord* user = env.world->FindUser(user_id);
  return user != nullptr && user->premium ? kMaxPartsPremium : kMaxParts;
}

fs::path PartsDir(const MethodEnv& env, int64_t user_id, int64_t file_id) {
  return fs::path(env.files_dir) / absl::StrCat("parts-", user_id, "-", file_id);
}

// The file_total_parts of an upload's first upload.saveBigFilePart, kept beside its parts.
constexpr char kTotalPartsFile[] = "total_parts";
// An upload's parts: part i at i * kMaxPartSize of one sparse file (with parts of 512 KiB, the
// file itself), and a log of (part, size) records, each appended after its part's bytes are
// written, so a part without one is missing (as after a crash mid-write). The last record of a
// part counts. One file per upload, not per part: creating and deleting a few thousand files per
// 2000 MiB made ext4's inode allocation a fifth of fakedc's CPU.
constexpr char kDataFile[] = "data";
constexpr char kSizesFile[] = "sizes";
// Written at the commit: the size of all parts but the last, to find an offset's part.
constexpr char kPartSizeFile[] = "part_size";

absl::Status StorePart(const fs::path& dir, int32_t part, const std::string& bytes) {
  const fs::path data = dir / kDataFile;
  // Opening to append creates the file if need be and keeps what is there.
  std::ofstream(data, std::ios::binary | std::ios::app);
  std::fstream out(data, std::ios::binary | std::ios::in | std::ios::out);
  out.seekp(int64_t{part} * kMaxPartSize);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.flush();
  if (!out) return TelegramError(500, "FILE_WRITE_FAILED");
  char record[8];
  const int32_t size = static_cast<int32_t>(bytes.size());
  std::memcpy(record, &part, 4);
  std::memcpy(record + 4, &size, 4);
  // One write of 8 bytes in append mode (O_APPEND): records of parts saved at once do not
  // interleave.
  std::ofstream sizes(dir / kSizesFile, std::ios::binary | std::ios::app);
  sizes.write(record, sizeof(record));
  sizes.flush();
  if (!sizes) return TelegramError(500, "FILE_WRITE_FAILED");
  return absl::OkStatus();
}

// Each saved part's size, from the log.
std::map<int32_t, int64_t> ReadPartSizes(const fs::path& dir) {
  std::map<int32_t, int64_t> sizes;
  std::ifstream in(dir / kSizesFile, std::ios::binary);
  char record[8];
  while (in.read(record, sizeof(record))) {
    int32_t part = 0, size = 0;
    std::memcpy(&part, record, 4);
    std::memcpy(&size, record + 4, 4);
    sizes[part] = size;
  }
  return sizes;
}

absl::StatusOr<bool> SavePart(MethodEnv& env, const CallContext& context, int64_t file_id,
                              int32_t part, std::optional<int32_t> total_parts,
                              const std::string& bytes) {
  if (absl::Status s = RequireUser(context); !s.ok()) return s;
  const int max_parts = MaxParts(env, context.user_id);
  if (part < 0 || part >= max_parts) return BadRequest("FILE_PART_INVALID");
  if (total_parts.has_value() &&
      (*total_parts <= 0 || *total_parts > max_parts || part >= *total_parts)) {
    return BadRequest("FILE_PARTS_INVALID");
  }
  if (bytes.empty()) return BadRequest("FILE_PART_EMPTY");
  if (static_cast<int64_t>(bytes.size()) > kMaxPartSize) {
    return BadRequest("FILE_PART_TOO_BIG");
  }
  // Every part but the last must have a size dividing 512 KiB; the last is checked at commit.
  const fs::path dir = PartsDir(env, context.user_id, file_id);
  std::error_code error;
  fs::create_directories(dir, error);
  if (total_parts.has_value() && !fs::exists(dir / kTotalPartsFile, error)) {
    std::ofstream(dir / kTotalPartsFile) << *total_parts;
  }
  if (absl::Status stored = StorePart(dir, part, bytes); !stored.ok()) return stored;
  env.world->AddPartSave(
      {context.user_id, file_id, part, total_parts.value_or(0), context.dc_id, context.session_id});
  return true;
}

// An upload whose parts passed Telegram's checks.
struct CheckedUpload {
  fs::path dir;
  int32_t parts = 0;
  // All parts' but the last.
  int64_t part_size = kMaxPartSize;
  int64_t size = 0;
  std::string name;
  std::map<int32_t, int64_t> sizes;
};

// All parts present (else FILE_PART_<i>_MISSING), all but the last of one size that divides
// 512 KiB and the last no longer (FILE_PART_SIZE_INVALID), a big file's part count the
// file_total_parts its parts were sent with, at most `max_size` bytes (FILE_PARTS_INVALID).
absl::StatusOr<CheckedUpload> CheckUploadedParts(MethodEnv& env, const CallContext& context,
                                                 const api::InputFile& file, int64_t max_size) {
  int64_t file_id = 0;
  CheckedUpload out;
  bool big_file = false;
  if (const auto* small = dynamic_cast<const api::inputFile*>(&file)) {
    file_id = small->id;
    out.parts = small->parts;
    out.name = small->name;
  } else if (const auto* big = dynamic_cast<const api::inputFileBig*>(&file)) {
    file_id = big->id;
    out.parts = big->parts;
    out.name = big->name;
    big_file = true;
  } else {
    return BadRequest("FILE_PARTS_INVALID");
  }
  if (out.parts <= 0 || out.parts > MaxParts(env, context.user_id)) {
    return BadRequest("FILE_PARTS_INVALID");
  }
  out.dir = PartsDir(env, context.user_id, file_id);
  if (big_file) {
    int32_t total_parts = 0;
    std::ifstream(out.dir / kTotalPartsFile) >> total_parts;
    // Nothing read: no part was sent with saveBigFilePart, or none at all (part 0 is missing).
    if (total_parts != 0 && total_parts != out.parts) return BadRequest("FILE_PARTS_INVALID");
  }
  out.sizes = ReadPartSizes(out.dir);
  int64_t part_size = -1;
  for (int32_t i = 0; i < out.parts; ++i) {
    const auto saved = out.sizes.find(i);
    if (saved == out.sizes.end()) return BadRequest(absl::StrCat("FILE_PART_", i, "_MISSING"));
    const int64_t size = saved->second;
    if (i + 1 < out.parts) {
      if (part_size == -1) part_size = size;
      if (size != part_size || part_size % 1024 != 0 || kMaxPartSize % part_size != 0) {
        return BadRequest("FILE_PART_SIZE_INVALID");
      }
    } else if (part_size != -1 && size > part_size) {
      return BadRequest("FILE_PART_SIZE_INVALID");
    }
    out.size += size;
  }
  if (part_size != -1) out.part_size = part_size;
  if (out.size > max_size) return BadRequest("FILE_PARTS_INVALID");
  return out;
}

}  // namespace

absl::StatusOr<JoinedUpload> JoinUploadedParts(MethodEnv& env, const CallContext& context,
                                               const api::InputFile& file, const std::string& path,
                                               int64_t max_size) {
  absl::StatusOr<CheckedUpload> upload = CheckUploadedParts(env, context, file, max_size);
  if (!upload.ok()) return upload.status();
  {
    std::ofstream sink(path, std::ios::binary | std::ios::trunc);
    std::ifstream in(upload->dir / kDataFile, std::ios::binary);
    std::vector<char> buffer(kMaxPartSize);
    for (int32_t i = 0; i < upload->parts; ++i) {
      const int64_t size = upload->sizes[i];
      in.seekg(int64_t{i} * kMaxPartSize);
      in.read(buffer.data(), static_cast<std::streamsize>(size));
      if (in.gcount() != size) return TelegramError(500, "FILE_READ_FAILED");
      sink.write(buffer.data(), static_cast<std::streamsize>(size));
    }
    if (!sink) return TelegramError(500, "FILE_WRITE_FAILED");
  }
  std::error_code ignored;
  fs::remove_all(upload->dir, ignored);
  return JoinedUpload{upload->size, upload->name};
}

absl::StatusOr<int64_t> CommitUpload(MethodEnv& env, const CallContext& context,
                                     const api::inputMediaUploadedDocument& media) {
  if (media.file == nullptr) return BadRequest("FILE_PARTS_INVALID");
  absl::StatusOr<CheckedUpload> upload =
      CheckUploadedParts(env, context, *media.file,
                         // 2000 MiB, 4000 MiB premium: the most parts of 512 KiB.
                         int64_t{MaxParts(env, context.user_id)} * kMaxPartSize);
  if (!upload.ok()) return upload.status();
  DocumentRecord doc;
  doc.id = env.world->NewId();
  doc.path = (fs::path(env.files_dir) / absl::StrCat("doc-", doc.id)).string();
  std::error_code error;
  // Parts past the count sent (a small file's, which has no total to check) stay out of it.
  const int64_t end = int64_t{upload->parts - 1} * kMaxPartSize + upload->sizes[upload->parts - 1];
  fs::resize_file(upload->dir / kDataFile, static_cast<uintmax_t>(end), error);
  if (error) return TelegramError(500, "FILE_WRITE_FAILED");
  std::ofstream(upload->dir / kPartSizeFile) << upload->part_size;
  // A World starts its ids afresh, so a state directory used before may hold this id's document.
  fs::remove_all(doc.path, error);
  fs::rename(upload->dir, doc.path, error);
  if (error) return TelegramError(500, "FILE_WRITE_FAILED");
  // Only once the document has the parts: a failed commit leaves the upload as it was.
  fs::remove(fs::path(doc.path) / kTotalPartsFile, error);
  fs::remove(fs::path(doc.path) / kSizesFile, error);
  doc.access_hash = env.world->RandomLong();
  doc.size = upload->size;
  doc.name = upload->name;
  doc.mime_type = media.mime_type.empty() ? "application/octet-stream" : media.mime_type;
  doc.dc_id = env.files_dc != 0 ? env.files_dc : context.dc_id;
  doc.date = env.world->Now();
  for (const auto& attribute : media.attributes) {
    if (auto* name = dynamic_cast<const api::documentAttributeFilename*>(attribute.get())) {
      doc.name = name->file_name;  // the name shown, as Telegram keeps it
    } else if (absl::StatusOr<std::string> bytes = tl::Serialize(*attribute); bytes.ok()) {
      doc.attributes.push_back(*std::move(bytes));
    }
  }
  return env.world->AddDocument(std::move(doc)).id;
}

absl::StatusOr<std::string> ReadStoredRange(const std::string& path, int64_t size, int64_t offset,
                                            int64_t limit) {
  if (offset >= size) return std::string();
  return ReadStoredFile(path, offset, std::min<int64_t>(limit, size - offset));
}

absl::StatusOr<std::string> ReadStoredFile(const std::string& path, int64_t offset, int64_t n) {
  std::string bytes(static_cast<size_t>(n), '\0');
  std::error_code error;
  if (!fs::is_directory(path, error)) {
    std::ifstream in(path, std::ios::binary);
    in.seekg(offset);
    in.read(bytes.data(), n);
    if (in.gcount() != n) return TelegramError(500, "FILE_READ_FAILED");
    return bytes;
  }
  int64_t part_size = 0;
  std::ifstream(fs::path(path) / kPartSizeFile) >> part_size;
  if (part_size <= 0 || part_size > kMaxPartSize) return TelegramError(500, "FILE_READ_FAILED");
  std::ifstream in(fs::path(path) / kDataFile, std::ios::binary);
  for (int64_t done = 0; done < n;) {
    const int64_t at = offset + done;
    const int64_t within = at % part_size;
    const int64_t take = std::min<int64_t>(n - done, part_size - within);
    in.seekg(at / part_size * kMaxPartSize + within);
    in.read(bytes.data() + done, take);
    if (in.gcount() != take) return TelegramError(500, "FILE_READ_FAILED");
    done += take;
  }
  return bytes;
}

void RegisterUploadMethods(Dispatcher& d, MethodEnv& env) {
  RegisterPhotoMethods(d, env);
  d.On<api::upload_saveFilePart>([&env](const api::upload_saveFilePart& request,
                                        CallContext& context) {
    return SavePart(env, context, request.file_id, request.file_part, std::nullopt, request.bytes);
  });
  d.On<api::upload_saveBigFilePart>(
      [&env](const api::upload_saveBigFilePart& request, CallContext& context) {
        return SavePart(env, context, request.file_id, request.file_part, request.file_total_parts,
                        request.bytes);
      });
  d.On<api::upload_getFile>([&env](
                                const api::upload_getFile& request,
                                CallContext& context) -> absl::StatusOr<tl::Ptr<api::upload_File>> {
    if (absl::Status s = RequireUser(context); !s.ok()) return s;
    FileStore& files = env.world->files();
    files.CountGetFile();
    if (files.before_get_file) files.before_get_file(files.get_file_calls());
    if (request.location == nullptr) return BadRequest("LOCATION_INVALID");
    absl::StatusOr<ServedFile> doc = ResolveFileLocation(*env.world, context, *request.location);
    if (!doc.ok()) {
      if (ToRpcError(doc.status()).second == "FILE_REFERENCE_EXPIRED") {
        files.CountExpiredAnswer();
      }
      return doc.status();
    }
    // Telegram's rules: offset a multiple of 4 KiB, limit a multiple of 4 KiB dividing 1 MiB,
    // and the request may not cross a 1 MiB boundary.
    constexpr int64_t kMiB = 1024 * 1024;
    if (request.offset < 0 || request.offset % 4096 != 0) return BadRequest("OFFSET_INVALID");
    if (request.limit <= 0 || request.limit % 4096 != 0 || kMiB % request.limit != 0) {
      return BadRequest("LIMIT_INVALID");
    }
    if (request.offset / kMiB != (request.offset + request.limit - 1) / kMiB) {
      return BadRequest("LIMIT_INVALID");
    }
    // A document the CDN serves, to a client that supports it (FakeDcOptions::cdn_min_size).
    if (request.cdn_supported && doc->id != 0) {
      absl::StatusOr<tl::Ptr<api::upload_File>> redirect = CdnRedirect(env, doc->id);
      if (!redirect.ok()) return redirect.status();
      if (*redirect != nullptr) return *std::move(redirect);
    }
    absl::StatusOr<std::string> read =
        ReadStoredRange(doc->path, doc->size, request.offset, request.limit);
    if (!read.ok()) return read.status();
    std::string bytes = *std::move(read);
    if (doc->id != 0) files.CountPartServed(doc->id);
    auto out = std::make_unique<api::upload_file>();
    out->type = std::make_unique<api::storage_filePartial>();
    out->mtime = doc->date;
    out->bytes = std::move(bytes);
    return tl::Ptr<api::upload_File>(std::move(out));
  });
}

}  // namespace tgrpc::fakedc

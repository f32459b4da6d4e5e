// fakedc's CDN (core.telegram.org/cdn). With FakeDcOptions::cdn_min_size, upload.getFile with
// cdn_supported of a document at least that big answers upload.fileCdnRedirect to the CDN DC, which
// serves the document AES-256-CTR-encrypted (mtproto/crypto/cdn_cipher.h) by upload.getCdnFile.
// The master DCs answer help.getCdnConfig (the CDN DC's RSA key), upload.reuploadCdnFile (after
// the CDN asked for it with upload.cdnFileReuploadNeeded) and upload.getCdnFileHashes (SHA-256 of
// each 128 KiB of plain bytes). The CDN DC answers nothing else (400 CDN_METHOD_INVALID), and
// nobody signs in there: its clients make a key with its RSA key and call getCdnFile only.
#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "mtproto/crypto/cdn_cipher.h"
#include "mtproto/crypto/sha.h"
#include "tests/fakedc/methods.h"
#include "tests/fakedc/uploads.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;
using mtproto::crypto::kCdnHashPieceSize;

// Hashes per redirect, reuploadCdnFile and getCdnFileHashes answer (1 MiB of file): clients need
// getCdnFileHashes for the rest, as with Telegram.
constexpr int64_t kHashesPerAnswer = 8;

std::string RandomString(World& world, size_t size) {
  std::string out(size, '\0');
  world.RandomBytes(absl::MakeSpan(reinterpret_cast<uint8_t*>(out.data()), out.size()));
  return out;
}

bool OnCdn(const MethodEnv& env, const CallContext& context) {
  return env.cdn_dc != 0 && context.dc_id == env.cdn_dc;
}

// The fileHash entries of `doc` from the 128 KiB piece `offset` falls in, at most
// kHashesPerAnswer; none past the end.
absl::StatusOr<std::vector<tl::Ptr<api::FileHash>>> Hashes(const DocumentRecord& doc,
                                                           int64_t offset) {
  std::vector<tl::Ptr<api::FileHash>> out;
  for (int64_t at = offset / kCdnHashPieceSize * kCdnHashPieceSize;
       at < doc.size && static_cast<int64_t>(out.size()) < kHashesPerAnswer;
       at += kCdnHashPieceSize) {
    const int64_t n = std::min(kCdnHashPieceSize, doc.size - at);
    absl::StatusOr<std::string> plain = ReadStoredFile(doc.path, at, n);
    if (!plain.ok()) return plain.status();
    const mtproto::crypto::Sha256Digest digest = mtproto::crypto::Sha256(
        absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(plain->data()), plain->size()));
    auto hash = std::make_unique<api::fileHash>();
    hash->offset = at;
    hash->limit = static_cast<int32_t>(n);
    hash->hash.assign(reinterpret_cast<const char*>(digest.data()), digest.size());
    out.push_back(std::move(hash));
  }
  return out;
}

// The CDN file a master-DC call names, and its document: 400 FILE_TOKEN_INVALID when unknown.
absl::StatusOr<std::pair<CdnFile*, const DocumentRecord*>> FindToken(MethodEnv& env,
                                                                     const std::string& token) {
  CdnFile* file = env.world->files().cdn().FindByToken(token);
  const DocumentRecord* doc =
      file != nullptr ? env.world->FindDocument(file->document_id) : nullptr;
  if (doc == nullptr) return BadRequest("FILE_TOKEN_INVALID");
  return std::make_pair(file, doc);
}

}  // namespace

absl::StatusOr<tl::Ptr<api::upload_File>> CdnRedirect(MethodEnv& env, int64_t document_id) {
  World& world = *env.world;
  const DocumentRecord* doc = world.FindDocument(document_id);
  if (env.cdn_dc == 0 || env.cdn_min_size <= 0 || doc == nullptr || doc->size < env.cdn_min_size) {
    return tl::Ptr<api::upload_File>();
  }
  CdnFiles& cdn = world.files().cdn();
  CdnFile* file = cdn.FindByDocument(document_id);
  if (file == nullptr) {
    CdnFile made;
    made.document_id = document_id;
    made.token = RandomString(world, 16);
    made.key = RandomString(world, mtproto::crypto::kCdnKeySize);
    made.iv = RandomString(world, mtproto::crypto::kCdnIvSize);
    file = &cdn.Add(std::move(made));
  }
  absl::StatusOr<std::vector<tl::Ptr<api::FileHash>>> hashes = Hashes(*doc, 0);
  if (!hashes.ok()) return hashes.status();
  auto out = std::make_unique<api::upload_fileCdnRedirect>();
  out->dc_id = env.cdn_dc;
  out->file_token = file->token;
  out->encryption_key = file->key;
  out->encryption_iv = file->iv;
  out->file_hashes = *std::move(hashes);
  ++cdn.redirects;
  return tl::Ptr<api::upload_File>(std::move(out));
}

void RegisterCdnMethods(Dispatcher& d, MethodEnv& env) {
  // The CDN DC answers upload.getCdnFile only; the master DCs everything but it.
  d.AddGuard([&env](absl::string_view method, const CallContext& context) -> absl::Status {
    const bool cdn_method = method == api::upload_getCdnFile::kName;
    if (OnCdn(env, context) && !cdn_method) return BadRequest("CDN_METHOD_INVALID");
    if (!OnCdn(env, context) && cdn_method) return BadRequest("METHOD_INVALID");
    return absl::OkStatus();
  });
  d.On<api::help_getCdnConfig>([&env](const api::help_getCdnConfig&,
                                      CallContext&) -> absl::StatusOr<tl::Ptr<api::CdnConfig>> {
    auto out = std::make_unique<api::cdnConfig>();
    if (env.cdn_dc != 0 && !env.cdn_public_key_pem.empty()) {
      auto key = std::make_unique<api::cdnPublicKey>();
      key->dc_id = env.cdn_dc;
      key->public_key = env.cdn_public_key_pem;
      out->public_keys.push_back(std::move(key));
    }
    return tl::Ptr<api::CdnConfig>(std::move(out));
  });
  d.On<api::upload_getCdnFile>([&env](
                                   const api::upload_getCdnFile& request,
                                   CallContext&) -> absl::StatusOr<tl::Ptr<api::upload_CdnFile>> {
    CdnFiles& cdn = env.world->files().cdn();
    ++cdn.cdn_file_calls;
    if (cdn.before_get_cdn_file) cdn.before_get_cdn_file(cdn.cdn_file_calls);
    CdnFile* file = cdn.FindByToken(request.file_token);
    const DocumentRecord* doc =
        file != nullptr ? env.world->FindDocument(file->document_id) : nullptr;
    if (doc == nullptr) return BadRequest("FILE_TOKEN_INVALID");
    // upload.getFile's rules: offset a multiple of 4 KiB, limit a multiple of 4 KiB dividing
    // 1 MiB, within one 1 MiB block.
    constexpr int64_t kMiB = 1024 * 1024;
    if (request.offset < 0 || request.offset % 4096 != 0) return BadRequest("OFFSET_INVALID");
    if (request.limit <= 0 || request.limit % 4096 != 0 || kMiB % request.limit != 0 ||
        request.offset / kMiB != (request.offset + request.limit - 1) / kMiB) {
      return BadRequest("LIMIT_INVALID");
    }
    if (!file->on_cdn) {
      auto out = std::make_unique<api::upload_cdnFileReuploadNeeded>();
      out->request_token = RandomString(*env.world, 16);
      file->request_tokens.insert(out->request_token);
      ++cdn.reupload_answers;
      return tl::Ptr<api::upload_CdnFile>(std::move(out));
    }
    absl::StatusOr<std::string> read =
        ReadStoredRange(doc->path, doc->size, request.offset, request.limit);
    if (!read.ok()) return read.status();
    std::string bytes = *std::move(read);
    if (!bytes.empty()) {
      if (absl::Status s = mtproto::crypto::CdnCrypt(file->key, file->iv, request.offset, bytes);
          !s.ok()) {
        return s;
      }
      if (cdn.corrupt()) bytes[0] = static_cast<char>(bytes[0] ^ 1);
    }
    auto out = std::make_unique<api::upload_cdnFile>();
    out->bytes = std::move(bytes);
    return tl::Ptr<api::upload_CdnFile>(std::move(out));
  });
  d.On<api::upload_reuploadCdnFile>(
      [&env](const api::upload_reuploadCdnFile& request,
             CallContext& context) -> absl::StatusOr<std::vector<tl::Ptr<api::FileHash>>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        auto found = FindToken(env, request.file_token);
        if (!found.ok()) return found.status();
        auto [file, doc] = *found;
        // Telegram's request token is the CDN's RSA-encrypted note; fakedc's is opaque.
        if (!file->on_cdn && file->request_tokens.count(request.request_token) == 0) {
          return BadRequest("RSA_DECRYPT_FAILED");
        }
        if (!file->on_cdn) ++env.world->files().cdn().reuploads;
        file->on_cdn = true;
        file->request_tokens.clear();
        return Hashes(*doc, 0);
      });
  d.On<api::upload_getCdnFileHashes>(
      [&env](const api::upload_getCdnFileHashes& request,
             CallContext& context) -> absl::StatusOr<std::vector<tl::Ptr<api::FileHash>>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        ++env.world->files().cdn().file_hashes_calls;
        auto found = FindToken(env, request.file_token);
        if (!found.ok()) return found.status();
        const DocumentRecord* doc = found->second;
        if (request.offset < 0 || request.offset >= doc->size) return BadRequest("OFFSET_INVALID");
        return Hashes(*doc, request.offset);
      });
}

}  // namespace tgrpc::fakedc

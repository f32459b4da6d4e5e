// fakedc's CDN (core.telegram.org/cdn): which documents its CDN DC holds, each under a file token
// with its own AES-256-CTR key and IV, as the master DC hands them out in upload.fileCdnRedirect.
// A test decides whether the CDN has a file at once or only after the master DC's
// upload.reuploadCdnFile, and may make it serve corrupted bytes (which clients catch with the
// SHA-256 file hashes). Part of the World (FileStore::cdn()); server thread only: no locks.
#ifndef TGRPC_TESTS_FAKEDC_CDN_FILES_H_
#define TGRPC_TESTS_FAKEDC_CDN_FILES_H_

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>

namespace tgrpc::fakedc {

struct CdnFile {
  int64_t document_id = 0;
  std::string token;  // file_token
  std::string key;    // encryption_key, 32 bytes
  std::string iv;     // encryption_iv, 16 bytes
  // The request tokens of the cdnFileReuploadNeeded answers since it was last put on the CDN:
  // any of them is good for upload.reuploadCdnFile.
  std::set<std::string> request_tokens;
  bool on_cdn = false;  // the CDN holds it (else getCdnFile asks for a reupload)
};

class CdnFiles {
 public:
  // The CDN copy of document `document_id`, if it has one.
  CdnFile* FindByDocument(int64_t document_id);
  CdnFile* FindByToken(const std::string& token);
  // Adds a document's CDN copy (its token, key and IV chosen by the caller). It is on the CDN at
  // once unless reupload_first().
  CdnFile& Add(CdnFile file);
  // Forgets every token: later getCdnFile / reuploadCdnFile / getCdnFileHashes calls with one get
  // 400 FILE_TOKEN_INVALID (as after Telegram's tokens expire), and the next redirect of a
  // document makes a new one.
  void ExpireTokens();

  // The CDN does not have a file until the master DC's upload.reuploadCdnFile: its first
  // getCdnFile answers upload.cdnFileReuploadNeeded.
  bool reupload_first() const { return reupload_first_; }
  void set_reupload_first(bool on) { reupload_first_ = on; }
  // Fault: the CDN flips one bit of every upload.cdnFile it serves.
  bool corrupt() const { return corrupt_; }
  void set_corrupt(bool on) { corrupt_ = on; }

  // A test hook run before each upload.getCdnFile is served, with the call's number from 1.
  std::function<void(int64_t call)> before_get_cdn_file;

  // Counters for tests.
  int64_t redirects = 0;          // upload.fileCdnRedirect answers
  int64_t cdn_file_calls = 0;     // upload.getCdnFile calls
  int64_t reupload_answers = 0;   // upload.cdnFileReuploadNeeded answers
  int64_t reuploads = 0;          // upload.reuploadCdnFile calls that put a file on the CDN
  int64_t file_hashes_calls = 0;  // upload.getCdnFileHashes calls

 private:
  std::map<std::string, CdnFile> by_token_;
  std::map<int64_t, std::string> token_of_;  // document id -> token
  bool reupload_first_ = false;
  bool corrupt_ = false;
};

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_CDN_FILES_H_

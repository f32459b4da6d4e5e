// Requests fakedc's tests send the same way whatever carries them (a Dispatcher or a TestClient).
#ifndef TGRPC_TESTS_FAKEDC_TEST_REQUESTS_H_
#define TGRPC_TESTS_FAKEDC_TEST_REQUESTS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "tl/generated/api.h"

namespace tgrpc::fakedc::testing {

// Part 0 of upload file `file_id`.
inline tl::api::upload_saveFilePart FirstFilePart(int64_t file_id, std::string bytes) {
  tl::api::upload_saveFilePart part;
  part.file_id = file_id;
  part.file_part = 0;
  part.bytes = std::move(bytes);
  return part;
}

// Sends the one-part upload `file_id` as a document to Saved Messages.
inline tl::api::messages_sendMedia SendUploadedDocument(int64_t file_id, std::string name,
                                                        int64_t random_id) {
  auto file = std::make_unique<tl::api::inputFile>();
  file->id = file_id;
  file->parts = 1;
  file->name = std::move(name);
  auto media = std::make_unique<tl::api::inputMediaUploadedDocument>();
  media->file = std::move(file);
  media->mime_type = "application/octet-stream";
  tl::api::messages_sendMedia send;
  send.peer = std::make_unique<tl::api::inputPeerSelf>();
  send.media = std::move(media);
  send.random_id = random_id;
  return send;
}

}  // namespace tgrpc::fakedc::testing

#endif  // TGRPC_TESTS_FAKEDC_TEST_REQUESTS_H_

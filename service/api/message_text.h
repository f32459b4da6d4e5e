// What sending a message and sending media share: the caller's text (Markdown / HTML parsed
// here, or plain with its entities) as text and TL entities, a random_id that a retried
// request_id repeats, and the sent message found in Telegram's Updates answer.
#ifndef TGRPC_SERVICE_API_MESSAGE_TEXT_H_
#define TGRPC_SERVICE_API_MESSAGE_TEXT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/telegram/account.h"
#include "service/text/formatting.h"
#include "tgrpc/v1/message.pb.h"
#include "tl/generated/api.h"

namespace tgrpc::service {

// `input` as `mode` says, with `entities` for plain text. INVALID_ARGUMENT names `text_field`
// (bad markup, empty when !allow_empty, longer than max_utf16 UTF-16 units), "entities" or
// "parse_mode".
absl::StatusOr<text::FormattedText> ParseFormattedText(
    const std::string& input, const google::protobuf::RepeatedPtrField<v1::MessageEntity>& entities,
    v1::SendMessageRequest::ParseMode mode, absl::string_view text_field, int max_utf16,
    bool allow_empty);

// Entities as TL, mention_name users through the account's peer cache.
absl::StatusOr<std::vector<tl::Ptr<tl::api::MessageEntity>>> EntitiesToTl(
    const std::vector<text::Entity>& entities, Account& account);

// A random_id: FNV-1a of account, request_id and `salt` when there is a request_id (the same
// across restarts, so a retry is the same message for Telegram too); random otherwise.
int64_t RandomIdFor(const std::string& request_id, absl::string_view account,
                    absl::string_view salt);

// The message an Updates answer carries: by random_id (updateMessageID), else the first new or
// edited one. updateShortSentMessage (a private chat's short answer) is completed from `sent`.
absl::StatusOr<v1::Message> MessageFromUpdates(const tl::api::Updates& updates, int64_t random_id,
                                               Account& account, int64_t marked_chat,
                                               const text::FormattedText* sent);

}  // namespace tgrpc::service

#endif  // TGRPC_SERVICE_API_MESSAGE_TEXT_H_

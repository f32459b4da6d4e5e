// Message entities (core.telegram.org/api/entities): the styled ranges of a message's text (bold,
// links, mentions, ...). A message keeps them as sent, checked, and every copy of it returns them.
#ifndef TGRPC_TESTS_FAKEDC_ENTITIES_H_
#define TGRPC_TESTS_FAKEDC_ENTITIES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tests/fakedc/rpc.h"
#include "tests/fakedc/world.h"
#include "tl/generated/api.h"

namespace tgrpc::fakedc {

// The length of `text` (UTF-8) in UTF-16 code units, the unit of entity offsets and lengths.
int32_t Utf16Length(absl::string_view text);

// The entities a send or an edit gives for `text`, as a message stores them (MessageRecord::
// entities): 400 ENTITY_BOUNDS_INVALID for a range outside the text, ENTITY_MENTION_USER_INVALID
// for a mention of an unknown user. An inputMessageEntityMentionName becomes the
// messageEntityMentionName that messages carry; empty ranges are dropped.
absl::StatusOr<std::vector<std::string>> StoredEntities(
    const std::optional<std::vector<tl::Ptr<tl::api::MessageEntity>>>& entities,
    absl::string_view text, const CallContext& context, World& world);

// Stored entities as the objects a message carries.
std::vector<tl::Ptr<tl::api::MessageEntity>> MessageEntities(
    const std::vector<std::string>& stored);

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_ENTITIES_H_

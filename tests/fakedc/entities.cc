#include "tests/fakedc/entities.h"

#include <memory>
#include <utility>

#include "tests/fakedc/methods.h"

namespace tgrpc::fakedc {
namespace {

namespace api = tl::api;

// Every MessageEntity constructor of the pinned layer has an offset and a length; the generated
// types share no base that exposes them, so each is tried in turn.
template <class... Types>
bool ReadRange(const api::MessageEntity& entity, int32_t& offset, int32_t& length) {
  return ([&] {
    const auto* typed = dynamic_cast<const Types*>(&entity);
    if (typed == nullptr) return false;
    offset = typed->offset;
    length = typed->length;
    return true;
  }() || ...);
}

bool RangeOf(const api::MessageEntity& entity, int32_t& offset, int32_t& length) {
  return ReadRange<api::messageEntityUnknown, api::messageEntityMention, api::messageEntityHashtag,
                   api::messageEntityBotCommand, api::messageEntityUrl, api::messageEntityEmail,
                   api::messageEntityBold, api::messageEntityItalic, api::messageEntityCode,
                   api::messageEntityPre, api::messageEntityTextUrl, api::messageEntityMentionName,
                   api::inputMessageEntityMentionName, api::messageEntityPhone,
                   api::messageEntityCashtag, api::messageEntityUnderline, api::messageEntityStrike,
                   api::messageEntityBankCard, api::messageEntitySpoiler,
                   api::messageEntityCustomEmoji, api::messageEntityBlockquote,
                   api::messageEntityFormattedDate, api::messageEntityDiffInsert,
                   api::messageEntityDiffReplace, api::messageEntityDiffDelete>(entity, offset,
                                                                                length);
}

}  // namespace

int32_t Utf16Length(absl::string_view text) {
  int32_t units = 0;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte & 0xc0) == 0x80) continue;  // a continuation byte
    // A code point past U+FFFF (a 4-byte sequence) takes a surrogate pair.
    units += byte >= 0xf0 ? 2 : 1;
  }
  return units;
}

absl::StatusOr<std::vector<std::string>> StoredEntities(
    const std::optional<std::vector<tl::Ptr<api::MessageEntity>>>& entities, absl::string_view text,
    const CallContext& context, World& world) {
  std::vector<std::string> out;
  if (!entities.has_value()) return out;
  const int32_t size = Utf16Length(text);
  for (const tl::Ptr<api::MessageEntity>& entity : *entities) {
    if (entity == nullptr) continue;
    int32_t offset = 0, length = 0;
    // A constructor without a range is not one a message may carry.
    if (!RangeOf(*entity, offset, length)) return BadRequest("ENTITY_BOUNDS_INVALID");
    if (offset < 0 || length < 0 || static_cast<int64_t>(offset) + length > size) {
      return BadRequest("ENTITY_BOUNDS_INVALID");
    }
    if (length == 0) continue;  // styles nothing
    absl::StatusOr<std::string> bytes;
    if (const auto* input = dynamic_cast<const api::inputMessageEntityMentionName*>(entity.get())) {
      // A mention sent by InputUser is kept, and returned, by user id.
      if (input->user_id == nullptr) return BadRequest("ENTITY_MENTION_USER_INVALID");
      absl::StatusOr<UserRecord*> user = ResolveInputUser(*input->user_id, context, world);
      if (!user.ok() || *user == nullptr) return BadRequest("ENTITY_MENTION_USER_INVALID");
      api::messageEntityMentionName mention;
      mention.offset = offset;
      mention.length = length;
      mention.user_id = (*user)->id;
      bytes = tl::Serialize(mention);
    } else {
      bytes = tl::Serialize(*entity);
    }
    if (!bytes.ok()) return bytes.status();
    out.push_back(*std::move(bytes));
  }
  return out;
}

std::vector<tl::Ptr<api::MessageEntity>> MessageEntities(const std::vector<std::string>& stored) {
  std::vector<tl::Ptr<api::MessageEntity>> out;
  for (const std::string& bytes : stored) {
    absl::StatusOr<tl::Ptr<api::MessageEntity>> entity = tl::Decode<api::MessageEntity>(bytes);
    if (entity.ok()) out.push_back(*std::move(entity));
  }
  return out;
}

}  // namespace tgrpc::fakedc

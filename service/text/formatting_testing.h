// Test helpers for //service/text: short constructors for expected entities, and a printer so that
// a failed comparison shows the entities instead of their bytes.
#ifndef TGRPC_SERVICE_TEXT_FORMATTING_TESTING_H_
#define TGRPC_SERVICE_TEXT_FORMATTING_TESTING_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <utility>

#include "service/text/formatting.h"

namespace tgrpc::service::text {

inline Entity MakeEntity(std::string type, int32_t offset, int32_t length) {
  Entity entity;
  entity.type = std::move(type);
  entity.offset = offset;
  entity.length = length;
  return entity;
}

inline Entity TextUrl(int32_t offset, int32_t length, std::string url) {
  Entity entity = MakeEntity("text_url", offset, length);
  entity.url = std::move(url);
  return entity;
}

inline Entity Pre(int32_t offset, int32_t length, std::string language) {
  Entity entity = MakeEntity("pre", offset, length);
  entity.language = std::move(language);
  return entity;
}

inline Entity MentionName(int32_t offset, int32_t length, int64_t user_id) {
  Entity entity = MakeEntity("mention_name", offset, length);
  entity.user_id = user_id;
  return entity;
}

inline Entity CustomEmoji(int32_t offset, int32_t length, int64_t custom_emoji_id) {
  Entity entity = MakeEntity("custom_emoji", offset, length);
  entity.custom_emoji_id = custom_emoji_id;
  return entity;
}

// Found by gtest through argument-dependent lookup.
inline void PrintTo(const Entity& entity, std::ostream* os) {
  *os << "{" << entity.type << " " << entity.offset << "+" << entity.length;
  if (!entity.url.empty()) *os << " url=" << entity.url;
  if (!entity.language.empty()) *os << " language=" << entity.language;
  if (entity.user_id != 0) *os << " user_id=" << entity.user_id;
  if (entity.custom_emoji_id != 0) *os << " custom_emoji_id=" << entity.custom_emoji_id;
  *os << "}";
}

}  // namespace tgrpc::service::text

#endif  // TGRPC_SERVICE_TEXT_FORMATTING_TESTING_H_

// Seed data every fakedc starts with (deterministic for a seed): two users, a bot, a 2FA user, a
// user whose home is DC 1 and a supergroup with many members. Tests find them by these names.
#ifndef TGRPC_TESTS_FAKEDC_SEED_H_
#define TGRPC_TESTS_FAKEDC_SEED_H_

#include "tests/fakedc/world.h"

namespace tgrpc::fakedc {

inline constexpr char kSeedAlicePhone[] = "15550000001";
inline constexpr char kSeedBobPhone[] = "15550000002";
inline constexpr char kSeedCarolPhone[] = "15550000003";  // has a 2FA password
inline constexpr char kSeedCarolPassword[] = "correct horse";
inline constexpr char kSeedDavePhone[] = "15550000004";  // home DC 1 (everyone else: DC 2)
inline constexpr int kSeedDaveHomeDc = 1;
inline constexpr char kSeedBotUsername[] = "fakedc_bot";
inline constexpr char kSeedBotToken[] = "1000000:AAFakeDcBotTokenForTests";
inline constexpr char kSeedBigChannel[] = "fakedc_big";  // a supergroup, alice creates it

void SeedWorld(World& world, int big_channel_members);

}  // namespace tgrpc::fakedc

#endif  // TGRPC_TESTS_FAKEDC_SEED_H_

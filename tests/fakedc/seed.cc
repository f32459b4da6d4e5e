#include "tests/fakedc/seed.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tgrpc::fakedc {

void SeedWorld(World& world, int big_channel_members) {
  UserRecord& alice = world.AddUser(kSeedAlicePhone, "Alice", "Example");
  alice.username = "alice_example";
  UserRecord& bob = world.AddUser(kSeedBobPhone, "Bob", "Example");
  bob.username = "bob_example";
  UserRecord& carol = world.AddUser(kSeedCarolPhone, "Carol", "Example");
  // Only the password is stored: its SRP salts and verifier are made on first use (World::
  // PasswordOf), so worlds that never log carol in skip the PBKDF2.
  carol.password = kSeedCarolPassword;
  carol.password_hint = "horse";
  UserRecord& bot = world.AddBot(kSeedBotUsername, "FakeDc Bot");
  bot.bot_token = kSeedBotToken;

  ChannelRecord& big = world.AddChannel("FakeDc Big Group", kSeedBigChannel, alice.id, true);
  big.members.push_back(bob.id);
  big.members.push_back(bot.id);
  for (int i = static_cast<int>(big.members.size()); i < big_channel_members; ++i) {
    UserRecord& member = world.AddUser(absl::StrFormat("1666%07d", i), absl::StrCat("Member ", i));
    big.members.push_back(member.id);
  }
  // Added last so that the records above keep the ids they had before dave existed.
  UserRecord& dave = world.AddUser(kSeedDavePhone, "Dave", "Example");
  dave.home_dc = kSeedDaveHomeDc;
}

}  // namespace tgrpc::fakedc

#include "service/telegram/watcher_list.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tgrpc::service {
namespace {

TEST(WatcherListTest, NotifiesEveryWatcherUntilRemoved) {
  WatcherList<std::string> list;
  std::vector<std::string> seen;
  const int a = list.Add([&seen](const std::string& s) { seen.push_back("a:" + s); });
  const int b = list.Add([&seen](const std::string& s) { seen.push_back("b:" + s); });
  EXPECT_NE(a, 0);
  EXPECT_NE(a, b);
  list.Notify("one");
  list.Remove(a);
  list.Notify("two");
  list.Remove(b);
  list.Remove(b);  // again: nothing
  list.Notify("three");
  EXPECT_EQ(seen, (std::vector<std::string>{"a:one", "b:one", "b:two"}));
}

// A stream ends from inside a notification: its watcher removes itself (and adds another) while
// the list is being notified, without deadlock; the new one hears the next notification.
TEST(WatcherListTest, WatchersMayChangeTheListFromACall) {
  WatcherList<> list;
  int calls = 0, later = 0;
  int self = 0;
  self = list.Add([&] {
    ++calls;
    list.Remove(self);
    list.Add([&later] { ++later; });
  });
  list.Notify();
  list.Notify();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(later, 1);
}

}  // namespace
}  // namespace tgrpc::service

// UpdateEngine on SQLite with a scripted Telegram: pushed updates are logged in order, a gap
// becomes one getDifference whose answer fills it, the log and state survive a new engine on the
// same database, readers are told of new events and read from memory or storage alike, and a
// storage failure loses nothing (the updates come again with the next difference).
#include "service/updates/update_engine.h"

#include <atomic>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "service/storage/key_cipher.h"
#include "service/storage/sqlite_storage.h"
#include "tl/generated/api.h"

namespace tgrpc::service::updates {
namespace {

namespace api = tl::api;

constexpr int64_t kSelf = 100;
constexpr int64_t kBob = 200;

std::string TestDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir != nullptr ? dir : "/tmp";
}

tl::Ptr<api::Message> TextMessage(int32_t id, const std::string& text) {
  auto message = std::make_unique<api::message>();
  message->id = id;
  message->date = 1'700'000'000 + id;
  message->message_ = text;
  auto peer = std::make_unique<api::peerUser>();
  peer->user_id = kBob;
  message->peer_id = std::move(peer);
  auto from = std::make_unique<api::peerUser>();
  from->user_id = kBob;
  message->from_id = std::move(from);
  return message;
}

// updateShort(updateNewMessage) with pts `pts`.
std::string Push(int32_t id, int32_t pts) {
  auto update = std::make_unique<api::updateNewMessage>();
  update->message = TextMessage(id, absl::StrCat("m", id));
  update->pts = pts;
  update->pts_count = 1;
  api::updateShort push;
  push.update = std::move(update);
  push.date = 1'700'000'000 + id;
  return *tl::Serialize(push);
}

// An updates.difference with messages `ids` and the final state.
std::string Difference(std::vector<int32_t> ids, int32_t pts) {
  api::updates_difference d;
  for (int32_t id : ids) d.new_messages.push_back(TextMessage(id, absl::StrCat("m", id)));
  auto bob = std::make_unique<api::user>();
  bob->id = kBob;
  bob->first_name = "Bob";
  d.users.push_back(std::move(bob));
  auto state = std::make_unique<api::updates_state>();
  state->pts = pts;
  state->date = 1'700'000'100;
  state->seq = 1;
  d.state = std::move(state);
  return *tl::Serialize(d);
}

std::string EmptyDifference() {
  api::updates_differenceEmpty d;
  d.date = 1'700'000'100;
  d.seq = 1;
  return *tl::Serialize(d);
}

std::string State(int32_t pts) {
  api::updates_state s;
  s.pts = pts;
  s.date = 1'700'000'000;
  s.seq = 1;
  return *tl::Serialize(s);
}

// Telegram, scripted: each call's method is recorded and answered from a queue per method.
class FakeTelegram {
 public:
  void Answer(const std::string& method, std::string body) {
    absl::MutexLock lock(&mutex_);
    answers_[method].push_back(std::move(body));
  }
  void Invoke(std::string, std::string method,
              std::function<void(absl::StatusOr<std::string>)> done) {
    std::string answer;
    {
      absl::MutexLock lock(&mutex_);
      calls_.push_back(method);
      auto& queue = answers_[method];
      if (queue.empty()) {
        answer = method == "updates.getDifference" ? EmptyDifference() : "";
      } else {
        answer = std::move(queue.front());
        queue.pop_front();
      }
    }
    if (answer.empty()) return done(absl::UnavailableError("no answer scripted"));
    done(std::move(answer));
  }
  int Calls(const std::string& method) {
    absl::MutexLock lock(&mutex_);
    return static_cast<int>(std::count(calls_.begin(), calls_.end(), method));
  }

 private:
  absl::Mutex mutex_;
  std::map<std::string, std::deque<std::string>> answers_;
  std::vector<std::string> calls_;
};

class UpdateEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    path_ = absl::StrCat(TestDir(), "/engine_", counter++, ".db");
    OpenStorage();
    AccountRecord record;
    record.id = "alice";
    record.tenant = "t";
    record.state = AccountState::kSignedIn;
    record.user_id = kSelf;
    ASSERT_TRUE(storage_->PutAccount(record).ok());
    work_ = std::make_unique<asio::executor_work_guard<asio::io_context::executor_type>>(
        io_.get_executor());
    thread_ = std::thread([this] { io_.run(); });
  }
  void TearDown() override {
    engine_.reset();
    work_.reset();
    io_.stop();
    thread_.join();
  }
  void OpenStorage() {
    storage_.reset();
    absl::StatusOr<std::unique_ptr<Storage>> storage =
        OpenSqliteStorage(path_, *KeyCipher::FromKey(std::string(KeyCipher::kKeySize, 'k')));
    ASSERT_TRUE(storage.ok()) << storage.status();
    storage_ = *std::move(storage);
  }
  std::shared_ptr<UpdateEngine> Make() {
    UpdateEngineOptions options;
    options.storage = storage_.get();
    options.account = {"t", "alice"};
    options.self_user_id = kSelf;
    options.invoke = [this](std::string body, std::string method,
                            std::function<void(absl::StatusOr<std::string>)> done) {
      telegram_.Invoke(std::move(body), std::move(method), std::move(done));
    };
    options.retry_delay = absl::Milliseconds(50);
    absl::StatusOr<std::shared_ptr<UpdateEngine>> engine =
        UpdateEngine::Create(io_, std::move(options));
    EXPECT_TRUE(engine.ok()) << engine.status();
    return engine.ok() ? *engine : nullptr;
  }
  // Waits (at most 10 s) for the head to reach `head`.
  bool WaitForHead(UpdateEngine& engine, int64_t head) {
    for (int i = 0; i < 1000 && engine.head() < head; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return engine.head() >= head;
  }
  bool WaitFor(const std::function<bool()>& done) {
    for (int i = 0; i < 1000 && !done(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
  }
  // The message ids of the logged updates after `after`.
  std::vector<int32_t> LoggedIds(UpdateEngine& engine, int64_t after = 0) {
    std::vector<int32_t> ids;
    absl::StatusOr<std::vector<UpdateLogEntry>> entries = engine.Read(after, 1000);
    EXPECT_TRUE(entries.ok()) << entries.status();
    for (const UpdateLogEntry& entry : entries.value_or(std::vector<UpdateLogEntry>())) {
      auto update = tl::Decode<api::Update>(entry.update);
      if (!update.ok()) continue;
      if (const auto* m = dynamic_cast<const api::updateNewMessage*>(update->get())) {
        if (const auto* msg = dynamic_cast<const api::message*>(m->message.get())) {
          ids.push_back(msg->id);
        }
      }
    }
    return ids;
  }

  std::string path_;
  std::unique_ptr<Storage> storage_;
  FakeTelegram telegram_;
  asio::io_context io_;
  std::unique_ptr<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::shared_ptr<UpdateEngine> engine_;
};

TEST_F(UpdateEngineTest, ANewAccountStartsFromGetStateThenLogsPushesInOrder) {
  telegram_.Answer("updates.getState", State(10));
  engine_ = Make();
  engine_->Start();
  // getState, then a difference (getState may lag behind).
  ASSERT_TRUE(WaitFor([&] { return telegram_.Calls("updates.getDifference") == 1; }));
  ASSERT_TRUE(WaitFor([&] { return engine_->state().pts == 10; }));
  std::atomic<int> told{0};
  engine_->Watch([&] { ++told; });
  engine_->OnUpdates(Push(1, 11));
  engine_->OnUpdates(Push(2, 12));
  engine_->OnUpdates(Push(2, 12));  // the same again: dropped
  ASSERT_TRUE(WaitForHead(*engine_, 2));
  EXPECT_EQ(LoggedIds(*engine_), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(engine_->head(), 2);
  EXPECT_EQ(told.load(), 2);
  EXPECT_EQ(engine_->state().pts, 12);
}

TEST_F(UpdateEngineTest, AGapIsFilledByOneDifference) {
  telegram_.Answer("updates.getState", State(10));
  engine_ = Make();
  engine_->Start();
  ASSERT_TRUE(WaitFor([&] { return telegram_.Calls("updates.getDifference") == 1; }));
  ASSERT_TRUE(WaitFor([&] { return engine_->state().pts == 10; }));
  engine_->OnUpdates(Push(1, 11));
  // 12 and 13 are lost; 14 arrives: after the hold, a difference brings 2 and 3 (and 4 again).
  telegram_.Answer("updates.getDifference", Difference({2, 3, 4}, 14));
  engine_->OnUpdates(Push(4, 14));
  ASSERT_TRUE(WaitForHead(*engine_, 4));
  EXPECT_EQ(LoggedIds(*engine_), (std::vector<int32_t>{1, 2, 3, 4}));
  EXPECT_EQ(telegram_.Calls("updates.getDifference"), 2);
  EXPECT_EQ(engine_->state().pts, 14);
  // Bob came with the difference and is kept with the messages that name him.
  absl::StatusOr<std::vector<UpdateLogEntry>> entries = engine_->Read(1, 10);
  ASSERT_TRUE(entries.ok());
  ASSERT_FALSE(entries->empty());
  EXPECT_EQ((*entries)[0].users.size(), 1u);
}

TEST_F(UpdateEngineTest, TheLogAndStateOutliveTheEngineAndTheProcess) {
  telegram_.Answer("updates.getState", State(10));
  engine_ = Make();
  engine_->Start();
  ASSERT_TRUE(WaitFor([&] { return engine_->state().pts == 10; }));
  engine_->OnUpdates(Push(1, 11));
  engine_->OnUpdates(Push(2, 12));
  ASSERT_TRUE(WaitForHead(*engine_, 2));
  engine_->Stop();
  engine_.reset();
  OpenStorage();  // as a new process would
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  engine_ = Make();
  EXPECT_EQ(engine_->head(), 2);
  EXPECT_EQ(engine_->state().pts, 12);
  // Read from storage (nothing in memory yet).
  EXPECT_EQ(LoggedIds(*engine_), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(LoggedIds(*engine_, 1), (std::vector<int32_t>{2}));
  // A restart asks for the difference from the stored state, not getState.
  telegram_.Answer("updates.getDifference", Difference({3}, 13));
  engine_->Start();
  ASSERT_TRUE(WaitForHead(*engine_, 3));
  EXPECT_EQ(telegram_.Calls("updates.getState"), 1);
  EXPECT_EQ(LoggedIds(*engine_), (std::vector<int32_t>{1, 2, 3}));
}

TEST_F(UpdateEngineTest, AFailedDifferenceIsAskedAgain) {
  telegram_.Answer("updates.getState", State(10));
  engine_ = Make();
  engine_->Start();
  ASSERT_TRUE(WaitFor([&] { return engine_->state().pts == 10; }));
  // updatesTooLong: a difference at once; its first try fails (no answer scripted but empty
  // difference is the default, so script a failure by answering garbage).
  telegram_.Answer("updates.getDifference", "garbage!");
  telegram_.Answer("updates.getDifference", Difference({1, 2}, 12));
  engine_->OnUpdates(*tl::Serialize(api::updatesTooLong()));
  ASSERT_TRUE(WaitForHead(*engine_, 2));
  EXPECT_EQ(LoggedIds(*engine_), (std::vector<int32_t>{1, 2}));
  EXPECT_GE(telegram_.Calls("updates.getDifference"), 3);
}

}  // namespace
}  // namespace tgrpc::service::updates

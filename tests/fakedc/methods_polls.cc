// Polls and quizzes: inputMediaPoll kept as a PollRecord (checked as Telegram does), shown with
// its results now in every copy of its message, and messages.sendVote, which answers
// updateMessagePoll and pushes it to the poll's creator.
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/fakedc/methods.h"
#include "tests/fakedc/methods_messages_internal.h"

namespace tgrpc::fakedc {

namespace {

namespace api = tl::api;

constexpr size_t kMinAnswers = 2;
constexpr size_t kMaxAnswers = 12;
constexpr size_t kMaxQuestionBytes = 255 * 4;
constexpr size_t kMaxAnswerBytes = 100 * 4;

tl::Ptr<api::TextWithEntities> Text(const std::string& text) {
  auto out = std::make_unique<api::textWithEntities>();
  out->text = text;
  return out;
}

std::string PlainText(const api::TextWithEntities* text) {
  const auto* t = dynamic_cast<const api::textWithEntities*>(text);
  return t != nullptr ? t->text : "";
}

tl::Ptr<api::PollResults> Results(const PollRecord& poll, int64_t viewer_id) {
  auto out = std::make_unique<api::pollResults>();
  auto mine = poll.votes.find(viewer_id);
  const bool voted = mine != poll.votes.end();
  std::vector<tl::Ptr<api::PollAnswerVoters>> voters;
  for (const auto& [text, option] : poll.answers) {
    auto v = std::make_unique<api::pollAnswerVoters>();
    v->option = option;
    int32_t count = 0;
    for (const auto& [voter, chosen] : poll.votes) {
      count += static_cast<int32_t>(std::count(chosen.begin(), chosen.end(), option));
    }
    v->voters = count;
    v->recent_voters = std::vector<tl::Ptr<api::Peer>>();  // flags.2, with voters
    v->chosen = voted && std::count(mine->second.begin(), mine->second.end(), option) != 0;
    v->correct = poll.quiz && (voted || poll.closed) && option == poll.correct_option;
    voters.push_back(std::move(v));
  }
  out->results = std::move(voters);
  out->total_voters = static_cast<int32_t>(poll.votes.size());
  if (poll.quiz && !poll.solution.empty() && (voted || poll.closed)) {
    out->solution = poll.solution;
    out->solution_entities = std::vector<tl::Ptr<api::MessageEntity>>();
  }
  return out;
}

tl::Ptr<api::Poll> PollObject(const PollRecord& poll) {
  auto out = std::make_unique<api::poll>();
  out->id = poll.id;
  out->closed = poll.closed;
  out->public_voters = poll.public_voters;
  out->multiple_choice = poll.multiple_choice;
  out->quiz = poll.quiz;
  out->question = Text(poll.question);
  for (const auto& [text, option] : poll.answers) {
    auto answer = std::make_unique<api::pollAnswer>();
    answer->text = Text(text);
    answer->option = option;
    out->answers.push_back(std::move(answer));
  }
  if (poll.close_period != 0) out->close_period = poll.close_period;
  if (poll.close_date != 0) out->close_date = poll.close_date;
  return out;
}

// Closes the poll if its close_date passed.
void CloseIfDue(PollRecord& poll, World& world) {
  if (!poll.closed && poll.close_date != 0 && world.Now() >= poll.close_date) poll.closed = true;
}

}  // namespace

tl::Ptr<api::MessageMedia> MakePollMedia(const PollRecord& poll, int64_t viewer_id) {
  auto out = std::make_unique<api::messageMediaPoll>();
  out->poll = PollObject(poll);
  out->results = Results(poll, viewer_id);
  return out;
}

std::optional<absl::StatusOr<int64_t>> PollFromInput(const api::InputMedia& media, World& world,
                                                     int64_t creator_id) {
  const auto* input = dynamic_cast<const api::inputMediaPoll*>(&media);
  if (input == nullptr) return std::nullopt;
  const auto* poll = dynamic_cast<const api::poll*>(input->poll.get());
  if (poll == nullptr) return BadRequest("MEDIA_INVALID");
  const std::string question = PlainText(poll->question.get());
  if (question.empty() || question.size() > kMaxQuestionBytes) {
    return BadRequest("POLL_QUESTION_INVALID");
  }
  if (poll->answers.size() < kMinAnswers || poll->answers.size() > kMaxAnswers) {
    return BadRequest("POLL_ANSWERS_INVALID");
  }
  PollRecord record;
  std::set<std::string> options;
  for (const auto& a : poll->answers) {
    const auto* answer = dynamic_cast<const api::pollAnswer*>(a.get());
    if (answer == nullptr) return BadRequest("POLL_ANSWER_INVALID");
    const std::string text = PlainText(answer->text.get());
    if (text.empty() || text.size() > kMaxAnswerBytes || answer->option.empty() ||
        answer->option.size() > 100) {
      return BadRequest("POLL_OPTION_INVALID");
    }
    if (!options.insert(answer->option).second) return BadRequest("POLL_OPTION_DUPLICATE");
    record.answers.emplace_back(text, answer->option);
  }
  if (poll->quiz) {
    if (poll->multiple_choice) return BadRequest("QUIZ_MULTIPLE_INVALID");
    if (!input->correct_answers.has_value() || input->correct_answers->size() != 1) {
      return BadRequest("QUIZ_CORRECT_ANSWERS_EMPTY");
    }
    const int32_t index = input->correct_answers->front();
    if (index < 0 || index >= static_cast<int32_t>(record.answers.size())) {
      return BadRequest("QUIZ_CORRECT_ANSWER_INVALID");
    }
    record.correct_option = record.answers[index].second;
  }
  if (poll->close_period.has_value() && (*poll->close_period < 5 || *poll->close_period > 600)) {
    return BadRequest("POLL_CLOSE_PERIOD_INVALID");  // not in the error list: Telegram's name
  }
  PollRecord& stored = world.AddPoll();
  const int64_t id = stored.id;
  record.id = id;
  record.question = question;
  record.public_voters = poll->public_voters;
  record.multiple_choice = poll->multiple_choice;
  record.quiz = poll->quiz;
  record.closed = poll->closed;
  record.solution = input->solution.value_or("");
  record.creator_id = creator_id;
  if (poll->close_period.has_value()) {
    record.close_period = *poll->close_period;
    record.close_date = world.Now() + *poll->close_period;
  }
  stored = std::move(record);
  return id;
}

void RegisterPollMethods(Dispatcher& d, MethodEnv& env) {
  World& world = *env.world;
  d.On<api::messages_sendVote>(
      [&env, &world](const api::messages_sendVote& request,
                     CallContext& context) -> absl::StatusOr<tl::Ptr<api::Updates>> {
        if (absl::Status s = RequireUser(context); !s.ok()) return s;
        absl::StatusOr<PeerRef> peer = ResolveInputPeer(*request.peer, context, world);
        if (!peer.ok()) return peer.status();
        absl::StatusOr<MessageBox*> box = BoxFor(world, context, *peer);
        if (!box.ok()) return box.status();
        const MessageRecord* message = FindIn(**box, *peer, request.msg_id);
        if (message == nullptr) return BadRequest("MESSAGE_ID_INVALID");
        PollRecord* poll = world.FindPoll(message->poll_id);
        if (poll == nullptr) return BadRequest("MEDIA_INVALID");
        CloseIfDue(*poll, world);
        if (poll->closed) return BadRequest("MESSAGE_POLL_CLOSED");
        if (request.options.size() > 1 && !poll->multiple_choice) {
          return BadRequest("OPTIONS_TOO_MUCH");
        }
        for (const std::string& option : request.options) {
          const bool known = std::any_of(poll->answers.begin(), poll->answers.end(),
                                         [&](const auto& a) { return a.second == option; });
          if (!known) return BadRequest("OPTION_INVALID");
        }
        const bool voted = poll->votes.count(context.user_id) != 0;
        if (poll->quiz && voted) return BadRequest("REVOTE_NOT_ALLOWED");
        if (request.options.empty()) {
          poll->votes.erase(context.user_id);
        } else {
          poll->votes[context.user_id] = request.options;
        }
        auto make = [&](int64_t viewer) {
          auto update = std::make_unique<api::updateMessagePoll>();
          update->poll_id = poll->id;
          update->poll = PollObject(*poll);
          update->results = Results(*poll, viewer);
          auto out = std::make_unique<api::updates>();
          out->date = world.Now();
          out->updates_.push_back(std::move(update));
          return out;
        };
        if (poll->creator_id != context.user_id)
          env.push(poll->creator_id, *make(poll->creator_id), 0);
        return tl::Ptr<api::Updates>(make(context.user_id));
      });
}

}  // namespace tgrpc::fakedc

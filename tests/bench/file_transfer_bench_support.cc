#include "tests/bench/file_transfer_bench_support.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tgrpc::file_bench {

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(
    const std::vector<std::string>& argv, const std::string& log_path) {
  // Everything the child needs is made before fork: after it, only async-signal-safe calls.
  std::vector<std::string> args = argv;
  std::vector<char*> pointers;
  for (std::string& arg : args) pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("open ", log_path));
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe2");
  if (pipe2(out, O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe2");
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::ErrnoToStatus(errno, "fork");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    close_range(3, ~0U, 0);
    execvp(pointers[0], pointers.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(log_fd);
  std::unique_ptr<ChildProcess> child(new ChildProcess());
  child->pid_ = pid;
  child->stdin_fd_ = in[1];
  child->stdout_fd_ = out[0];
  return child;
}

ChildProcess::~ChildProcess() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
  if (stdin_fd_ >= 0) close(stdin_fd_);
  if (stdout_fd_ >= 0) close(stdout_fd_);
}

absl::StatusOr<std::string> ChildProcess::ReadLine(absl::Duration guard) {
  const absl::Time deadline = absl::Now() + guard;
  while (true) {
    const size_t newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return line;
    }
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat("pid ", pid_, ": no line within ", absl::FormatDuration(guard)));
    }
    pollfd fd{stdout_fd_, POLLIN, 0};
    const int ready = poll(
        &fd, 1, static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(left) + 1, 1000)));
    if (ready < 0 && errno != EINTR) return absl::ErrnoToStatus(errno, "poll");
    if (ready <= 0) continue;
    char chunk[4096];
    const ssize_t got = read(stdout_fd_, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return absl::OutOfRangeError(absl::StrCat("pid ", pid_, ": end of output"));
    buffer_.append(chunk, static_cast<size_t>(got));
  }
}

absl::Status ChildProcess::WriteLine(absl::string_view line) {
  const std::string text = absl::StrCat(line, "\n");
  size_t at = 0;
  while (at < text.size()) {
    const ssize_t wrote = write(stdin_fd_, text.data() + at, text.size() - at);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return absl::ErrnoToStatus(errno, absl::StrCat("write to pid ", pid_));
    at += static_cast<size_t>(wrote);
  }
  return absl::OkStatus();
}

int ChildProcess::Stop(absl::Duration guard) {
  if (reaped_) return status_;
  kill(pid_, SIGTERM);
  const absl::Time deadline = absl::Now() + guard;
  while (absl::Now() < deadline) {
    if (waitpid(pid_, &status_, WNOHANG) == pid_) {
      reaped_ = true;
      return status_;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status_, 0);
  reaped_ = true;
  return status_;
}

int64_t PeakRss(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) != 0) continue;
    int64_t kib = 0;
    std::istringstream(line.substr(6)) >> kib;
    return kib * 1024;
  }
  return 0;
}

void ResetPeakRss(pid_t pid) { std::ofstream(absl::StrCat("/proc/", pid, "/clear_refs")) << "5"; }

SeededBytes::SeededBytes(uint64_t seed) : ctx_(EVP_CIPHER_CTX_new()) {
  const std::string label = absl::StrCat("tgrpc file_transfer_bench ", seed);
  unsigned char key[32];
  unsigned int key_size = 0;
  EVP_Digest(label.data(), label.size(), key, &key_size, EVP_sha256(), nullptr);
  const unsigned char iv[16] = {};
  EVP_EncryptInit_ex(ctx_, EVP_aes_256_ctr(), nullptr, key, iv);
}

SeededBytes::~SeededBytes() { EVP_CIPHER_CTX_free(ctx_); }

void SeededBytes::Next(char* out, size_t size) {
  if (zeros_.size() < size) zeros_.assign(size, 0);
  int written = 0;
  EVP_EncryptUpdate(ctx_, reinterpret_cast<unsigned char*>(out), &written, zeros_.data(),
                    static_cast<int>(size));
}

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr);
}

Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(ctx_); }

void Sha256Stream::Update(absl::string_view data) {
  EVP_DigestUpdate(ctx_, data.data(), data.size());
}

std::string Sha256Stream::Finish() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx_, digest, &size);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<char*>(digest), size));
}

absl::StatusOr<std::string> WriteSeededFile(const std::string& path, uint64_t seed, int64_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  SeededBytes bytes(seed);
  Sha256Stream hash;
  std::string block(1 << 20, '\0');
  for (int64_t at = 0; at < size; at += static_cast<int64_t>(block.size())) {
    const size_t n = static_cast<size_t>(std::min<int64_t>(size - at, block.size()));
    bytes.Next(block.data(), n);
    hash.Update(absl::string_view(block.data(), n));
    out.write(block.data(), static_cast<std::streamsize>(n));
  }
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return hash.Finish();
}

double AesCbcMegabytesPerSecond(double seconds, int rounds) {
  unsigned char key[32] = {1}, iv[16] = {2};
  std::vector<unsigned char> in(16384, 3), out(16384 + 16);
  double best = 0;
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), nullptr, key, iv);
  for (int round = 0; round < rounds; ++round) {
    int64_t bytes = 0;
    const auto started = std::chrono::steady_clock::now();
    double elapsed = 0;
    while (elapsed < seconds) {
      for (int i = 0; i < 64; ++i) {
        int written = 0;
        EVP_EncryptUpdate(ctx, out.data(), &written, in.data(), static_cast<int>(in.size()));
        bytes += written;
      }
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    }
    best = std::max(best, static_cast<double>(bytes) / 1e6 / elapsed);
  }
  EVP_CIPHER_CTX_free(ctx);
  return best;
}

std::optional<std::string> JsonField(absl::string_view line, absl::string_view key) {
  const std::string quoted = absl::StrCat("\"", key, "\":");
  size_t at = line.find(quoted);
  if (at == absl::string_view::npos) return std::nullopt;
  at += quoted.size();
  while (at < line.size() && line[at] == ' ') ++at;
  if (at < line.size() && line[at] == '"') {
    const size_t end = line.find('"', at + 1);
    if (end == absl::string_view::npos) return std::nullopt;
    return std::string(line.substr(at + 1, end - at - 1));
  }
  size_t end = at;
  while (end < line.size() && line[end] != ',' && line[end] != '}' && line[end] != ']') ++end;
  return std::string(line.substr(at, end - at));
}

}  // namespace tgrpc::file_bench

// Upload and download of one large file through tgrpcd, and the same file through the interop
// clients (mtcute and GramJS) to the same fakedc (issue 11). Figures and ratios only, never
// asserted; the exit status says only whether every download matched its upload byte for byte.
//
// Three processes, each measured from outside through /proc: fakedc (forked from this one before
// it starts any thread, so its CPU is in nobody else's figures), tgrpcd
// (//tests/crash:tgrpcd_child) and, for the libraries, node running file_transfer_bench.mjs.
// For tgrpcd, one account per `--sessions` value (Account.max_sessions, set at CreateAccount)
// uploads `--size_mib` with FileService.UploadFile in `--chunk_kib` chunks made from a seed as
// they are sent (the file is never whole in memory), sends it to itself with SendMedia and
// downloads it with DownloadFile, hashing as it arrives. mtcute signs in as fakedc's alice and
// GramJS as bob; each uploads the same bytes (written to a scratch file: GramJS streams big
// files only from disk) with its library's uploadFile and downloads them with its iterator.
// Per phase: MB/s (10^6 bytes per second), CPU seconds per GiB of the transferring process
// (tgrpcd, or node with its file reads and hashing) and of fakedc, and the process's peak
// resident set (VmHWM, reset before each phase). The machine's single-core AES-256-CBC speed
// (EVP, 16 KiB buffers, as `openssl speed -evp aes-256-cbc`) bounds an MTProto upload, whose
// AES-256-IGE is as serial: tgrpcd's upload MB/s is printed against it, by the wall clock and per
// CPU second of tgrpcd's own (on a machine whose cores fakedc and this process share, the second is
// the figure tgrpcd controls), and so is the download's per CPU second.
//
//   bazel run //tests/bench:file_transfer_bench -- [--size_mib=64] [--sessions=1,10]
//       [--clients=mtcute,gramjs] [--mtcute_size_mib=N] [--gramjs_size_mib=N] [--chunk_kib=512]
//       [--warmup_mib=64] [--seed=7] [--node=node] [--workspace=DIR] [--keep]
//       [--fakedc_dir=auto|disk|DIR]
// `bazel run` gives the source tree (BUILD_WORKSPACE_DIRECTORY): the Node script, the interop
// clients' node_modules and fakedc's older-layer schemas are read from there.
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "grpcpp/grpcpp.h"
#include "mtproto/crypto/rsa_key.h"
#include "tests/bench/file_transfer_bench_support.h"
#include "tests/bench/tgrpcd_bench_util.h"
#include "tests/crash/tgrpcd_child.h"
#include "tests/fakedc/fakedc.h"
#include "tgrpc/v1/file.grpc.pb.h"
#include "tgrpc/v1/message.grpc.pb.h"

namespace tgrpc::file_bench {
namespace {

using Clock = std::chrono::steady_clock;
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kMiB = 1024.0 * 1024.0;

struct Options {
  int64_t size_mib = 64;
  int64_t chunk_kib = 512;
  int64_t warmup_mib = 64;
  std::vector<int> sessions;
  std::vector<std::string> clients;
  std::map<std::string, int64_t> client_size_mib;
  uint64_t seed = 7;
  std::string node = "node";
  std::string workspace;  // the source tree: the Node script, its node_modules, the schemas
  bool keep = false;
  bool fakedc_verbose = false;  // fakedc logs every call to fakedc.log (with --keep)
  // Where fakedc keeps its files: "auto" (tmpfs, /dev/shm, when it has room, else the scratch
  // directory), "disk" (the scratch directory) or a directory.
  std::string fakedc_dir = "auto";
  std::string fakedc_files;  // where they went, for the table's header
};

// fakedc stands in for Telegram's servers, which are other machines: the ext4 work of storing
// 2000 MiB of parts and the kernel's writeback of them are no cost of tgrpcd's, but on a small
// machine they take the cores tgrpcd shares with fakedc (0.5-0.9 CPU s per GiB more for fakedc on
// the 2-core test machine). So by default fakedc's files go to tmpfs when it can hold the largest
// transfer twice over; the header says where they went.
std::string FakeDcRoot(const Options& options, const std::string& scratch, int64_t largest_mib) {
  if (options.fakedc_dir == "disk") return scratch;
  if (options.fakedc_dir != "auto") return options.fakedc_dir;
  struct statfs fs;
  if (statfs("/dev/shm", &fs) != 0 || fs.f_type != TMPFS_MAGIC) return scratch;
  const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_bsize;
  const uint64_t need = (2 * static_cast<uint64_t>(largest_mib) + 512) << 20;
  if (free_bytes < need) return scratch;
  return absl::StrCat("/dev/shm/file-bench-", getpid());
}

// One direction of one row: wall time, CPU of the transferring process and of fakedc, and the
// transferring process's peak resident set.
struct Phase {
  double seconds = 0;
  double cpu = 0;
  double fakedc_cpu = 0;
  int64_t peak_rss = 0;
};

struct Row {
  std::string name;
  int64_t size = 0;
  Phase up, down;
  double send_seconds = 0;     // SendMedia (fakedc checks the parts and moves them)
  std::string sessions = "-";  // tgrpcd: READY / all sessions of the account after the transfer
  bool ran = false;
  bool matched = false;
  std::string note;
};

// Writes the page cache's dirty pages out (untimed) before each phase and before a send, so that
// a phase does not pay for the writeback of the one before (the 2000 MiB form leaves about 2 GB
// of fakedc's parts dirty).
void FlushDisk() { sync(); }

// Snapshots of both processes' CPU time at the start of a phase.
class PhaseClock {
 public:
  PhaseClock(pid_t worker, pid_t fakedc) : worker_(worker), fakedc_(fakedc) {
    FlushDisk();
    ResetPeakRss(worker_);
    started_ = Clock::now();
    worker_cpu_ = CpuSeconds(worker_);
    fakedc_cpu_ = CpuSeconds(fakedc_);
  }
  Phase Stop() const {
    Phase phase;
    phase.seconds = std::chrono::duration<double>(Clock::now() - started_).count();
    phase.cpu = CpuSeconds(worker_) - worker_cpu_;
    phase.fakedc_cpu = CpuSeconds(fakedc_) - fakedc_cpu_;
    phase.peak_rss = PeakRss(worker_);
    return phase;
  }

 private:
  pid_t worker_, fakedc_;
  Clock::time_point started_;
  double worker_cpu_ = 0, fakedc_cpu_ = 0;
};

// fakedc in a process of its own, forked from this one before it starts any thread, so that its
// CPU time is in nobody else's figures. It serves until the control pipe closes.
struct FakeDcProcess {
  pid_t pid = -1;
  int control = -1;          // closing it ends the child
  std::map<int, int> ports;  // DC id -> its main (not media-only) port
  std::string state_dir;
  std::string public_key_path;

  ~FakeDcProcess() {
    if (control >= 0) close(control);
    if (pid > 0) waitpid(pid, nullptr, 0);
  }
};

// A fresh server key whose fingerprint, in hex, has no leading zero: mtcute looks keys up by
// the fingerprint printed without leading zeros and would not find such a key
// (tests/interop/README.md).
absl::StatusOr<std::string> ServerKeyPem() {
  for (int attempt = 0; attempt < 64; ++attempt) {
    absl::StatusOr<mtproto::crypto::RsaPrivateKey> key =
        mtproto::crypto::RsaPrivateKey::Generate(2048);
    if (!key.ok()) return key.status();
    if ((key->public_key().fingerprint() >> 60) != 0) return key->ToPem();
  }
  return absl::InternalError("no key without a leading zero in 64 tries");
}

// The child: serves `options` until `control` reads EOF; reports "1=p1,2=p2,3=p3" or an error on
// `report`. Never returns.
[[noreturn]] void ServeFakeDc(fakedc::FakeDcOptions options, int control, int report,
                              const std::string& log_path, const std::string& public_key_path) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  const int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (log_fd >= 0) dup2(log_fd, STDERR_FILENO);
  std::string line;
  absl::StatusOr<std::unique_ptr<fakedc::FakeDc>> dc = fakedc::FakeDc::Start(std::move(options));
  if (dc.ok() && crash::WriteFile(public_key_path, (*dc)->public_key_pem()).ok()) {
    for (int id = 1; id <= 3; ++id) absl::StrAppend(&line, id, "=", (*dc)->port(id), ",");
  } else {
    line = absl::StrCat("error ", dc.status().ToString(), " (or writing the public key)");
  }
  line += "\n";
  (void)!write(report, line.data(), line.size());
  close(report);
  char byte;
  while (read(control, &byte, 1) != 0) {
  }
  _exit(0);
}

// fakedc's files go under `files_root`, its log and key under `root`.
absl::StatusOr<std::unique_ptr<FakeDcProcess>> StartFakeDc(const std::string& root,
                                                           const std::string& files_root,
                                                           const std::string& schema_dir,
                                                           bool verbose) {
  auto dc = std::make_unique<FakeDcProcess>();
  absl::StatusOr<std::string> pem = ServerKeyPem();
  if (!pem.ok()) return pem.status();
  dc->state_dir = files_root + "/fakedc";
  dc->public_key_path = root + "/fakedc.pem";
  fakedc::FakeDcOptions options;
  options.rsa_key_pem = *pem;
  options.schema_dir = schema_dir;
  options.state_dir = dc->state_dir;
  options.big_channel_members = 5;
  options.verbose = verbose;
  int control[2], report[2];
  if (pipe2(control, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC) != 0) {
    return absl::ErrnoToStatus(errno, "pipe2");
  }
  dc->pid = fork();
  if (dc->pid < 0) return absl::ErrnoToStatus(errno, "fork");
  if (dc->pid == 0) {
    close(control[1]);
    close(report[0]);
    ServeFakeDc(std::move(options), control[0], report[1], root + "/fakedc.log",
                dc->public_key_path);
  }
  close(control[0]);
  close(report[1]);
  dc->control = control[1];
  std::string line;
  char chunk[256];
  ssize_t got;
  while ((got = read(report[0], chunk, sizeof chunk)) > 0) line.append(chunk, got);
  close(report[0]);
  for (absl::string_view entry : absl::StrSplit(line, ',', absl::SkipWhitespace())) {
    std::pair<std::string, std::string> kv = absl::StrSplit(entry, '=');
    int id = 0, port = 0;
    if (absl::SimpleAtoi(kv.first, &id) && absl::SimpleAtoi(kv.second, &port)) dc->ports[id] = port;
  }
  if (dc->ports.size() != 3) return absl::InternalError(absl::StrCat("fakedc: ", line));
  return dc;
}

// The flags of crash::SandboxFlags, for a fakedc in another process.
std::vector<std::string> TgrpcdFlags(const FakeDcProcess& dc, const std::string& state_dir) {
  std::vector<std::string> dcs;
  for (const auto& [id, port] : dc.ports) dcs.push_back(absl::StrCat(id, "=127.0.0.1:", port));
  return {"--listen=127.0.0.1:0",
          "--metrics_listen=127.0.0.1:0",
          absl::StrCat("--state_dir=", state_dir),
          "--telegram=sandbox",
          absl::StrCat("--sandbox_dcs=", absl::StrJoin(dcs, ",")),
          absl::StrCat("--sandbox_public_key=", dc.public_key_path),
          "--api_id=1",
          "--api_hash=bench",
          absl::StrCat("--token=crash:", crash::kToken),
          "--shutdown_grace=2s"};
}

// fakedc keeps every document on disk; a finished row's is not needed again.
void RemoveDocuments(const FakeDcProcess& dc) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dc.state_dir + "/files", error)) {
    if (entry.path().filename().string().rfind("doc-", 0) == 0) {
      std::filesystem::remove_all(entry.path(), error);  // a directory of the upload's parts
    }
  }
}

std::string GrpcError(absl::string_view what, const grpc::Status& status) {
  return absl::StrCat(what, ": ", status.error_code(), " ", status.error_message());
}

// A new account (`number` picks its test phone number) with `sessions` as max_sessions moves
// `size` bytes up and down.
Row RunTgrpcd(const Options& options, tgrpcd_bench::Client& client, v1::FileService::Stub& files,
              pid_t tgrpcd, const FakeDcProcess& dc, int sessions, int number, int64_t size,
              const std::string& want) {
  Row row;
  row.name = absl::StrCat("tgrpcd (", sessions, sessions == 1 ? " session)" : " sessions)");
  row.size = size;
  const std::string account = absl::StrCat("file-", number);
  absl::StatusOr<int64_t> user =
      client.SignUp(account, absl::StrFormat("999662%04d", number), sessions);
  if (!user.ok()) {
    row.note = std::string(user.status().message());
    return row;
  }
  row.ran = true;
  const int deadline_seconds = 4 * 3600;

  v1::UploadedFile uploaded;
  {
    PhaseClock clock(tgrpcd, dc.pid);
    auto context = client.Context(deadline_seconds);
    auto writer = files.UploadFile(context.get(), &uploaded);
    v1::UploadFileRequest request;
    request.mutable_header()->set_account("accounts/" + account);
    request.mutable_header()->set_file_name("bench.bin");
    request.mutable_header()->set_size(row.size);
    bool open = writer->Write(request);
    request.clear_header();
    SeededBytes bytes(options.seed);
    const int64_t chunk = options.chunk_kib * 1024;
    for (int64_t at = 0; open && at < row.size; at += chunk) {
      const size_t n = static_cast<size_t>(std::min(chunk, row.size - at));
      std::string* data = request.mutable_chunk();
      data->resize(n);
      bytes.Next(data->data(), n);
      open = writer->Write(request);
    }
    writer->WritesDone();
    const grpc::Status status = writer->Finish();
    row.up = clock.Stop();
    if (!status.ok()) {
      row.note = GrpcError("UploadFile", status);
      return row;
    }
  }

  v1::SendMediaRequest send;
  send.set_parent(absl::StrCat("accounts/", account, "/chats/me"));
  *send.mutable_file() = uploaded;
  v1::Message sent;
  FlushDisk();
  const auto send_started = Clock::now();
  if (grpc::Status status = client.messages->SendMedia(client.Context(600).get(), send, &sent);
      !status.ok()) {
    row.note = GrpcError("SendMedia", status);
    return row;
  }
  row.send_seconds = std::chrono::duration<double>(Clock::now() - send_started).count();

  {
    PhaseClock clock(tgrpcd, dc.pid);
    auto context = client.Context(deadline_seconds);
    v1::DownloadFileRequest request;
    request.set_message(sent.name());
    auto reader = files.DownloadFile(context.get(), request);
    v1::DownloadFileResponse response;
    Sha256Stream hash;
    int64_t received = 0;
    while (reader->Read(&response)) {
      hash.Update(response.data());
      received += static_cast<int64_t>(response.data().size());
    }
    const grpc::Status status = reader->Finish();
    row.down = clock.Stop();
    if (!status.ok()) {
      row.note = GrpcError("DownloadFile", status);
      return row;
    }
    row.matched = received == row.size && hash.Finish() == want;
  }
  if (absl::StatusOr<std::pair<int, int>> open = client.Sessions(account); open.ok()) {
    row.sessions = absl::StrCat(open->first, "/", open->second);
  }
  return row;
}

// Waits for the driver's next event line ({"event": ...}); other lines are skipped.
absl::StatusOr<std::string> NextEvent(ChildProcess& node, absl::string_view want,
                                      absl::Duration guard) {
  while (true) {
    absl::StatusOr<std::string> line = node.ReadLine(guard);
    if (!line.ok()) return line.status();
    std::optional<std::string> event = JsonField(*line, "event");
    if (!event.has_value()) continue;
    if (*event == want) return *line;
    return absl::InternalError(absl::StrCat("expected ", want, ", got ", *line));
  }
}

Row RunLibrary(const Options& options, const std::string& name, const std::string& root,
               const FakeDcProcess& dc, const std::string& file, int64_t size,
               const std::string& want) {
  Row row;
  row.name = name == "mtcute" ? "mtcute" : "GramJS";
  row.size = size;
  std::vector<std::string> dcs;
  for (const auto& [id, port] : dc.ports)
    dcs.push_back(absl::StrCat("\"", id, "\":[\"127.0.0.1\",", port, "]"));
  // Seeded users of fakedc, one per library, so that each reads its own code file.
  const std::string phone = name == "mtcute" ? "+15550000001" : "+15550000002";
  absl::StatusOr<std::unique_ptr<ChildProcess>> node = ChildProcess::Spawn(
      {options.node, options.workspace + "/tests/bench/file_transfer_bench.mjs", "--client", name,
       "--dcs", absl::StrCat("{", absl::StrJoin(dcs, ","), "}"), "--rsa-key", dc.public_key_path,
       "--phone", phone, "--code-file", dc.state_dir + "/codes/{phone}", "--file", file, "--sha256",
       want},
      absl::StrCat(root, "/", name, ".log"));
  if (!node.ok()) {
    row.note = std::string(node.status().message());
    return row;
  }
  const pid_t pid = (*node)->pid();
  const pid_t fakedc = dc.pid;
  auto fail = [&](const absl::Status& status) {
    row.note = absl::StrCat(status.message(), " (log: ", root, "/", name, ".log)");
    (*node)->Stop(absl::Seconds(5));
    return row;
  };
  absl::StatusOr<std::string> line = NextEvent(**node, "ready", absl::Seconds(120));
  if (!line.ok()) return fail(line.status());
  row.ran = true;
  const absl::Duration guard = absl::Hours(4);
  {
    PhaseClock clock(pid, fakedc);
    if (absl::Status s = (*node)->WriteLine("go"); !s.ok()) return fail(s);
    line = NextEvent(**node, "uploaded", guard);
    row.up = clock.Stop();
    if (!line.ok()) return fail(line.status());
  }
  FlushDisk();
  if (absl::Status s = (*node)->WriteLine("go"); !s.ok()) return fail(s);
  if (line = NextEvent(**node, "sent", absl::Minutes(10)); !line.ok()) return fail(line.status());
  absl::SimpleAtod(JsonField(*line, "ms").value_or("0"), &row.send_seconds);
  row.send_seconds /= 1000;
  {
    PhaseClock clock(pid, fakedc);
    if (absl::Status s = (*node)->WriteLine("go"); !s.ok()) return fail(s);
    line = NextEvent(**node, "downloaded", guard);
    row.down = clock.Stop();
    if (!line.ok()) return fail(line.status());
    row.matched = JsonField(*line, "ok").value_or("") == "true";
  }
  (void)(*node)->WriteLine("go");
  (*node)->Stop(absl::Seconds(10));
  return row;
}

// The SHA-256 of the first `size` bytes of the seeded file, made and hashed in memory blocks.
std::string SeededSha256(uint64_t seed, int64_t size) {
  SeededBytes bytes(seed);
  Sha256Stream hash;
  std::string block(1 << 20, '\0');
  for (int64_t at = 0; at < size; at += static_cast<int64_t>(block.size())) {
    const size_t n = static_cast<size_t>(std::min<int64_t>(size - at, block.size()));
    bytes.Next(block.data(), n);
    hash.Update(absl::string_view(block.data(), n));
  }
  return hash.Finish();
}

double MBps(int64_t size, const Phase& phase) {
  return phase.seconds > 0 ? static_cast<double>(size) / 1e6 / phase.seconds : 0;
}

// 10^6 bytes per CPU second of the transferring process.
double MBPerCpuSecond(int64_t size, const Phase& phase) {
  return phase.cpu > 0 ? static_cast<double>(size) / 1e6 / phase.cpu : 0;
}

void PrintTable(const Options& options, const std::vector<Row>& rows, double aes_cbc) {
  std::printf(
      "\nfile_transfer_bench: seed %llu, tgrpcd chunks of %lld KiB, after a warm-up of %lld MiB; "
      "fakedc, tgrpcd and node are separate processes\nfakedc's files: %s\nAES-256-CBC on one "
      "core (EVP, 16 KiB buffers): %.1f MB/s\n\n",
      static_cast<unsigned long long>(options.seed), static_cast<long long>(options.chunk_kib),
      static_cast<long long>(std::min(options.warmup_mib, options.size_mib)),
      options.fakedc_files.c_str(), aes_cbc);
  std::printf("%-22s %9s | %8s %8s | %-13s | %-17s | %-13s | %s\n", "", "size", "up MB/s", "down",
              "CPU s/GiB", "peak RSS MiB", "fakedc s/GiB", "send s | sessions, check");
  std::printf("%-22s %9s | %8s %8s | %6s %6s | %8s %8s | %6s %6s |\n", "", "", "", "", "up", "down",
              "up", "down", "up", "down");
  for (const Row& row : rows) {
    if (!row.ran || !row.note.empty()) {
      std::printf("%-22s %6.0f MiB | not measured: %s\n", row.name.c_str(), row.size / kMiB,
                  row.note.c_str());
      if (!row.ran) continue;
    }
    const double gib = static_cast<double>(row.size) / kGiB;
    std::printf(
        "%-22s %5.0f MiB | %8.1f %8.1f | %6.2f %6.2f | %8.1f %8.1f | %6.2f %6.2f | %6.1f | %s, "
        "%s\n",
        row.name.c_str(), row.size / kMiB, MBps(row.size, row.up), MBps(row.size, row.down),
        row.up.cpu / gib, row.down.cpu / gib, row.up.peak_rss / kMiB, row.down.peak_rss / kMiB,
        row.up.fakedc_cpu / gib, row.down.fakedc_cpu / gib, row.send_seconds, row.sessions.c_str(),
        row.matched ? "byte for byte" : "MISMATCH");
  }
  std::printf(
      "(CPU s/GiB: of tgrpcd, or of node with its file reads and hashing; peak RSS: of the same "
      "process)\n\nratios, MB/s over MB/s        up      down   target\n");
  auto find = [&](absl::string_view name) -> const Row* {
    for (const Row& row : rows) {
      if (row.name == name && row.ran && row.note.empty()) return &row;
    }
    return nullptr;
  };
  for (const Row& mine : rows) {
    if (mine.name.rfind("tgrpcd", 0) != 0 || !mine.ran || !mine.note.empty()) continue;
    for (const auto& [other, target] : {std::pair<const char*, const char*>{"mtcute", ">= 2"},
                                        std::pair<const char*, const char*>{"GramJS", ">= 5"}}) {
      const Row* theirs = find(other);
      if (theirs == nullptr) continue;
      std::printf("%-20s / %-6s %6.2f %9.2f   %s\n", mine.name.c_str(), other,
                  MBps(mine.size, mine.up) / MBps(theirs->size, theirs->up),
                  MBps(mine.size, mine.down) / MBps(theirs->size, theirs->down), target);
    }
    std::printf("%-20s upload / AES-256-CBC %.2f           >= 0.40 (wall clock)\n",
                mine.name.c_str(), MBps(mine.size, mine.up) / aes_cbc);
  }
  // fakedc, this process and tgrpcd share the machine's cores, so the wall-clock rate is bounded
  // by the others' CPU as much as by tgrpcd's; bytes per second of tgrpcd's own CPU time are not.
  std::printf(
      "\nCPU-bound figures: MB per CPU second of tgrpcd's own (utime + stime, all its threads), "
      "i.e. the rate of one core\nspent only on tgrpcd; against one core's AES-256-CBC\n");
  for (const Row& mine : rows) {
    if (mine.name.rfind("tgrpcd", 0) != 0 || !mine.ran || !mine.note.empty()) continue;
    std::printf("%-20s upload   %7.1f MB per tgrpcd CPU s, / AES-256-CBC %.2f   >= 0.40\n",
                mine.name.c_str(), MBPerCpuSecond(mine.size, mine.up),
                MBPerCpuSecond(mine.size, mine.up) / aes_cbc);
    std::printf("%-20s download %7.1f MB per tgrpcd CPU s, / AES-256-CBC %.2f\n", mine.name.c_str(),
                MBPerCpuSecond(mine.size, mine.down),
                MBPerCpuSecond(mine.size, mine.down) / aes_cbc);
  }
  std::fflush(stdout);
}

int Run(int argc, char** argv) {
  tgrpcd_bench::Args args(argc, argv);
  Options options;
  options.size_mib = args.TakeInt("size_mib", 64);
  options.chunk_kib = args.TakeInt("chunk_kib", 512);
  options.warmup_mib = args.TakeInt("warmup_mib", 64);
  options.sessions = args.TakeIntList("sessions", "1,10");
  options.clients =
      absl::StrSplit(args.TakeString("clients", "mtcute,gramjs"), ',', absl::SkipEmpty());
  for (const std::string& client : options.clients) {
    if (client != "mtcute" && client != "gramjs") {
      std::fprintf(stderr, "--clients: mtcute, gramjs or both, not %s\n", client.c_str());
      return 2;
    }
    options.client_size_mib[client] = args.TakeInt(client + "_size_mib", options.size_mib);
  }
  options.seed = static_cast<uint64_t>(args.TakeInt("seed", 7));
  options.node = args.TakeString("node", "node");
  options.keep = args.TakeString("keep", "no") != "no";
  options.fakedc_verbose = args.TakeString("fakedc_verbose", "no") != "no";
  options.fakedc_dir = args.TakeString("fakedc_dir", "auto");
  const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");  // set by `bazel run`
  options.workspace = args.TakeString("workspace", workspace != nullptr ? workspace : "");
  if (options.workspace.empty() && !options.clients.empty()) {
    std::fprintf(stderr, "the library runs need the source tree: use bazel run or --workspace\n");
    return 2;
  }
  int64_t largest = options.size_mib;
  for (const auto& [client, mib] : options.client_size_mib) largest = std::max(largest, mib);
  if (!args.Leftover().empty() || options.size_mib < 1 || largest > 2000 || options.chunk_kib < 1 ||
      options.chunk_kib > 1024) {
    std::fprintf(stderr,
                 "usage: file_transfer_bench [--size_mib=64 (1..2000)] [--sessions=1,10] "
                 "[--clients=mtcute,gramjs] [--mtcute_size_mib=N] [--gramjs_size_mib=N] "
                 "[--chunk_kib=512] [--warmup_mib=64] [--seed=7] [--node=node] [--keep] "
                 "[--fakedc_verbose] [--fakedc_dir=auto|disk|DIR]\n");
    return 2;
  }
  if (absl::Status s = crash::EnterRunfiles(argv[0]); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  // First, while nothing else of the benchmark runs.
  const double aes_cbc = AesCbcMegabytesPerSecond(1.0, 3);

  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string root = absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/file-bench-", getpid());
  std::filesystem::create_directories(root);
  const std::string fakedc_root = FakeDcRoot(options, root, largest);
  std::filesystem::create_directories(fakedc_root);
  {
    struct statfs fs;
    const bool tmpfs = statfs(fakedc_root.c_str(), &fs) == 0 && fs.f_type == TMPFS_MAGIC;
    options.fakedc_files = absl::StrCat(fakedc_root, tmpfs ? " (tmpfs)" : " (disk)");
  }
  std::fprintf(stderr, "file_transfer_bench: scratch %s, fakedc's files in %s\n", root.c_str(),
               fakedc_root.c_str());
  // The interop clients' older layers (tl/schema/api_layer*.tl) are fakedc's own data, so fakedc
  // reads the schema from the source tree, as tests/interop/run_interop.py does.
  absl::StatusOr<std::unique_ptr<FakeDcProcess>> dc = StartFakeDc(
      root, fakedc_root, options.workspace.empty() ? "tl/schema" : options.workspace + "/tl/schema",
      options.fakedc_verbose);
  if (!dc.ok()) return std::fprintf(stderr, "fakedc: %s\n", dc.status().ToString().c_str()), 1;
  absl::StatusOr<std::unique_ptr<crash::TgrpcdChild>> tgrpcd =
      crash::TgrpcdChild::Spawn(TgrpcdFlags(**dc, root + "/tgrpcd"), root + "/tgrpcd.log");
  if (!tgrpcd.ok()) return std::fprintf(stderr, "%s\n", tgrpcd.status().ToString().c_str()), 1;
  absl::StatusOr<int> port = (*tgrpcd)->WaitReady(absl::Seconds(60));
  if (!port.ok()) return std::fprintf(stderr, "%s\n", port.status().ToString().c_str()), 1;

  std::vector<Row> rows;
  tgrpcd_bench::Client client(*port);
  auto files = v1::FileService::NewStub(client.channel);
  const int64_t size = options.size_mib * 1024 * 1024;
  const std::string want = SeededSha256(options.seed, size);
  // The first transfer through fresh tgrpcd and fakedc processes is slower (their heaps grow,
  // files are created): a warm-up, not printed, so that the first row is not the one paying.
  int number = 1;
  if (options.warmup_mib > 0 && !options.sessions.empty()) {
    const int64_t warmup = std::min(options.warmup_mib, options.size_mib) * 1024 * 1024;
    const int sessions = *std::max_element(options.sessions.begin(), options.sessions.end());
    Row row = RunTgrpcd(options, client, *files, (*tgrpcd)->pid(), **dc, sessions, number++, warmup,
                        SeededSha256(options.seed, warmup));
    std::fprintf(stderr, "file_transfer_bench: warm-up, %lld MiB: %s\n",
                 static_cast<long long>(warmup >> 20),
                 row.matched ? "byte for byte" : absl::StrCat("FAILED ", row.note).c_str());
    RemoveDocuments(**dc);
  }
  for (int sessions : options.sessions) {
    std::fprintf(stderr, "file_transfer_bench: tgrpcd, %d session(s), %lld MiB\n", sessions,
                 static_cast<long long>(options.size_mib));
    rows.push_back(
        RunTgrpcd(options, client, *files, (*tgrpcd)->pid(), **dc, sessions, number++, size, want));
    RemoveDocuments(**dc);
  }
  (*tgrpcd)->Signal(SIGTERM);
  (void)(*tgrpcd)->Wait(absl::Seconds(30));

  for (const std::string& name : options.clients) {
    const int64_t client_size = options.client_size_mib[name] * 1024 * 1024;
    std::fprintf(stderr, "file_transfer_bench: %s, %lld MiB\n", name.c_str(),
                 static_cast<long long>(options.client_size_mib[name]));
    const std::string file = root + "/bench.bin";
    absl::StatusOr<std::string> file_sha = WriteSeededFile(file, options.seed, client_size);
    if (!file_sha.ok())
      return std::fprintf(stderr, "%s\n", file_sha.status().ToString().c_str()), 1;
    rows.push_back(RunLibrary(options, name, root, **dc, file, client_size, *file_sha));
    std::filesystem::remove(file);
    RemoveDocuments(**dc);
  }
  dc->reset();  // closes its control pipe and reaps it
  PrintTable(options, rows, aes_cbc);
  if (!options.keep) {
    std::filesystem::remove_all(root);
    if (fakedc_root != root) std::filesystem::remove_all(fakedc_root);
  }
  for (const Row& row : rows) {
    if (!row.ran || !row.matched) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace tgrpc::file_bench

int main(int argc, char** argv) { return tgrpc::file_bench::Run(argc, argv); }

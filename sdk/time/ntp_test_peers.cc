#include "sdk/time/ntp_test_peers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "sdk/time/sntp_client.h"

namespace ews::ntp::testing {
namespace {

// A UDP socket bound to 127.0.0.1:0; its port in *port.
int BindLoopbackUdp(int* port) {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return -1;
  }
  *port = ntohs(address.sin_port);
  return fd;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChronyServer>> ChronyServer::Start(
    const std::string& directory, int local_stratum) {
  // The port is chosen free but bound by chronyd a moment later: another
  // process may take it in between, so try a few ports.
  absl::StatusOr<std::unique_ptr<ChronyServer>> server;
  for (int attempt = 0; attempt < 3; ++attempt) {
    server = StartOnce(directory, local_stratum);
    if (server.ok() || absl::IsDeadlineExceeded(server.status())) break;
  }
  return server;
}

absl::StatusOr<std::unique_ptr<ChronyServer>> ChronyServer::StartOnce(
    const std::string& directory, int local_stratum) {
  // A port that was free a moment ago (chronyd binds it itself).
  int port = 0;
  const int probe = BindLoopbackUdp(&port);
  if (probe < 0) return absl::InternalError("no free UDP port");
  close(probe);
  const std::string conf = absl::StrCat(directory, "/chrony-", port, ".conf");
  {
    std::ofstream out(conf);
    out << "port " << port << "\n"
        << "bindaddress 127.0.0.1\n"
        << "allow 127.0.0.1\n"
        << "cmdport 0\n"
        << "pidfile " << directory << "/chrony-" << port << ".pid\n"
        << "driftfile " << directory << "/chrony-" << port << ".drift\n";
    if (local_stratum > 0) out << "local stratum " << local_stratum << "\n";
    if (!out) return absl::InternalError("cannot write " + conf);
  }
  const std::string log = absl::StrCat(directory, "/chrony-", port, ".log");
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    // As root, chronyd would switch to its own user: stay who we are.
    if (getuid() == 0) {
      execl("/usr/sbin/chronyd", "chronyd", "-f", conf.c_str(), "-d", "-x",
            "-u", "root", static_cast<char*>(nullptr));
    } else {
      execl("/usr/sbin/chronyd", "chronyd", "-f", conf.c_str(), "-d", "-x",
            static_cast<char*>(nullptr));
    }
    _exit(127);
  }
  auto server = std::unique_ptr<ChronyServer>(new ChronyServer(pid, port));
  // Ready once it answers at all (an unsynchronised one answers too).
  SystemClock& clock = SystemClock::Get();
  SntpClient client(clock);
  const absl::Duration deadline = clock.MonotonicNow() + absl::Seconds(10);
  while (clock.MonotonicNow() < deadline) {
    absl::StatusOr<SntpSample> sample =
        client.Query(server->address(), absl::Milliseconds(200));
    if (sample.ok() || absl::IsFailedPrecondition(sample.status())) {
      return server;
    }
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      server->pid_ = -1;
      return absl::InternalError(
          absl::StrCat("chronyd exited (status ", status, "), see ", log));
    }
    clock.SleepFor(absl::Milliseconds(100));
  }
  return absl::DeadlineExceededError("chronyd did not answer, see " + log);
}

ChronyServer::~ChronyServer() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
}

std::string ChronyServer::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

absl::StatusOr<std::unique_ptr<UdpResponder>> UdpResponder::Start(Reply reply) {
  int port = 0;
  const int fd = BindLoopbackUdp(&port);
  if (fd < 0) return absl::InternalError("cannot bind a UDP socket");
  return std::unique_ptr<UdpResponder>(
      new UdpResponder(fd, port, std::move(reply)));
}

UdpResponder::UdpResponder(int fd, int port, Reply reply)
    : fd_(fd), port_(port), reply_(std::move(reply)) {
  thread_ = std::thread([this] { Serve(); });
}

UdpResponder::~UdpResponder() {
  stop_ = true;
  thread_.join();
  close(fd_);
}

std::string UdpResponder::address() const {
  return absl::StrCat("127.0.0.1:", port_);
}

void UdpResponder::Serve() {
  while (!stop_) {
    pollfd waiting = {fd_, POLLIN, 0};
    if (poll(&waiting, 1, 50) <= 0) continue;
    char buffer[512];
    sockaddr_storage from;
    socklen_t from_length = sizeof from;
    const ssize_t n =
        recvfrom(fd_, buffer, sizeof buffer, 0,
                 reinterpret_cast<sockaddr*>(&from), &from_length);
    if (n < 0) continue;
    ++requests_;
    absl::StatusOr<NtpPacket> request =
        DecodePacket(absl::string_view(buffer, static_cast<size_t>(n)));
    if (!request.ok()) continue;
    const std::string answer = reply_(*request);
    if (answer.empty()) continue;
    sendto(fd_, answer.data(), answer.size(), 0,
           reinterpret_cast<sockaddr*>(&from), from_length);
  }
}

NtpPacket ServerAnswer(const NtpPacket& request, absl::Time server_time,
                       int stratum) {
  NtpPacket answer;
  answer.version = 4;
  answer.mode = Mode::kServer;
  answer.stratum = static_cast<uint8_t>(stratum);
  answer.root_delay = 0x00000800;       // 31 ms
  answer.root_dispersion = 0x00000400;  // 16 ms
  answer.reference_id = 0x7F000001;
  answer.reference = ToNtpTimestamp(server_time - absl::Seconds(10));
  answer.origin = request.transmit;
  answer.receive = ToNtpTimestamp(server_time);
  answer.transmit = ToNtpTimestamp(server_time + absl::Microseconds(20));
  return answer;
}

absl::Time ShiftedClock::WallNow() const {
  absl::MutexLock lock(&mutex_);
  return absl::Now() + shift_;
}

absl::Duration ShiftedClock::MonotonicNow() const {
  return SystemClock::Get().MonotonicNow();
}

void ShiftedClock::SleepFor(absl::Duration duration) {
  absl::SleepFor(duration);
}

absl::Duration ShiftedClock::shift() const {
  absl::MutexLock lock(&mutex_);
  return shift_;
}

absl::Status ShiftedClock::DoSetWallTime(absl::Time time) {
  absl::MutexLock lock(&mutex_);
  shift_ = time - absl::Now();
  return absl::OkStatus();
}

}  // namespace ews::ntp::testing

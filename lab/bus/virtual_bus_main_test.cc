// Runs the virtual_bus binary as the lab does: reads its endpoint list and
// "ready", moves bytes between two endpoints, and drives it over stdin and
// over its control socket.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"
#include "sdk/hal/serial/termios_serial_port.h"

extern char** environ;

namespace {

using ::ews::hal::SerialSettings;
using ::ews::hal::TermiosSerialPort;
using ::ews::testing::IsOk;
using ::testing::HasSubstr;

class BusProcess {
 public:
  explicit BusProcess(std::vector<std::string> args) {
    int in[2], out[2];
    EXPECT_EQ(pipe(in), 0);
    EXPECT_EQ(pipe(out), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addclose(&actions, in[1]);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    args.insert(args.begin(), "lab/bus/virtual_bus");
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    EXPECT_EQ(
        posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ),
        0);
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
  }
  ~BusProcess() {
    if (stdin_ >= 0) close(stdin_);
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    close(stdout_);
  }

  // Next line of output; "" on EOF or after 10 s.
  std::string ReadLine() {
    while (true) {
      size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return line;
      }
      pollfd pfd = {stdout_, POLLIN, 0};
      if (poll(&pfd, 1, 10000) <= 0) return "";
      char chunk[512];
      ssize_t n = read(stdout_, chunk, sizeof chunk);
      if (n <= 0) return "";
      buffer_.append(chunk, n);
    }
  }
  // Reads up to and including "ok" / "error: ..."; returns all of it.
  std::string Command(const std::string& command) {
    std::string line = command + "\n";
    EXPECT_EQ(write(stdin_, line.data(), line.size()),
              static_cast<ssize_t>(line.size()));
    std::string reply;
    while (true) {
      std::string l = ReadLine();
      reply += l + "\n";
      if (l == "ok" || absl::StartsWith(l, "error") || l.empty()) return reply;
    }
  }
  int Wait() {
    close(stdin_);
    stdin_ = -1;
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string buffer_;
};

TEST(VirtualBusMainTest, ServesEndpointsAndTakesCommands) {
  const std::string tmp = std::getenv("TEST_TMPDIR");
  // TEST_TMPDIR is too long for sun_path (108 bytes): a short private dir.
  char short_dir[] = "/tmp/ews-bus-XXXXXX";
  ASSERT_NE(mkdtemp(short_dir), nullptr);
  const std::string socket_path = std::string(short_dir) + "/control";
  const std::string capture_path = tmp + "/capture.txt";
  BusProcess bus({"--endpoints=2", "--line=19200 8E1",
                  "--control_socket=" + socket_path,
                  "--capture_file=" + capture_path, "--link_dir=" + tmp});
  std::map<int, std::string> endpoints;
  std::string line;
  while ((line = bus.ReadLine()) != "ready") {
    ASSERT_FALSE(line.empty()) << "no readiness line";
    std::vector<std::string> words = absl::StrSplit(line, ' ');
    if (words[0] == "endpoint") endpoints[std::stoi(words[1])] = words[2];
  }
  ASSERT_EQ(endpoints.size(), 2u);

  const SerialSettings settings;  // 19200 8E1
  auto a = TermiosSerialPort::Open(tmp + "/ep0", settings);
  auto b = TermiosSerialPort::Open(endpoints[1], settings);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  ASSERT_THAT((*a)->Write(std::vector<uint8_t>{0x01, 0x06, 0x00, 0x01}),
              IsOk());
  std::vector<uint8_t> buffer(16);
  // A generous silence: this test is about the binary, not timing.
  auto n = (*b)->ReadFrame(absl::MakeSpan(buffer), absl::Seconds(5),
                           absl::Milliseconds(100));
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(*n, 4u);

  EXPECT_THAT(bus.Command("stats"), HasSubstr("characters 4"));
  EXPECT_THAT(bus.Command("capture"), HasSubstr("ep0 01 06 00 01"));
  EXPECT_THAT(bus.Command("bogus"), HasSubstr("error: unknown command"));

  // The same language on the unix socket.
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  socket_path.copy(address.sun_path, sizeof address.sun_path - 1);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address),
            0);
  const std::string command = "cut 1\nquit\n";
  ASSERT_EQ(write(fd, command.data(), command.size()),
            static_cast<ssize_t>(command.size()));
  std::string reply;
  char chunk[256];
  ssize_t got;
  while ((got = read(fd, chunk, sizeof chunk)) > 0) reply.append(chunk, got);
  close(fd);
  EXPECT_EQ(reply, "ok\n");
  ASSERT_THAT((*a)->Write(std::vector<uint8_t>{0x02}), IsOk());
  EXPECT_THAT((*b)->ReadFor(absl::MakeSpan(buffer), absl::Milliseconds(50)),
              ews::testing::StatusIs(absl::StatusCode::kDeadlineExceeded));

  // A client that stays connected must not hold up the shutdown.
  int idle = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_EQ(
      connect(idle, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(write(idle, "stats\n", 6), 6);
  char idle_reply[128];
  ASSERT_GT(read(idle, idle_reply, sizeof idle_reply), 0);  // being served

  EXPECT_EQ(bus.Command("shutdown"), "ok\n");
  EXPECT_EQ(bus.ReadLine(), "stopped");
  const int status = bus.Wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  std::ifstream capture(capture_path);
  std::stringstream text;
  text << capture.rdbuf();
  EXPECT_THAT(text.str(), HasSubstr("ep0 01 06 00 01"));
  EXPECT_NE(access(socket_path.c_str(), F_OK), 0);  // removed at shutdown
  close(idle);
  rmdir(short_dir);
}

}  // namespace

// virtual_bus: runs an ews::lab::VirtualBus until told to stop.
//
//   virtual_bus --endpoints=3 --line="9600 8E1" [--link_dir=DIR]
//               [--control_socket=PATH] [--capture_file=PATH]
//
// Prints "endpoint <i> <pty path>" for each endpoint, then "ready" (the
// readiness handshake: endpoints are usable once it is printed). Takes
// control commands (see bus_control.h) one per line on stdin and, with
// --control_socket, on a unix stream socket; each answer is the command's
// output followed by "ok" or by "error: <message>". "quit" ends a socket
// session; "shutdown" (or EOF on stdin when there is no control socket, or
// SIGINT/SIGTERM) stops the bus and writes --capture_file.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "lab/bus/bus_control.h"
#include "lab/bus/virtual_bus.h"

ABSL_FLAG(int, endpoints, 2, "number of pty endpoints on the line");
ABSL_FLAG(std::string, line, "19200 8E1", "line settings, e.g. \"9600 8E1\"");
ABSL_FLAG(std::string, link_dir, "",
          "directory for symlinks ep0, ep1, ... to the endpoints");
ABSL_FLAG(std::string, control_socket, "",
          "path of a unix socket that takes control commands");
ABSL_FLAG(std::string, capture_file, "",
          "where to write the traffic capture at shutdown");
ABSL_FLAG(uint32_t, seed, 1, "seed of the random faults");

namespace {

int shutdown_pipe[2] = {-1, -1};
// The control connection being served, so shutdown can end it.
std::atomic<int> active_connection{-1};

void RequestShutdown() { (void)!write(shutdown_pipe[1], "x", 1); }

// Runs one command line; returns false for "quit"/"shutdown".
bool Handle(ews::lab::VirtualBus& bus, const std::string& line,
            std::string& reply) {
  std::string trimmed = line;
  while (!trimmed.empty() && (trimmed.back() == '\r' || trimmed.back() == ' '))
    trimmed.pop_back();
  if (trimmed == "quit") return false;
  if (trimmed == "shutdown") {
    RequestShutdown();
    reply = "ok\n";
    return false;
  }
  absl::StatusOr<std::string> out = ews::lab::ExecuteBusCommand(bus, trimmed);
  reply = out.ok() ? absl::StrCat(*out, "ok\n")
                   : absl::StrCat("error: ", out.status().message(), "\n");
  return true;
}

void ServeConnection(ews::lab::VirtualBus& bus, int fd) {
  std::string buffer;
  char chunk[512];
  while (true) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0) break;
    buffer.append(chunk, n);
    size_t newline;
    bool keep = true;
    while (keep && (newline = buffer.find('\n')) != std::string::npos) {
      std::string reply;
      keep = Handle(bus, buffer.substr(0, newline), reply);
      buffer.erase(0, newline + 1);
      if (!reply.empty()) (void)!write(fd, reply.data(), reply.size());
    }
    if (!keep) break;
  }
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (pipe2(shutdown_pipe, O_CLOEXEC) != 0) return 1;

  absl::StatusOr<ews::hal::SerialSettings> line =
      ews::hal::ParseSerialSettings(absl::GetFlag(FLAGS_line));
  if (!line.ok()) {
    std::cerr << "virtual_bus: " << line.status() << "\n";
    return 2;
  }
  ews::lab::BusOptions options;
  options.endpoints = absl::GetFlag(FLAGS_endpoints);
  options.line = *line;
  options.link_dir = absl::GetFlag(FLAGS_link_dir);
  options.seed = absl::GetFlag(FLAGS_seed);
  absl::StatusOr<std::unique_ptr<ews::lab::VirtualBus>> bus =
      ews::lab::VirtualBus::Start(options);
  if (!bus.ok()) {
    std::cerr << "virtual_bus: " << bus.status() << "\n";
    return 1;
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  const int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC);

  const std::string socket_path = absl::GetFlag(FLAGS_control_socket);
  int listen_fd = -1;
  std::thread acceptor;
  if (!socket_path.empty()) {
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof address.sun_path) {
      std::cerr << "virtual_bus: control socket path too long\n";
      return 2;
    }
    socket_path.copy(address.sun_path, socket_path.size());
    unlink(socket_path.c_str());
    if (bind(listen_fd, reinterpret_cast<sockaddr*>(&address),
             sizeof address) != 0 ||
        listen(listen_fd, 4) != 0) {
      std::perror("virtual_bus: control socket");
      return 1;
    }
    acceptor = std::thread([&bus, listen_fd] {
      while (true) {
        int fd = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) {
          if (errno == EINTR || errno == ECONNABORTED) continue;
          return;  // listen_fd was shut down
        }
        active_connection = fd;
        ServeConnection(**bus, fd);
        active_connection = -1;
        close(fd);
      }
    });
  }

  for (int i = 0; i < (*bus)->endpoint_count(); ++i) {
    std::cout << "endpoint " << i << " " << (*bus)->endpoint_path(i) << "\n";
  }
  std::cout << "line " << line->ToString() << "\n";
  if (!socket_path.empty()) std::cout << "control " << socket_path << "\n";
  std::cout << "ready" << std::endl;

  std::string pending;
  bool stdin_open = true;
  while (true) {
    pollfd fds[3] = {{shutdown_pipe[0], POLLIN, 0},
                     {signal_fd, POLLIN, 0},
                     {stdin_open ? 0 : -1, POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents || fds[1].revents) break;
    if (fds[2].revents) {
      char chunk[512];
      ssize_t n = read(0, chunk, sizeof chunk);
      if (n <= 0) {
        stdin_open = false;
        if (socket_path.empty()) break;
        continue;
      }
      pending.append(chunk, n);
      size_t newline;
      bool keep = true;
      while (keep && (newline = pending.find('\n')) != std::string::npos) {
        std::string reply;
        keep = Handle(**bus, pending.substr(0, newline), reply);
        pending.erase(0, newline + 1);
        std::cout << reply << std::flush;
      }
      if (!keep) break;
    }
  }

  if (listen_fd >= 0) {
    shutdown(listen_fd, SHUT_RDWR);
    const int connection = active_connection.load();
    if (connection >= 0) shutdown(connection, SHUT_RDWR);
    close(listen_fd);
    acceptor.join();
    unlink(socket_path.c_str());
  }
  const std::string capture_file = absl::GetFlag(FLAGS_capture_file);
  if (!capture_file.empty()) {
    std::ofstream(capture_file) << (*bus)->FormatCapture();
  }
  bus->reset();
  std::cout << "stopped" << std::endl;
  return 0;
}

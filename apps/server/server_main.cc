// ews-server: the EWS device application.
//
//   ews-server --data_dir=/var/lib/ews [--web_root=/usr/share/ews/web]
//              [--https_port=8443 --http_port=8080 --bind_address=127.0.0.1]
//
// Runs until SIGTERM or SIGINT, then shuts down cleanly and exits 0. A restart
// asked for through the API (or a renewed TLS certificate, which civetweb can
// only load at start) shuts down the same way and exits 75 (EX_TEMPFAIL): the
// service manager starts it again (systemd: Restart=on-failure, or
// RestartForceExitStatus=75).
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "apps/server/server.h"
#include "apps/server/version.h"
#include "sdk/base/clock.h"
#include "sdk/base/log.h"

ABSL_FLAG(int, malloc_arenas, 2,
          "glibc malloc arenas (0: glibc's default, 8 per core); the "
          "MALLOC_ARENA_MAX environment variable, when set, wins");
ABSL_FLAG(std::string, data_dir, "",
          "Directory holding configuration, certificate and history");
ABSL_FLAG(std::string, web_root, "",
          "Directory of the browser UI's static files");
ABSL_FLAG(int, https_port, -2,
          "HTTPS port for this run (0 = any free port); default: from the "
          "configuration");
ABSL_FLAG(int, ftp_port, -2,
          "FTP for this run (not saved): -2 = as configured, -1 = off, 0 = "
          "any free port, else that port; passive ports are then any free "
          "port");
ABSL_FLAG(int, http_port, -2,
          "Plain-HTTP redirect port for this run (-1 = none, 0 = any free "
          "port); default: "
          "from the configuration");
ABSL_FLAG(std::string, bind_address, "",
          "Address to listen on for this run; default: from "
          "the configuration");
ABSL_FLAG(std::string, rs485_device, "",
          "Serial device of the RS485 line for this run; default: from the "
          "configuration");
ABSL_FLAG(int, modbus_port, -2,
          "Modbus TCP gateway port for this run (-1 = off, 0 = any free port); "
          "default: "
          "from the configuration");
ABSL_FLAG(std::string, scan_on_first_start, "",
          "FIRST-LAST: on a first start, scan these RS485 addresses and "
          "configure what "
          "answers (commissioning; the demo uses it)");
ABSL_FLAG(std::string, net_interface, "eth0",
          "Ethernet interface behind the Link/Act LEDs");
ABSL_FLAG(std::string, rtc_device, "/dev/rtc0",
          "The board's RTC; when it cannot be opened the system clock is used "
          "and health reports the time as not trustworthy");
ABSL_FLAG(bool, simulate_rtc, false,
          "Demo/lab: a simulated battery-backed RTC (state in the data "
          "directory) instead of --rtc_device");
ABSL_FLAG(bool, simulate_rtc_battery_dead, false,
          "Lab fault: the simulated RTC's battery is dead (time invalid until "
          "set); with --simulate_rtc");
ABSL_FLAG(std::string, pulse_gpiochip, "/dev/gpiochip0",
          "GPIO chip of the board's pulse inputs (input N = line N-1)");
ABSL_FLAG(bool, simulate_pulse_inputs, false,
          "Demo/lab: simulated meters on the pulse inputs; a first start also "
          "configures a water, a gas and an energy pulse counter");
ABSL_FLAG(int, model_size, 10,
          "Factory option: the model (10 or 32 devices) written into the "
          "configuration on a first start");
ABSL_FLAG(std::string, ntp_servers, "config",
          "NTP servers for this run: \"config\" (the configured ones; not "
          "asked when bound to loopback), \"off\", or host[:port],...");
ABSL_FLAG(int, certificate_check_s, 6 * 3600,
          "Seconds between checks of the TLS certificates for renewal (a "
          "renewed one is served after a restart, exit status 75)");
ABSL_FLAG(int, connections_per_address, 16,
          "Connections one client address may hold open on the HTTPS port; "
          "more are closed as they are accepted (0: no cap). A benchmark "
          "with 100 connections from one address raises it");
ABSL_FLAG(int, https_workers, 256,
          "HTTPS worker threads (2..1024): connections served at once, each "
          "holding one (docs/tls.md)");
ABSL_FLAG(bool, list_routes, false,
          "Start, print every route the server serves as \"METHOD "
          "PATH\" lines (\"PREFIX /path\" for a prefix route), stop and exit "
          "(the OpenAPI test compares them with "
          "docs/openapi.yaml)");
ABSL_FLAG(bool, version, false, "Print the version and exit");

namespace {
// The exit status that asks the service manager for a restart.
constexpr int kExitRestart = 75;
}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("EWS energy web server (see README.md)");
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_version)) {
    std::printf("ews-server %s (%s build)\n", ews::kVersion,
                ews::kOptimizedBuild ? "optimized" : "unoptimized");
    return 0;
  }
#ifdef NDEBUG
  // Debian builds absl without NDEBUG, so its mutexes run the debug-only
  // deadlock detector: a graph update under one process-wide lock on every
  // lock and unlock, which serialises the HTTPS workers. The shipped (-c opt)
  // build turns it off, as absl's own release builds do; tests and
  // fastbuild keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif

  // glibc gives each thread that allocates under contention an arena of its
  // own and keeps what is freed there: the FTP and HTTPS threads that build
  // CSV files grew the process to 234 MB after 15 downloads. Two arenas bound
  // that (apps/server/memory_bench.sh; docs/performance.md). Set before any
  // thread starts.
  const int arenas = absl::GetFlag(FLAGS_malloc_arenas);
  if (arenas > 0 && std::getenv("MALLOC_ARENA_MAX") == nullptr) {
    mallopt(M_ARENA_MAX, arenas);
  }

  // Signals are taken synchronously by this thread; block them before any
  // thread starts so that no worker receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGUSR1);  // our own restart request
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  ews::server::ServerOptions options;
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.web_root = absl::GetFlag(FLAGS_web_root);
  options.https_port = absl::GetFlag(FLAGS_https_port);
  options.http_redirect_port = absl::GetFlag(FLAGS_http_port);
  options.ftp_port = absl::GetFlag(FLAGS_ftp_port);
  options.bind_address = absl::GetFlag(FLAGS_bind_address);
  options.connections_per_address =
      absl::GetFlag(FLAGS_connections_per_address);
  options.https_workers = absl::GetFlag(FLAGS_https_workers);
  options.field_bus.rs485_device = absl::GetFlag(FLAGS_rs485_device);
  options.net_interface = absl::GetFlag(FLAGS_net_interface);
  options.board.rtc.device = absl::GetFlag(FLAGS_rtc_device);
  options.board.rtc.simulate = absl::GetFlag(FLAGS_simulate_rtc);
  options.board.rtc.simulated_battery_dead =
      absl::GetFlag(FLAGS_simulate_rtc_battery_dead);
  options.field_bus.modbus_port = absl::GetFlag(FLAGS_modbus_port);
  options.field_bus.modbus_bind_address = options.bind_address;
  options.board.pulse_gpiochip = absl::GetFlag(FLAGS_pulse_gpiochip);
  options.board.simulate_pulse_inputs =
      absl::GetFlag(FLAGS_simulate_pulse_inputs);
  switch (absl::GetFlag(FLAGS_model_size)) {
    case 10:
      options.model_size = ews::config::v1::MODEL_10;
      break;
    case 32:
      options.model_size = ews::config::v1::MODEL_32;
      break;
    default:
      std::fprintf(stderr, "ews-server: --model_size is 10 or 32\n");
      return 2;
  }
  const std::string scan = absl::GetFlag(FLAGS_scan_on_first_start);
  if (!scan.empty()) {
    std::vector<std::string> range = absl::StrSplit(scan, '-');
    if (range.size() != 2 ||
        !absl::SimpleAtoi(range[0], &options.scan_first_address) ||
        !absl::SimpleAtoi(range[1], &options.scan_last_address)) {
      std::fprintf(stderr,
                   "ews-server: --scan_on_first_start wants FIRST-LAST\n");
      return 2;
    }
  }
  if (options.board.rtc.simulated_battery_dead && !options.board.rtc.simulate) {
    std::fprintf(
        stderr,
        "ews-server: --simulate_rtc_battery_dead needs --simulate_rtc\n");
    return 2;
  }
  if (options.data_dir.empty()) {
    std::fprintf(stderr, "ews-server: --data_dir is required\n");
    return 2;
  }

  options.ntp_servers = absl::GetFlag(FLAGS_ntp_servers);
  if (absl::GetFlag(FLAGS_certificate_check_s) < 1) {
    std::fprintf(stderr, "ews-server: --certificate_check_s must be >= 1\n");
    return 2;
  }
  options.certificate_check_period =
      absl::Seconds(absl::GetFlag(FLAGS_certificate_check_s));
  // Log lines go to stderr and the last 1000 to GET /api/v1/system/logs.
  static ews::log::StderrLogSink stderr_sink;
  static ews::server::RecentLogSink recent(ews::SystemClock::Get(), 1000,
                                           &stderr_sink);
  ews::log::SetSink(&recent);
  options.logs = &recent;
  options.request_restart = [](const std::string& why) {
    EWS_LOG(WARNING) << "restart requested: " << why;
    kill(getpid(), SIGUSR1);  // taken by sigwait() below, after the answer
  };

  auto server = ews::server::EwsServer::Start(options, ews::SystemClock::Get());
  if (!server.ok()) {
    EWS_LOG(ERROR) << "cannot start: " << server.status();
    return 1;
  }
  if (absl::GetFlag(FLAGS_list_routes)) {
    for (const auto& [method, path] : (*server)->RegisteredRoutes()) {
      std::printf("%s %s\n", method.c_str(), path.c_str());
    }
    (*server)->Stop();
    return 0;
  }
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  const bool restart = signal_number == SIGUSR1;
  EWS_LOG(INFO) << (restart
                        ? std::string("restarting")
                        : std::string("received ") + strsignal(signal_number))
                << ", shutting down";
  (*server)->Stop();
  EWS_LOG(INFO) << "stopped";
  ews::log::SetSink(nullptr);
  return restart ? kExitRestart : 0;
}

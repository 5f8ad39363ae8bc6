// ews-server: the EWS device application.
//
//   ews-server --data_dir=/var/lib/ews [--web_root=/usr/share/ews/web]
//              [--https_port=8443 --http_port=8080 --bind_address=127.0.0.1]
//
// Runs until SIGTERM or SIGINT, then shuts down cleanly and exits 0.
#include <signal.h>

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "apps/server/server.h"
#include "apps/server/version.h"
#include "sdk/base/clock.h"
#include "sdk/base/log.h"

ABSL_FLAG(std::string, data_dir, "",
          "Directory holding configuration, certificate and history");
ABSL_FLAG(std::string, web_root, "",
          "Directory of the browser UI's static files");
ABSL_FLAG(int, https_port, -2,
          "HTTPS port for this run (0 = any free port); default: from the "
          "configuration");
ABSL_FLAG(int, http_port, -2,
          "Plain-HTTP redirect port for this run (-1 = none, 0 = any free "
          "port); default: "
          "from the configuration");
ABSL_FLAG(std::string, bind_address, "",
          "Address to listen on for this run; default: from "
          "the configuration");
ABSL_FLAG(bool, version, false, "Print the version and exit");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("EWS energy web server (see README.md)");
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_version)) {
    std::printf("ews-server %s\n", ews::kVersion);
    return 0;
  }

  // Signals are taken synchronously by this thread; block them before any
  // thread starts so that no worker receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  ews::server::ServerOptions options;
  options.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.web_root = absl::GetFlag(FLAGS_web_root);
  options.https_port = absl::GetFlag(FLAGS_https_port);
  options.http_redirect_port = absl::GetFlag(FLAGS_http_port);
  options.bind_address = absl::GetFlag(FLAGS_bind_address);
  if (options.data_dir.empty()) {
    std::fprintf(stderr, "ews-server: --data_dir is required\n");
    return 2;
  }

  auto server = ews::server::EwsServer::Start(options, ews::SystemClock::Get());
  if (!server.ok()) {
    EWS_LOG(ERROR) << "cannot start: " << server.status();
    return 1;
  }
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  EWS_LOG(INFO) << "received " << strsignal(signal_number) << ", shutting down";
  (*server)->Stop();
  EWS_LOG(INFO) << "stopped";
  return 0;
}

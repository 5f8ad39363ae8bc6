// ews-network-apply: applies the network settings of the EWS configuration to
// the system. On the device it runs privileged before ews-server starts
// (ExecStartPre=+ in ews-server.service), so the server itself never needs to
// write system files:
//
//   ews-network-apply --config=/var/lib/ews/config.textproto --backend=networkd
//       --networkd_dir=/etc/systemd/network [--interface=eth0] [--reload]
//   ews-network-apply --config=... --backend=record --record_file=FILE   (lab)
//
// Without a configuration yet (first start) the factory network settings apply.
// A configuration that does not validate changes nothing (exit 1): the box
// keeps its last network settings. Prints "changed" or "unchanged".
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/statusor.h"
#include "sdk/base/files.h"
#include "sdk/config/defaults.h"
#include "sdk/config/text_json.h"
#include "sdk/config/validate.h"
#include "sdk/system/network_settings.h"

ABSL_FLAG(std::string, config, "/var/lib/ews/config.textproto",
          "The EWS configuration (text format)");
ABSL_FLAG(std::string, backend, "networkd", "networkd or record");
ABSL_FLAG(std::string, networkd_dir, "/etc/systemd/network",
          "networkd backend: where the .network file goes");
ABSL_FLAG(std::string, record_file, "",
          "record backend: the file that records what would be applied");
ABSL_FLAG(std::string, interface, "eth0", "The Ethernet interface");
ABSL_FLAG(bool, reload, false,
          "networkd backend: run `networkctl reload` when the file changed");

namespace {

absl::StatusOr<ews::config::v1::Network> NetworkSettings(
    const std::string& path) {
  absl::StatusOr<std::string> text = ews::ReadFileToString(path, 1 << 20);
  if (absl::IsNotFound(text.status())) {
    return ews::config::FactorySettingsWithoutUsers().network();
  }
  if (!text.ok()) return text.status();
  absl::StatusOr<ews::config::v1::DeviceConfig> config =
      ews::config::FromText(*text);
  if (!config.ok()) return config.status();
  absl::Status valid = ews::config::Validate(*config);
  if (!valid.ok()) return valid;
  return config->network();
}

int Reload() {
  pid_t pid = fork();
  if (pid == 0) {
    execlp("networkctl", "networkctl", "reload", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const std::string backend_name = absl::GetFlag(FLAGS_backend);
  std::unique_ptr<ews::system::NetworkSettingsBackend> backend;
  if (backend_name == "networkd") {
    backend = std::make_unique<ews::system::NetworkdBackend>(
        absl::GetFlag(FLAGS_networkd_dir), absl::GetFlag(FLAGS_interface));
  } else if (backend_name == "record" &&
             !absl::GetFlag(FLAGS_record_file).empty()) {
    backend = std::make_unique<ews::system::RecordingNetworkBackend>(
        absl::GetFlag(FLAGS_record_file), absl::GetFlag(FLAGS_interface));
  } else {
    std::fprintf(stderr,
                 "ews-network-apply: --backend is networkd or record (with "
                 "--record_file)\n");
    return 2;
  }
  absl::StatusOr<ews::config::v1::Network> network =
      NetworkSettings(absl::GetFlag(FLAGS_config));
  if (!network.ok()) {
    std::fprintf(stderr, "ews-network-apply: %s: %s (nothing changed)\n",
                 absl::GetFlag(FLAGS_config).c_str(),
                 network.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<bool> changed = backend->Apply(*network);
  if (!changed.ok()) {
    std::fprintf(stderr, "ews-network-apply: %s\n",
                 changed.status().ToString().c_str());
    return 1;
  }
  std::printf("%s\n", *changed ? "changed" : "unchanged");
  if (*changed && backend_name == "networkd" && absl::GetFlag(FLAGS_reload)) {
    int status = Reload();
    if (status != 0) {
      std::fprintf(stderr, "ews-network-apply: networkctl reload: exit %d\n",
                   status);
      return 1;
    }
  }
  return 0;
}

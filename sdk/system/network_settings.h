// The device's network settings (config's `network`) applied to the system:
// systemd-networkd files on a real device, a record of what would be applied in
// the lab (where the container's network belongs to Docker).
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sdk/config/config.pb.h"

namespace ews::system {

// systemd-networkd's .network file for `interface` from `network` (which must
// have passed config::Validate()): [Match] Name=, then Address= (CIDR) +
// Gateway= for static_ipv4, or DHCP=ipv4 with the hostname sent to the DHCP
// server; DNS= and NTP= from the lists (with DHCP they complement what the
// server offers). InvalidArgument for an empty or non-[A-Za-z0-9_.-] interface,
// a netmask that is not contiguous, or neither static_ipv4 nor dhcp.
absl::StatusOr<std::string> RenderNetworkdFile(
    const config::v1::Network& network, absl::string_view interface);

// Where the settings go. Apply() returns whether anything changed (an unchanged
// file is not rewritten, so a service restart does not reload the network).
class NetworkSettingsBackend {
 public:
  virtual ~NetworkSettingsBackend() = default;

  // Errors: InvalidArgument (as RenderNetworkdFile); the backend's I/O errors
  // (PermissionDenied, NotFound for a missing directory, ...), nothing changed.
  absl::StatusOr<bool> Apply(const config::v1::Network& network);

 private:
  virtual absl::StatusOr<bool> DoApply(const std::string& networkd_file) = 0;
  virtual std::string DoInterface() const = 0;
};

// Writes `<directory>/10-ews-<interface>.network` atomically (mode 0644).
class NetworkdBackend : public NetworkSettingsBackend {
 public:
  NetworkdBackend(std::string directory, std::string interface);
  // The file Apply() writes.
  std::string path() const;

 private:
  absl::StatusOr<bool> DoApply(const std::string& networkd_file) override;
  std::string DoInterface() const override { return interface_; }
  std::string directory_;
  std::string interface_;
};

// The lab's backend: keeps the file a device would write in `path` (replaced
// atomically) and appends one line per change to `path`.log, so a scenario
// can check what the configuration asked of the system.
class RecordingNetworkBackend : public NetworkSettingsBackend {
 public:
  RecordingNetworkBackend(std::string path, std::string interface);

 private:
  absl::StatusOr<bool> DoApply(const std::string& networkd_file) override;
  std::string DoInterface() const override { return interface_; }
  std::string path_;
  std::string interface_;
};

}  // namespace ews::system

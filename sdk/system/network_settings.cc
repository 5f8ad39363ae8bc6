#include "sdk/system/network_settings.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "sdk/base/files.h"
#include "sdk/base/status_macros.h"

namespace ews::system {
namespace {

constexpr size_t kMaxFileBytes = 64 * 1024;

bool IsInterfaceName(absl::string_view name) {
  if (name.empty() || name.size() > 15) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '_' && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

// "255.255.255.0" -> 24; -1 when not a contiguous IPv4 mask.
int PrefixLength(const std::string& netmask) {
  in_addr parsed;
  if (inet_pton(AF_INET, netmask.c_str(), &parsed) != 1) return -1;
  uint32_t mask = ntohl(parsed.s_addr);
  int bits = 0;
  while (bits < 32 && (mask & (0x80000000u >> bits)) != 0) ++bits;
  uint32_t expected = bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
  return mask == expected ? bits : -1;
}

// The current contents of `path`, "" when it does not exist.
absl::StatusOr<std::string> CurrentContents(const std::string& path) {
  absl::StatusOr<std::string> current = ReadFileToString(path, kMaxFileBytes);
  if (absl::IsNotFound(current.status())) return std::string();
  return current;
}

}  // namespace

absl::StatusOr<std::string> RenderNetworkdFile(
    const config::v1::Network& network, absl::string_view interface) {
  if (!IsInterfaceName(interface)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", interface, "\" is not a network interface name"));
  }
  std::string file = absl::StrCat(
      "# Written by ews-network-apply from the EWS configuration (network); "
      "edits here are overwritten.\n[Match]\nName=",
      interface, "\n\n[Network]\n");
  switch (network.ipv4_case()) {
    case config::v1::Network::kStaticIpv4: {
      const config::v1::StaticIpv4& ipv4 = network.static_ipv4();
      int prefix = PrefixLength(ipv4.netmask());
      if (prefix < 1) {
        return absl::InvalidArgumentError(
            absl::StrCat("network.static_ipv4.netmask: \"", ipv4.netmask(),
                         "\" is not a contiguous IPv4 netmask"));
      }
      absl::StrAppend(&file, "Address=", ipv4.address(), "/", prefix, "\n");
      if (!ipv4.gateway().empty()) {
        absl::StrAppend(&file, "Gateway=", ipv4.gateway(), "\n");
      }
      break;
    }
    case config::v1::Network::kDhcp:
      absl::StrAppend(&file, "DHCP=ipv4\n");
      break;
    default:
      return absl::InvalidArgumentError(
          "network: neither static_ipv4 nor dhcp is set");
  }
  for (const std::string& dns : network.dns_servers()) {
    absl::StrAppend(&file, "DNS=", dns, "\n");
  }
  for (const std::string& ntp : network.ntp_servers()) {
    absl::StrAppend(&file, "NTP=", ntp, "\n");
  }
  if (network.ipv4_case() == config::v1::Network::kDhcp &&
      !network.hostname().empty()) {
    absl::StrAppend(&file, "\n[DHCPv4]\nHostname=", network.hostname(), "\n");
  }
  return file;
}

absl::StatusOr<bool> NetworkSettingsBackend::Apply(
    const config::v1::Network& network) {
  EWS_ASSIGN_OR_RETURN(std::string file,
                       RenderNetworkdFile(network, DoInterface()));
  return DoApply(file);
}

NetworkdBackend::NetworkdBackend(std::string directory, std::string interface)
    : directory_(std::move(directory)), interface_(std::move(interface)) {}

std::string NetworkdBackend::path() const {
  return absl::StrCat(directory_, "/10-ews-", interface_, ".network");
}

absl::StatusOr<bool> NetworkdBackend::DoApply(
    const std::string& networkd_file) {
  EWS_ASSIGN_OR_RETURN(std::string current, CurrentContents(path()));
  if (current == networkd_file) return false;
  EWS_RETURN_IF_ERROR(WriteFileAtomically(path(), networkd_file, 0644));
  return true;
}

RecordingNetworkBackend::RecordingNetworkBackend(std::string path,
                                                 std::string interface)
    : path_(std::move(path)), interface_(std::move(interface)) {}

absl::StatusOr<bool> RecordingNetworkBackend::DoApply(
    const std::string& networkd_file) {
  EWS_ASSIGN_OR_RETURN(std::string current, CurrentContents(path_));
  if (current == networkd_file) return false;
  EWS_RETURN_IF_ERROR(WriteFileAtomically(path_, networkd_file, 0644));
  const std::string log_path = path_ + ".log";
  int fd =
      open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoToStatus(errno, "cannot open " + log_path);
  std::string line = absl::StrCat("applied ", networkd_file.size(),
                                  " bytes for ", interface_, "\n");
  bool written =
      write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  int saved_errno = errno;
  close(fd);
  if (!written) return ErrnoToStatus(saved_errno, "cannot write " + log_path);
  return true;
}

}  // namespace ews::system

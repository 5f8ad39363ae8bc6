#include "sdk/hal/led/net_activity_monitor.h"

#include <fcntl.h>
#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace ews::hal {
namespace {

// The first line of a sysfs attribute, or false if it cannot be read.
bool ReadAttribute(const std::string& path, std::string& value) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buffer[64];
  const ssize_t n = read(fd, buffer, sizeof buffer - 1);
  close(fd);
  if (n <= 0) return false;
  value = std::string(absl::StripAsciiWhitespace(absl::string_view(buffer, n)));
  return true;
}

}  // namespace

absl::Status NetActivityMonitor::Poll() {
  const std::string dir = absl::StrCat(options_.root, "/", options_.interface);
  if (access(dir.c_str(), F_OK) != 0) {
    indicators_->SetLinkUp(false);
    return absl::NotFoundError(
        absl::StrCat("no network interface ", options_.interface));
  }
  std::string carrier;
  indicators_->SetLinkUp(ReadAttribute(dir + "/carrier", carrier) &&
                         carrier == "1");
  uint64_t packets = 0;
  for (const char* name :
       {"/statistics/rx_packets", "/statistics/tx_packets"}) {
    std::string text;
    uint64_t value = 0;
    if (ReadAttribute(dir + name, text) && absl::SimpleAtoi(text, &value)) {
      packets += value;
    }
  }
  if (have_packets_ && packets != last_packets_) {
    indicators_->OnNetworkTraffic();
  }
  have_packets_ = true;
  last_packets_ = packets;
  return absl::OkStatus();
}

}  // namespace ews::hal

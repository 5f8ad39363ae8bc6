// One SNTP exchange (RFC 4330 / RFC 5905 client mode) with one server over
// UDP, and the sanity checks on its answer.
//
//   SntpClient client(clock);
//   absl::StatusOr<SntpSample> sample =
//       client.Query("127.0.0.1:12323", absl::Seconds(2));
//   // sample->offset: how far our wall clock is behind the server's
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"

namespace ews::ntp {

struct SntpSample {
  // Add to our wall clock to get the server's time:
  // ((T2 - T1) + (T3 - T4)) / 2.
  absl::Duration offset;
  // Round trip minus the server's processing: (T4 - T1) - (T3 - T2).
  absl::Duration delay;
  int stratum = 0;
  // Root delay / 2 + root dispersion: the server's own error bound.
  absl::Duration root_distance;
  absl::Time server_time;  // T3
};

struct SntpLimits {
  absl::Duration max_delay = absl::Seconds(1);
  absl::Duration max_root_distance = absl::Seconds(1.5);
};

// A server given as "host", "host:port", "[v6]:port" or a bare IPv6
// literal; port 123 by default.
struct ServerAddress {
  std::string host;
  uint16_t port = 123;
};
// InvalidArgument for an empty host, a bad port or bad brackets.
absl::StatusOr<ServerAddress> ParseServerAddress(absl::string_view server);

class SntpClient {
 public:
  // `clock` is not owned: wall time stamps T1/T4, monotonic time measures
  // the round trip (so a wall-clock step during the exchange cannot fake a
  // delay).
  explicit SntpClient(const Clock& clock, SntpLimits limits = {})
      : clock_(clock), limits_(limits) {}

  // Sends one client-mode request and waits up to `timeout` for the answer
  // (answers from other addresses, or not echoing our transmit timestamp,
  // are ignored while waiting).
  // Errors:
  //   InvalidArgument   bad server string, or the name does not resolve
  //   DeadlineExceeded  no (matching) answer in time
  //   Unavailable       socket errors (retry later)
  //   ResourceExhausted kiss-o'-death RATE: poll this server less often
  //   PermissionDenied  kiss-o'-death DENY / RSTR: stop using this server
  //   FailedPrecondition the server is not synchronised (leap alarm,
  //                     stratum 16 or above, other kiss codes)
  //   DataLoss          malformed answer: not a server packet, version,
  //                     zero receive/transmit timestamps, T3 < T2,
  //                     negative or excessive delay, root distance
  absl::StatusOr<SntpSample> Query(absl::string_view server,
                                   absl::Duration timeout);

 private:
  const Clock& clock_;
  const SntpLimits limits_;
};

}  // namespace ews::ntp

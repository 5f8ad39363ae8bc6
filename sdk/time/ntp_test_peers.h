// Test peers for the NTP client: a real chronyd serving on loopback, a UDP
// responder that sends crafted answers (kiss-o'-death, zero timestamps, a
// lying server...), and a real-time clock with a settable offset that a
// TimeKeeper can set.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"
#include "sdk/hal/rtc/time_keeper.h"
#include "sdk/time/ntp_packet.h"

namespace ews::ntp::testing {

// chronyd -d -x on 127.0.0.1:<a free port>, configured in `directory`.
class ChronyServer {
 public:
  // local_stratum > 0: "local stratum N" (serves its clock, synchronised);
  // 0: no reference at all (answers "unsynchronised").
  // Waits until chronyd answers (at most 10 s).
  static absl::StatusOr<std::unique_ptr<ChronyServer>> Start(
      const std::string& directory, int local_stratum);
  ~ChronyServer();  // SIGTERM, then waits for the process

  std::string address() const;  // "127.0.0.1:<port>"
  pid_t pid() const { return pid_; }

 private:
  ChronyServer(pid_t pid, int port) : pid_(pid), port_(port) {}
  static absl::StatusOr<std::unique_ptr<ChronyServer>> StartOnce(
      const std::string& directory, int local_stratum);
  pid_t pid_;
  int port_;
};

// Answers each request with reply(request), or nothing if it returns "".
class UdpResponder {
 public:
  using Reply = std::function<std::string(const NtpPacket& request)>;
  static absl::StatusOr<std::unique_ptr<UdpResponder>> Start(Reply reply);
  ~UdpResponder();
  std::string address() const;
  int requests() const { return requests_.load(); }

 private:
  UdpResponder(int fd, int port, Reply reply);
  void Serve();
  const int fd_;
  const int port_;
  const Reply reply_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

// A well-formed server answer to `request` giving `server_time`.
NtpPacket ServerAnswer(const NtpPacket& request, absl::Time server_time,
                       int stratum = 2);

// Real time plus an offset; as a WallClockSetter it moves the offset.
class ShiftedClock final : public Clock, public hal::WallClockSetter {
 public:
  explicit ShiftedClock(absl::Duration shift = absl::ZeroDuration())
      : shift_(shift) {}
  absl::Time WallNow() const override;
  absl::Duration MonotonicNow() const override;
  void SleepFor(absl::Duration duration) override;
  absl::Duration shift() const;

 private:
  absl::Status DoSetWallTime(absl::Time time) override;
  mutable absl::Mutex mutex_;
  absl::Duration shift_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::ntp::testing

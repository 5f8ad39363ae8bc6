// Pulse counts that survive a restart of the process.
//
// SavePulseCounts() writes a small text file atomically (temporary file,
// fsync, rename, fsync of the directory) with a CRC; LoadPulseCounts() reads
// it back. PulseCountPersistence ties a PulseCounter to such a file: it
// restores the counts after Start(), saves every `period` when polled, and
// saves on Shutdown().
//
// At-most-lost bound: an orderly shutdown loses nothing. A power cut or crash
// loses the pulses counted since the last save: at most
//   period x (the fastest meter's pulse rate) + 1
// per channel — with the default period of 60 s and an S0 meter at its
// fastest (30 ms pulse + 30 ms pause, 16.7 pulses/s) 1001 pulses; a 1000
// imp/kWh meter at 10 kW (2.8 pulses/s) loses at most 168 pulses = 0.17 kWh.
// Pulses that arrive while the process is not running are not seen at all
// (the inputs are not latched in hardware). A shorter period lowers the bound
// at the cost of flash writes (60 s = 525,600 small writes a year).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "sdk/base/clock.h"
#include "sdk/hal/pulse/pulse_counter.h"

namespace ews::hal {

// Internal: creating or renaming the file failed; see the message.
absl::Status SavePulseCounts(const std::string& path,
                             absl::Span<const uint64_t> counts);

// NotFound: no file (first start). DataLoss: the file is corrupt (bad CRC or
// format). Internal: it cannot be read.
absl::StatusOr<std::vector<uint64_t>> LoadPulseCounts(const std::string& path);

class PulseCountPersistence {
 public:
  struct Options {
    std::string path;  // e.g. /var/lib/ews/pulse-counts
    absl::Duration period = absl::Seconds(60);
  };

  // `counter` and `clock` are not owned and must outlive this object.
  PulseCountPersistence(PulseCounter* counter, Clock* clock, Options options);

  // Call after counter->Start(): sets every channel to its saved count.
  // A missing file is a first start (OK, counts stay 0). Extra saved
  // channels are ignored, missing ones stay 0.
  // DataLoss: the file is corrupt — counts stay 0 and the caller must report
  // it (the next save replaces the file). FailedPrecondition: not started.
  absl::Status Restore();

  // Saves if `period` has passed since the last save (or restore). Call it
  // regularly, e.g. every second from the acquisition loop.
  absl::Status Poll();

  // Saves now.
  absl::Status SaveNow();

  // Orderly shutdown: saves the final counts. Call before counter->Stop().
  absl::Status Shutdown() { return SaveNow(); }

  absl::Duration last_save() const { return last_save_; }
  uint64_t saves() const { return saves_; }

 private:
  PulseCounter* const counter_;
  Clock* const clock_;
  const Options options_;
  absl::Duration last_save_;
  uint64_t saves_ = 0;
};

}  // namespace ews::hal

// A seeded generator of realistic meter data for storage_bench: 28 three-phase
// meters (17 series each) and 4 pulse inputs (water, gas) polled once a
// minute, with every kind of quantity the store holds at its register's
// resolution: Wh energy counters (one meter is reset), float32 powers at the
// profile's 0.1 W, 0.1 V voltages, 1 mA currents, 0.01 Hz frequency, power
// factor, THD, pulse-counted water and gas; single missed polls, device
// outages and one site-wide power cut.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "sdk/storage/series.h"

namespace ews::storage::bench {

// What a series measures, for the per-kind figures.
enum class Kind {
  kEnergy,
  kPower,
  kVoltage,
  kCurrent,
  kFrequency,
  kPowerFactor,
  kThd,
  kPulse,
};
inline constexpr int kKindCount = 8;
const char* KindName(Kind kind);

struct FleetSeries {
  SeriesSpec spec;
  Kind kind;
};

class Fleet {
 public:
  // `devices` (32 in the full run) of which the last 4 are pulse inputs; the
  // data of each device comes from its own seeded generator.
  Fleet(int devices, absl::Time start, uint32_t seed);
  ~Fleet();

  const std::vector<FleetSeries>& series() const { return series_; }

  // One poll round at minute `minute` (from the start): fills `values` (one
  // per series; only those with `present[i]` were answered).
  void Poll(int64_t minute, std::vector<double>* values,
            std::vector<bool>* present);
  // The poll's time within its minute (jitter of the poller), per device.
  absl::Time PollTime(int64_t minute, size_t series_index) const;

 private:
  struct Device;
  absl::Time start_;
  std::vector<FleetSeries> series_;
  std::vector<size_t> device_of_;  // series -> device
  std::vector<Device*> devices_;
  std::mt19937 site_rng_;
};

}  // namespace ews::storage::bench

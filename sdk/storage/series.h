// Vocabulary of the history store: what a series is, the tiers, and the
// records a query returns.
#pragma once

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace ews::storage {

using SeriesId = int64_t;

// How a series' values are aggregated.
enum class SeriesKind {
  kUnspecified = 0,
  // A running counter (energy, water, gas): each interval keeps the counter at
  // its end and the consumption (delta) during it. Kept forever.
  kCounter = 1,
  // An instantaneous or statistical value (power, voltage, THD, harmonics):
  // each interval keeps average, minimum, maximum and last. Shares the budget.
  kInstantaneous = 2,
  // A status or state value (breaker position, alarm word); aggregated like
  // kInstantaneous (min/max show whether a state occurred). Shares the budget.
  kStatus = 3,
};

// Resolution tiers, finest first. Minute and hour intervals are aligned to
// UTC (correct local hours in every zone whose offset is a whole number of
// hours); day, month and year intervals follow the site's time zone, so a day
// lasts 23, 24 or 25 hours.
enum class Tier { kMinute = 0, kHour = 1, kDay = 2, kMonth = 3, kYear = 4 };
inline constexpr int kTierCount = 5;
const char* TierName(Tier tier);

// Identifies a series and says how to store it.
struct SeriesSpec {
  std::string device_id;    // e.g. "meter-07"
  std::string quantity_id;  // e.g. "ea_import", "thd_u1"
  SeriesKind kind = SeriesKind::kUnspecified;
  std::string unit;  // e.g. "kWh", "V", "%"
  // Register resolution in `unit`: values are stored as integers
  // round(value / scale). 0.001 kWh (= 1 Wh), 0.1 V, ...
  double scale = 1.0;
  // Counters only: the register's width in bits when it wraps (32 for a u32
  // register), 0 when it never wraps.
  int counter_bits = 0;
  // Counters only: a positive step larger than this (in `unit`, per hour of
  // elapsed time, plus one hour's worth) is treated as a meter replacement, not
  // consumption. 0 = no limit.
  double max_rate_per_hour = 0;
};

// Flags on a record (bits).
enum RecordFlag : uint32_t {
  // The device was silent before this interval; `gap_start` says since when,
  // and the counter's delta covers the whole gap.
  kFlagGap = 1,
  // The counter went backwards (reset/replacement) or jumped: a new segment
  // starts here and the step is not counted as consumption.
  kFlagReset = 2,
  // The counter wrapped around its register width; the delta is the true
  // consumption across the wrap, and a new segment starts.
  kFlagWrap = 4,
  // The first sample of a series.
  kFlagFirst = 8,
};

// One interval of one series, in engineering units.
struct Point {
  absl::Time start;
  absl::Time end;
  // Counters: counter at the end of the interval and consumption during it.
  double counter = 0;
  double delta = 0;
  // Instantaneous/status: statistics over the samples in the interval.
  double avg = 0;
  double min = 0;
  double max = 0;
  double last = 0;
  int64_t samples = 0;
  uint32_t flags = 0;
  absl::Time gap_start = absl::InfinitePast();  // set when flags & kFlagGap
};

}  // namespace ews::storage

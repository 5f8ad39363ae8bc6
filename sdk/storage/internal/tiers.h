// Interval arithmetic for the tiers. Minute and hour slots are UTC-aligned;
// day, month and year slots are civil intervals in the site's time zone (a
// day is 23, 24 or 25 hours long across daylight-saving changes).
#pragma once

#include <cstdint>

#include "absl/time/time.h"
#include "sdk/storage/series.h"

namespace ews::storage::internal {

// Start (unix seconds) of the slot of `tier` containing `t` (unix seconds).
int64_t SlotStart(Tier tier, int64_t t, const absl::TimeZone& tz);
// Start of the slot after the one starting at `start`.
int64_t NextSlot(Tier tier, int64_t start, const absl::TimeZone& tz);

// Records of a tier are packed one block per slot of the next coarser tier
// (minutes per hour, hours per day, days per month, months per year); the year
// tier keeps one block per year.
Tier BlockTier(Tier tier);
inline int64_t BlockStart(Tier tier, int64_t t, const absl::TimeZone& tz) {
  return SlotStart(BlockTier(tier), t, tz);
}

// The minute records of one series and UTC day, once the day is over, are
// sealed into one compressed block keyed by the day's start (until then one
// block per hour).
inline constexpr int64_t kSealedBlockSeconds = 86400;
inline int64_t SealedBlockStart(int64_t t) {
  return t - ((t % kSealedBlockSeconds) + kSealedBlockSeconds) %
                 kSealedBlockSeconds;
}

// Nominal slot length, for choosing a chart resolution and for estimates.
int64_t NominalSeconds(Tier tier);

}  // namespace ews::storage::internal

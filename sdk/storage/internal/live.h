// The live (acknowledged, not yet consolidated) samples of a series: their
// encoding in the staging table (one batch per Flush, one chunk per series),
// the minute records built from them, and how queries merge them with the
// stored tiers.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sdk/storage/internal/record.h"
#include "sdk/storage/series.h"

namespace ews::storage::internal {

// A copy of what a reader needs to know about a series.
struct SeriesInfo {
  SeriesId id = 0;
  SeriesSpec spec;
  CounterRules rules;
};

// Live data of one series captured with a read transaction.
struct LiveState {
  bool has_prev = false;
  Sample prev{0, 0};
  std::vector<std::string> chunks;
  // The hour..year tiers hold every minute record before this (a local day's
  // start, 0 before the series' first minute block); the minute records
  // after it are rolled up when their day ends (see Consolidation).
  int64_t rolled_until_s = 0;
  // The minute tier holds nothing at or after this.
  int64_t consolidated_until_ms = 0;
};

// One series' samples of one Flush(): delta-encoded (t_ms, raw) columns.
std::string EncodeChunk(const std::vector<Sample>& samples);
absl::StatusOr<std::vector<Sample>> DecodeChunk(absl::string_view data);

// Minute records from raw samples (in time order), continuing a counter from
// `prev` when `has_prev`.
std::vector<Record> BuildMinutes(const SeriesInfo& info, bool has_prev,
                                 const Sample& prev,
                                 const std::vector<Sample>& samples);

// Records of `tier` whose slot starts in [SlotStart(tier, from_s), to_s),
// each aggregated from the minute records (in time order) of its slot.
std::vector<Record> GroupIntoSlots(SeriesKind kind,
                                   const std::vector<Record>& minutes,
                                   Tier tier, int64_t from_s, int64_t to_s,
                                   const absl::TimeZone& tz);

// Records of `tier` in [from_s, to_s) built from the acknowledged but not yet
// consolidated samples of a series.
absl::StatusOr<std::vector<Record>> LiveRecords(const SeriesInfo& info,
                                                const LiveState& live,
                                                Tier tier, int64_t from_s,
                                                int64_t to_s,
                                                const absl::TimeZone& tz);

// A staging batch: the chunks of every series written by one Flush().
std::string EncodeBatch(
    const std::vector<std::pair<SeriesId, std::string>>& chunks);
absl::StatusOr<std::vector<std::pair<SeriesId, std::string>>> DecodeBatch(
    absl::string_view data);

// Merges live records into stored ones (both sorted by start).
std::vector<Record> MergeRecords(SeriesKind kind, std::vector<Record> stored,
                                 const std::vector<Record>& live);

Point ToPoint(const SeriesSpec& spec, Tier tier, const Record& r,
              const absl::TimeZone& tz);

// Clamps a period in unix seconds to 1970..9999 (InfinitePast/Future become
// the bounds).
void ClampPeriod(int64_t* from_s, int64_t* to_s);

}  // namespace ews::storage::internal

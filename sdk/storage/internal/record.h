// The raw (integer, register-resolution) record kept per series per interval,
// its block encoding (one BLOB per series per parent interval), aggregation,
// and the counter rules (reset, wrap, gap).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sdk/storage/series.h"

namespace ews::storage::internal {

struct Record {
  int64_t start = 0;  // unix seconds, start of the interval
  // Counter: counter at end (raw). Instantaneous: sum of raw samples.
  int64_t a = 0;
  // Counter: consumption (raw). Instantaneous: number of samples.
  int64_t b = 0;
  int64_t min = 0;
  int64_t max = 0;
  int64_t last = 0;
  uint32_t flags = 0;
  int64_t gap_start = 0;  // unix seconds, when flags & kFlagGap
  int64_t samples = 0;    // counters: number of samples (not encoded for
                          // instantaneous, where b holds it)
};

bool IsCounter(SeriesKind kind);

// Packs records (sorted by start) of one series into a block.
std::string EncodeBlock(SeriesKind kind, const std::vector<Record>& records);
// The same, compressed with zstd: for sealed blocks (a whole UTC day of one
// series' minute records) that are written once and never updated.
std::string EncodeSealedBlock(SeriesKind kind,
                              const std::vector<Record>& records);
// Decodes either kind of block. Returns DataLoss on a malformed block.
absl::StatusOr<std::vector<Record>> DecodeBlock(SeriesKind kind,
                                                absl::string_view data);

// Aggregates `records` (in time order) into one record starting at `start`.
Record Aggregate(SeriesKind kind, int64_t start,
                 const std::vector<Record>& records);
// Combines two records of the same interval built from disjoint, consecutive
// data (`later` after `earlier`).
Record Combine(SeriesKind kind, const Record& earlier, const Record& later);

// A raw sample.
struct Sample {
  int64_t t_ms;
  int64_t raw;
};

// What a counter's step between two samples means.
struct CounterStep {
  int64_t delta = 0;
  uint32_t flags = 0;
  int64_t gap_start = 0;  // unix seconds
};

struct CounterRules {
  int counter_bits = 0;
  int64_t max_raw_per_hour = 0;  // 0 = no limit
  int64_t gap_threshold_ms = 0;
};

CounterStep StepCounter(const CounterRules& rules, const Sample& prev,
                        const Sample& cur);

}  // namespace ews::storage::internal

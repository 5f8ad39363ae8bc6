// Merges the registers a device's quantities need into as few reads as
// possible: spans of one table that touch (or lie within the profile's
// max_read_gap of each other) become one request, never longer than the
// device's max_registers_per_read (125, the Modbus limit, unless lower).
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "sdk/devices/profile.pb.h"

namespace ews::devices {

constexpr int kMaxRegistersPerRead = 125;  // Modbus function 3/4 limit

struct RegisterSpan {
  ews::devices::v1::Table table = ews::devices::v1::TABLE_UNSPECIFIED;
  uint32_t address = 0;
  uint32_t count = 0;
  friend bool operator==(const RegisterSpan& a, const RegisterSpan& b) {
    return a.table == b.table && a.address == b.address && a.count == b.count;
  }
};

// Plans reads covering every span. InvalidArgument: a span of 0 registers,
// an unspecified table, a span longer than `max_registers` or beyond 65535,
// max_registers outside 1..125.
absl::StatusOr<std::vector<RegisterSpan>> PlanReads(
    std::vector<RegisterSpan> spans, int max_registers = kMaxRegistersPerRead,
    int max_gap = 0);

enum class PollSet {
  kHistory,  // quantities read on the history schedule (not live_only)
  kAll,      // everything (live view)
};

// The registers of the quantities in `set` plus the registers they depend on
// (scale selectors, sign registers), planned with the profile's limits.
absl::StatusOr<std::vector<RegisterSpan>> PlanProfileReads(
    const ews::devices::v1::Profile& profile, PollSet set = PollSet::kAll);

}  // namespace ews::devices

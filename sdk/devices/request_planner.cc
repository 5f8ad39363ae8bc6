#include "sdk/devices/request_planner.h"

#include <algorithm>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "sdk/devices/codec.h"

namespace ews::devices {

absl::StatusOr<std::vector<RegisterSpan>> PlanReads(
    std::vector<RegisterSpan> spans, int max_registers, int max_gap) {
  if (max_registers < 1 || max_registers > kMaxRegistersPerRead) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_registers must be 1..125, got ", max_registers));
  }
  if (max_gap < 0) return absl::InvalidArgumentError("negative max_gap");
  for (const RegisterSpan& span : spans) {
    if (span.table == v1::TABLE_UNSPECIFIED) {
      return absl::InvalidArgumentError("span with an unspecified table");
    }
    if (span.count == 0 || span.count > static_cast<uint32_t>(max_registers)) {
      return absl::InvalidArgumentError(
          absl::StrCat("span at ", span.address, " of ", span.count,
                       " registers (allowed 1..", max_registers, ")"));
    }
    if (uint64_t{span.address} + span.count > 65536) {
      return absl::InvalidArgumentError(
          absl::StrCat("span at ", span.address, " runs past 65535"));
    }
  }
  std::sort(spans.begin(), spans.end(),
            [](const RegisterSpan& a, const RegisterSpan& b) {
              if (a.table != b.table) return a.table < b.table;
              if (a.address != b.address) return a.address < b.address;
              return a.count > b.count;
            });
  std::vector<RegisterSpan> reads;
  for (const RegisterSpan& span : spans) {
    if (!reads.empty()) {
      RegisterSpan& last = reads.back();
      const uint32_t last_end = last.address + last.count;
      const uint32_t span_end = span.address + span.count;
      if (last.table == span.table &&
          span.address <= last_end + static_cast<uint32_t>(max_gap)) {
        const uint32_t end = std::max(last_end, span_end);
        if (end - last.address <= static_cast<uint32_t>(max_registers)) {
          last.count = end - last.address;
          continue;
        }
        if (span_end <= last_end) continue;  // already covered
        if (span.address < last_end) {       // read only the rest
          reads.push_back(
              RegisterSpan{span.table, last_end, span_end - last_end});
          continue;
        }
      }
    }
    reads.push_back(span);
  }
  return reads;
}

absl::StatusOr<std::vector<RegisterSpan>> PlanProfileReads(
    const v1::Profile& profile, PollSet set) {
  std::set<std::string> wanted;
  for (const v1::Quantity& quantity : profile.quantities()) {
    if (set == PollSet::kHistory && quantity.live_only()) continue;
    wanted.insert(quantity.id());
    if (!quantity.scale_by().quantity().empty()) {
      wanted.insert(quantity.scale_by().quantity());
    }
    if (!quantity.sign_from().quantity().empty()) {
      wanted.insert(quantity.sign_from().quantity());
    }
  }
  std::vector<RegisterSpan> spans;
  for (const v1::Quantity& quantity : profile.quantities()) {
    if (wanted.count(quantity.id()) == 0) continue;
    spans.push_back(
        RegisterSpan{quantity.table(), quantity.address(),
                     static_cast<uint32_t>(RegisterCount(quantity.type()))});
  }
  const int max_registers = profile.max_registers_per_read() == 0
                                ? kMaxRegistersPerRead
                                : profile.max_registers_per_read();
  return PlanReads(std::move(spans), max_registers, profile.max_read_gap());
}

}  // namespace ews::devices

#include "sdk/storage/internal/live.h"

#include <algorithm>

#include "sdk/base/status_macros.h"
#include "sdk/storage/internal/codec.h"
#include "sdk/storage/internal/tiers.h"

namespace ews::storage::internal {

std::string EncodeChunk(const std::vector<Sample>& samples) {
  std::string out;
  PutVarint(&out, samples.size());
  std::vector<int64_t> col(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) col[i] = samples[i].t_ms;
  EncodeColumn(col, &out);
  for (size_t i = 0; i < samples.size(); ++i) col[i] = samples[i].raw;
  EncodeColumn(col, &out);
  return out;
}

absl::StatusOr<std::vector<Sample>> DecodeChunk(absl::string_view data) {
  Reader reader(data);
  uint64_t n;
  std::vector<int64_t> t, raw;
  if (!reader.ReadVarint(&n) || n > (1u << 22) ||
      !DecodeColumn(&reader, n, &t) || !DecodeColumn(&reader, n, &raw) ||
      !reader.done()) {
    return absl::DataLossError("staged samples: malformed chunk");
  }
  std::vector<Sample> samples(n);
  for (size_t i = 0; i < n; ++i) samples[i] = Sample{t[i], raw[i]};
  return samples;
}

namespace {
int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}
}  // namespace

std::vector<Record> BuildMinutes(const SeriesInfo& info, bool has_prev,
                                 const Sample& prev,
                                 const std::vector<Sample>& samples) {
  std::vector<Record> out;
  const bool counter = IsCounter(info.spec.kind);
  Sample last = prev;
  bool have_last = has_prev;
  for (const Sample& s : samples) {
    const int64_t minute = FloorDiv(FloorDiv(s.t_ms, 1000), 60) * 60;
    if (out.empty() || out.back().start != minute) {
      Record r;
      r.start = minute;
      r.min = r.max = s.raw;
      out.push_back(r);
    }
    Record& r = out.back();
    if (counter) {
      CounterStep step;
      if (have_last) {
        step = StepCounter(info.rules, last, s);
      } else {
        step.flags = kFlagFirst;
      }
      r.a = s.raw;
      r.b += step.delta;
      if ((step.flags & kFlagGap) && !(r.flags & kFlagGap)) {
        r.gap_start = step.gap_start;
      }
      r.flags |= step.flags;
      ++r.samples;
    } else {
      r.a += s.raw;
      ++r.b;
      r.samples = r.b;
      r.min = std::min(r.min, s.raw);
      r.max = std::max(r.max, s.raw);
      r.last = s.raw;
    }
    last = s;
    have_last = true;
  }
  return out;
}

std::vector<Record> MergeRecords(SeriesKind kind, std::vector<Record> stored,
                                 const std::vector<Record>& live) {
  if (live.empty()) return stored;
  std::vector<Record> out;
  out.reserve(stored.size() + live.size());
  size_t i = 0, j = 0;
  while (i < stored.size() || j < live.size()) {
    if (j == live.size() ||
        (i < stored.size() && stored[i].start < live[j].start)) {
      out.push_back(stored[i++]);
    } else if (i == stored.size() || live[j].start < stored[i].start) {
      out.push_back(live[j++]);
    } else {
      out.push_back(Combine(kind, stored[i++], live[j++]));
    }
  }
  return out;
}

// A batch is stored column by column across its series, so that the
// timestamps of one poll round (equal or close) cost next to nothing and a
// commit of a few hundred samples fits in one page:
//   n, series ids, sample counts, all t_ms (one column), all values (first
//   of each series plain, then steps within the series).
std::string EncodeBatch(
    const std::vector<std::pair<SeriesId, std::string>>& chunks) {
  std::vector<int64_t> ids, counts, times, values;
  for (const auto& [id, chunk] : chunks) {
    absl::StatusOr<std::vector<Sample>> samples = DecodeChunk(chunk);
    if (!samples.ok()) continue;  // chunks are ours: cannot happen
    ids.push_back(id);
    counts.push_back(static_cast<int64_t>(samples->size()));
    for (size_t i = 0; i < samples->size(); ++i) {
      times.push_back((*samples)[i].t_ms);
      values.push_back(i == 0 ? (*samples)[i].raw
                              : (*samples)[i].raw - (*samples)[i - 1].raw);
    }
  }
  std::string out;
  PutVarint(&out, ids.size());
  EncodeColumn(ids, &out);
  EncodeColumn(counts, &out);
  PutVarint(&out, times.size());
  EncodeColumn(times, &out);
  EncodeColumn(values, &out);
  return out;
}

absl::StatusOr<std::vector<std::pair<SeriesId, std::string>>> DecodeBatch(
    absl::string_view data) {
  Reader reader(data);
  uint64_t n, total;
  std::vector<int64_t> ids, counts, times, values;
  if (!reader.ReadVarint(&n) || n > (1u << 20) ||
      !DecodeColumn(&reader, n, &ids) || !DecodeColumn(&reader, n, &counts) ||
      !reader.ReadVarint(&total) || total > (uint64_t{1} << 22) ||
      !DecodeColumn(&reader, total, &times) ||
      !DecodeColumn(&reader, total, &values) || !reader.done()) {
    return absl::DataLossError("staging batch: malformed");
  }
  std::vector<std::pair<SeriesId, std::string>> out;
  size_t pos = 0;
  for (size_t k = 0; k < n; ++k) {
    if (counts[k] < 0 || static_cast<uint64_t>(counts[k]) > total - pos) {
      return absl::DataLossError("staging batch: bad sample count");
    }
    std::vector<Sample> samples(counts[k]);
    for (int64_t i = 0; i < counts[k]; ++i, ++pos) {
      samples[i].t_ms = times[pos];
      samples[i].raw = i == 0 ? values[pos] : samples[i - 1].raw + values[pos];
    }
    out.emplace_back(ids[k], EncodeChunk(samples));
  }
  if (pos != total)
    return absl::DataLossError("staging batch: trailing samples");
  return out;
}

absl::StatusOr<std::vector<Record>> LiveRecords(const SeriesInfo& info,
                                                const LiveState& live,
                                                Tier tier, int64_t from_s,
                                                int64_t to_s,
                                                const absl::TimeZone& tz) {
  std::vector<Record> out;
  std::vector<Sample> samples;
  for (const std::string& chunk : live.chunks) {
    EWS_ASSIGN_OR_RETURN(std::vector<Sample> part, DecodeChunk(chunk));
    samples.insert(samples.end(), part.begin(), part.end());
  }
  if (samples.empty()) return out;
  if (to_s <= SlotStart(tier, FloorDiv(samples.front().t_ms, 1000), tz)) {
    return out;
  }
  std::vector<Record> minutes =
      BuildMinutes(info, live.has_prev, live.prev, samples);
  return GroupIntoSlots(info.spec.kind, minutes, tier, from_s, to_s, tz);
}

std::vector<Record> GroupIntoSlots(SeriesKind kind,
                                   const std::vector<Record>& minutes,
                                   Tier tier, int64_t from_s, int64_t to_s,
                                   const absl::TimeZone& tz) {
  std::vector<Record> out;
  const int64_t first_slot = SlotStart(tier, from_s, tz);
  std::vector<Record> group;
  int64_t group_start = 0;
  auto emit = [&]() {
    if (group.empty()) return;
    if (group_start >= first_slot && group_start < to_s) {
      out.push_back(tier == Tier::kMinute
                        ? group.front()
                        : Aggregate(kind, group_start, group));
    }
    group.clear();
  };
  for (const Record& m : minutes) {
    const int64_t slot = SlotStart(tier, m.start, tz);
    if (!group.empty() && slot != group_start) emit();
    group_start = slot;
    group.push_back(m);
  }
  emit();
  return out;
}

Point ToPoint(const SeriesSpec& spec, Tier tier, const Record& r,
              const absl::TimeZone& tz) {
  Point p;
  p.start = absl::FromUnixSeconds(r.start);
  p.end = absl::FromUnixSeconds(NextSlot(tier, r.start, tz));
  p.flags = r.flags;
  if (r.flags & kFlagGap) p.gap_start = absl::FromUnixSeconds(r.gap_start);
  if (IsCounter(spec.kind)) {
    p.counter = static_cast<double>(r.a) * spec.scale;
    p.delta = static_cast<double>(r.b) * spec.scale;
    p.samples = r.samples;
  } else {
    p.samples = r.b;
    p.avg = r.b > 0 ? static_cast<double>(r.a) / static_cast<double>(r.b) *
                          spec.scale
                    : 0;
    p.min = static_cast<double>(r.min) * spec.scale;
    p.max = static_cast<double>(r.max) * spec.scale;
    p.last = static_cast<double>(r.last) * spec.scale;
  }
  return p;
}

void ClampPeriod(int64_t* from_s, int64_t* to_s) {
  constexpr int64_t kLast = 253402300799;  // 9999-12-31T23:59:59Z
  *from_s = std::clamp<int64_t>(*from_s, 0, kLast);
  *to_s = std::clamp<int64_t>(*to_s, 0, kLast);
}

}  // namespace ews::storage::internal

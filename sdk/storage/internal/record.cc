#include "sdk/storage/internal/record.h"

#include <zstd.h>

#include <algorithm>

#include "absl/status/status.h"
#include "sdk/storage/internal/codec.h"

namespace ews::storage::internal {
namespace {

// Block formats: the columns as they are, or compressed with zstd (a sealed
// block: a whole UTC day of minute records).
constexpr uint64_t kPlainBlock = 1;
constexpr uint64_t kSealedBlock = 2;
constexpr int kZstdLevel = 19;
// Decoded blocks are bounded: a day of minutes is 1440 records of at most
// 8 columns of 10-byte varints.
constexpr size_t kMaxBodyBytes = 1 << 20;

int64_t RoundDiv(int64_t a, int64_t b) {
  if (b <= 0) return 0;
  const int64_t q = a / b;
  const int64_t r = a % b;
  if (2 * (r < 0 ? -r : r) >= b) return q + (a < 0 ? -1 : 1);
  return q;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

}  // namespace

bool IsCounter(SeriesKind kind) { return kind == SeriesKind::kCounter; }

namespace {

void EncodeBody(SeriesKind kind, const std::vector<Record>& records,
                std::string* body) {
  std::string& out = *body;
  const size_t n = records.size();
  PutVarint(&out, n);
  std::vector<int64_t> col(n);
  auto put = [&](auto field) {
    for (size_t i = 0; i < n; ++i) col[i] = field(i);
    EncodeColumn(col, &out);
  };
  put([&](size_t i) { return records[i].start; });
  put([&](size_t i) { return records[i].a; });
  if (IsCounter(kind)) {
    // Consumption usually equals the counter's step: store only the residual.
    put([&](size_t i) {
      return i == 0 ? records[i].b
                    : records[i].b - (records[i].a - records[i - 1].a);
    });
    put([&](size_t i) { return records[i].samples; });
  } else {
    put([&](size_t i) { return records[i].b; });
    // min/max/last relative to the average: all zero for a single sample.
    put([&](size_t i) {
      return records[i].min - RoundDiv(records[i].a, records[i].b);
    });
    put([&](size_t i) {
      return records[i].max - RoundDiv(records[i].a, records[i].b);
    });
    put([&](size_t i) {
      return records[i].last - RoundDiv(records[i].a, records[i].b);
    });
  }
  put([&](size_t i) { return static_cast<int64_t>(records[i].flags); });
  put([&](size_t i) {
    return (records[i].flags & kFlagGap)
               ? records[i].start - records[i].gap_start
               : 0;
  });
}

absl::StatusOr<std::vector<Record>> DecodeBody(SeriesKind kind,
                                               absl::string_view data) {
  Reader reader(data);
  uint64_t n;
  if (!reader.ReadVarint(&n) || n > 4096) {  // a block holds <= 1440
    return absl::DataLossError("history block: bad header");
  }
  std::vector<Record> records(n);
  std::vector<int64_t> col;
  bool ok = true;
  auto get = [&](auto assign) {
    if (!ok) return;
    if (!DecodeColumn(&reader, n, &col)) {
      ok = false;
      return;
    }
    for (size_t i = 0; i < n; ++i) assign(i, col[i]);
  };
  get([&](size_t i, int64_t v) { records[i].start = v; });
  get([&](size_t i, int64_t v) { records[i].a = v; });
  if (IsCounter(kind)) {
    get([&](size_t i, int64_t v) {
      records[i].b = i == 0 ? v : v + (records[i].a - records[i - 1].a);
    });
    get([&](size_t i, int64_t v) { records[i].samples = v; });
  } else {
    get([&](size_t i, int64_t v) {
      records[i].b = v;
      records[i].samples = v;
    });
    get([&](size_t i, int64_t v) {
      records[i].min = v + RoundDiv(records[i].a, records[i].b);
    });
    get([&](size_t i, int64_t v) {
      records[i].max = v + RoundDiv(records[i].a, records[i].b);
    });
    get([&](size_t i, int64_t v) {
      records[i].last = v + RoundDiv(records[i].a, records[i].b);
    });
  }
  get([&](size_t i, int64_t v) {
    records[i].flags = static_cast<uint32_t>(v);
  });
  get([&](size_t i, int64_t v) {
    records[i].gap_start =
        (records[i].flags & kFlagGap) ? records[i].start - v : 0;
  });
  if (!ok || !reader.done()) {
    return absl::DataLossError("history block: malformed column");
  }
  return records;
}

}  // namespace

std::string EncodeBlock(SeriesKind kind, const std::vector<Record>& records) {
  std::string out;
  PutVarint(&out, kPlainBlock);
  EncodeBody(kind, records, &out);
  return out;
}

std::string EncodeSealedBlock(SeriesKind kind,
                              const std::vector<Record>& records) {
  std::string body;
  EncodeBody(kind, records, &body);
  std::string out;
  PutVarint(&out, kSealedBlock);
  PutVarint(&out, body.size());
  const size_t header = out.size();
  out.resize(header + ZSTD_compressBound(body.size()));
  // With zstd's checksum of the content: damage is a DataLoss, never values
  // silently misread.
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  if (cctx == nullptr) return EncodeBlock(kind, records);  // out of memory
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, kZstdLevel);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  const size_t packed = ZSTD_compress2(
      cctx, out.data() + header, out.size() - header, body.data(), body.size());
  ZSTD_freeCCtx(cctx);
  if (ZSTD_isError(packed)) {  // cannot happen with a bound-sized buffer
    return EncodeBlock(kind, records);  // a plain block reads back as well
  }
  out.resize(header + packed);
  return out;
}

absl::StatusOr<std::vector<Record>> DecodeBlock(SeriesKind kind,
                                                absl::string_view data) {
  Reader reader(data);
  uint64_t version;
  if (!reader.ReadVarint(&version)) {
    return absl::DataLossError("history block: empty");
  }
  absl::string_view rest = data.substr(data.size() - reader.remaining());
  if (version == kPlainBlock) return DecodeBody(kind, rest);
  uint64_t body_size;
  if (version != kSealedBlock || !reader.ReadVarint(&body_size) ||
      body_size > kMaxBodyBytes) {
    return absl::DataLossError("history block: bad header");
  }
  rest = data.substr(data.size() - reader.remaining());
  std::string body(body_size, '\0');
  const size_t got =
      ZSTD_decompress(body.data(), body.size(), rest.data(), rest.size());
  if (ZSTD_isError(got) || got != body_size) {
    return absl::DataLossError("history block: bad compressed data");
  }
  return DecodeBody(kind, body);
}

Record Aggregate(SeriesKind kind, int64_t start,
                 const std::vector<Record>& records) {
  Record out;
  out.start = start;
  bool first = true;
  for (const Record& r : records) {
    if (first) {
      out.min = r.min;
      out.max = r.max;
    }
    if (IsCounter(kind)) {
      out.a = r.a;
      out.b += r.b;
      out.samples += r.samples;
    } else {
      out.a += r.a;
      out.b += r.b;
      out.samples += r.samples;
      out.min = std::min(out.min, r.min);
      out.max = std::max(out.max, r.max);
      out.last = r.last;
    }
    if ((r.flags & kFlagGap) && !(out.flags & kFlagGap)) {
      out.gap_start = r.gap_start;
    }
    out.flags |= r.flags;
    first = false;
  }
  return out;
}

Record Combine(SeriesKind kind, const Record& earlier, const Record& later) {
  return Aggregate(kind, earlier.start, {earlier, later});
}

CounterStep StepCounter(const CounterRules& rules, const Sample& prev,
                        const Sample& cur) {
  CounterStep step;
  const int64_t elapsed_ms = cur.t_ms - prev.t_ms;
  if (rules.gap_threshold_ms > 0 && elapsed_ms > rules.gap_threshold_ms) {
    step.flags |= kFlagGap;
    step.gap_start = FloorDiv(prev.t_ms, 1000);
  }
  const int64_t d = cur.raw - prev.raw;
  if (d < 0) {
    if (rules.counter_bits > 0 && rules.counter_bits < 63) {
      const int64_t modulus = int64_t{1} << rules.counter_bits;
      if (prev.raw >= modulus / 2 && prev.raw < modulus && cur.raw >= 0 &&
          cur.raw < modulus / 2) {
        step.delta = cur.raw + modulus - prev.raw;
        step.flags |= kFlagWrap;
        return step;
      }
    }
    step.flags |= kFlagReset;
    return step;
  }
  if (rules.max_raw_per_hour > 0) {
    const int64_t hours = elapsed_ms / 3'600'000 + 1;
    if (d / hours > rules.max_raw_per_hour) {
      step.flags |= kFlagReset;
      return step;
    }
  }
  step.delta = d;
  return step;
}

}  // namespace ews::storage::internal

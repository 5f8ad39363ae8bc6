#include "sdk/storage/internal/codec.h"

namespace ews::storage::internal {
namespace {

enum Mode : uint64_t {
  kConst = 0,       // every value equals c
  kConstDelta = 1,  // first, then every step equals d
  kDelta = 2,       // first, then one signed step per value
  kPlain = 3,       // one signed value per value
  kExceptions = 4,  // default c, then (index step, value) for the others
  kDelta2 = 5,      // first, first step, then one signed change of step each
  kDeltaExceptions = 6,  // first, then the steps as kExceptions
};

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
size_t SignedSize(int64_t v) { return VarintSize(ZigZag(v)); }

}  // namespace

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool Reader::ReadVarint(uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= data_.size()) return false;
    const uint8_t byte = static_cast<uint8_t>(data_[pos_++]);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

bool Reader::ReadBytes(size_t n, absl::string_view* bytes) {
  if (n > data_.size() - pos_) return false;
  *bytes = data_.substr(pos_, n);
  pos_ += n;
  return true;
}

bool Reader::ReadSigned(int64_t* v) {
  uint64_t u;
  if (!ReadVarint(&u)) return false;
  *v = UnZigZag(u);
  return true;
}

namespace {

int64_t Sub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) -
                              static_cast<uint64_t>(b));
}

// The column's steps (wrapping subtraction keeps them reversible).
std::vector<int64_t> Steps(const std::vector<int64_t>& values) {
  std::vector<int64_t> steps(values.size());
  for (size_t i = 1; i < values.size(); ++i) {
    steps[i] = Sub(values[i], values[i - 1]);
  }
  return steps;
}

// The most common of values[from..] (ties: the first seen), by a bounded
// count over the candidates that occur first.
int64_t MostCommon(const std::vector<int64_t>& values, size_t from) {
  int64_t best = from < values.size() ? values[from] : 0;
  size_t best_count = 0;
  for (size_t c = from; c < values.size() && c < from + 4; ++c) {
    size_t count = 0;
    for (size_t i = from; i < values.size(); ++i)
      count += values[i] == values[c];
    if (count > best_count) {
      best = values[c];
      best_count = count;
    }
  }
  return best;
}

// Size of "common, count, (index step, value)..." over values[from..].
size_t ExceptionsSize(const std::vector<int64_t>& values, size_t from,
                      int64_t common) {
  size_t size = SignedSize(common);
  size_t count = 0, last = from;
  for (size_t i = from; i < values.size(); ++i) {
    if (values[i] == common) continue;
    size += VarintSize(i - last) + SignedSize(values[i]);
    last = i;
    ++count;
  }
  return size + VarintSize(count);
}

void PutExceptions(const std::vector<int64_t>& values, size_t from,
                   int64_t common, std::string* out) {
  size_t count = 0;
  for (size_t i = from; i < values.size(); ++i) count += values[i] != common;
  PutSigned(out, common);
  PutVarint(out, count);
  size_t last = from;
  for (size_t i = from; i < values.size(); ++i) {
    if (values[i] == common) continue;
    PutVarint(out, i - last);
    PutSigned(out, values[i]);
    last = i;
  }
}

bool ReadExceptions(Reader* reader, size_t from, std::vector<int64_t>* values) {
  int64_t c;
  uint64_t count;
  if (!reader->ReadSigned(&c) || !reader->ReadVarint(&count)) return false;
  const size_t n = values->size();
  if (count > n - from) return false;
  for (size_t i = from; i < n; ++i) (*values)[i] = c;
  size_t index = from;
  for (uint64_t k = 0; k < count; ++k) {
    uint64_t step;
    int64_t v;
    if (!reader->ReadVarint(&step) || !reader->ReadSigned(&v)) return false;
    if (step > n) return false;
    index += step;
    if (index >= n) return false;
    (*values)[index] = v;
  }
  return true;
}

size_t SumSize(const std::vector<int64_t>& values, size_t from) {
  size_t size = 0;
  for (size_t i = from; i < values.size(); ++i) size += SignedSize(values[i]);
  return size;
}

}  // namespace

void EncodeColumn(const std::vector<int64_t>& values, std::string* out) {
  const size_t n = values.size();
  if (n == 0) {
    PutVarint(out, kConst);
    PutSigned(out, 0);
    return;
  }
  const std::vector<int64_t> steps = Steps(values);
  bool all_equal = true;
  bool const_delta = true;
  for (size_t i = 1; i < n; ++i) {
    if (values[i] != values[0]) all_equal = false;
    if (i >= 2 && steps[i] != steps[1]) const_delta = false;
  }
  if (all_equal) {
    PutVarint(out, kConst);
    PutSigned(out, values[0]);
    return;
  }
  if (const_delta) {
    PutVarint(out, kConstDelta);
    PutSigned(out, values[0]);
    PutSigned(out, steps[1]);
    return;
  }
  // Steps of the steps: counters (a steady consumption) and timestamps.
  std::vector<int64_t> steps2(n);
  for (size_t i = 2; i < n; ++i) steps2[i] = Sub(steps[i], steps[i - 1]);
  const int64_t common = MostCommon(values, 0);
  const int64_t common_step = MostCommon(steps, 1);
  const size_t head = SignedSize(values[0]);
  struct Candidate {
    Mode mode;
    size_t size;
  };
  const Candidate candidates[] = {
      {kPlain, SumSize(values, 0)},
      {kDelta, head + SumSize(steps, 1)},
      {kDelta2, head + SignedSize(steps[1]) + SumSize(steps2, 2)},
      {kExceptions, ExceptionsSize(values, 0, common)},
      {kDeltaExceptions, head + ExceptionsSize(steps, 1, common_step)},
  };
  Candidate best = candidates[0];
  for (const Candidate& c : candidates) {
    if (c.size < best.size) best = c;
  }
  PutVarint(out, best.mode);
  switch (best.mode) {
    case kPlain:
      for (int64_t v : values) PutSigned(out, v);
      return;
    case kDelta:
      PutSigned(out, values[0]);
      for (size_t i = 1; i < n; ++i) PutSigned(out, steps[i]);
      return;
    case kDelta2:
      PutSigned(out, values[0]);
      PutSigned(out, steps[1]);
      for (size_t i = 2; i < n; ++i) PutSigned(out, steps2[i]);
      return;
    case kExceptions:
      PutExceptions(values, 0, common, out);
      return;
    case kDeltaExceptions:
      PutSigned(out, values[0]);
      PutExceptions(steps, 1, common_step, out);
      return;
    default:
      return;
  }
}

bool DecodeColumn(Reader* reader, size_t n, std::vector<int64_t>* values) {
  values->assign(n, 0);
  uint64_t mode;
  if (!reader->ReadVarint(&mode)) return false;
  switch (mode) {
    case kConst: {
      int64_t c;
      if (!reader->ReadSigned(&c)) return false;
      for (auto& v : *values) v = c;
      return true;
    }
    case kConstDelta: {
      int64_t first, d;
      if (!reader->ReadSigned(&first) || !reader->ReadSigned(&d)) return false;
      uint64_t acc = static_cast<uint64_t>(first);
      for (auto& v : *values) {
        v = static_cast<int64_t>(acc);
        acc += static_cast<uint64_t>(d);
      }
      return true;
    }
    case kDelta: {
      uint64_t acc = 0;
      for (size_t i = 0; i < n; ++i) {
        int64_t d;
        if (!reader->ReadSigned(&d)) return false;
        acc =
            i == 0 ? static_cast<uint64_t>(d) : acc + static_cast<uint64_t>(d);
        (*values)[i] = static_cast<int64_t>(acc);
      }
      return true;
    }
    case kPlain:
      for (auto& v : *values) {
        if (!reader->ReadSigned(&v)) return false;
      }
      return true;
    case kExceptions:
      return ReadExceptions(reader, 0, values);
    case kDelta2: {
      if (n == 0) return false;
      int64_t first, step;
      if (!reader->ReadSigned(&first)) return false;
      (*values)[0] = first;
      if (n == 1) return true;
      if (!reader->ReadSigned(&step)) return false;
      (*values)[1] = static_cast<int64_t>(static_cast<uint64_t>(first) +
                                          static_cast<uint64_t>(step));
      uint64_t acc = static_cast<uint64_t>((*values)[1]);
      uint64_t d = static_cast<uint64_t>(step);
      for (size_t i = 2; i < n; ++i) {
        int64_t dd;
        if (!reader->ReadSigned(&dd)) return false;
        d += static_cast<uint64_t>(dd);
        acc += d;
        (*values)[i] = static_cast<int64_t>(acc);
      }
      return true;
    }
    case kDeltaExceptions: {
      if (n == 0) return false;
      int64_t first;
      if (!reader->ReadSigned(&first)) return false;
      if (!ReadExceptions(reader, 1, values)) return false;
      (*values)[0] = first;
      uint64_t acc = static_cast<uint64_t>(first);
      for (size_t i = 1; i < n; ++i) {
        acc += static_cast<uint64_t>((*values)[i]);
        (*values)[i] = static_cast<int64_t>(acc);
      }
      return true;
    }
    default:
      return false;
  }
}

}  // namespace ews::storage::internal

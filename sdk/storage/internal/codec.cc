#include "sdk/storage/internal/codec.h"

namespace ews::storage::internal {
namespace {

enum Mode : uint64_t {
  kConst = 0,       // every value equals c
  kConstDelta = 1,  // first, then every step equals d
  kDelta = 2,       // first, then one signed step per value
  kPlain = 3,       // one signed value per value
  kExceptions = 4,  // default c, then (index step, value) for the others
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

void EncodeColumn(const std::vector<int64_t>& values, std::string* out) {
  const size_t n = values.size();
  if (n == 0) {
    PutVarint(out, kConst);
    PutSigned(out, 0);
    return;
  }
  // Sizes of each mode, computed in one pass.
  bool all_equal = true;
  bool const_delta = true;
  size_t delta_size = SignedSize(values[0]);
  size_t plain_size = SignedSize(values[0]);
  for (size_t i = 1; i < n; ++i) {
    // Wrapping subtraction: deltas of arbitrary int64 values stay reversible.
    const int64_t d =
        static_cast<int64_t>(static_cast<uint64_t>(values[i]) -
                             static_cast<uint64_t>(values[i - 1]));
    if (values[i] != values[0]) all_equal = false;
    if (i >= 2 && d != static_cast<int64_t>(static_cast<uint64_t>(values[1]) -
                                            static_cast<uint64_t>(values[0]))) {
      const_delta = false;
    }
    delta_size += SignedSize(d);
    plain_size += SignedSize(values[i]);
  }
  if (all_equal) {
    PutVarint(out, kConst);
    PutSigned(out, values[0]);
    return;
  }
  if (const_delta) {
    PutVarint(out, kConstDelta);
    PutSigned(out, values[0]);
    PutSigned(out, values[1] - values[0]);
    return;
  }
  // Exceptions around the most common value; the first value is a good enough
  // guess for the columns that use it (flags, residuals).
  int64_t common = 0;
  size_t exceptions = 0;
  for (int64_t v : values) exceptions += v != 0;
  size_t exceptions_size = 2 + VarintSize(exceptions);
  {
    size_t last = 0;
    for (size_t i = 0; i < n; ++i) {
      if (values[i] != common) {
        exceptions_size += VarintSize(i - last) + SignedSize(values[i]);
        last = i;
      }
    }
  }
  if (exceptions_size < delta_size && exceptions_size < plain_size) {
    PutVarint(out, kExceptions);
    PutSigned(out, common);
    PutVarint(out, exceptions);
    size_t last = 0;
    for (size_t i = 0; i < n; ++i) {
      if (values[i] != common) {
        PutVarint(out, i - last);
        PutSigned(out, values[i]);
        last = i;
      }
    }
    return;
  }
  if (delta_size <= plain_size) {
    PutVarint(out, kDelta);
    PutSigned(out, values[0]);
    for (size_t i = 1; i < n; ++i) {
      PutSigned(out,
                static_cast<int64_t>(static_cast<uint64_t>(values[i]) -
                                     static_cast<uint64_t>(values[i - 1])));
    }
    return;
  }
  PutVarint(out, kPlain);
  for (int64_t v : values) PutSigned(out, v);
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
    case kExceptions: {
      int64_t c;
      uint64_t count;
      if (!reader->ReadSigned(&c) || !reader->ReadVarint(&count)) return false;
      if (count > n) return false;
      for (auto& v : *values) v = c;
      size_t index = 0;
      for (uint64_t k = 0; k < count; ++k) {
        uint64_t step;
        int64_t v;
        if (!reader->ReadVarint(&step) || !reader->ReadSigned(&v)) return false;
        index += step;
        if (index >= n) return false;
        (*values)[index] = v;
      }
      return true;
    }
    default:
      return false;
  }
}

}  // namespace ews::storage::internal

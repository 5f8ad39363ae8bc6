// Packing of integer columns into compact byte strings: zigzag varints with
// per-column choice of the cheapest mode (constant, constant delta, delta,
// plain, or "default + exceptions"). Values are integers at a register's own
// resolution, so nothing here is lossy.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ews::storage::internal {

inline uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t UnZigZag(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

void PutVarint(std::string* out, uint64_t v);
inline void PutSigned(std::string* out, int64_t v) {
  PutVarint(out, ZigZag(v));
}

// Reads varints from a byte string; every read reports truncation.
class Reader {
 public:
  explicit Reader(absl::string_view data) : data_(data) {}
  bool ReadVarint(uint64_t* v);
  bool ReadSigned(int64_t* v);
  // The next `n` bytes, as a view into the input.
  bool ReadBytes(size_t n, absl::string_view* bytes);
  bool done() const { return pos_ == data_.size(); }
  size_t remaining() const { return data_.size() - pos_; }

 private:
  absl::string_view data_;
  size_t pos_ = 0;
};

// Appends `values` to `out` in the cheapest of the column modes.
void EncodeColumn(const std::vector<int64_t>& values, std::string* out);

// Reads `n` values written by EncodeColumn. Returns false on malformed input.
bool DecodeColumn(Reader* reader, size_t n, std::vector<int64_t>* values);

}  // namespace ews::storage::internal

// Token buckets keyed by a string (a client address, a role name), on an
// injected monotonic clock.
//
//   RateLimiter limiter({.burst = 10, .refill_every = absl::Seconds(6)},
//   clock); if (absl::Status s = limiter.Take(address); !s.ok()) return s;  //
//   429
//
// Each key may take `burst` tokens at once and gets one back every
// `refill_every`. At most `max_keys` keys are tracked: when a new key would
// exceed that, keys whose bucket has refilled completely are forgotten first
// (they would behave the same anyway), then the least recently used one.
#pragma once

#include <cstddef>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"

namespace ews::security {

struct RateLimit {
  int burst = 10;
  absl::Duration refill_every = absl::Seconds(6);
  size_t max_keys = 4096;
};

class RateLimiter {
 public:
  // `clock` is not owned. burst >= 1 and refill_every > 0 are assumed
  // (smaller values are raised to 1 and 1 ms).
  RateLimiter(RateLimit limit, const Clock& clock);

  // Takes one token for `key`. ResourceExhausted (with the wait in the
  // message) when the bucket is empty; nothing is taken then. With
  // `first_refusal`, tells whether this is the key's first refusal since its
  // last success (so a flood is reported once, not once per request).
  absl::Status Take(absl::string_view key, bool* first_refusal = nullptr)
      ABSL_LOCKS_EXCLUDED(mutex_);

  size_t tracked_keys() const ABSL_LOCKS_EXCLUDED(mutex_);

 private:
  struct Bucket {
    double tokens = 0;
    absl::Duration updated;  // monotonic time of the last refill
    bool refusing = false;   // refused since the last success
  };
  double Refilled(const Bucket& bucket, absl::Duration now) const;
  void MakeRoomLocked(absl::Duration now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const RateLimit limit_;
  const Clock& clock_;
  mutable absl::Mutex mutex_;
  absl::flat_hash_map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::security

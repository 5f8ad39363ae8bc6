#include "sdk/security/auth/rate_limiter.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace ews::security {
namespace {

RateLimit Sanitized(RateLimit limit) {
  limit.burst = std::max(limit.burst, 1);
  limit.refill_every = std::max(limit.refill_every, absl::Milliseconds(1));
  limit.max_keys = std::max<size_t>(limit.max_keys, 1);
  return limit;
}

}  // namespace

RateLimiter::RateLimiter(RateLimit limit, const Clock& clock)
    : limit_(Sanitized(limit)), clock_(clock) {}

double RateLimiter::Refilled(const Bucket& bucket, absl::Duration now) const {
  const double gained =
      absl::FDivDuration(now - bucket.updated, limit_.refill_every);
  return std::min<double>(limit_.burst, bucket.tokens + gained);
}

void RateLimiter::MakeRoomLocked(absl::Duration now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    if (Refilled(it->second, now) >= limit_.burst) {
      buckets_.erase(it++);
    } else {
      ++it;
    }
  }
  while (buckets_.size() >= limit_.max_keys) {
    auto oldest = std::min_element(buckets_.begin(), buckets_.end(),
                                   [](const auto& a, const auto& b) {
                                     return a.second.updated < b.second.updated;
                                   });
    buckets_.erase(oldest);
  }
}

absl::Status RateLimiter::Take(absl::string_view key, bool* first_refusal) {
  const absl::Duration now = clock_.MonotonicNow();
  absl::MutexLock lock(&mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= limit_.max_keys) MakeRoomLocked(now);
    it =
        buckets_
            .emplace(std::string(key), Bucket{double(limit_.burst), now, false})
            .first;
  }
  Bucket& bucket = it->second;
  bucket.tokens = Refilled(bucket, now);
  bucket.updated = now;
  if (bucket.tokens < 1.0) {
    if (first_refusal != nullptr) *first_refusal = !bucket.refusing;
    bucket.refusing = true;
    const absl::Duration wait = (1.0 - bucket.tokens) * limit_.refill_every;
    return absl::ResourceExhaustedError(
        absl::StrCat("too many attempts; retry in ",
                     std::ceil(absl::ToDoubleSeconds(wait)), " s"));
  }
  bucket.tokens -= 1.0;
  bucket.refusing = false;
  return absl::OkStatus();
}

size_t RateLimiter::tracked_keys() const {
  absl::MutexLock lock(&mutex_);
  return buckets_.size();
}

}  // namespace ews::security

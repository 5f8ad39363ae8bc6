#include "sdk/storage/internal/tiers.h"

#include "absl/time/civil_time.h"

namespace ews::storage::internal {
namespace {

int64_t FloorTo(int64_t t, int64_t unit) {
  int64_t q = t / unit;
  if (t % unit != 0 && t < 0) --q;
  return q * unit;
}

int64_t ToUnix(absl::CivilSecond civil, const absl::TimeZone& tz) {
  return absl::ToUnixSeconds(absl::FromCivil(civil, tz));
}

}  // namespace

int64_t SlotStart(Tier tier, int64_t t, const absl::TimeZone& tz) {
  switch (tier) {
    case Tier::kMinute:
      return FloorTo(t, 60);
    case Tier::kHour:
      return FloorTo(t, 3600);
    case Tier::kDay:
      return ToUnix(
          absl::CivilDay(absl::ToCivilSecond(absl::FromUnixSeconds(t), tz)),
          tz);
    case Tier::kMonth:
      return ToUnix(
          absl::CivilMonth(absl::ToCivilSecond(absl::FromUnixSeconds(t), tz)),
          tz);
    case Tier::kYear:
      return ToUnix(
          absl::CivilYear(absl::ToCivilSecond(absl::FromUnixSeconds(t), tz)),
          tz);
  }
  return t;
}

int64_t NextSlot(Tier tier, int64_t start, const absl::TimeZone& tz) {
  const absl::CivilSecond civil =
      absl::ToCivilSecond(absl::FromUnixSeconds(start), tz);
  switch (tier) {
    case Tier::kMinute:
      return start + 60;
    case Tier::kHour:
      return start + 3600;
    case Tier::kDay:
      return ToUnix(absl::CivilDay(civil) + 1, tz);
    case Tier::kMonth:
      return ToUnix(absl::CivilMonth(civil) + 1, tz);
    case Tier::kYear:
      return ToUnix(absl::CivilYear(civil) + 1, tz);
  }
  return start;
}

Tier BlockTier(Tier tier) {
  switch (tier) {
    case Tier::kMinute:
      return Tier::kHour;
    case Tier::kHour:
      return Tier::kDay;
    case Tier::kDay:
      return Tier::kMonth;
    case Tier::kMonth:
    case Tier::kYear:
      return Tier::kYear;
  }
  return Tier::kYear;
}

int64_t NominalSeconds(Tier tier) {
  switch (tier) {
    case Tier::kMinute:
      return 60;
    case Tier::kHour:
      return 3600;
    case Tier::kDay:
      return 86400;
    case Tier::kMonth:
      return 2629746;  // 365.2425 / 12 days
    case Tier::kYear:
      return 31556952;
  }
  return 60;
}

}  // namespace ews::storage::internal

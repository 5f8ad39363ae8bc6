#include "sdk/storage/series.h"

namespace ews::storage {

const char* TierName(Tier tier) {
  switch (tier) {
    case Tier::kMinute:
      return "minute";
    case Tier::kHour:
      return "hour";
    case Tier::kDay:
      return "day";
    case Tier::kMonth:
      return "month";
    case Tier::kYear:
      return "year";
  }
  return "?";
}

}  // namespace ews::storage

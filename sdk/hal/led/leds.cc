#include "sdk/hal/led/leds.h"

#include "absl/strings/str_cat.h"

namespace ews::hal {
namespace {

bool Valid(Led led) {
  const int i = static_cast<int>(led);
  return i >= 0 && i < kLedCount;
}

}  // namespace

absl::string_view LedName(Led led) {
  switch (led) {
    case Led::kPower:
      return "power";
    case Led::kRx:
      return "rx";
    case Led::kTx:
      return "tx";
    case Led::kLink:
      return "link";
    case Led::kAct:
      return "act";
  }
  return "?";
}

absl::Status Leds::Set(Led led, bool on) {
  if (!Valid(led)) {
    return absl::InvalidArgumentError(
        absl::StrCat("no LED ", static_cast<int>(led)));
  }
  return DoSet(led, on);
}

absl::StatusOr<bool> Leds::Get(Led led) {
  if (!Valid(led)) {
    return absl::InvalidArgumentError(
        absl::StrCat("no LED ", static_cast<int>(led)));
  }
  return DoGet(led);
}

}  // namespace ews::hal

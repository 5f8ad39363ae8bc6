// Validation of the consumption tree (boards, groups, members) and the tariffs.
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "sdk/config/internal/validator.h"

namespace ews::config::internal {
namespace {

constexpr int kMinutesPerDay = 1440;
constexpr int kMinutesPerWeek = 7 * kMinutesPerDay;
constexpr const char* kWeekdays[] = {"Monday",   "Tuesday", "Wednesday",
                                     "Thursday", "Friday",  "Saturday",
                                     "Sunday"};

std::string MinuteOfWeek(int minute) {
  int day = minute / kMinutesPerDay;
  int in_day = minute % kMinutesPerDay;
  return absl::StrCat(kWeekdays[day], " ", in_day / 60 < 10 ? "0" : "",
                      in_day / 60, ":", in_day % 60 < 10 ? "0" : "",
                      in_day % 60);
}

}  // namespace

void Validator::CheckConsumptionTree() {
  const v1::ConsumptionTree& tree = config_.consumption_tree();
  std::map<std::string, int> board_index;
  for (int b = 0; b < tree.boards_size(); ++b) {
    const v1::Board& board = tree.boards(b);
    std::string at = absl::StrCat("consumption_tree.boards[", b, "]");
    Id(at + ".id", board.id());
    if (!board.id().empty()) {
      auto [it, inserted] = board_index.emplace(board.id(), b);
      if (!inserted) {
        Error(at + ".id", Quote(board.id()), " is also boards[", it->second,
              "].id");
      }
    }
    Name(at + ".name", board.name());
  }
  // Parents exist, and following parents never comes back.
  for (int b = 0; b < tree.boards_size(); ++b) {
    const v1::Board& board = tree.boards(b);
    if (board.parent_board_id().empty()) continue;
    std::string field =
        absl::StrCat("consumption_tree.boards[", b, "].parent_board_id");
    if (board_index.count(board.parent_board_id()) == 0) {
      Error(field, Quote(board.parent_board_id()),
            " is not the id of any board");
      continue;
    }
    std::set<int> seen = {b};
    std::string parent = board.parent_board_id();
    while (!parent.empty()) {
      auto it = board_index.find(parent);
      if (it == board_index.end()) break;  // reported on that board
      if (!seen.insert(it->second).second) {
        if (it->second == b) {
          Error(field, Quote(board.parent_board_id()),
                " leads back to this board (cycle)");
        }
        break;  // a cycle further up is reported on its own boards
      }
      parent = tree.boards(it->second).parent_board_id();
    }
  }
  // Groups and members.
  std::map<std::string, std::string> group_ids;
  std::map<std::string, std::string> counted;  // reference -> field
  for (int b = 0; b < tree.boards_size(); ++b) {
    const v1::Board& board = tree.boards(b);
    for (int g = 0; g < board.groups_size(); ++g) {
      const v1::Group& group = board.groups(g);
      std::string at =
          absl::StrCat("consumption_tree.boards[", b, "].groups[", g, "]");
      Id(at + ".id", group.id());
      if (!group.id().empty()) {
        auto [it, inserted] = group_ids.emplace(group.id(), at);
        if (!inserted) {
          Error(at + ".id", Quote(group.id()), " is also ", it->second, ".id");
        }
      }
      Name(at + ".name", group.name());
      for (int m = 0; m < group.members_size(); ++m) {
        CheckMember(absl::StrCat(at, ".members[", m, "]"), group.members(m),
                    counted);
      }
    }
  }
}

void Validator::CheckMember(const std::string& at, const v1::MeterRef& ref,
                            std::map<std::string, std::string>& counted) {
  std::string key;
  switch (ref.source_case()) {
    case v1::MeterRef::kModbus: {
      const v1::ModbusQuantityRef& q = ref.modbus();
      bool device_ok = false;
      for (const v1::ModbusDevice& dev : config_.modbus_devices()) {
        device_ok |= dev.id() == q.device_id();
      }
      if (!device_ok) {
        Error(at + ".modbus.device_id", Quote(q.device_id()),
              " is not the id of any modbus_devices entry");
      }
      bool quantity_ok =
          !q.quantity_id().empty() && q.quantity_id().size() <= kMaxIdChars;
      for (char c : q.quantity_id()) {
        if (!absl::ascii_isalnum(c) && !absl::StrContains("_.+-", c)) {
          quantity_ok = false;
        }
      }
      if (!quantity_ok) {
        Error(at + ".modbus.quantity_id", Quote(q.quantity_id()),
              " is not a quantity id (1..32 of [A-Za-z0-9_.+-])");
      }
      if (!device_ok || !quantity_ok) return;
      key = absl::StrCat("device ", Quote(q.device_id()), " quantity ",
                         Quote(q.quantity_id()));
      break;
    }
    case v1::MeterRef::kPulseCounterId: {
      bool ok = false;
      for (const v1::PulseCounter& pc : config_.pulse_counters()) {
        ok |= pc.id() == ref.pulse_counter_id();
      }
      if (!ok) {
        Error(at + ".pulse_counter_id", Quote(ref.pulse_counter_id()),
              " is not the id of any pulse_counters entry");
        return;
      }
      key = absl::StrCat("pulse counter ", Quote(ref.pulse_counter_id()));
      break;
    }
    case v1::MeterRef::SOURCE_NOT_SET:
      Error(at + ".source", "choose modbus or pulse_counter_id");
      return;
  }
  auto [it, inserted] = counted.emplace(key, at);
  if (!inserted) {
    Error(at, key, " is already counted at ", it->second,
          " (it would be counted twice)");
  }
}

void Validator::CheckTariffs() {
  std::map<std::string, int> ids;
  std::map<int, int> per_quantity;
  for (int t = 0; t < config_.tariffs_size(); ++t) {
    const v1::Tariff& tariff = config_.tariffs(t);
    std::string at = absl::StrCat("tariffs[", t, "]");
    Id(at + ".id", tariff.id());
    if (!tariff.id().empty()) {
      auto [it, inserted] = ids.emplace(tariff.id(), t);
      if (!inserted) {
        Error(at + ".id", Quote(tariff.id()), " is also tariffs[", it->second,
              "].id");
      }
    }
    Name(at + ".name", tariff.name());
    Enum(at + ".quantity", tariff.quantity(), v1::TariffQuantity_IsValid,
         [](int v) { return v1::TariffQuantity_Name(v); });
    if (tariff.quantity() != v1::TARIFF_QUANTITY_UNSPECIFIED) {
      auto [it, inserted] = per_quantity.emplace(tariff.quantity(), t);
      if (!inserted) {
        Error(at + ".quantity", v1::TariffQuantity_Name(tariff.quantity()),
              " already has a tariff: tariffs[", it->second, "]");
      }
    }
    const std::string& cur = tariff.currency();
    if (cur.size() != 3 || !absl::ascii_isupper(cur[0]) ||
        !absl::ascii_isupper(cur[1]) || !absl::ascii_isupper(cur[2])) {
      Error(at + ".currency", Quote(cur),
            " is not an ISO 4217 code (three capital letters, e.g. EUR)");
    }
    if (tariff.bands_size() == 0) {
      Error(at + ".bands", "at least one time band is needed");
    }
    // Which band covers each minute of the week, -1 = none.
    std::vector<int> owner(kMinutesPerWeek, -1);
    for (int i = 0; i < tariff.bands_size(); ++i) {
      CheckBand(absl::StrCat(at, ".bands[", i, "]"), i, tariff.bands(i), owner);
    }
  }
}

void Validator::CheckBand(const std::string& at, int index,
                          const v1::TimeBand& band, std::vector<int>& owner) {
  Text(at + ".name", band.name(), 32, /*required=*/false);
  bool ok = true;
  if (band.weekday_mask() < 1 || band.weekday_mask() > 127) {
    Error(at + ".weekday_mask", band.weekday_mask(),
          " is outside 1..127 (bit 0 = Monday ... bit 6 = Sunday)");
    ok = false;
  }
  if (band.start_minute() > 1439) {
    Error(at + ".start_minute", band.start_minute(), " is outside 0..1439");
    ok = false;
  }
  if (band.end_minute() < 1 || band.end_minute() > 1440) {
    Error(at + ".end_minute", band.end_minute(), " is outside 1..1440");
    ok = false;
  } else if (band.end_minute() == band.start_minute()) {
    Error(at + ".end_minute", band.end_minute(),
          " equals start_minute (an empty band)");
    ok = false;
  }
  double price = band.price_per_unit();
  if (!std::isfinite(price) || price < 0 || price > 1e6) {
    Error(at + ".price_per_unit", price, " is not in [0, 1e6]");
  }
  if (!ok) return;
  int length = static_cast<int>(band.end_minute()) -
               static_cast<int>(band.start_minute());
  if (length < 0) length += kMinutesPerDay;  // wraps past midnight
  for (int day = 0; day < 7; ++day) {
    if ((band.weekday_mask() & (1u << day)) == 0) continue;
    int start = day * kMinutesPerDay + band.start_minute();
    for (int k = 0; k < length; ++k) {
      int minute = (start + k) % kMinutesPerWeek;
      if (owner[minute] >= 0) {
        Error(at, "overlaps bands[", owner[minute], "] at ",
              MinuteOfWeek(minute));
        return;
      }
      owner[minute] = index;
    }
  }
}

}  // namespace ews::config::internal

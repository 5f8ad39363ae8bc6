// The consumption tree of /api/v1/history/tree: each board's and group's
// consumption per utility over a period, priced by the configured tariffs.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "apps/server/api_common.h"
#include "apps/server/api_history.h"
#include "apps/server/api_history_internal.h"
#include "apps/server/pulse_inputs.h"
#include "sdk/http/json.h"

namespace ews::server {
namespace {

using api_history_internal::Params;
using api_history_internal::ParsePeriod;
using api_history_internal::Period;
using api_history_internal::Query;
using api_history_internal::Unavailable;
using storage::Point;
using storage::SeriesKind;
using storage::SeriesSpec;
using storage::Tier;

// What a tree member measures, in the unit tariffs are priced in.
enum class Utility { kElectricity, kWater, kGas, kOther };

const char* UtilityName(Utility utility) {
  switch (utility) {
    case Utility::kElectricity:
      return "electricity";
    case Utility::kWater:
      return "water";
    case Utility::kGas:
      return "gas";
    default:
      return "volume";  // a volume counter of unknown utility: not priced
  }
}

const char* UtilityUnit(Utility utility) {
  return utility == Utility::kElectricity ? "kWh" : "m³";
}

// The factor from `unit` to kWh (energy) or m³ (volume); nullopt for others.
std::optional<double> ToPricedUnit(absl::string_view unit, bool* energy) {
  static const std::pair<absl::string_view, double> kEnergy[] = {
      {"Wh", 0.001}, {"kWh", 1}, {"MWh", 1000}};
  static const std::pair<absl::string_view, double> kVolume[] = {
      {"L", 0.001}, {"l", 0.001}, {"m3", 1}, {"m³", 1}};
  for (const auto& [name, factor] : kEnergy) {
    if (unit == name) {
      *energy = true;
      return factor;
    }
  }
  for (const auto& [name, factor] : kVolume) {
    if (unit == name) {
      *energy = false;
      return factor;
    }
  }
  return std::nullopt;
}

bool TariffCovers(const config::v1::Tariff& tariff, Utility utility) {
  switch (tariff.quantity()) {
    case config::v1::TARIFF_QUANTITY_ELECTRICITY:
      return utility == Utility::kElectricity;
    case config::v1::TARIFF_QUANTITY_WATER:
      return utility == Utility::kWater;
    case config::v1::TARIFF_QUANTITY_GAS:
      return utility == Utility::kGas;
    default:
      return false;
  }
}

// The price of the band that holds `time` (local), or nullopt.
std::optional<double> PriceAt(const config::v1::Tariff& tariff, absl::Time time,
                              absl::TimeZone zone) {
  const absl::CivilSecond civil = absl::ToCivilSecond(time, zone);
  const int minute = civil.hour() * 60 + civil.minute();
  // Bit 0 = Monday.
  auto weekday_bit = [](absl::CivilDay day) {
    return (static_cast<int>(absl::GetWeekday(day)) -
            static_cast<int>(absl::Weekday::monday) + 7) %
           7;
  };
  const absl::CivilDay day(civil);
  for (const config::v1::TimeBand& band : tariff.bands()) {
    const int start = static_cast<int>(band.start_minute());
    const int end = static_cast<int>(band.end_minute());
    bool in;
    if (start < end) {
      in = minute >= start && minute < end &&
           (band.weekday_mask() >> weekday_bit(day) & 1);
    } else {  // wraps past midnight: the weekday is the one it started on
      in = (minute >= start && (band.weekday_mask() >> weekday_bit(day) & 1)) ||
           (minute < end && (band.weekday_mask() >> weekday_bit(day - 1) & 1));
    }
    if (in) return band.price_per_unit();
  }
  return std::nullopt;
}

// Consumption and costs of a group or board, summed over members.
struct Sums {
  std::map<Utility, double> consumption;
  // Per tariff id: amount, and consumption no band priced.
  std::map<std::string, std::pair<double, double>> costs;
  void Add(const Sums& other) {
    for (const auto& [u, v] : other.consumption) consumption[u] += v;
    for (const auto& [id, c] : other.costs) {
      costs[id].first += c.first;
      costs[id].second += c.second;
    }
  }
};

// One member of a group: what it measured over the period, or why not.
struct Member {
  std::string device;
  std::string quantity;
  Utility utility = Utility::kOther;
  double consumption = 0;
  std::string problem;  // empty: measured
};

// A member's consumption per hour over `period`, priced by every tariff of
// its kind into `sums`.
Member Measure(const storage::Store& store, const config::v1::MeterRef& ref,
               const std::vector<config::v1::PulseCounter>& pulse_counters,
               const std::vector<config::v1::Tariff>& tariffs,
               const Period& period, absl::TimeZone zone, Sums& sums) {
  Member member;
  if (ref.has_modbus()) {
    member.device = ref.modbus().device_id();
    member.quantity = ref.modbus().quantity_id();
  } else {
    member.device = ref.pulse_counter_id();
    member.quantity = kPulseQuantity;
    for (const config::v1::PulseCounter& counter : pulse_counters) {
      if (counter.id() != member.device) continue;
      if (counter.kind() == config::v1::PULSE_KIND_WATER) {
        member.utility = Utility::kWater;
      } else if (counter.kind() == config::v1::PULSE_KIND_GAS) {
        member.utility = Utility::kGas;
      }
    }
  }
  auto problem = [&member](absl::string_view why) {
    member.problem = std::string(why);
    return member;
  };
  absl::StatusOr<storage::SeriesId> id =
      store.FindSeries(member.device, member.quantity);
  if (!id.ok()) return problem("no history recorded");
  absl::StatusOr<SeriesSpec> spec = store.GetSpec(*id);
  if (!spec.ok()) return problem(spec.status().message());
  bool energy = false;
  std::optional<double> factor = ToPricedUnit(spec->unit, &energy);
  if (spec->kind != SeriesKind::kCounter || !factor.has_value()) {
    return problem(
        absl::StrCat("not an energy or volume counter (", spec->unit, ")"));
  }
  if (energy) member.utility = Utility::kElectricity;
  absl::StatusOr<std::vector<Point>> hours =
      store.Totals(*id, Tier::kHour, period.from, period.to);
  if (!hours.ok()) return problem(hours.status().message());
  for (const Point& hour : *hours) {
    const double amount = hour.delta * *factor;
    member.consumption += amount;
    for (const config::v1::Tariff& tariff : tariffs) {
      if (!TariffCovers(tariff, member.utility)) continue;
      auto& cost = sums.costs[tariff.id()];
      if (std::optional<double> price = PriceAt(tariff, hour.start, zone)) {
        cost.first += amount * *price;
      } else {
        cost.second += amount;
      }
    }
  }
  sums.consumption[member.utility] += member.consumption;
  return member;
}

void WriteMember(const Member& member, http::JsonWriter& json) {
  json.BeginObject()
      .Key("device")
      .String(member.device)
      .Key("quantity")
      .String(member.quantity);
  if (!member.problem.empty()) {
    json.Key("consumption").Null().Key("problem").String(member.problem);
  } else {
    json.Key("utility").String(UtilityName(member.utility)).Key("consumption");
    json.Number(member.consumption, kApiDigits);
    json.Key("unit").String(UtilityUnit(member.utility));
  }
  json.EndObject();
}

// A board's or group's consumption per utility and its cost per tariff.
void WriteSums(const Sums& sums, const std::vector<config::v1::Tariff>& tariffs,
               http::JsonWriter& json) {
  json.Key("consumption").BeginObject();
  for (const auto& [utility, value] : sums.consumption) {
    json.Key(UtilityName(utility)).BeginObject().Key("value");
    json.Number(value, kApiDigits);
    json.Key("unit").String(UtilityUnit(utility)).EndObject();
  }
  json.EndObject().Key("costs").BeginArray();
  for (const config::v1::Tariff& tariff : tariffs) {
    auto it = sums.costs.find(tariff.id());
    if (it == sums.costs.end()) continue;
    json.BeginObject()
        .Key("tariff")
        .String(tariff.id())
        .Key("name")
        .String(tariff.name())
        .Key("currency")
        .String(tariff.currency())
        .Key("amount");
    json.Number(it->second.first, kApiDigits);
    json.Key("unpriced");
    json.Number(it->second.second, kApiDigits);
    json.EndObject();
  }
  json.EndArray();
}

}  // namespace

http::Response HistoryApi::Tree(const http::Request& request) const {
  if (store_ == nullptr) return Unavailable();
  absl::StatusOr<Params> params = Query(request, {"from", "to"});
  if (!params.ok()) return ApiError(params.status());
  absl::StatusOr<Period> period =
      ParsePeriod(*params, zone_, clock_.WallNow(), absl::ZeroDuration());
  if (!period.ok()) return ApiError(period.status());
  std::shared_ptr<const TreeConfig> config;
  {
    absl::MutexLock lock(&mutex_);
    config = tree_config_;
  }

  http::JsonWriter json;
  json.BeginObject()
      .Key("from")
      .String(IsoLocal(period->from, zone_))
      .Key("to")
      .String(IsoLocal(period->to, zone_))
      .Key("time_zone")
      .String(zone_.name())
      .Key("boards")
      .BeginArray();
  for (const config::v1::Board& board : config->tree.boards()) {
    // A board's sums come before its groups: measure first, then write.
    struct MeasuredGroup {
      const config::v1::Group* group;
      Sums sums;
      std::vector<Member> members;
    };
    std::vector<MeasuredGroup> groups;
    Sums board_sums;
    for (const config::v1::Group& group : board.groups()) {
      MeasuredGroup& measured = groups.emplace_back(MeasuredGroup{&group});
      for (const config::v1::MeterRef& ref : group.members()) {
        measured.members.push_back(Measure(*store_, ref, config->pulse_counters,
                                           config->tariffs, *period, zone_,
                                           measured.sums));
      }
      board_sums.Add(measured.sums);
    }
    json.BeginObject()
        .Key("id")
        .String(board.id())
        .Key("name")
        .String(board.name())
        .Key("parent_board_id");
    if (board.parent_board_id().empty()) {
      json.Null();
    } else {
      json.String(board.parent_board_id());
    }
    WriteSums(board_sums, config->tariffs, json);
    json.Key("groups").BeginArray();
    for (const MeasuredGroup& measured : groups) {
      json.BeginObject()
          .Key("id")
          .String(measured.group->id())
          .Key("name")
          .String(measured.group->name());
      WriteSums(measured.sums, config->tariffs, json);
      json.Key("members").BeginArray();
      for (const Member& member : measured.members) WriteMember(member, json);
      json.EndArray().EndObject();
    }
    json.EndArray().EndObject();
  }
  json.EndArray().EndObject();
  return http::Response::Json(200, json.Take());
}

}  // namespace ews::server

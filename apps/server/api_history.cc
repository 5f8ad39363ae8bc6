#include "apps/server/api_history.h"

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "apps/server/api_common.h"
#include "apps/server/pulse_inputs.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"

namespace ews::server {
namespace {

using storage::Point;
using storage::SeriesKind;
using storage::SeriesSpec;
using storage::Tier;
using Params = std::map<std::string, std::string>;

// Explicitly asked resolutions give at most this many points (a year of
// minutes would be half a million); the automatic choice gives max_points.
constexpr int64_t kMaxExplicitPoints = 20000;
constexpr int kDefaultMaxPoints = 1000;
constexpr int kMaxMaxPoints = 10000;
// Totals with resolution=year cover this many years (and the ones before).
constexpr int kYearsPerPeriod = 10;

http::Response Unavailable() {
  return ApiError(503, "history_unavailable",
                  "the history database is not open (see the log)");
}

absl::StatusOr<Tier> ParseTier(absl::string_view name) {
  for (Tier tier :
       {Tier::kMinute, Tier::kHour, Tier::kDay, Tier::kMonth, Tier::kYear}) {
    if (name == storage::TierName(tier)) return tier;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "resolution must be minute, hour, day, month or year, not \"", name,
      "\""));
}

// The shortest length an interval of `tier` can have.
absl::Duration ShortestInterval(Tier tier) {
  switch (tier) {
    case Tier::kMinute:
      return absl::Minutes(1);
    case Tier::kHour:
      return absl::Hours(1);
    case Tier::kDay:
      return absl::Hours(23);
    case Tier::kMonth:
      return absl::Hours(24 * 28);
    case Tier::kYear:
      return absl::Hours(24 * 365);
  }
  return absl::Hours(1);
}

const char* KindName(SeriesKind kind) {
  switch (kind) {
    case SeriesKind::kCounter:
      return "counter";
    case SeriesKind::kInstantaneous:
      return "instantaneous";
    case SeriesKind::kStatus:
      return "status";
    default:
      return "unspecified";
  }
}

// Parses the query and refuses unknown parameters.
absl::StatusOr<Params> Query(const http::Request& request,
                             std::initializer_list<absl::string_view> known) {
  EWS_ASSIGN_OR_RETURN(Params params, ParseQuery(request.query));
  EWS_RETURN_IF_ERROR(OnlyParams(params, known));
  return params;
}

absl::StatusOr<std::string> Required(const Params& params,
                                     const std::string& name) {
  std::optional<std::string> value = Param(params, name);
  if (!value.has_value() || value->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameter ", name, " is required"));
  }
  return *value;
}

struct Period {
  absl::Time from;
  absl::Time to;
};

// from/to from the query; `default_span` before now when both are absent
// (required when it is zero).
absl::StatusOr<Period> ParsePeriod(const Params& params, absl::TimeZone zone,
                                   absl::Time now,
                                   absl::Duration default_span) {
  std::optional<std::string> from = Param(params, "from");
  std::optional<std::string> to = Param(params, "to");
  Period period;
  if (!from.has_value() && !to.has_value() &&
      default_span > absl::ZeroDuration()) {
    period.to = now;
    period.from = now - default_span;
    return period;
  }
  if (!from.has_value() || !to.has_value()) {
    return absl::InvalidArgumentError("give both from and to");
  }
  EWS_ASSIGN_OR_RETURN(period.from, ParseApiTime(*from, zone));
  EWS_ASSIGN_OR_RETURN(period.to, ParseApiTime(*to, zone));
  if (period.from >= period.to) {
    return absl::InvalidArgumentError("from must be before to");
  }
  return period;
}

struct FoundSeries {
  storage::SeriesId id;
  SeriesSpec spec;
};

absl::StatusOr<FoundSeries> FindSeries(const storage::Store& store,
                                       const Params& params) {
  EWS_ASSIGN_OR_RETURN(std::string device, Required(params, "device"));
  EWS_ASSIGN_OR_RETURN(std::string quantity, Required(params, "quantity"));
  absl::StatusOr<storage::SeriesId> id = store.FindSeries(device, quantity);
  if (!id.ok()) {
    return absl::NotFoundError(
        absl::StrCat("no history for ", device, " / ", quantity));
  }
  EWS_ASSIGN_OR_RETURN(SeriesSpec spec, store.GetSpec(*id));
  return FoundSeries{*id, std::move(spec)};
}

std::string SeriesHead(const FoundSeries& series) {
  return absl::StrCat(R"("device":)", JsonString(series.spec.device_id),
                      R"(,"quantity":)", JsonString(series.spec.quantity_id),
                      R"(,"kind":")", KindName(series.spec.kind),
                      R"(","unit":)", JsonString(series.spec.unit));
}

// One chart point; `gap` points carry nulls so that a chart never joins the
// values on either side.
void AppendChartPoint(std::string& out, bool counter, absl::Time start,
                      absl::Time end, const Point* point) {
  if (!out.empty() && out.back() != '[') out += ',';
  absl::StrAppend(&out, R"({"t":)", absl::ToUnixSeconds(start), R"(,"end":)",
                  absl::ToUnixSeconds(end));
  if (point == nullptr) {
    out += counter ? R"(,"counter":null,"delta":null,"gap":true})"
                   : R"(,"avg":null,"min":null,"max":null,"last":null,)"
                     R"("gap":true})";
    return;
  }
  if (counter) {
    absl::StrAppend(&out, R"(,"counter":)", JsonNumber(point->counter),
                    R"(,"delta":)", JsonNumber(point->delta));
  } else {
    absl::StrAppend(&out, R"(,"avg":)", JsonNumber(point->avg), R"(,"min":)",
                    JsonNumber(point->min), R"(,"max":)",
                    JsonNumber(point->max), R"(,"last":)",
                    JsonNumber(point->last));
  }
  if ((point->flags & storage::kFlagReset) != 0) out += R"(,"reset":true)";
  if ((point->flags & storage::kFlagWrap) != 0) out += R"(,"wrap":true)";
  out += '}';
}

std::string ChartPoints(const std::vector<Point>& points, bool counter) {
  std::string out = "[";
  for (size_t i = 0; i < points.size(); ++i) {
    const Point& point = points[i];
    if (i > 0) {
      const Point& previous = points[i - 1];
      if (point.start > previous.end) {
        AppendChartPoint(out, counter, previous.end, point.start, nullptr);
      } else if ((point.flags & storage::kFlagGap) != 0 &&
                 point.gap_start < point.start) {
        // A silence inside the previous interval: break the line there.
        AppendChartPoint(out, counter,
                         std::max(point.gap_start, previous.start), point.start,
                         nullptr);
      }
    }
    AppendChartPoint(out, counter, point.start, point.end, &point);
  }
  out += ']';
  return out;
}

// The intervals of consumption bars: `tier` intervals (hours stepped from the
// local period start, so a DST day has 23 or 25) in [from, to).
std::vector<Period> Slots(Tier tier, absl::Time from, absl::Time to,
                          absl::TimeZone zone) {
  std::vector<Period> slots;
  absl::Time start = from;
  while (start < to) {
    absl::Time end;
    const absl::CivilSecond civil = absl::ToCivilSecond(start, zone);
    switch (tier) {
      case Tier::kDay:
        end = absl::FromCivil(absl::CivilDay(civil) + 1, zone);
        break;
      case Tier::kMonth:
        end = absl::FromCivil(absl::CivilMonth(civil) + 1, zone);
        break;
      case Tier::kYear:
        end = absl::FromCivil(absl::CivilYear(civil) + 1, zone);
        break;
      default:
        end = start + absl::Hours(1);
    }
    slots.push_back({start, std::min(end, to)});
    start = end;
  }
  return slots;
}

// The period of bars of `tier` that contains `anchor`: a local day of hours,
// a month of days, a year of months, ten years; `back` periods earlier.
Period BarPeriod(Tier tier, absl::Time anchor, absl::TimeZone zone, int back) {
  const absl::CivilSecond civil = absl::ToCivilSecond(anchor, zone);
  switch (tier) {
    case Tier::kHour: {
      const absl::CivilDay day = absl::CivilDay(civil) - back;
      return {absl::FromCivil(day, zone), absl::FromCivil(day + 1, zone)};
    }
    case Tier::kDay: {
      const absl::CivilMonth month = absl::CivilMonth(civil) - back;
      return {absl::FromCivil(month, zone), absl::FromCivil(month + 1, zone)};
    }
    case Tier::kMonth: {
      const absl::CivilYear year = absl::CivilYear(civil) - back;
      return {absl::FromCivil(year, zone), absl::FromCivil(year + 1, zone)};
    }
    default: {
      const absl::CivilYear last =
          absl::CivilYear(civil) - kYearsPerPeriod * back;
      return {absl::FromCivil(last - (kYearsPerPeriod - 1), zone),
              absl::FromCivil(last + 1, zone)};
    }
  }
}

// Bars of one period as JSON, and their total.
absl::StatusOr<std::string> TotalsPeriod(const storage::Store& store,
                                         storage::SeriesId id, Tier tier,
                                         const Period& period,
                                         absl::TimeZone zone) {
  EWS_ASSIGN_OR_RETURN(std::vector<Point> points,
                       store.Totals(id, tier, period.from, period.to));
  std::string bars;
  double total = 0;
  int64_t with_data = 0;
  for (const Period& slot : Slots(tier, period.from, period.to, zone)) {
    std::optional<double> sum;
    for (const Point& point : points) {
      if (point.start >= slot.from && point.start < slot.to) {
        sum = sum.value_or(0) + point.delta;
      }
    }
    if (sum.has_value()) {
      total += *sum;
      ++with_data;
    }
    absl::StrAppend(&bars, bars.empty() ? "" : ",", R"({"start":")",
                    IsoLocal(slot.from, zone), R"(","end":")",
                    IsoLocal(slot.to, zone), R"(","consumption":)",
                    sum.has_value() ? JsonNumber(*sum) : "null", "}");
  }
  return absl::StrCat(R"({"from":")", IsoLocal(period.from, zone),
                      R"(","to":")", IsoLocal(period.to, zone), R"(","total":)",
                      JsonNumber(total), R"(,"bars_with_data":)", with_data,
                      R"(,"bars":[)", bars, "]}");
}

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

}  // namespace

HistoryApi::HistoryApi(storage::Store* store,
                       const config::v1::DeviceConfig& config,
                       const Clock& clock)
    : store_(store),
      tree_(config.consumption_tree()),
      tariffs_(config.tariffs().begin(), config.tariffs().end()),
      pulse_counters_(config.pulse_counters().begin(),
                      config.pulse_counters().end()),
      clock_(clock),
      zone_(absl::UTCTimeZone()) {
  if (!config.network().time_zone().empty() &&
      !absl::LoadTimeZone(config.network().time_zone(), &zone_)) {
    zone_ = absl::UTCTimeZone();
  }
}

std::vector<ApiRoute> HistoryApi::Routes() const {
  auto bind = [this](auto method) { return BindRoute(this, method); };
  return {
      {"GET", "/api/v1/history/series", bind(&HistoryApi::Series)},
      {"GET", "/api/v1/history/chart", bind(&HistoryApi::Chart)},
      {"GET", "/api/v1/history/totals", bind(&HistoryApi::Totals)},
      {"GET", "/api/v1/history/tree", bind(&HistoryApi::Tree)},
      {"GET", "/api/v1/history/csv", bind(&HistoryApi::Csv)},
  };
}

http::Response HistoryApi::Series(const http::Request& request) const {
  if (store_ == nullptr) return Unavailable();
  absl::StatusOr<Params> params = Query(request, {"device"});
  if (!params.ok()) return ApiError(params.status());
  const std::optional<std::string> device = Param(*params, "device");
  absl::StatusOr<std::vector<storage::SeriesHorizon>> horizons =
      store_->Horizons();
  if (!horizons.ok()) return ApiError(horizons.status());
  std::string out = R"({"series":[)";
  bool first = true;
  for (const storage::SeriesHorizon& horizon : *horizons) {
    if (device.has_value() && horizon.device_id != *device) continue;
    absl::StatusOr<SeriesSpec> spec = store_->GetSpec(horizon.id);
    if (!spec.ok()) continue;  // removed meanwhile
    absl::StrAppend(&out, first ? "" : ",", SeriesHead({horizon.id, *spec}),
                    R"(,"horizons":{)");
    first = false;
    for (int k = 0; k < storage::kTierCount; ++k) {
      const absl::Duration kept = horizon.retention[k];
      const absl::Time oldest = horizon.oldest[k];
      absl::StrAppend(&out, k == 0 ? "" : ",", "\"", storage::TierName(Tier(k)),
                      R"(":{"kept_s":)",
                      kept == absl::InfiniteDuration()
                          ? "null"
                          : absl::StrCat(absl::ToInt64Seconds(kept)),
                      R"(,"oldest":)",
                      oldest == absl::InfiniteFuture()
                          ? "null"
                          : JsonString(IsoUtc(oldest)),
                      "}");
    }
    const absl::Duration longest = horizon.Longest();
    absl::StrAppend(&out, R"(},"longest_s":)",
                    longest == absl::InfiniteDuration()
                        ? "null"
                        : absl::StrCat(absl::ToInt64Seconds(longest)),
                    "}");
  }
  out += "]}";
  return http::Response::Json(200, std::move(out));
}

http::Response HistoryApi::Chart(const http::Request& request) const {
  if (store_ == nullptr) return Unavailable();
  absl::StatusOr<Params> params =
      Query(request,
            {"device", "quantity", "from", "to", "resolution", "max_points"});
  if (!params.ok()) return ApiError(params.status());
  absl::StatusOr<FoundSeries> series = FindSeries(*store_, *params);
  if (!series.ok()) return ApiError(series.status());
  absl::StatusOr<Period> period =
      ParsePeriod(*params, zone_, clock_.WallNow(), absl::Hours(24));
  if (!period.ok()) return ApiError(period.status());

  storage::Chart chart;
  if (std::optional<std::string> name = Param(*params, "resolution")) {
    if (Param(*params, "max_points").has_value()) {
      return ApiError(400, "invalid_argument",
                      "give resolution or max_points, not both");
    }
    absl::StatusOr<Tier> tier = ParseTier(*name);
    if (!tier.ok()) return ApiError(tier.status());
    if ((period->to - period->from) / ShortestInterval(*tier) >
        kMaxExplicitPoints) {
      return ApiError(
          400, "too_many_points",
          absl::StrCat("more than ", kMaxExplicitPoints, " ", *name,
                       " points: choose a coarser resolution or a shorter "
                       "period, or leave resolution out"));
    }
    absl::StatusOr<std::vector<Point>> points =
        store_->Read(series->id, *tier, period->from, period->to);
    if (!points.ok()) return ApiError(points.status());
    chart.tier = *tier;
    chart.points = *std::move(points);
  } else {
    int max_points = kDefaultMaxPoints;
    if (std::optional<std::string> text = Param(*params, "max_points")) {
      if (!absl::SimpleAtoi(*text, &max_points) || max_points < 10 ||
          max_points > kMaxMaxPoints) {
        return ApiError(400, "invalid_argument",
                        absl::StrCat("max_points must be 10..", kMaxMaxPoints));
      }
    }
    absl::StatusOr<storage::Chart> queried =
        store_->QueryChart(series->id, period->from, period->to, max_points);
    if (!queried.ok()) return ApiError(queried.status());
    chart = *std::move(queried);
  }
  return http::Response::Json(
      200,
      absl::StrCat(
          "{", SeriesHead(*series), R"(,"from":")", IsoUtc(period->from),
          R"(","to":")", IsoUtc(period->to), R"(","resolution":")",
          storage::TierName(chart.tier), R"(","intervals_per_point":)",
          chart.intervals_per_point, R"(,"points":)",
          ChartPoints(chart.points, series->spec.kind == SeriesKind::kCounter),
          "}"));
}

http::Response HistoryApi::Totals(const http::Request& request) const {
  if (store_ == nullptr) return Unavailable();
  absl::StatusOr<Params> params =
      Query(request, {"device", "quantity", "resolution", "date"});
  if (!params.ok()) return ApiError(params.status());
  absl::StatusOr<FoundSeries> series = FindSeries(*store_, *params);
  if (!series.ok()) return ApiError(series.status());
  if (series->spec.kind != SeriesKind::kCounter) {
    return ApiError(
        400, "not_a_counter",
        absl::StrCat(series->spec.device_id, " / ", series->spec.quantity_id,
                     " is not a counter: it has no consumption"));
  }
  absl::StatusOr<Tier> tier =
      ParseTier(Param(*params, "resolution").value_or("day"));
  if (!tier.ok()) return ApiError(tier.status());
  if (*tier == Tier::kMinute) {
    return ApiError(400, "invalid_argument",
                    "totals are per hour, day, month or year");
  }
  absl::Time anchor = clock_.WallNow();
  if (std::optional<std::string> date = Param(*params, "date")) {
    absl::StatusOr<absl::Time> parsed = ParseApiTime(*date, zone_);
    if (!parsed.ok()) return ApiError(parsed.status());
    anchor = *parsed;
  }
  absl::StatusOr<std::string> current = TotalsPeriod(
      *store_, series->id, *tier, BarPeriod(*tier, anchor, zone_, 0), zone_);
  if (!current.ok()) return ApiError(current.status());
  absl::StatusOr<std::string> previous = TotalsPeriod(
      *store_, series->id, *tier, BarPeriod(*tier, anchor, zone_, 1), zone_);
  if (!previous.ok()) return ApiError(previous.status());
  return http::Response::Json(
      200, absl::StrCat("{", SeriesHead(*series), R"(,"time_zone":)",
                        JsonString(zone_.name()), R"(,"resolution":")",
                        storage::TierName(*tier), R"(","current":)", *current,
                        R"(,"previous":)", *previous, "}"));
}

http::Response HistoryApi::Tree(const http::Request& request) const {
  if (store_ == nullptr) return Unavailable();
  absl::StatusOr<Params> params = Query(request, {"from", "to"});
  if (!params.ok()) return ApiError(params.status());
  absl::StatusOr<Period> period =
      ParsePeriod(*params, zone_, clock_.WallNow(), absl::ZeroDuration());
  if (!period.ok()) return ApiError(period.status());

  // One member: its consumption per hour, priced by every tariff of its kind.
  auto member_json = [&](const config::v1::MeterRef& member, Sums& sums) {
    std::string device, quantity;
    Utility utility = Utility::kOther;
    if (member.has_modbus()) {
      device = member.modbus().device_id();
      quantity = member.modbus().quantity_id();
    } else {
      device = member.pulse_counter_id();
      quantity = kPulseQuantity;
      for (const config::v1::PulseCounter& counter : pulse_counters_) {
        if (counter.id() != device) continue;
        if (counter.kind() == config::v1::PULSE_KIND_WATER) {
          utility = Utility::kWater;
        } else if (counter.kind() == config::v1::PULSE_KIND_GAS) {
          utility = Utility::kGas;
        }
      }
    }
    std::string out = absl::StrCat(R"({"device":)", JsonString(device),
                                   R"(,"quantity":)", JsonString(quantity));
    auto problem = [&out](absl::string_view why) {
      return absl::StrCat(out, R"(,"consumption":null,"problem":)",
                          JsonString(why), "}");
    };
    absl::StatusOr<storage::SeriesId> id = store_->FindSeries(device, quantity);
    if (!id.ok()) return problem("no history recorded");
    absl::StatusOr<SeriesSpec> spec = store_->GetSpec(*id);
    if (!spec.ok()) return problem(spec.status().message());
    bool energy = false;
    std::optional<double> factor = ToPricedUnit(spec->unit, &energy);
    if (spec->kind != SeriesKind::kCounter || !factor.has_value()) {
      return problem(
          absl::StrCat("not an energy or volume counter (", spec->unit, ")"));
    }
    if (energy) utility = Utility::kElectricity;
    absl::StatusOr<std::vector<Point>> hours =
        store_->Totals(*id, Tier::kHour, period->from, period->to);
    if (!hours.ok()) return problem(hours.status().message());
    double consumption = 0;
    for (const Point& hour : *hours) {
      const double amount = hour.delta * *factor;
      consumption += amount;
      for (const config::v1::Tariff& tariff : tariffs_) {
        if (!TariffCovers(tariff, utility)) continue;
        auto& cost = sums.costs[tariff.id()];
        if (std::optional<double> price = PriceAt(tariff, hour.start, zone_)) {
          cost.first += amount * *price;
        } else {
          cost.second += amount;
        }
      }
    }
    sums.consumption[utility] += consumption;
    return absl::StrCat(out, R"(,"utility":")", UtilityName(utility),
                        R"(","consumption":)", JsonNumber(consumption),
                        R"(,"unit":")", UtilityUnit(utility), R"("})");
  };
  auto sums_json = [this](const Sums& sums) {
    std::string out = R"("consumption":{)";
    bool first = true;
    for (const auto& [utility, value] : sums.consumption) {
      absl::StrAppend(&out, first ? "" : ",", "\"", UtilityName(utility),
                      R"(":{"value":)", JsonNumber(value), R"(,"unit":")",
                      UtilityUnit(utility), R"("})");
      first = false;
    }
    out += R"(},"costs":[)";
    first = true;
    for (const config::v1::Tariff& tariff : tariffs_) {
      auto it = sums.costs.find(tariff.id());
      if (it == sums.costs.end()) continue;
      absl::StrAppend(&out, first ? "" : ",", R"({"tariff":)",
                      JsonString(tariff.id()), R"(,"name":)",
                      JsonString(tariff.name()), R"(,"currency":)",
                      JsonString(tariff.currency()), R"(,"amount":)",
                      JsonNumber(it->second.first), R"(,"unpriced":)",
                      JsonNumber(it->second.second), "}");
      first = false;
    }
    out += "]";
    return out;
  };

  std::string boards;
  for (const config::v1::Board& board : tree_.boards()) {
    Sums board_sums;
    std::string groups;
    for (const config::v1::Group& group : board.groups()) {
      Sums group_sums;
      std::string members;
      for (const config::v1::MeterRef& member : group.members()) {
        absl::StrAppend(&members, members.empty() ? "" : ",",
                        member_json(member, group_sums));
      }
      board_sums.Add(group_sums);
      absl::StrAppend(&groups, groups.empty() ? "" : ",", R"({"id":)",
                      JsonString(group.id()), R"(,"name":)",
                      JsonString(group.name()), ",", sums_json(group_sums),
                      R"(,"members":[)", members, "]}");
    }
    absl::StrAppend(
        &boards, boards.empty() ? "" : ",", R"({"id":)", JsonString(board.id()),
        R"(,"name":)", JsonString(board.name()), R"(,"parent_board_id":)",
        board.parent_board_id().empty() ? "null"
                                        : JsonString(board.parent_board_id()),
        ",", sums_json(board_sums), R"(,"groups":[)", groups, "]}");
  }
  return http::Response::Json(
      200,
      absl::StrCat(R"({"from":")", IsoLocal(period->from, zone_), R"(","to":")",
                   IsoLocal(period->to, zone_), R"(","time_zone":)",
                   JsonString(zone_.name()), R"(,"boards":[)", boards, "]}"));
}

http::Response HistoryApi::Csv(const http::Request& request) const {
  if (store_ == nullptr) return Unavailable();
  absl::StatusOr<Params> params =
      Query(request,
            {"device", "quantities", "from", "to", "resolution", "separator"});
  if (!params.ok()) return ApiError(params.status());
  storage::CsvRequest csv;
  absl::StatusOr<std::string> device = Required(*params, "device");
  if (!device.ok()) return ApiError(device.status());
  csv.device_id = *device;
  absl::StatusOr<Period> period =
      ParsePeriod(*params, zone_, clock_.WallNow(), absl::ZeroDuration());
  if (!period.ok()) return ApiError(period.status());
  csv.from = period->from;
  csv.to = period->to;
  absl::StatusOr<Tier> tier =
      ParseTier(Param(*params, "resolution").value_or("hour"));
  if (!tier.ok()) return ApiError(tier.status());
  csv.tier = *tier;
  const std::string separator =
      Param(*params, "separator").value_or("semicolon");
  if (separator == "semicolon") {
    csv.style = storage::CsvStyle::kSemicolonDecimalComma;
  } else if (separator == "comma") {
    csv.style = storage::CsvStyle::kCommaDecimalPoint;
  } else {
    return ApiError(400, "invalid_argument",
                    "separator must be semicolon (decimal comma) or comma "
                    "(decimal point)");
  }
  // Everything the export could refuse is checked before the 200 goes out.
  bool device_known = false;
  for (const SeriesSpec& spec : store_->ListSeries()) {
    device_known = device_known || spec.device_id == csv.device_id;
  }
  if (!device_known) {
    return ApiError(404, "not_found",
                    absl::StrCat("no history for device ", csv.device_id));
  }
  if (std::optional<std::string> list = Param(*params, "quantities")) {
    for (absl::string_view quantity :
         absl::StrSplit(*list, ',', absl::SkipEmpty())) {
      if (!store_->FindSeries(csv.device_id, quantity).ok()) {
        return ApiError(
            404, "not_found",
            absl::StrCat("no history for ", csv.device_id, " / ", quantity));
      }
      csv.quantity_ids.emplace_back(quantity);
    }
  }
  std::string filename = absl::StrCat(
      csv.device_id, "_", absl::FormatTime("%Y%m%d", csv.from, zone_), "-",
      absl::FormatTime("%Y%m%d", csv.to, zone_), "_", storage::TierName(*tier),
      ".csv");
  for (char& c : filename) {  // ids are [a-z0-9_-] already; be sure anyway
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') c = '_';
  }
  http::Response response;
  response.content_type = "text/csv; charset=utf-8";
  response.headers.emplace_back(
      "Content-Disposition",
      absl::StrCat("attachment; filename=\"", filename, "\""));
  storage::Store* store = store_;
  response.stream = [store, csv](const http::Response::BodyWriter& write) {
    return store->ExportCsv(csv, write);
  };
  return response;
}

}  // namespace ews::server

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
#include "apps/server/api_history_internal.h"
#include "apps/server/pulse_inputs.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/http/json.h"

namespace ews::server {
namespace api_history_internal {

http::Response Unavailable() {
  return ApiError(503, "history_unavailable",
                  "the history database is not open (see the log)");
}

absl::StatusOr<Params> Query(const http::Request& request,
                             std::initializer_list<absl::string_view> known) {
  EWS_ASSIGN_OR_RETURN(Params params, ParseQuery(request.query));
  EWS_RETURN_IF_ERROR(OnlyParams(params, known));
  return params;
}

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

}  // namespace api_history_internal

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

// Explicitly asked resolutions give at most this many points (a year of
// minutes would be half a million); the automatic choice gives max_points.
constexpr int64_t kMaxExplicitPoints = 20000;
constexpr int kDefaultMaxPoints = 1000;
constexpr int kMaxMaxPoints = 10000;
// Totals with resolution=year cover this many years (and the ones before).
constexpr int kYearsPerPeriod = 10;

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

absl::StatusOr<std::string> Required(const Params& params,
                                     const std::string& name) {
  std::optional<std::string> value = Param(params, name);
  if (!value.has_value() || value->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("parameter ", name, " is required"));
  }
  return *value;
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

// The members naming a series (inside an open object).
void WriteSeriesHead(const SeriesSpec& spec, http::JsonWriter& json) {
  json.Key("device")
      .String(spec.device_id)
      .Key("quantity")
      .String(spec.quantity_id)
      .Key("kind")
      .String(KindName(spec.kind))
      .Key("unit")
      .String(spec.unit);
}

// A length in seconds, null when infinite (kept for ever).
void WriteSeconds(absl::Duration duration, http::JsonWriter& json) {
  if (duration == absl::InfiniteDuration()) {
    json.Null();
  } else {
    json.Int(absl::ToInt64Seconds(duration));
  }
}

// One chart point; `gap` points carry nulls so that a chart never joins the
// values on either side.
void WriteChartPoint(bool counter, absl::Time start, absl::Time end,
                     const Point* point, http::JsonWriter& json) {
  json.BeginObject()
      .Key("t")
      .Int(absl::ToUnixSeconds(start))
      .Key("end")
      .Int(absl::ToUnixSeconds(end));
  // A value of the point, null for a gap.
  auto value = [&json, point](const char* name, double Point::*field) {
    json.Key(name);
    if (point == nullptr) {
      json.Null();
    } else {
      json.Number(point->*field, kApiDigits);
    }
  };
  if (counter) {
    value("counter", &Point::counter);
    value("delta", &Point::delta);
  } else {
    value("avg", &Point::avg);
    value("min", &Point::min);
    value("max", &Point::max);
    value("last", &Point::last);
  }
  if (point == nullptr) {
    json.Key("gap").Bool(true);
  } else {
    if ((point->flags & storage::kFlagReset) != 0) json.Key("reset").Bool(true);
    if ((point->flags & storage::kFlagWrap) != 0) json.Key("wrap").Bool(true);
  }
  json.EndObject();
}

void WriteChartPoints(const std::vector<Point>& points, bool counter,
                      http::JsonWriter& json) {
  json.BeginArray();
  for (size_t i = 0; i < points.size(); ++i) {
    const Point& point = points[i];
    if (i > 0) {
      const Point& previous = points[i - 1];
      if (point.start > previous.end) {
        WriteChartPoint(counter, previous.end, point.start, nullptr, json);
      } else if ((point.flags & storage::kFlagGap) != 0 &&
                 point.gap_start < point.start) {
        // A silence inside the previous interval: break the line there.
        WriteChartPoint(counter, std::max(point.gap_start, previous.start),
                        point.start, nullptr, json);
      }
    }
    WriteChartPoint(counter, point.start, point.end, &point, json);
  }
  json.EndArray();
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

// The bars of one period, and their total, as one JSON object.
absl::Status WriteTotalsPeriod(const storage::Store& store,
                               storage::SeriesId id, Tier tier,
                               const Period& period, absl::TimeZone zone,
                               http::JsonWriter& json) {
  EWS_ASSIGN_OR_RETURN(std::vector<Point> points,
                       store.Totals(id, tier, period.from, period.to));
  struct Bar {
    Period slot;
    std::optional<double> sum;
  };
  std::vector<Bar> bars;
  double total = 0;
  int64_t with_data = 0;
  for (const Period& slot : Slots(tier, period.from, period.to, zone)) {
    Bar& bar = bars.emplace_back(Bar{slot, std::nullopt});
    for (const Point& point : points) {
      if (point.start >= slot.from && point.start < slot.to) {
        bar.sum = bar.sum.value_or(0) + point.delta;
      }
    }
    if (bar.sum.has_value()) {
      total += *bar.sum;
      ++with_data;
    }
  }
  json.BeginObject()
      .Key("from")
      .String(IsoLocal(period.from, zone))
      .Key("to")
      .String(IsoLocal(period.to, zone))
      .Key("total");
  json.Number(total, kApiDigits);
  json.Key("bars_with_data").Int(with_data).Key("bars").BeginArray();
  for (const Bar& bar : bars) {
    json.BeginObject()
        .Key("start")
        .String(IsoLocal(bar.slot.from, zone))
        .Key("end")
        .String(IsoLocal(bar.slot.to, zone))
        .Key("consumption");
    if (bar.sum.has_value()) {
      json.Number(*bar.sum, kApiDigits);
    } else {
      json.Null();
    }
    json.EndObject();
  }
  json.EndArray().EndObject();
  return absl::OkStatus();
}

}  // namespace

HistoryApi::HistoryApi(storage::Store* store,
                       const config::v1::DeviceConfig& config,
                       absl::TimeZone zone, const Clock& clock)
    : store_(store),
      tree_config_(TreeConfigOf(config)),
      clock_(clock),
      zone_(zone) {}

std::shared_ptr<const HistoryApi::TreeConfig> HistoryApi::TreeConfigOf(
    const config::v1::DeviceConfig& config) {
  auto tree = std::make_shared<TreeConfig>();
  tree->tree = config.consumption_tree();
  tree->tariffs.assign(config.tariffs().begin(), config.tariffs().end());
  tree->pulse_counters.assign(config.pulse_counters().begin(),
                              config.pulse_counters().end());
  return tree;
}

void HistoryApi::Reconfigure(const config::v1::DeviceConfig& config) {
  std::shared_ptr<const TreeConfig> tree = TreeConfigOf(config);
  absl::MutexLock lock(&mutex_);
  tree_config_ = std::move(tree);
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
  http::JsonWriter json;
  json.BeginObject().Key("series").BeginArray();
  for (const storage::SeriesHorizon& horizon : *horizons) {
    if (device.has_value() && horizon.device_id != *device) continue;
    absl::StatusOr<SeriesSpec> spec = store_->GetSpec(horizon.id);
    if (!spec.ok()) continue;  // removed meanwhile
    json.BeginObject();
    WriteSeriesHead(*spec, json);
    json.Key("horizons").BeginObject();
    for (int k = 0; k < storage::kTierCount; ++k) {
      json.Key(storage::TierName(Tier(k))).BeginObject().Key("kept_s");
      WriteSeconds(horizon.retention[k], json);
      json.Key("oldest");
      if (horizon.oldest[k] == absl::InfiniteFuture()) {
        json.Null();
      } else {
        json.Time(horizon.oldest[k]);
      }
      json.EndObject();
    }
    json.EndObject().Key("longest_s");
    WriteSeconds(horizon.Longest(), json);
    json.EndObject();
  }
  json.EndArray().EndObject();
  return http::Response::Json(200, json.Take());
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
  http::JsonWriter json;
  json.BeginObject();
  WriteSeriesHead(series->spec, json);
  json.Key("from")
      .Time(period->from)
      .Key("to")
      .Time(period->to)
      .Key("time_zone")
      .String(zone_.name())
      .Key("resolution")
      .String(storage::TierName(chart.tier))
      .Key("intervals_per_point")
      .Int(chart.intervals_per_point)
      .Key("points");
  WriteChartPoints(chart.points, series->spec.kind == SeriesKind::kCounter,
                   json);
  json.EndObject();
  return http::Response::Json(200, json.Take());
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
  http::JsonWriter json;
  json.BeginObject();
  WriteSeriesHead(series->spec, json);
  json.Key("time_zone")
      .String(zone_.name())
      .Key("resolution")
      .String(storage::TierName(*tier));
  for (int back : {0, 1}) {
    json.Key(back == 0 ? "current" : "previous");
    absl::Status written =
        WriteTotalsPeriod(*store_, series->id, *tier,
                          BarPeriod(*tier, anchor, zone_, back), zone_, json);
    if (!written.ok()) return ApiError(written);
  }
  json.EndObject();
  return http::Response::Json(200, json.Take());
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

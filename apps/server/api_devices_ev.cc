// DevicesApi's EV charging stations: state, charging sessions, energy
// history, start/stop and the current limit. Only stations: the EV routes
// (greenUp) never reach another device.
#include <map>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "apps/server/api_common.h"
#include "apps/server/api_devices.h"
#include "apps/server/api_devices.pb.h"
#include "apps/server/api_devices_internal.h"
#include "sdk/http/json.h"

namespace ews::server {

using api_devices_internal::ParseBody;
using api_devices_internal::Segment;

void DevicesApi::ChargerJson(const FieldBus& bus,
                             const FieldBus::DeviceTarget& device,
                             http::JsonWriter& json) const {
  json.BeginObject()
      .Key("id")
      .String(device.id)
      .Key("name")
      .String(device.name)
      .Key("profile")
      .String(device.profile->id())
      .Key("line")
      .String(device.line)
      .Key("address")
      .Int(device.address);
  std::optional<acquisition::PollResult> latest = bus.Latest(device.id);
  json.Key("online").Bool(latest.has_value() && latest->status.ok());
  if (latest.has_value()) {
    json.Key("time").Time(latest->time);
    if (!latest->status.ok()) {
      json.Key("problem").String(latest->status.message());
    }
  }
  json.Key("values").BeginObject();
  if (latest.has_value()) {
    for (const acquisition::Sample& sample : latest->samples) {
      json.Key(sample.quantity_id)
          .BeginObject()
          .Key("value")
          .Number(sample.value)
          .Key("unit")
          .String(sample.unit)
          .EndObject();
    }
  }
  json.EndObject().Key("commands").BeginArray();
  for (const devices::v1::Command& command : device.profile->commands()) {
    json.String(command.id());
  }
  json.EndArray();
  // The range of each command that takes an argument (the current limit).
  json.Key("command_arguments").BeginObject();
  for (const devices::v1::Command& command : device.profile->commands()) {
    if (!command.has_argument()) continue;
    json.Key(command.id());
    WriteCommandArgumentJson(command.argument(), json);
  }
  json.EndObject().EndObject();
}

namespace {
bool IsCharger(const FieldBus::DeviceTarget& device) {
  return device.profile != nullptr &&
         device.profile->family() == devices::v1::FAMILY_EV_CHARGER;
}

// The EV charging station `id`: NotFound for any other device, so that the
// EV routes (greenUp) never reach a breaker.
absl::StatusOr<FieldBus::DeviceTarget> FindCharger(const FieldBus& bus,
                                                   const std::string& id) {
  absl::StatusOr<FieldBus::DeviceTarget> device = bus.FindDevice(id);
  if (!device.ok() || !IsCharger(*device)) {
    return absl::NotFoundError(
        absl::StrCat("no EV charging station \"", id, "\""));
  }
  return device;
}
}  // namespace

http::Response DevicesApi::Chargers() {
  http::JsonWriter json;
  json.BeginObject().Key("chargers").BeginArray();
  std::shared_ptr<FieldBus> bus = field_bus_();
  for (const FieldBus::DeviceTarget& device : bus->Devices()) {
    if (IsCharger(device)) ChargerJson(*bus, device, json);
  }
  json.EndArray().EndObject();
  return http::Response::Json(200, json.Take());
}

http::Response DevicesApi::Charger(const http::Request& request) {
  const std::string id = Segment(request.path, 5);
  std::shared_ptr<FieldBus> bus = field_bus_();
  absl::StatusOr<FieldBus::DeviceTarget> device = FindCharger(*bus, id);
  if (!device.ok()) return ApiError(device.status());
  http::JsonWriter json;
  ChargerJson(*bus, *device, json);
  return http::Response::Json(200, json.Take());
}

http::Response DevicesApi::ChargerSessions(const http::Request& request) {
  const std::string id = Segment(request.path, 5);
  std::shared_ptr<FieldBus> bus = field_bus_();
  absl::StatusOr<FieldBus::DeviceTarget> device = FindCharger(*bus, id);
  if (!device.ok()) return ApiError(device.status());
  // No profile declares a session log yet: say so rather than invent one.
  http::JsonWriter json;
  json.BeginObject()
      .Key("supported")
      .Bool(false)
      .Key("reason")
      .String(absl::StrCat("the profile ", device->profile->id(),
                           " declares no charging-session log; its "
                           "session_energy value (if any) is the running "
                           "session's energy"))
      .Key("sessions")
      .BeginArray()
      .EndArray()
      .EndObject();
  return http::Response::Json(200, json.Take());
}

namespace {

// A charger history's period and resolution, from its query.
struct ChargerHistoryQuery {
  int days = 30;
  std::string resolution = "day";
  storage::Tier tier = storage::Tier::kDay;
};

// Reads ?days=1..3660 (default 30) and ?resolution=hour (at most 31 days),
// day (the default) or month; returns the error response for anything else.
std::optional<http::Response> ParseChargerHistoryQuery(
    const std::string& query, ChargerHistoryQuery* out) {
  absl::StatusOr<std::map<std::string, std::string>> params = ParseQuery(query);
  if (!params.ok()) return ApiError(params.status());
  absl::Status known = OnlyParams(*params, {"days", "resolution"});
  if (!known.ok()) return ApiError(known);
  if (std::optional<std::string> text = Param(*params, "days")) {
    if (!absl::SimpleAtoi(*text, &out->days) || out->days < 1 ||
        out->days > 3660) {
      return ApiError(400, "invalid_argument", "days must be 1..3660");
    }
  }
  out->resolution = Param(*params, "resolution").value_or("day");
  if (out->resolution == "hour" && out->days <= 31) {
    out->tier = storage::Tier::kHour;
  } else if (out->resolution == "day") {
    out->tier = storage::Tier::kDay;
  } else if (out->resolution == "month") {
    out->tier = storage::Tier::kMonth;
  } else {
    return ApiError(400, "invalid_argument",
                    "resolution must be hour (at most 31 days), day or month");
  }
  return std::nullopt;
}

// One energy counter of charger `id`: its consumption per interval of
// `tier` in [from, to). Writes nothing for a counter not recorded yet.
absl::Status WriteChargerCounter(storage::Store& history, const std::string& id,
                                 const devices::v1::Quantity& quantity,
                                 storage::Tier tier, absl::Time from,
                                 absl::Time to, http::JsonWriter& json) {
  absl::StatusOr<storage::SeriesId> series =
      history.FindSeries(id, quantity.id());
  if (absl::IsNotFound(series.status())) return absl::OkStatus();
  if (!series.ok()) return series.status();
  absl::StatusOr<storage::SeriesSpec> spec = history.GetSpec(*series);
  absl::StatusOr<std::vector<storage::Point>> totals =
      history.Totals(*series, tier, from, to);
  if (!spec.ok()) return spec.status();
  if (!totals.ok()) return totals.status();
  json.BeginObject()
      .Key("quantity")
      .String(quantity.id())
      .Key("name")
      .String(quantity.name())
      .Key("unit")
      .String(spec->unit)
      .Key("points")
      .BeginArray();
  for (const storage::Point& point : *totals) {
    json.BeginObject()
        .Key("start")
        .Time(point.start)
        .Key("end")
        .Time(point.end)
        .Key("energy")
        .Number(point.delta)
        .EndObject();
  }
  json.EndArray().EndObject();
  return absl::OkStatus();
}

}  // namespace

http::Response DevicesApi::ChargerHistory(const http::Request& request) {
  const std::string id = Segment(request.path, 5);
  absl::StatusOr<FieldBus::DeviceTarget> device =
      FindCharger(*field_bus_(), id);
  if (!device.ok()) return ApiError(device.status());
  if (history_ == nullptr) {
    return ApiError(503, "history_unavailable",
                    "this box keeps no history now (GET /api/v1/health says "
                    "why)");
  }
  ChargerHistoryQuery query;
  if (auto error = ParseChargerHistoryQuery(request.query, &query)) {
    return *error;
  }
  const absl::Time to = clock_.WallNow();
  const absl::Time from = to - absl::Hours(24) * query.days;

  http::JsonWriter json;
  json.BeginObject()
      .Key("id")
      .String(id)
      .Key("resolution")
      .String(query.resolution)
      .Key("from")
      .Time(from)
      .Key("to")
      .Time(to)
      .Key("series")
      .BeginArray();
  // The station's energy counters: consumption per interval.
  for (const devices::v1::Quantity& quantity : device->profile->quantities()) {
    if (quantity.kind() != devices::v1::KIND_COUNTER) continue;
    absl::Status written = WriteChargerCounter(*history_, id, quantity,
                                               query.tier, from, to, json);
    if (!written.ok()) return ApiError(written);
  }
  json.EndArray().EndObject();
  return http::Response::Json(200, json.Take());
}

http::Response DevicesApi::ChargerCommand(const http::Request& request,
                                          const Session& session,
                                          const std::string& command) {
  const std::string id = Segment(request.path, 5);
  std::shared_ptr<FieldBus> bus = field_bus_();
  absl::StatusOr<FieldBus::DeviceTarget> device = FindCharger(*bus, id);
  if (!device.ok()) return ApiError(device.status());
  std::optional<double> argument;
  if (command == "set_current_limit") {
    v1::CurrentLimitRequest body;
    if (request.body.empty()) {
      return ApiError(400, "invalid_argument", "give {\"amps\": <A>}");
    }
    if (auto error = ParseBody(request.body, &body)) return *error;
    argument = body.amps();
  } else if (!request.body.empty()) {
    v1::CommandRequest body;
    if (auto error = ParseBody(request.body, &body)) return *error;
    if (body.has_argument()) {
      return ApiError(400, "invalid_argument", "start/stop take no argument");
    }
  }
  return Execute(id, command, argument, request, session);
}

}  // namespace ews::server

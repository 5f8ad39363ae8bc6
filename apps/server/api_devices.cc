// DevicesApi: its routes, one device's state and health, and device commands.
// The scan, the register test and the EV charging stations are in
// api_devices_scan.cc, api_devices_registers.cc and api_devices_ev.cc.
#include "apps/server/api_devices.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "apps/server/api_common.h"
#include "apps/server/api_devices.pb.h"
#include "apps/server/api_devices_internal.h"
#include "sdk/acquisition/commands.h"
#include "sdk/base/log.h"
#include "sdk/http/json.h"
#include "sdk/modbus/exception.h"
#include "sdk/security/roles/permissions.h"

namespace ews::server {
namespace api_devices_internal {

std::optional<http::Response> ParseBody(const std::string& body,
                                        google::protobuf::Message* message) {
  if (body.empty()) return std::nullopt;  // every field optional
  return ParseJsonBody(body, message);
}

std::string Segment(const std::string& path, int index) {
  std::vector<std::string> parts = absl::StrSplit(path, '/');
  return index < static_cast<int>(parts.size()) ? parts[index] : "";
}

http::Response DeviceError(const absl::Status& status, const std::string& who,
                           const std::string& what) {
  std::optional<uint8_t> code = modbus::ModbusExceptionCode(status);
  if (code == static_cast<uint8_t>(
                  modbus::ExceptionCode::kGatewayTargetFailedToRespond)) {
    return ApiError(504, "device_timeout",
                    absl::StrCat("no answer from ", who,
                                 " (the gateway's target failed to respond)"));
  }
  if (code.has_value()) {
    return ApiError(
        502, "device_exception",
        absl::StrFormat("%s refused %s: exception 0x%02X, %s", who, what, *code,
                        modbus::ExceptionCodeName(*code)),
        [&code](http::JsonWriter& json) {
          json.Key("exception_code").Int(*code);
        });
  }
  const std::string detail(status.message());
  switch (status.code()) {
    case absl::StatusCode::kDeadlineExceeded:
      return ApiError(504, "device_timeout",
                      absl::StrCat("no answer from ", who, ": ", detail));
    case absl::StatusCode::kDataLoss:
      return ApiError(502, "device_garbled",
                      absl::StrCat("garbled answer from ", who, ": ", detail));
    case absl::StatusCode::kUnavailable:
      return ApiError(503, "line_unavailable", detail);
    default:
      return ApiError(status);
  }
}

void LineStatsJson(const modbus::LineStats& stats, http::JsonWriter& json) {
  json.BeginObject()
      .Key("transactions")
      .Int(static_cast<int64_t>(stats.transactions))
      .Key("attempts")
      .Int(static_cast<int64_t>(stats.attempts))
      .Key("expired_in_queue")
      .Int(static_cast<int64_t>(stats.expired_in_queue))
      .Key("rejected_queue_full")
      .Int(static_cast<int64_t>(stats.rejected_queue_full))
      .Key("queued")
      .Int(static_cast<int64_t>(stats.queued))
      .EndObject();
}

}  // namespace api_devices_internal

using api_devices_internal::DeviceError;
using api_devices_internal::LineStatsJson;
using api_devices_internal::ParseBody;
using api_devices_internal::Segment;

DevicesApi::DevicesApi(FieldBusSource field_bus,
                       const devices::ProfileRegistry& registry,
                       security::AuditLog& audit, Clock& clock,
                       storage::Store* history)
    : field_bus_(std::move(field_bus)),
      registry_(registry),
      audit_(audit),
      clock_(clock),
      history_(history) {}

DevicesApi::~DevicesApi() { StopScan(); }

std::vector<ApiRoute> DevicesApi::Routes() {
  return {
      {"POST", "/api/v1/scan",
       [this](const auto& r, const auto& s) { return StartScan(r, s); }},
      {"GET", "/api/v1/scan",
       [this](const auto&, const auto&) { return ScanState(); }},
      {"DELETE", "/api/v1/scan",
       [this](const auto&, const auto&) { return CancelScan(); }},
      {"GET", "/api/v1/profiles",
       [this](const auto&, const auto&) { return Profiles(); }},
      {"GET", "/api/v1/devices/*",
       [this](const auto& r, const auto&) { return Device(r, true); }},
      {"GET", "/api/v1/devices/*/values",
       [this](const auto& r, const auto&) { return Device(r, false); }},
      {"GET", "/api/v1/devices/*/health",
       [this](const auto& r, const auto&) { return DeviceHealth(r); }},
      {"POST", "/api/v1/devices/*/registers",
       [this](const auto& r, const auto&) { return RegisterTest(r); }},
      {"POST", "/api/v1/devices/*/commands/*",
       [this](const auto& r, const auto& s) { return Command(r, s); }},
      {"GET", "/api/v1/ev/chargers",
       [this](const auto&, const auto&) { return Chargers(); }},
      {"GET", "/api/v1/ev/chargers/*",
       [this](const auto& r, const auto&) { return Charger(r); }},
      {"GET", "/api/v1/ev/chargers/*/sessions",
       [this](const auto& r, const auto&) { return ChargerSessions(r); }},
      {"GET", "/api/v1/ev/chargers/*/history",
       [this](const auto& r, const auto&) { return ChargerHistory(r); }},
      {"POST", "/api/v1/ev/chargers/*/start",
       [this](const auto& r, const auto& s) {
         return ChargerCommand(r, s, "start");
       }},
      {"POST", "/api/v1/ev/chargers/*/stop",
       [this](const auto& r, const auto& s) {
         return ChargerCommand(r, s, "stop");
       }},
      {"PUT", "/api/v1/ev/chargers/*/current-limit",
       [this](const auto& r, const auto& s) {
         return ChargerCommand(r, s, "set_current_limit");
       }},
  };
}

// ------------------------------------------------------- one device

http::Response DevicesApi::Device(const http::Request& request,
                                  bool with_link) {
  http::JsonWriter json;
  absl::Status written =
      field_bus_()->WriteDeviceJson(Segment(request.path, 4), with_link, json);
  if (!written.ok()) return ApiError(written);
  return http::Response::Json(200, json.Take());
}

http::Response DevicesApi::Profiles() const {
  http::JsonWriter json;
  json.BeginObject().Key("profiles").BeginArray();
  for (const devices::v1::Profile* profile : registry_.profiles()) {
    json.BeginObject()
        .Key("id")
        .String(profile->id())
        .Key("name")
        .String(profile->name())
        .Key("maker")
        .String(profile->maker())
        .Key("family")
        .String(devices::v1::Family_Name(profile->family()))
        .EndObject();
  }
  json.EndArray().EndObject();
  return http::Response::Json(200, json.Take());
}

http::Response DevicesApi::DeviceHealth(const http::Request& request) {
  std::shared_ptr<FieldBus> bus = field_bus_();
  absl::StatusOr<FieldBus::DeviceTarget> device =
      bus->FindDevice(Segment(request.path, 4));
  if (!device.ok()) return ApiError(device.status());
  absl::StatusOr<modbus::LineScheduler*> line = bus->LineNamed(device->line);
  http::JsonWriter json;
  json.BeginObject()
      .Key("id")
      .String(device->id)
      .Key("line")
      .String(device->line)
      .Key("address")
      .Int(device->address)
      .Key("line_available")
      .Bool(line.ok());
  if (line.ok()) {
    json.Key("link");
    WriteLinkHealth((*line)->HealthOf(static_cast<uint8_t>(device->address)),
                    json);
    json.Key("line_stats");
    LineStatsJson((*line)->stats(), json);
  } else {
    json.Key("problem").String(line.status().message());
  }
  json.EndObject();
  return http::Response::Json(200, json.Take());
}

// -------------------------------------------------------------- commands

http::Response DevicesApi::Command(const http::Request& request,
                                   const Session& session) {
  v1::CommandRequest body;
  if (auto error = ParseBody(request.body, &body)) return *error;
  std::optional<double> argument;
  if (body.has_argument()) argument = body.argument();
  return Execute(Segment(request.path, 4), Segment(request.path, 6), argument,
                 request, session);
}

http::Response DevicesApi::Execute(const std::string& device_id,
                                   const std::string& command_id,
                                   std::optional<double> argument,
                                   const http::Request& request,
                                   const Session& session) {
  std::shared_ptr<FieldBus> bus = field_bus_();
  absl::StatusOr<FieldBus::DeviceTarget> device = bus->FindDevice(device_id);
  if (!device.ok()) return ApiError(device.status());
  if (device->profile == nullptr) {
    return ApiError(409, "unknown_profile",
                    absl::StrCat("device ", device_id,
                                 " has an unknown profile: no commands"));
  }
  const devices::v1::Command* command = nullptr;
  std::vector<std::string> available;
  for (const devices::v1::Command& c : device->profile->commands()) {
    available.push_back(c.id());
    if (c.id() == command_id) command = &c;
  }
  if (command == nullptr) {
    return ApiError(
        404, "no_such_command",
        absl::StrCat(
            "the profile of ", device->name, " has no command \"", command_id,
            "\" (it has: ",
            available.empty() ? "none" : absl::StrJoin(available, ", "), ")"));
  }
  absl::StatusOr<modbus::LineScheduler*> scheduler =
      bus->LineNamed(device->line);
  absl::Status done =
      scheduler.ok()
          ? acquisition::ExecuteCommand(**scheduler, *device->profile,
                                        device->address, command_id, argument)
          : scheduler.status();

  security::AuditEntry entry;
  entry.actor = session ? std::string(security::RoleName(session->role)) : "-";
  entry.client_address = request.remote_address;
  entry.action = "device.command";
  entry.outcome = done.ok() ? "ok" : absl::StrCat("failed: ", done.message());
  entry.detail = absl::StrCat(device_id, " ", command_id,
                              argument ? absl::StrCat(" ", *argument) : "");
  absl::StatusOr<uint64_t> appended = audit_.Append(std::move(entry));
  if (!appended.ok()) EWS_LOG(ERROR) << "audit: " << appended.status();

  if (!done.ok()) {
    if (absl::IsNotFound(done) ||
        (absl::IsInvalidArgument(done) && !modbus::ModbusExceptionCode(done))) {
      return ApiError(done);  // a missing or out-of-range argument
    }
    return DeviceError(done, absl::StrCat("the ", device->name),
                       absl::StrCat("\"", command->name(), "\""));
  }
  http::JsonWriter json;
  json.BeginObject()
      .Key("status")
      .String("done")
      .Key("device")
      .String(device_id)
      .Key("command")
      .String(command_id)
      .Key("name")
      .String(command->name());
  if (argument) json.Key("argument").Number(*argument);
  json.Key("unconfirmed").Bool(command->unconfirmed()).EndObject();
  return http::Response::Json(200, json.Take());
}

}  // namespace ews::server

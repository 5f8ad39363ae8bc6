#include "apps/server/api_devices.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "apps/server/api_common.h"
#include "apps/server/api_devices.pb.h"
#include "google/protobuf/util/json_util.h"
#include "sdk/acquisition/commands.h"
#include "sdk/base/log.h"
#include "sdk/devices/codec.h"
#include "sdk/http/json.h"
#include "sdk/modbus/exception.h"
#include "sdk/security/roles/permissions.h"

namespace ews::server {
namespace {

using devices::v1::Profile;

// Parses a JSON body strictly: malformed JSON and unknown fields are 400.
std::optional<http::Response> ParseBody(const std::string& body,
                                        google::protobuf::Message* message) {
  if (body.empty()) return std::nullopt;  // every field optional
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status =
      google::protobuf::util::JsonStringToMessage(body, message, options);
  if (status.ok()) return std::nullopt;
  const std::string message_text = status.message().ToString();
  return ApiError(400,
                  absl::StrContains(message_text, "Cannot find field")
                      ? "unknown_field"
                      : "malformed_body",
                  absl::StrCat("bad request body: ", message_text));
}

// The segment after `prefix` up to the next '/': the {device} of a path.
std::string Segment(const std::string& path, int index) {
  std::vector<std::string> parts = absl::StrSplit(path, '/');
  return index < static_cast<int>(parts.size()) ? parts[index] : "";
}

// A device's answer that is not a success, in words: "the Breaker refused
// (exception 0x04, server device failure)", "no answer from ...".
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
    http::JsonWriter json;
    json.BeginObject()
        .Key("error")
        .BeginObject()
        .Key("status")
        .Int(502)
        .Key("code")
        .String("device_exception")
        .Key("message")
        .String(absl::StrFormat("%s refused %s: exception 0x%02X, %s", who,
                                what, *code, modbus::ExceptionCodeName(*code)))
        .Key("exception_code")
        .Int(*code)
        .EndObject()
        .EndObject();
    return http::Response::Json(502, json.Take());
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

std::optional<devices::v1::DataType> ParseType(const std::string& name) {
  static const std::pair<const char*, devices::v1::DataType> kTypes[] = {
      {"u16", devices::v1::DATA_TYPE_U16},
      {"s16", devices::v1::DATA_TYPE_S16},
      {"u32", devices::v1::DATA_TYPE_U32},
      {"s32", devices::v1::DATA_TYPE_S32},
      {"u64", devices::v1::DATA_TYPE_U64},
      {"float32", devices::v1::DATA_TYPE_FLOAT32}};
  for (const auto& [text, type] : kTypes) {
    if (name == text) return type;
  }
  return std::nullopt;
}

std::optional<devices::v1::WordOrder> ParseWordOrder(const std::string& name) {
  for (int order = devices::v1::WORD_ORDER_ABCD;
       order <= devices::v1::WORD_ORDER_DCBA; ++order) {
    const auto value = static_cast<devices::v1::WordOrder>(order);
    if (devices::v1::WordOrder_Name(value) == "WORD_ORDER_" + name) {
      return value;
    }
  }
  return std::nullopt;
}

}  // namespace

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

void DevicesApi::StopScan() {
  scan_cancel_ = true;
  absl::MutexLock lock(&thread_mutex_);
  if (scan_thread_.joinable()) scan_thread_.join();
}

std::vector<DevicesApi::Route> DevicesApi::Routes() {
  return {
      {"POST", "/api/v1/scan",
       [this](const auto& r, const auto& s) { return StartScan(r, s); }},
      {"GET", "/api/v1/scan",
       [this](const auto&, const auto&) { return ScanState(); }},
      {"DELETE", "/api/v1/scan",
       [this](const auto&, const auto&) { return CancelScan(); }},
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

// ------------------------------------------------------------------ scan

http::Response DevicesApi::StartScan(const http::Request& request,
                                     const Session& session) {
  v1::ScanRequest body;
  if (auto error = ParseBody(request.body, &body)) return *error;
  const std::string line = body.line().empty() ? "rs485" : body.line();
  std::shared_ptr<FieldBus> bus = field_bus_();
  absl::StatusOr<modbus::LineScheduler*> scheduler = bus->LineNamed(line);
  if (!scheduler.ok()) return ApiError(scheduler.status());
  acquisition::ScanOptions options;
  options.first_address =
      body.first_address() == 0 ? 1 : static_cast<int>(body.first_address());
  options.last_address =
      body.last_address() == 0 ? 247 : static_cast<int>(body.last_address());
  options.addresses.assign(body.addresses().begin(), body.addresses().end());
  options.priority = modbus::Priority::kBackground;
  for (int address : options.addresses) {
    if (address < 1 || address > 247) {
      return ApiError(400, "invalid_argument",
                      absl::StrCat("address ", address, " is outside 1..247"));
    }
  }
  if (options.addresses.empty() &&
      (options.first_address > options.last_address ||
       options.last_address > 247)) {
    return ApiError(400, "invalid_argument",
                    "first_address..last_address must be within 1..247");
  }
  const int total = options.addresses.empty()
                        ? options.last_address - options.first_address + 1
                        : static_cast<int>(options.addresses.size());

  absl::MutexLock thread_lock(&thread_mutex_);
  {
    absl::MutexLock lock(&scan_mutex_);
    if (scan_.state == "running") {
      return ApiError(409, "scan_running",
                      "a scan is running: wait for it or cancel it "
                      "(DELETE /api/v1/scan)");
    }
  }
  if (scan_thread_.joinable()) scan_thread_.join();  // the finished one
  {
    absl::MutexLock lock(&scan_mutex_);
    scan_ = Scan();
    scan_.state = "running";
    scan_.line = line;
    scan_.total = total;
    scan_.started_at = clock_.WallNow();
  }
  scan_cancel_ = false;
  security::AuditEntry entry;
  entry.actor = session ? std::string(security::RoleName(session->role)) : "-";
  entry.client_address = request.remote_address;
  entry.action = "device.scan";
  entry.outcome = "started";
  entry.detail = absl::StrCat(line, ", ", total, " address(es)");
  (void)audit_.Append(std::move(entry));
  // The thread keeps its field bus alive (StopScan() ends it before the bus
  // is replaced).
  scan_thread_ = std::thread([this, bus, client = *scheduler, options] {
    absl::StatusOr<std::vector<acquisition::FoundDevice>> found =
        acquisition::ScanBus(
            *client, registry_, options,
            [this](const acquisition::ScanProgress& progress) {
              absl::MutexLock lock(&scan_mutex_);
              if (progress.found > scan_.found_so_far) {
                scan_.answered.push_back(progress.address);
              }
              scan_.done = progress.done;
              scan_.current_address = progress.address;
              scan_.found_so_far = progress.found;
            },
            &scan_cancel_);
    absl::MutexLock lock(&scan_mutex_);
    scan_.finished_at = clock_.WallNow();
    if (found.ok()) {
      scan_.state = "done";
      scan_.found = *std::move(found);
    } else if (absl::IsCancelled(found.status())) {
      scan_.state = "cancelled";
    } else {
      scan_.state = "failed";
      scan_.error = std::string(found.status().message());
    }
  });
  http::Response response = ScanState();
  response.status = 202;
  return response;
}

http::Response DevicesApi::ScanState() {
  absl::MutexLock lock(&scan_mutex_);
  http::JsonWriter json;
  json.BeginObject()
      .Key("state")
      .String(scan_.state)
      .Key("line")
      .String(scan_.line)
      .Key("done")
      .Int(scan_.done)
      .Key("total")
      .Int(scan_.total)
      .Key("current_address")
      .Int(scan_.current_address)
      .Key("found_so_far")
      .Int(scan_.found_so_far);
  json.Key("answered").BeginArray();
  for (int address : scan_.answered) json.Int(address);
  json.EndArray();
  if (!scan_.error.empty()) json.Key("error").String(scan_.error);
  if (scan_.state != "idle") json.Key("started_at").Time(scan_.started_at);
  if (scan_.state != "running" && scan_.state != "idle") {
    json.Key("finished_at").Time(scan_.finished_at);
  }
  json.Key("found").BeginArray();
  for (const acquisition::FoundDevice& device : scan_.found) {
    json.BeginObject().Key("address").Int(device.address).Key("profile");
    if (device.profile != nullptr) {
      json.String(device.profile->id())
          .Key("profile_name")
          .String(device.profile->name());
    } else {
      json.Null();
    }
    json.Key("evidence").String(device.evidence);
    json.Key("model_registers").BeginArray();
    for (const auto& reg : device.raw.model_registers) {
      json.BeginObject()
          .Key("address")
          .Int(reg.address)
          .Key("function")
          .Int(reg.table == devices::v1::TABLE_INPUT_REGISTERS ? 4 : 3)
          .Key("value")
          .Int(static_cast<int64_t>(reg.value))
          .EndObject();
    }
    json.EndArray().Key("device_identification").BeginObject();
    for (const auto& [object, text] : device.raw.device_identification) {
      json.Key(absl::StrCat(object)).String(text);
    }
    json.EndObject();
    if (device.ems.has_value()) {
      json.Key("ems")
          .BeginObject()
          .Key("interface")
          .Int(device.ems->interface)
          .Key("module")
          .Int(device.ems->module)
          .EndObject();
    }
    json.EndObject();
  }
  json.EndArray().EndObject();
  return http::Response::Json(200, json.Take());
}

http::Response DevicesApi::CancelScan() {
  StopScan();
  return ScanState();
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

// --------------------------------------------------------- register test

http::Response DevicesApi::RegisterTest(const http::Request& request) {
  const std::string target = Segment(request.path, 4);
  v1::RegisterTestRequest body;
  if (auto error = ParseBody(request.body, &body)) return *error;
  std::shared_ptr<FieldBus> bus = field_bus_();

  // A configured device by id, or any address on any line: "rs485:12",
  // "gw1:3" (device ids cannot hold ':').
  std::string line;
  int address = 0;
  devices::v1::WordOrder order = devices::v1::WORD_ORDER_ABCD;
  std::string who;
  const size_t colon = target.find(':');
  if (colon != std::string::npos) {
    line = target.substr(0, colon);
    if (!absl::SimpleAtoi(target.substr(colon + 1), &address) || address < 1 ||
        address > 255) {
      return ApiError(400, "invalid_argument",
                      "give a device id or <line>:<address 1..255>");
    }
    who = absl::StrCat("address ", address, " on ", line);
  } else {
    absl::StatusOr<FieldBus::DeviceTarget> device = bus->FindDevice(target);
    if (!device.ok()) return ApiError(device.status());
    line = device->line;
    address = device->address;
    if (device->profile != nullptr) order = device->profile->word_order();
    who = device->name;
  }
  absl::StatusOr<modbus::LineScheduler*> scheduler = bus->LineNamed(line);
  if (!scheduler.ok()) return ApiError(scheduler.status());

  const int function = body.function() == 0 ? 3 : body.function();
  if (function < 1 || function > 4) {
    return ApiError(400, "invalid_argument", "function must be 1, 2, 3 or 4");
  }
  std::optional<devices::v1::DataType> type;
  if (!body.type().empty()) {
    type = ParseType(body.type());
    if (!type) {
      return ApiError(400, "invalid_argument",
                      "type must be u16, s16, u32, s32, u64 or float32");
    }
  }
  if (!body.word_order().empty()) {
    std::optional<devices::v1::WordOrder> parsed =
        ParseWordOrder(body.word_order());
    if (!parsed) {
      return ApiError(400, "invalid_argument",
                      "word_order must be ABCD, CDAB, BADC or DCBA");
    }
    order = *parsed;
  }
  const int count = body.count() != 0 ? static_cast<int>(body.count())
                    : type            ? devices::RegisterCount(*type)
                                      : 1;
  const int max_count = function <= 2 ? 2000 : 125;
  if (body.start() > 65535 || count < 1 || count > max_count ||
      body.start() + count > 65536) {
    return ApiError(400, "invalid_argument",
                    absl::StrCat("start must be 0..65535 and count 1..",
                                 max_count, " within the address space"));
  }
  if (type && function <= 2) {
    return ApiError(400, "invalid_argument",
                    "coils and discrete inputs are bits: no type");
  }
  if (type && count < devices::RegisterCount(*type)) {
    return ApiError(400, "invalid_argument",
                    absl::StrCat(body.type(), " needs ",
                                 devices::RegisterCount(*type), " registers"));
  }

  modbus::CallOptions call;
  call.priority = modbus::Priority::kInteractive;
  const auto unit = static_cast<uint8_t>(address);
  const auto start = static_cast<uint16_t>(body.start());
  const auto n = static_cast<uint16_t>(count);
  const absl::Duration began = clock_.MonotonicNow();
  absl::StatusOr<std::vector<uint16_t>> words;
  absl::StatusOr<std::vector<bool>> bits;
  absl::Status status;
  if (function <= 2) {
    bits = function == 1
               ? (*scheduler)->ReadCoils(unit, start, n, call)
               : (*scheduler)->ReadDiscreteInputs(unit, start, n, call);
    status = bits.status();
  } else {
    words = function == 3
                ? (*scheduler)->ReadHoldingRegisters(unit, start, n, call)
                : (*scheduler)->ReadInputRegisters(unit, start, n, call);
    status = words.status();
  }
  const absl::Duration elapsed = clock_.MonotonicNow() - began;
  if (!status.ok()) {
    return DeviceError(
        status, who, absl::StrCat("the read of ", count, " at ", body.start()));
  }

  http::JsonWriter json;
  json.BeginObject()
      .Key("line")
      .String(line)
      .Key("address")
      .Int(address)
      .Key("function")
      .Int(function)
      .Key("start")
      .Int(body.start())
      .Key("count")
      .Int(count);
  if (function <= 2) {
    json.Key("bits").BeginArray();
    for (bool bit : *bits) json.Bool(bit);
    json.EndArray();
  } else {
    json.Key("words").BeginArray();
    for (uint16_t word : *words) json.Int(word);
    json.EndArray().Key("hex").BeginArray();
    for (uint16_t word : *words) json.String(absl::StrFormat("0x%04X", word));
    json.EndArray();
    if (type) {
      absl::StatusOr<devices::RawValue> value =
          devices::DecodeRegisters(*words, *type, order);
      json.Key("type")
          .String(body.type())
          .Key("word_order")
          .String(devices::v1::WordOrder_Name(order).substr(11));
      if (value.ok()) {
        json.Key("value")
            .Number(value->ToDouble(), 17)
            .Key("value_text")
            .String(value->ToString());
      } else {
        json.Key("value")
            .Null()
            .Key("decode_error")
            .String(value.status().message());
      }
    }
  }
  json.Key("elapsed_ms").Number(absl::ToDoubleMilliseconds(elapsed), 6);
  json.Key("link");
  WriteLinkHealth((*scheduler)->HealthOf(unit), json);
  json.Key("line_stats");
  LineStatsJson((*scheduler)->stats(), json);
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

// ----------------------------------------------------------- EV chargers

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
  json.EndArray().EndObject();
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
  absl::StatusOr<std::map<std::string, std::string>> params =
      ParseQuery(request.query);
  if (!params.ok()) return ApiError(params.status());
  absl::Status known = OnlyParams(*params, {"days", "resolution"});
  if (!known.ok()) return ApiError(known);
  int days = 30;
  if (std::optional<std::string> text = Param(*params, "days")) {
    if (!absl::SimpleAtoi(*text, &days) || days < 1 || days > 3660) {
      return ApiError(400, "invalid_argument", "days must be 1..3660");
    }
  }
  const std::string resolution = Param(*params, "resolution").value_or("day");
  storage::Tier tier;
  if (resolution == "hour" && days <= 31) {
    tier = storage::Tier::kHour;
  } else if (resolution == "day") {
    tier = storage::Tier::kDay;
  } else if (resolution == "month") {
    tier = storage::Tier::kMonth;
  } else {
    return ApiError(400, "invalid_argument",
                    "resolution must be hour (at most 31 days), day or month");
  }
  const absl::Time to = clock_.WallNow();
  const absl::Time from = to - absl::Hours(24) * days;

  http::JsonWriter json;
  json.BeginObject()
      .Key("id")
      .String(id)
      .Key("resolution")
      .String(resolution)
      .Key("from")
      .Time(from)
      .Key("to")
      .Time(to)
      .Key("series")
      .BeginArray();
  // The station's energy counters: consumption per interval.
  for (const devices::v1::Quantity& quantity : device->profile->quantities()) {
    if (quantity.kind() != devices::v1::KIND_COUNTER) continue;
    absl::StatusOr<storage::SeriesId> series =
        history_->FindSeries(id, quantity.id());
    if (absl::IsNotFound(series.status())) continue;  // nothing recorded yet
    if (!series.ok()) return ApiError(series.status());
    absl::StatusOr<storage::SeriesSpec> spec = history_->GetSpec(*series);
    absl::StatusOr<std::vector<storage::Point>> totals =
        history_->Totals(*series, tier, from, to);
    if (!spec.ok()) return ApiError(spec.status());
    if (!totals.ok()) return ApiError(totals.status());
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

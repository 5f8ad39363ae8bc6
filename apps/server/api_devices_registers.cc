// DevicesApi's register test: any register range of any device or address
// on any line, decoded as asked, at interactive priority.
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "apps/server/api_common.h"
#include "apps/server/api_devices.h"
#include "apps/server/api_devices.pb.h"
#include "apps/server/api_devices_internal.h"
#include "sdk/devices/codec.h"
#include "sdk/http/json.h"

namespace ews::server {
namespace {

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

using api_devices_internal::DeviceError;
using api_devices_internal::LineStatsJson;
using api_devices_internal::ParseBody;
using api_devices_internal::Segment;

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

}  // namespace ews::server

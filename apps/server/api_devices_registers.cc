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

// Where a register test reads: the line, the unit address, the word order
// to decode with and how errors name the unit.
struct RegisterTestTarget {
  std::string line;
  int address = 0;
  devices::v1::WordOrder order = devices::v1::WORD_ORDER_ABCD;
  std::string who;
};

// A configured device by id, or any address on any line: "rs485:12",
// "gw1:3" (device ids cannot hold ':'). Returns the error response when
// `target` is neither.
std::optional<http::Response> ResolveRegisterTestTarget(
    const std::string& target, FieldBus& bus, RegisterTestTarget* out) {
  const size_t colon = target.find(':');
  if (colon != std::string::npos) {
    out->line = target.substr(0, colon);
    if (!absl::SimpleAtoi(target.substr(colon + 1), &out->address) ||
        out->address < 1 || out->address > 255) {
      return ApiError(400, "invalid_argument",
                      "give a device id or <line>:<address 1..255>");
    }
    out->who = absl::StrCat("address ", out->address, " on ", out->line);
    return std::nullopt;
  }
  absl::StatusOr<FieldBus::DeviceTarget> device = bus.FindDevice(target);
  if (!device.ok()) return ApiError(device.status());
  out->line = device->line;
  out->address = device->address;
  if (device->profile != nullptr) out->order = device->profile->word_order();
  out->who = device->name;
  return std::nullopt;
}

// What a register test reads and how it decodes it, checked.
struct RegisterTestRead {
  int function = 3;
  std::optional<devices::v1::DataType> type;
  int count = 1;
};

// Checks the request's function, type, word order (which overrides the
// device profile's `*order`) and range. Returns the error response for the
// first bad field.
std::optional<http::Response> ValidateRegisterTestRead(
    const v1::RegisterTestRequest& body, devices::v1::WordOrder* order,
    RegisterTestRead* out) {
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
    *order = *parsed;
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
  out->function = function;
  out->type = type;
  out->count = count;
  return std::nullopt;
}

// A register test's answer: bits for functions 1 and 2, words for 3 and 4.
struct RegisterTestAnswer {
  absl::StatusOr<std::vector<uint16_t>> words;
  absl::StatusOr<std::vector<bool>> bits;
  absl::Status status;
};

// One read at interactive priority, so it goes ahead of the polling.
RegisterTestAnswer ReadForRegisterTest(modbus::LineScheduler& scheduler,
                                       int function, uint8_t unit,
                                       uint16_t start, uint16_t n) {
  modbus::CallOptions call;
  call.priority = modbus::Priority::kInteractive;
  RegisterTestAnswer answer;
  if (function <= 2) {
    answer.bits = function == 1
                      ? scheduler.ReadCoils(unit, start, n, call)
                      : scheduler.ReadDiscreteInputs(unit, start, n, call);
    answer.status = answer.bits.status();
  } else {
    answer.words = function == 3
                       ? scheduler.ReadHoldingRegisters(unit, start, n, call)
                       : scheduler.ReadInputRegisters(unit, start, n, call);
    answer.status = answer.words.status();
  }
  return answer;
}

// The words as numbers and hex and, when a type was asked, the decoded
// value (or why it does not decode).
void WriteRegisterWords(const std::vector<uint16_t>& words,
                        const RegisterTestRead& read, const std::string& type,
                        devices::v1::WordOrder order, http::JsonWriter& json) {
  json.Key("words").BeginArray();
  for (uint16_t word : words) json.Int(word);
  json.EndArray().Key("hex").BeginArray();
  for (uint16_t word : words) json.String(absl::StrFormat("0x%04X", word));
  json.EndArray();
  if (!read.type) return;
  absl::StatusOr<devices::RawValue> value =
      devices::DecodeRegisters(words, *read.type, order);
  json.Key("type")
      .String(type)
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

}  // namespace

using api_devices_internal::DeviceError;
using api_devices_internal::LineStatsJson;
using api_devices_internal::ParseBody;
using api_devices_internal::Segment;

http::Response DevicesApi::RegisterTest(const http::Request& request) {
  v1::RegisterTestRequest body;
  if (auto error = ParseBody(request.body, &body)) return *error;
  std::shared_ptr<FieldBus> bus = field_bus_();
  RegisterTestTarget target;
  if (auto error =
          ResolveRegisterTestTarget(Segment(request.path, 4), *bus, &target)) {
    return *error;
  }
  absl::StatusOr<modbus::LineScheduler*> scheduler =
      bus->LineNamed(target.line);
  if (!scheduler.ok()) return ApiError(scheduler.status());
  RegisterTestRead read;
  if (auto error = ValidateRegisterTestRead(body, &target.order, &read)) {
    return *error;
  }

  const auto unit = static_cast<uint8_t>(target.address);
  const absl::Duration began = clock_.MonotonicNow();
  const RegisterTestAnswer answer = ReadForRegisterTest(
      **scheduler, read.function, unit, static_cast<uint16_t>(body.start()),
      static_cast<uint16_t>(read.count));
  const absl::Duration elapsed = clock_.MonotonicNow() - began;
  if (!answer.status.ok()) {
    return DeviceError(
        answer.status, target.who,
        absl::StrCat("the read of ", read.count, " at ", body.start()));
  }

  http::JsonWriter json;
  json.BeginObject()
      .Key("line")
      .String(target.line)
      .Key("address")
      .Int(target.address)
      .Key("function")
      .Int(read.function)
      .Key("start")
      .Int(body.start())
      .Key("count")
      .Int(read.count);
  if (read.function <= 2) {
    json.Key("bits").BeginArray();
    for (bool bit : *answer.bits) json.Bool(bit);
    json.EndArray();
  } else {
    WriteRegisterWords(*answer.words, read, body.type(), target.order, json);
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

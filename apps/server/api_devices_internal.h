// Shared by the api_devices*.cc files (not part of the API): the pieces
// every devices route uses.
#pragma once

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "sdk/http/https_server.h"
#include "sdk/http/json.h"
#include "sdk/modbus/line_scheduler.h"

namespace ews::server::api_devices_internal {

// ParseJsonBody(), except that an empty body leaves every field unset.
std::optional<http::Response> ParseBody(const std::string& body,
                                        google::protobuf::Message* message);

// Segment `index` of a '/'-separated path ("" when there are fewer): the
// {device} of /api/v1/devices/{device} is segment 4.
std::string Segment(const std::string& path, int index);

// A device's answer that is not a success, in words: 502 "device_exception"
// ("`who` refused `what`: exception 0x04, server device failure", with
// exception_code), 504 "device_timeout", 502 "device_garbled", 503
// "line_unavailable"; other errors as ApiError().
http::Response DeviceError(const absl::Status& status, const std::string& who,
                           const std::string& what);

// A line's counters (the register test's and health's "line_stats").
void LineStatsJson(const modbus::LineStats& stats, http::JsonWriter& json);

}  // namespace ews::server::api_devices_internal

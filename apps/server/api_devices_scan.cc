// DevicesApi's bus scan: one at a time, in a thread of its own, at background
// priority, with progress and cancel.
#include <utility>

#include "absl/strings/str_cat.h"
#include "apps/server/api_common.h"
#include "apps/server/api_devices.h"
#include "apps/server/api_devices.pb.h"
#include "apps/server/api_devices_internal.h"
#include "sdk/http/json.h"
#include "sdk/security/roles/permissions.h"

namespace ews::server {

using api_devices_internal::ParseBody;

namespace {

// The scan the request asks for (default: addresses 1..247), or the error
// response for an address outside 1..247.
std::optional<http::Response> ScanOptionsOf(const v1::ScanRequest& body,
                                            acquisition::ScanOptions* options) {
  options->first_address =
      body.first_address() == 0 ? 1 : static_cast<int>(body.first_address());
  options->last_address =
      body.last_address() == 0 ? 247 : static_cast<int>(body.last_address());
  options->addresses.assign(body.addresses().begin(), body.addresses().end());
  options->priority = modbus::Priority::kBackground;
  for (int address : options->addresses) {
    if (address < 1 || address > 247) {
      return ApiError(400, "invalid_argument",
                      absl::StrCat("address ", address, " is outside 1..247"));
    }
  }
  if (options->addresses.empty() &&
      (options->first_address > options->last_address ||
       options->last_address > 247)) {
    return ApiError(400, "invalid_argument",
                    "first_address..last_address must be within 1..247");
  }
  return std::nullopt;
}

// How many addresses the scan probes.
int AddressCount(const acquisition::ScanOptions& options) {
  return options.addresses.empty()
             ? options.last_address - options.first_address + 1
             : static_cast<int>(options.addresses.size());
}

security::AuditEntry ScanStartedEntry(
    const http::Request& request,
    const std::optional<security::SessionInfo>& session,
    const std::string& line, int total) {
  security::AuditEntry entry;
  entry.actor = session ? std::string(security::RoleName(session->role)) : "-";
  entry.client_address = request.remote_address;
  entry.action = "device.scan";
  entry.outcome = "started";
  entry.detail = absl::StrCat(line, ", ", total, " address(es)");
  return entry;
}

}  // namespace

void DevicesApi::StopScan() {
  scan_cancel_ = true;
  absl::MutexLock lock(&thread_mutex_);
  if (scan_thread_.joinable()) scan_thread_.join();
}

http::Response DevicesApi::StartScan(const http::Request& request,
                                     const Session& session) {
  v1::ScanRequest body;
  if (auto error = ParseBody(request.body, &body)) return *error;
  const std::string line = body.line().empty() ? "rs485" : body.line();
  std::shared_ptr<FieldBus> bus = field_bus_();
  absl::StatusOr<modbus::LineScheduler*> scheduler = bus->LineNamed(line);
  if (!scheduler.ok()) return ApiError(scheduler.status());
  acquisition::ScanOptions options;
  if (auto error = ScanOptionsOf(body, &options)) return *error;
  const int total = AddressCount(options);

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
  (void)audit_.Append(ScanStartedEntry(request, session, line, total));
  // The thread keeps its field bus alive (StopScan() ends it before the bus
  // is replaced).
  scan_thread_ = std::thread(
      [this, bus, client = *scheduler, options] { RunScan(*client, options); });
  http::Response response = ScanState();
  response.status = 202;
  return response;
}

void DevicesApi::RunScan(modbus::LineScheduler& client,
                         const acquisition::ScanOptions& options) {
  absl::StatusOr<std::vector<acquisition::FoundDevice>> found =
      acquisition::ScanBus(
          client, registry_, options,
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

}  // namespace ews::server

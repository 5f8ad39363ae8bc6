// The field side of the HTTPS API: bus scan in the background with progress
// and cancel, the register test (any register range of any device or
// address on any line), device commands from the profiles, and the EV
// charging stations (state, start/stop, current limit). Everything reaches
// the devices through the lines' schedulers (FieldBus::LineNamed), so it
// queues behind nothing and never collides with polling. docs/api.md
// documents the routes.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "apps/server/api_common.h"
#include "apps/server/field_bus.h"
#include "sdk/acquisition/bus_scan.h"
#include "sdk/base/clock.h"
#include "sdk/devices/profile_registry.h"
#include "sdk/http/https_server.h"
#include "sdk/http/json.h"
#include "sdk/security/audit/audit_log.h"
#include "sdk/storage/store.h"

namespace ews::server {

class DevicesApi {
 public:
  // The field bus in use (LiveFieldBus::Get: it may be replaced).
  using FieldBusSource = std::function<std::shared_ptr<FieldBus>()>;
  // `registry`, `audit` and `clock` are not owned and must outlive the
  // DevicesApi.
  // `history` (may be null: no history) serves the EV chargers' history.
  DevicesApi(FieldBusSource field_bus, const devices::ProfileRegistry& registry,
             security::AuditLog& audit, Clock& clock,
             storage::Store* history = nullptr);
  // Cancels a running scan and waits for it.
  ~DevicesApi();

  std::vector<ApiRoute> Routes();

  // Cancels a running scan and waits for it (before the field bus is
  // replaced).
  void StopScan();

 private:
  using Session = std::optional<security::SessionInfo>;

  http::Response StartScan(const http::Request& request,
                           const Session& session);
  // The scan thread's work: probes the addresses of `options` on `client`
  // and keeps scan_ up to date.
  void RunScan(modbus::LineScheduler& client,
               const acquisition::ScanOptions& options);
  http::Response ScanState();
  http::Response CancelScan();
  // GET /api/v1/devices/{id} (with its link health) and .../values.
  http::Response Device(const http::Request& request, bool with_link);
  http::Response DeviceHealth(const http::Request& request);
  // GET /api/v1/profiles: the profiles a device can be given (id, name,
  // maker, family), for the commissioning pages' profile picker.
  http::Response Profiles() const;
  http::Response RegisterTest(const http::Request& request);
  http::Response Command(const http::Request& request, const Session& session);
  http::Response Chargers();
  http::Response Charger(const http::Request& request);
  http::Response ChargerSessions(const http::Request& request);
  http::Response ChargerHistory(const http::Request& request);
  http::Response ChargerCommand(const http::Request& request,
                                const Session& session,
                                const std::string& command);

  // Runs command `command_id` of device `device_id` and audits it.
  http::Response Execute(const std::string& device_id,
                         const std::string& command_id,
                         std::optional<double> argument,
                         const http::Request& request, const Session& session);
  void ChargerJson(const FieldBus& bus, const FieldBus::DeviceTarget& device,
                   http::JsonWriter& json) const;

  const FieldBusSource field_bus_;
  const devices::ProfileRegistry& registry_;
  security::AuditLog& audit_;
  Clock& clock_;
  storage::Store* const history_;

  // The bus scan: one at a time, in its own thread, at background priority.
  struct Scan {
    std::string state = "idle";  // running, done, cancelled, failed
    std::string line;
    int total = 0;
    int done = 0;
    int current_address = 0;
    int found_so_far = 0;
    std::vector<int> answered;  // addresses that answered, as probed
    std::vector<acquisition::FoundDevice> found;
    std::string error;
    absl::Time started_at;
    absl::Time finished_at;
  };
  absl::Mutex scan_mutex_;
  Scan scan_ ABSL_GUARDED_BY(scan_mutex_);
  std::atomic<bool> scan_cancel_{false};
  absl::Mutex thread_mutex_;  // starting and joining scan_thread_
  // Joined before the next scan and on destruction.
  std::thread scan_thread_ ABSL_GUARDED_BY(thread_mutex_);
};

}  // namespace ews::server

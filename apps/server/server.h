// The device application: wires the SDK together and serves the HTTPS pages and
// API.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "apps/server/api_config.h"
#include "apps/server/api_devices.h"
#include "apps/server/api_history.h"
#include "apps/server/api_live.h"
#include "apps/server/api_session.h"
#include "apps/server/api_system.h"
#include "apps/server/board.h"
#include "apps/server/data_access.h"
#include "apps/server/device_clock.h"
#include "apps/server/field_bus.h"
#include "apps/server/front_panel.h"
#include "apps/server/history_health.h"
#include "apps/server/history_writer.h"
#include "apps/server/pulse_inputs.h"
#include "apps/server/reports_service.h"
#include "sdk/base/clock.h"
#include "sdk/config/config.pb.h"
#include "sdk/config/config_store.h"
#include "sdk/devices/profile_registry.h"
#include "sdk/http/https_server.h"
#include "sdk/security/tls/device_ca.h"
#include "sdk/storage/store.h"
#include "sdk/time/ntp_synchronizer.h"

namespace ews::server {

struct ServerOptions {
  // Everything the device keeps: configuration, certificate, history. Created
  // if missing.
  std::string data_dir;
  // Static files of the browser UI; empty: API only.
  std::string web_root;
  // Overrides of the configured listeners for this run only (not saved). The
  // demo and the tests use them to stay on loopback and unprivileged ports. -2
  // = use the configuration; for http_redirect_port -1 = no redirect listener.
  int https_port = -2;
  int http_redirect_port = -2;
  std::string bind_address;  // empty: use the configuration
  // Connections one client address may hold open on the HTTPS port (0: no
  // cap; see http::ServerOptions::max_connections_per_address).
  int connections_per_address = 16;
  // HTTPS worker threads: connections served at once (see
  // http::ServerOptions::worker_threads).
  int https_workers = 256;
  // FTP for this run: -2 = as configured, -1 = off, >= 0 = on at this port
  // (0: any free port) with any free passive port.
  int ftp_port = -2;
  // The field side (RS485 device, Modbus TCP port): see FieldBusOverrides.
  FieldBusOverrides field_bus;
  // On a first start (no configuration yet), scan our RS485 line over these
  // addresses and configure every device found (0 = no scan). The demo uses it.
  int scan_first_address = 0;
  int scan_last_address = 0;
  // The hardware the board opens: the RTC (the data directory holds a
  // simulated RTC's state), the pulse inputs' GPIO chip or simulated meters
  // (with those, a first start also configures a few demo pulse counters:
  // water, gas, an energy sub-meter). See apps/server/board.h.
  BoardOptions board;
  // The Ethernet interface behind the Link/Act LEDs.
  std::string net_interface = "eth0";
  // The pulse inputs; the data directory keeps their counts.
  PulseInputsOptions pulse;
  // The hardware variant written into the factory configuration on a first
  // start (a factory option; later starts keep the configured one).
  config::v1::ModelSize model_size = config::v1::MODEL_10;
  // NTP servers for this run: "config" (the configured ntp_servers), "off",
  // or a comma-separated list ("127.0.0.1:12345"). With "config" and a
  // loopback bind address (the demo, the tests) configured servers off the
  // loopback are not asked, so nothing leaves the machine.
  std::string ntp_servers = "config";
  // Recent log lines for GET /api/v1/system/logs (not owned; may be null).
  const RecentLogSink* logs = nullptr;
  // Stops the application for its service manager to start it again (a
  // restart asked through the API, a renewed or uploaded certificate). Null:
  // restart is not offered.
  std::function<void(const std::string& why)> request_restart;
  // How often the TLS certificates are checked for renewal.
  absl::Duration certificate_check_period = absl::Hours(6);
};

class EwsServer {
 public:
  // Loads the configuration (creating the factory one on first start), makes
  // sure a TLS certificate exists, and starts serving. Writes
  // `<data_dir>/run/ews-server.ready` with the bound ports once the listeners
  // accept connections. Errors: DataLoss (configuration and its last good copy
  // both unreadable), InvalidArgument (unusable configured certificate),
  // FailedPrecondition (port in use, data dir not writable).
  static absl::StatusOr<std::unique_ptr<EwsServer>> Start(
      const ServerOptions& options, Clock& clock);

  ~EwsServer();

  int https_port() const { return https_->https_port(); }
  int http_port() const { return https_->http_port(); }
  int modbus_port() const { return field_bus_->Get()->modbus_port(); }
  // -1 when FTP is off.
  int ftp_port() const {
    return data_access_ == nullptr ? -1 : data_access_->ftp_port();
  }
  const config::v1::DeviceConfig& config() const { return config_; }
  // Every API route the HTTPS server serves, as (method, path), sorted.
  std::vector<std::pair<std::string, std::string>> RegisteredRoutes() const {
    return https_->RegisteredRoutes();
  }

  // Stops serving and removes the ready file. Idempotent.
  void Stop();

 private:
  EwsServer(const ServerOptions& options, std::unique_ptr<Board> board,
            std::unique_ptr<DeviceClock> clock,
            std::unique_ptr<DeviceTime> time, config::v1::DeviceConfig config,
            devices::ProfileRegistry profiles);
  // Start()'s parts: the history store and its writer (history_open_error_
  // when it cannot be opened); NTP when servers are configured and reachable
  // (else returns why not).
  void StartHistory(absl::TimeZone zone);
  // The session, configuration, devices, live and history routes' objects,
  // wired to the field bus, pulse inputs and history.
  absl::Status CreateApis(absl::TimeZone zone);
  std::string StartNtp(const std::string& bind_address);
  // The front panel, the field bus and the pulse inputs, all feeding the
  // history writer.
  absl::Status StartFieldSide();
  // The reports, the HTTPS server `web` with every route, the data access
  // (FTPS, Modbus TCP) and, for the device's own certificate, its renewal.
  absl::Status StartServing(const http::ServerOptions& web,
                            absl::TimeZone zone);
  void AddRoutes();
  void CheckCertificatesPeriodically();
  http::Response Health() const;
  HistoryHealth GetHistoryHealth() const;
  // ConfigApi's listener: applies what can change without a restart and
  // returns those top-level fields.
  std::vector<std::string> ApplyLive(const config::v1::DeviceConfig& before,
                                     const std::vector<std::string>& changed);
  // The parts of ApplyLive() beside the field side; each returns whether the
  // new configuration `latest` took effect.
  bool RestartPulseInputs(const config::v1::DeviceConfig& latest,
                          const config::v1::DeviceConfig& before)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(apply_mutex_);
  // Pulse samples go to the live WebSocket.
  void ListenToPulses(PulseInputs& inputs);
  bool ApplyStorage(const config::v1::DeviceConfig& latest,
                    const config::v1::DeviceConfig& before);
  std::shared_ptr<PulseInputs> pulse_inputs() const {
    absl::MutexLock lock(&pulse_mutex_);
    return pulse_inputs_;
  }

  const ServerOptions options_;
  // Opens the hardware; outlives everything that uses it.
  const std::unique_ptr<Board> board_;
  const std::unique_ptr<DeviceClock> device_clock_;
  const std::unique_ptr<DeviceTime> device_time_;
  Clock& clock_;  // *device_clock_
  const config::v1::DeviceConfig config_;
  const absl::Duration started_at_;
  devices::ProfileRegistry profiles_;
  std::unique_ptr<HistoryIncidents> history_incidents_;
  std::unique_ptr<storage::Store> history_;  // null: history_open_error_
  absl::Status history_open_error_;
  // Commits the polls' samples to history_ (null when history_ is).
  std::unique_ptr<HistoryWriter> history_writer_;
  std::unique_ptr<FrontPanel> front_panel_;
  // Replaced when an applied configuration changes the field side.
  std::unique_ptr<LiveFieldBus> field_bus_;
  // Replaced when an applied configuration changes the pulse counters.
  mutable absl::Mutex pulse_mutex_;
  std::shared_ptr<PulseInputs> pulse_inputs_ ABSL_GUARDED_BY(pulse_mutex_);
  std::unique_ptr<SessionApi> session_api_;
  std::unique_ptr<config::ConfigStore> config_store_;
  std::unique_ptr<ConfigApi> config_api_;
  std::unique_ptr<DevicesApi> devices_api_;
  absl::Mutex apply_mutex_;  // one ApplyLive() at a time
  std::unique_ptr<HistoryApi> history_api_;
  std::unique_ptr<ntp::NtpSynchronizer> ntp_;
  std::unique_ptr<SystemApi> system_api_;
  std::unique_ptr<LiveApi> live_api_;
  // Renews the device certificate a month before it expires; a new one is
  // served after a graceful restart (civetweb 1.15 cannot reload it).
  security::DeviceIdentity identity_;
  std::string certificate_in_use_;
  absl::Notification stop_certificate_check_;
  std::thread certificate_check_;
  std::unique_ptr<ReportsService> reports_;  // null: no history
  std::unique_ptr<http::HttpsServer> https_;
  std::unique_ptr<DataAccess> data_access_;  // after https_: its routes
};

}  // namespace ews::server

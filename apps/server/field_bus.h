// The application's field side: the RS485 line and the IP gateways (one
// LineScheduler each), the Modbus TCP gateway server in front of them, one
// poller per line for the configured devices, and the history those polls feed.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "apps/server/board.h"
#include "apps/server/history_writer.h"
#include "sdk/acquisition/bus_scan.h"
#include "sdk/acquisition/poller.h"
#include "sdk/base/clock.h"
#include "sdk/config/config.pb.h"
#include "sdk/devices/profile_registry.h"
#include "sdk/hal/serial/serial_port.h"
#include "sdk/http/json.h"
#include "sdk/modbus/gateway_server.h"
#include "sdk/modbus/line_scheduler.h"

namespace ews::server {

struct FieldBusOverrides {
  // Serial device of the RS485 line for this run (the demo's virtual bus);
  // empty: config.
  std::string rs485_device;
  // Modbus TCP gateway port for this run: -2 = config, -1 = off, 0 = any free
  // port.
  int modbus_port = -2;
  // Address the gateway listens on; empty: all interfaces.
  std::string modbus_bind_address;
  // Devices of one line that pages may have polled fast at once (Watch):
  // each fast poll takes line time from the history polls and the gateway.
  int max_watched_per_line = 4;
};

class FieldBus {
 public:
  // Opens the lines and starts the gateway server and the pollers. A line that
  // cannot be opened (no RS485 adapter, a gateway that is down), the gateway
  // port that cannot be bound and a device with an unknown profile (not
  // polled: Misconfigured()) are logged and reported by DevicesJson(); the
  // rest runs. Errors: InvalidArgument (a bad route). The RS485 port comes
  // from `board`. `registry`, `history` (may be null: no history) and `board`
  // must outlive the FieldBus. `rs485_traffic` (may be empty) hears the RS485
  // port's bytes (the RX/TX LEDs).
  static absl::StatusOr<std::unique_ptr<FieldBus>> Start(
      const config::v1::DeviceConfig& config,
      const FieldBusOverrides& overrides, Clock& clock,
      const devices::ProfileRegistry& registry, HistoryWriter* history,
      Board& board, hal::SerialPort::TrafficListener rs485_traffic = nullptr);

  ~FieldBus();
  void Stop();

  // Finds and identifies the devices on our RS485 line. FailedPrecondition: no
  // line.
  absl::StatusOr<std::vector<acquisition::FoundDevice>> ScanRs485(
      int first_address, int last_address);

  // A configured Modbus device as the field bus reaches it.
  struct DeviceTarget {
    std::string id;
    std::string name;
    std::string line;  // "rs485" or the IP gateway's id
    int address = 0;
    const devices::v1::Profile* profile = nullptr;  // null: unknown profile
  };
  // NotFound: no configured device `id`.
  absl::StatusOr<DeviceTarget> FindDevice(const std::string& id) const;
  // The configured Modbus devices, by id.
  std::vector<DeviceTarget> Devices() const;
  // The scheduler of line `name` ("rs485" or an IP gateway's id), through
  // which the register test, commands and scans reach the line. NotFound: no
  // such line; FailedPrecondition: the line is not available (says why).
  absl::StatusOr<modbus::LineScheduler*> LineNamed(
      const std::string& name) const;
  // One device as DevicesJson() writes it, without its "link" unless
  // `with_link`. NotFound: no such device.
  absl::Status WriteDeviceJson(const std::string& id, bool with_link,
                               http::JsonWriter& json) const;

  // The latest poll of device `id` (nullopt: none yet).
  std::optional<acquisition::PollResult> Latest(const std::string& id) const;

  // Polls device `id` every `period` (every quantity, interactive priority)
  // for `duration` from now: a page is showing it (Poller::SetLive).
  // NotFound: no such polled device; FailedPrecondition: its line is not
  // available; ResourceExhausted: `max_watched_per_line` other devices of its
  // line are watched already (renewing a watched device is always allowed).
  absl::Status Watch(const std::string& id, absl::Duration period,
                     absl::Duration duration);

  // The bound Modbus TCP port, or -1 when the gateway is off.
  int modbus_port() const;

  // Devices that are configured but cannot be polled, with the reason: id ->
  // "unknown profile 'x'".
  std::map<std::string, std::string> Misconfigured() const;

  // {"lines":[...],"devices":[{"id":..,"online":..,"values":[...]}]} for the
  // UI. A value that is not a finite number is null with a "state" saying
  // why; a misconfigured device has "state":"misconfigured" and a "problem".
  // `more_lines` and `more_devices` (comma-separated JSON objects, may be
  // empty) are appended to the two lists: the pulse inputs' line and devices.
  std::string DevicesJson(absl::string_view more_lines = "",
                          absl::string_view more_devices = "") const;

  // Hears every poll's result with the device's profile (live values over
  // the WebSocket). Called on the pollers' threads; must not block.
  using PollListener = std::function<void(const acquisition::PollResult&,
                                          const devices::v1::Profile&)>;
  void SetPollListener(PollListener listener);

 private:
  struct Line {
    std::string name;                       // "rs485" or the IP gateway's id
    std::unique_ptr<hal::SerialPort> port;  // RS485 only
    std::unique_ptr<modbus::LineScheduler> scheduler;
    std::unique_ptr<acquisition::Poller> poller;
    absl::Status problem;  // why the line is not available
  };

  FieldBus(Clock& clock, const devices::ProfileRegistry& registry,
           HistoryWriter* history, int max_watched_per_line);
  absl::Status OpenLines(const config::v1::DeviceConfig& config,
                         const FieldBusOverrides& overrides, Board& board,
                         hal::SerialPort::TrafficListener rs485_traffic);
  absl::Status StartGateway(const config::v1::DeviceConfig& config,
                            const FieldBusOverrides& overrides);
  absl::Status StartPollers(const config::v1::DeviceConfig& config);
  void Record(const acquisition::PollResult& result);
  void WriteDeviceLocked(const std::string& device,
                         const std::string& line_name, bool with_link,
                         http::JsonWriter& json) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  Clock& clock_;
  const devices::ProfileRegistry& registry_;
  HistoryWriter* const history_;
  std::map<std::string, Line> lines_;
  std::unique_ptr<modbus::GatewayServer> gateway_;
  absl::Status gateway_problem_;  // why the gateway is not running

  mutable absl::Mutex mutex_;
  std::map<std::string, acquisition::PollResult> latest_
      ABSL_GUARDED_BY(mutex_);
  std::map<std::string, std::string> device_line_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, const devices::v1::Profile*> device_profile_
      ABSL_GUARDED_BY(mutex_);
  std::map<std::string, std::string> device_name_ ABSL_GUARDED_BY(mutex_);
  PollListener poll_listener_ ABSL_GUARDED_BY(mutex_);
  struct Misconfiguration {
    std::string profile;  // as configured
    std::string problem;  // why the device is not polled
  };
  // Devices whose profile is null in device_profile_.
  std::map<std::string, Misconfiguration> misconfigured_
      ABSL_GUARDED_BY(mutex_);
  // The unit id on its line (for the line's per-unit health).
  std::map<std::string, uint8_t> device_unit_ ABSL_GUARDED_BY(mutex_);
  const int max_watched_per_line_;
  // Device -> when its page's watch ends (monotonic).
  std::map<std::string, absl::Duration> watched_until_ ABSL_GUARDED_BY(mutex_);
};

// The commands `profile` declares, as "commands":[{"id":"open","name":"Open"},
// {"id":"set_current_limit","name":..,"argument":{"min":6,"max":32,
// "unit":"A"}},..] (+ "requires", "unconfirmed" where set); nothing when it
// declares none.
void WriteCommandsJson(const devices::v1::Profile& profile,
                       http::JsonWriter& json);
// A command's argument range: {"min":0,"max":32,"unit":"A"}.
void WriteCommandArgumentJson(const devices::v1::Command::Argument& argument,
                              http::JsonWriter& json);

// The line's view of one device's unit (its "link" in DevicesJson()):
// {"state":"online","requests":..,"answers":..,"exceptions":..,"timeouts":..,
// "crc_errors":..,"consecutive_misses":..,"absences":..,"probes":..,
// "fast_failed":..} (+ "absent_since" while absent).
void WriteLinkHealth(const modbus::DeviceHealth& health,
                     http::JsonWriter& json);

// The field bus in use, replaced as a whole when its part of the
// configuration changes (the RS485 line, the devices, the IP gateways, the
// Modbus TCP gateway): a gap of a poll instead of a restart of the box.
// Thread-safe; a caller keeps the FieldBus it got alive while it uses it
// (a replaced bus is stopped: its lines answer Unavailable).
class LiveFieldBus {
 public:
  // As FieldBus::Start; the arguments are kept for Reconfigure().
  static absl::StatusOr<std::unique_ptr<LiveFieldBus>> Start(
      const config::v1::DeviceConfig& config,
      const FieldBusOverrides& overrides, Clock& clock,
      const devices::ProfileRegistry& registry, HistoryWriter* history,
      Board& board, hal::SerialPort::TrafficListener rs485_traffic = nullptr);

  std::shared_ptr<FieldBus> Get() const ABSL_LOCKS_EXCLUDED(mutex_);

  // FieldBus::SetPollListener() on the current bus and on every bus that
  // replaces it.
  void SetPollListener(FieldBus::PollListener listener)
      ABSL_LOCKS_EXCLUDED(reconfigure_mutex_, mutex_);

  // Whether a change of DeviceConfig's top-level field `field` ("rs485",
  // "modbus_devices", "ip_gateways", "modbus_tcp_server") is applied by
  // Reconfigure().
  static bool Handles(absl::string_view field);

  // Stops the current bus and starts one on `config` (the port and the
  // gateway's socket are released first); nothing happens when the fields
  // Handles() names are those running. If the new bus cannot start, starts
  // one on the configuration that ran and returns the error.
  absl::Status Reconfigure(const config::v1::DeviceConfig& config)
      ABSL_LOCKS_EXCLUDED(reconfigure_mutex_, mutex_);

 private:
  LiveFieldBus(const FieldBusOverrides& overrides, Clock& clock,
               const devices::ProfileRegistry& registry, HistoryWriter* history,
               Board& board, hal::SerialPort::TrafficListener rs485_traffic)
      : overrides_(overrides),
        clock_(clock),
        registry_(registry),
        history_(history),
        board_(board),
        rs485_traffic_(std::move(rs485_traffic)) {}
  absl::StatusOr<std::unique_ptr<FieldBus>> StartBus(
      const config::v1::DeviceConfig& config);

  const FieldBusOverrides overrides_;
  Clock& clock_;
  const devices::ProfileRegistry& registry_;
  HistoryWriter* const history_;
  Board& board_;
  const hal::SerialPort::TrafficListener rs485_traffic_;
  absl::Mutex reconfigure_mutex_;  // one Reconfigure() at a time
  config::v1::DeviceConfig running_ ABSL_GUARDED_BY(reconfigure_mutex_);
  FieldBus::PollListener poll_listener_ ABSL_GUARDED_BY(reconfigure_mutex_);
  mutable absl::Mutex mutex_;
  std::shared_ptr<FieldBus> bus_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::server

// The application's field side: the RS485 line and the IP gateways (one
// LineScheduler each), the Modbus TCP gateway server in front of them, one
// poller per line for the configured devices, and the history those polls feed.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "apps/server/history_writer.h"
#include "sdk/acquisition/bus_scan.h"
#include "sdk/acquisition/poller.h"
#include "sdk/base/clock.h"
#include "sdk/config/config.pb.h"
#include "sdk/devices/profile_registry.h"
#include "sdk/hal/serial/serial_port.h"
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
};

class FieldBus {
 public:
  // Opens the lines and starts the gateway server and the pollers. A line that
  // cannot be opened (no RS485 adapter, a gateway that is down), the gateway
  // port that cannot be bound and a device with an unknown profile (not
  // polled: Misconfigured()) are logged and reported by DevicesJson(); the
  // rest runs. Errors: InvalidArgument (a bad route). `registry` and `history`
  // (may be null: no history) must outlive the FieldBus. `rs485_traffic` (may
  // be empty) hears the RS485 port's bytes (the RX/TX LEDs).
  static absl::StatusOr<std::unique_ptr<FieldBus>> Start(
      const config::v1::DeviceConfig& config,
      const FieldBusOverrides& overrides, Clock& clock,
      const devices::ProfileRegistry& registry, HistoryWriter* history,
      hal::SerialPort::TrafficListener rs485_traffic = nullptr);

  ~FieldBus();
  void Stop();

  // Finds and identifies the devices on our RS485 line. FailedPrecondition: no
  // line.
  absl::StatusOr<std::vector<acquisition::FoundDevice>> ScanRs485(
      int first_address, int last_address);

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
           HistoryWriter* history);
  absl::Status OpenLines(const config::v1::DeviceConfig& config,
                         const FieldBusOverrides& overrides,
                         hal::SerialPort::TrafficListener rs485_traffic);
  absl::Status StartGateway(const config::v1::DeviceConfig& config,
                            const FieldBusOverrides& overrides);
  absl::Status StartPollers(const config::v1::DeviceConfig& config);
  void Record(const acquisition::PollResult& result);

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
};

}  // namespace ews::server

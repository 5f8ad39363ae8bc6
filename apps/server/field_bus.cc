#include "apps/server/field_bus.h"

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "apps/server/history_writer.h"
#include "apps/server/version.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/config/diff.h"
#include "sdk/devices/codec.h"
#include "sdk/http/json.h"
#include "sdk/modbus/rtu_transport.h"
#include "sdk/modbus/tcp_transport.h"

namespace ews::server {
namespace {

using config::v1::DeviceConfig;

constexpr char kRs485[] = "rs485";

hal::SerialSettings SerialSettingsOf(const config::v1::Rs485Port& port) {
  hal::SerialSettings settings;
  settings.baud_rate = static_cast<int>(port.baud_rate());
  settings.parity =
      port.parity() == config::v1::PARITY_NONE  ? hal::Parity::kNone
      : port.parity() == config::v1::PARITY_ODD ? hal::Parity::kOdd
                                                : hal::Parity::kEven;
  settings.stop_bits = port.stop_bits() == config::v1::STOP_BITS_TWO ? 2 : 1;
  return settings;
}

// Storage keeps counters forever and everything else within a budget; settings
// read from a device (CT ratio) are not history.
std::optional<storage::SeriesKind> SeriesKindOf(devices::v1::Kind kind) {
  switch (kind) {
    case devices::v1::KIND_COUNTER:
      return storage::SeriesKind::kCounter;
    case devices::v1::KIND_INSTANTANEOUS:
    case devices::v1::KIND_STATISTIC:
      return storage::SeriesKind::kInstantaneous;
    case devices::v1::KIND_STATUS:
      return storage::SeriesKind::kStatus;
    default:
      return std::nullopt;
  }
}

// The register width at which a counter wraps (storage counts across the wrap).
int CounterBits(const devices::v1::Quantity* quantity) {
  if (quantity == nullptr) return 0;
  switch (quantity->type()) {
    case devices::v1::DATA_TYPE_U16:
    case devices::v1::DATA_TYPE_S16:
      return 16;
    case devices::v1::DATA_TYPE_U32:
    case devices::v1::DATA_TYPE_S32:
      return 32;
    default:
      return 0;  // u64 does not wrap in a product's life; float32 is no counter
  }
}

// The line's view of one unit, for /api/v1/devices: its state (online,
// missing, absent) and counters.
// The line's view of one unit (answers, misses, absent state), for the UI.

// 0 in the configuration means the default.
modbus::LineOptions AbsentOptions(modbus::LineOptions options,
                                  uint32_t absent_after_misses,
                                  uint32_t absent_probe_interval_s) {
  if (absent_after_misses != 0) {
    options.absent_after_misses = static_cast<int>(absent_after_misses);
  }
  if (absent_probe_interval_s != 0) {
    options.absent_probe_interval = absl::Seconds(absent_probe_interval_s);
  }
  return options;
}

// The rest of a device whose configuration could not be used: offline, with
// the problem and no values.
void WriteMisconfiguredJson(const std::string& profile,
                            const std::string& line_name,
                            const std::string& problem,
                            http::JsonWriter& json) {
  json.Key("profile")
      .String(profile)
      .Key("line")
      .String(line_name)
      .Key("online")
      .Bool(false)
      .Key("state")
      .String("misconfigured")
      .Key("problem")
      .String(problem)
      .Key("values")
      .BeginArray()
      .EndArray()
      .EndObject();
}

// A poll's values, named from `profile`.
void WriteSamplesJson(const devices::v1::Profile& profile,
                      const std::vector<acquisition::Sample>& samples,
                      http::JsonWriter& json) {
  json.BeginArray();
  for (const acquisition::Sample& sample : samples) {
    const devices::v1::Quantity* quantity =
        devices::FindQuantity(profile, sample.quantity_id);
    json.BeginObject()
        .Key("quantity")
        .String(sample.quantity_id)
        .Key("name")
        .String(quantity != nullptr ? quantity->name() : sample.quantity_id)
        .Key("value")
        .Number(sample.value);
    // A float register may hold NaN or infinity: the value is null and
    // its state says why.
    if (const char* why = http::NonFiniteState(sample.value)) {
      json.Key("state").String(why);
    }
    json.Key("unit").String(sample.unit);
    // No published table confirms the register (docs/devices/).
    if (quantity != nullptr && quantity->unconfirmed()) {
      json.Key("unconfirmed").Bool(true);
    }
    json.EndObject();
  }
  json.EndArray();
}

}  // namespace

void WriteCommandArgumentJson(const devices::v1::Command::Argument& argument,
                              http::JsonWriter& json) {
  json.BeginObject()
      .Key("min")
      .Number(argument.min())
      .Key("max")
      .Number(argument.max())
      .Key("unit")
      .String(argument.unit())
      .EndObject();
}

void WriteCommandsJson(const devices::v1::Profile& profile,
                       http::JsonWriter& json) {
  if (profile.commands().empty()) return;
  json.Key("commands").BeginArray();
  for (const devices::v1::Command& command : profile.commands()) {
    json.BeginObject()
        .Key("id")
        .String(command.id())
        .Key("name")
        .String(command.name());
    if (command.has_argument()) {
      json.Key("argument");
      WriteCommandArgumentJson(command.argument(), json);
    }
    if (!command.requires().empty()) {
      json.Key("requires").String(command.requires());
    }
    if (command.unconfirmed()) json.Key("unconfirmed").Bool(true);
    json.EndObject();
  }
  json.EndArray();
}

void WriteLinkHealth(const modbus::DeviceHealth& health,
                     http::JsonWriter& json) {
  json.BeginObject()
      .Key("state")
      .String(modbus::UnitStateName(health.state))
      .Key("requests")
      .Int(static_cast<int64_t>(health.requests))
      .Key("answers")
      .Int(static_cast<int64_t>(health.answers))
      .Key("exceptions")
      .Int(static_cast<int64_t>(health.exceptions))
      .Key("timeouts")
      .Int(static_cast<int64_t>(health.timeouts))
      .Key("crc_errors")
      .Int(static_cast<int64_t>(health.crc_errors))
      .Key("consecutive_misses")
      .Int(health.consecutive_misses)
      .Key("absences")
      .Int(static_cast<int64_t>(health.absences))
      .Key("probes")
      .Int(static_cast<int64_t>(health.probes))
      .Key("fast_failed")
      .Int(static_cast<int64_t>(health.fast_failed));
  if (health.state == modbus::UnitState::kAbsent) {
    json.Key("absent_since").Time(health.absent_since);
  }
  json.EndObject();
}

FieldBus::FieldBus(Clock& clock, const devices::ProfileRegistry& registry,
                   HistoryWriter* history, int max_watched_per_line)
    : clock_(clock),
      registry_(registry),
      history_(history),
      max_watched_per_line_(max_watched_per_line) {}

FieldBus::~FieldBus() { Stop(); }

absl::StatusOr<std::unique_ptr<FieldBus>> FieldBus::Start(
    const DeviceConfig& config, const FieldBusOverrides& overrides,
    Clock& clock, const devices::ProfileRegistry& registry,
    HistoryWriter* history, Board& board,
    hal::SerialPort::TrafficListener rs485_traffic) {
  std::unique_ptr<FieldBus> bus(
      new FieldBus(clock, registry, history, overrides.max_watched_per_line));
  EWS_RETURN_IF_ERROR(
      bus->OpenLines(config, overrides, board, std::move(rs485_traffic)));
  absl::Status gateway = bus->StartGateway(config, overrides);
  if (!gateway.ok()) {
    // The pages and the polling go on without the gateway: they are how it gets
    // fixed.
    EWS_LOG(ERROR) << "Modbus TCP gateway not started: " << gateway;
    bus->gateway_problem_ = gateway;
  }
  EWS_RETURN_IF_ERROR(bus->StartPollers(config));
  return bus;
}

absl::Status FieldBus::OpenLines(
    const DeviceConfig& config, const FieldBusOverrides& overrides,
    Board& board, hal::SerialPort::TrafficListener rs485_traffic) {
  // Our RS485 port. Without it the box still serves its pages and its IP
  // gateways.
  Line& rs485 = lines_[kRs485];
  rs485.name = kRs485;
  const std::string device = overrides.rs485_device.empty()
                                 ? config.rs485().device()
                                 : overrides.rs485_device;
  const hal::SerialSettings settings = SerialSettingsOf(config.rs485());
  absl::StatusOr<std::unique_ptr<hal::SerialPort>> port =
      board.OpenSerialPort(device, settings);
  if (port.ok()) {
    rs485.port = *std::move(port);
    if (rs485_traffic) rs485.port->SetTrafficListener(std::move(rs485_traffic));
    modbus::RtuOptions rtu;
    rtu.clock = &clock_;
    rtu.inter_frame_delay =
        absl::Milliseconds(config.rs485().inter_frame_delay_ms());
    EWS_ASSIGN_OR_RETURN(std::unique_ptr<modbus::RtuTransport> transport,
                         modbus::RtuTransport::Create(rs485.port.get(), rtu));
    modbus::LineOptions line;
    line.name = kRs485;
    line.response_timeout =
        absl::Milliseconds(config.rs485().response_timeout_ms());
    line.read_attempts = static_cast<int>(config.rs485().retries()) + 1;
    // Best effort (needs the privilege): the line's timing must not suffer from
    // a busy CPU.
    line.realtime_priority = 8;
    line = AbsentOptions(line, config.rs485().absent_after_misses(),
                         config.rs485().absent_probe_interval_s());
    rs485.scheduler =
        std::make_unique<modbus::LineScheduler>(std::move(transport), line);
    EWS_LOG(INFO) << "RS485 line on " << device << " at "
                  << settings.ToString();
  } else {
    rs485.problem = port.status();
    EWS_LOG(ERROR) << "RS485 line unavailable: " << port.status();
  }

  for (const config::v1::IpGateway& gateway : config.ip_gateways()) {
    Line& line = lines_[gateway.id()];
    line.name = gateway.id();
    modbus::TcpOptions tcp;
    tcp.host = gateway.host();
    tcp.port = static_cast<uint16_t>(gateway.port());
    if (gateway.protocol() == config::v1::GATEWAY_PROTOCOL_RTU_OVER_TCP) {
      tcp.framing = modbus::TcpOptions::Framing::kRtuOverTcp;
    }
    modbus::LineOptions options;
    options.name = gateway.id();
    options.response_timeout =
        absl::Milliseconds(gateway.response_timeout_ms());
    options = AbsentOptions(options, gateway.absent_after_misses(),
                            gateway.absent_probe_interval_s());
    line.scheduler = std::make_unique<modbus::LineScheduler>(
        std::make_unique<modbus::TcpTransport>(tcp), options);
    EWS_LOG(INFO) << "IP gateway " << gateway.id() << " at " << gateway.host()
                  << ":" << gateway.port();
  }
  return absl::OkStatus();
}

absl::Status FieldBus::StartGateway(const DeviceConfig& config,
                                    const FieldBusOverrides& overrides) {
  const auto& server = config.modbus_tcp_server();
  int port = overrides.modbus_port >= -1 ? overrides.modbus_port
                                         : static_cast<int>(server.port());
  if (overrides.modbus_port == -2 && !server.enabled()) port = -1;
  if (port < 0) return absl::OkStatus();

  modbus::GatewayOptions options;
  options.bind_address =
      !overrides.modbus_bind_address.empty() ? overrides.modbus_bind_address
      : !server.bind_address().empty()       ? server.bind_address()
                                             : "0.0.0.0";
  if (server.request_timeout_ms() != 0) {
    options.request_timeout = absl::Milliseconds(server.request_timeout_ms());
  }
  options.broadcast_reply = server.broadcast_reply();
  options.port = static_cast<uint16_t>(port);
  options.max_connections = static_cast<int>(server.max_connections());
  options.idle_timeout = absl::Seconds(server.idle_timeout_s());
  options.allow_list.assign(server.allowed_clients().begin(),
                            server.allowed_clients().end());
  options.identity.conformity_level = 0x01;
  options.identity.objects = {
      {0, "EWS"},
      {1, config.model_size() == config::v1::MODEL_32 ? "EWS-32" : "EWS-10"},
      {2, kVersion}};

  auto add_route = [&](uint32_t first, uint32_t last, int shift,
                       const std::string& line_name, bool read_only) {
    auto line = lines_.find(line_name);
    if (line == lines_.end() || line->second.scheduler == nullptr) {
      // The units stay unrouted: clients get exception 0x0A (path unavailable).
      EWS_LOG(WARNING) << "gateway units " << first << ".." << last << " -> "
                       << line_name << ": line unavailable";
      return;
    }
    modbus::GatewayRoute route;
    route.first_unit = static_cast<uint8_t>(first);
    route.last_unit = static_cast<uint8_t>(last);
    route.unit_shift = shift;
    route.target = line->second.scheduler.get();
    route.accepts_broadcast = line_name == kRs485;
    route.read_only = read_only;
    route.name = line_name;
    options.routes.push_back(route);
  };
  if (server.routes().empty()) {
    add_route(1, 247, 0, kRs485, /*read_only=*/false);
  }
  for (const config::v1::GatewayRoute& route : server.routes()) {
    add_route(route.first_unit(), route.last_unit(), route.unit_shift(),
              route.has_ip_gateway() ? route.ip_gateway().gateway_id()
                                     : std::string(kRs485),
              route.read_only());
  }
  EWS_ASSIGN_OR_RETURN(gateway_, modbus::GatewayServer::Start(options));
  EWS_LOG(INFO) << "Modbus TCP gateway on " << options.bind_address << ":"
                << gateway_->port() << " (" << options.routes.size()
                << " routes)";
  return absl::OkStatus();
}

absl::Status FieldBus::StartPollers(const DeviceConfig& config) {
  std::map<std::string, std::vector<acquisition::PolledDevice>> by_line;
  for (const config::v1::ModbusDevice& device : config.modbus_devices()) {
    const std::string line =
        device.has_ip_gateway() ? device.ip_gateway().gateway_id() : kRs485;
    const devices::v1::Profile* profile = registry_.Find(device.profile());
    {
      absl::MutexLock lock(&mutex_);
      device_line_[device.id()] = line;
      device_profile_[device.id()] = profile;
      device_name_[device.id()] = device.name();
      device_unit_[device.id()] = static_cast<uint8_t>(device.address());
    }
    if (profile == nullptr) {
      // The rest of the box runs; the pages show the device as misconfigured
      // and are how the configuration gets fixed.
      const std::string problem =
          absl::StrCat("unknown profile '", device.profile(), "'");
      EWS_LOG(ERROR) << "modbus device " << device.id() << ": " << problem
                     << ": not polled";
      absl::MutexLock lock(&mutex_);
      misconfigured_[device.id()] = {device.profile(), problem};
      continue;
    }
    acquisition::PolledDevice polled;
    polled.name = device.id();
    polled.address = static_cast<int>(device.address());
    polled.profile = profile;
    if (device.poll_interval_s() > 0) {
      polled.history_period = absl::Seconds(device.poll_interval_s());
    }
    by_line[line].push_back(polled);
  }
  for (auto& [line_name, devices] : by_line) {
    Line& line = lines_[line_name];
    if (line.scheduler == nullptr) continue;  // reported as the line's problem
    acquisition::PollerOptions options;
    options.clock = &clock_;
    options.align_to_wall_clock = true;
    std::vector<std::string> names;
    for (const acquisition::PolledDevice& device : devices) {
      names.push_back(device.name);
    }
    EWS_ASSIGN_OR_RETURN(
        line.poller,
        acquisition::Poller::Create(
            line.scheduler.get(), std::move(devices), options,
            [this](const acquisition::PollResult& result) { Record(result); }));
    EWS_RETURN_IF_ERROR(line.poller->Start());
    // History polls run on wall-clock minutes; poll every device at once too,
    // so that the pages show values right after a start instead of up to a
    // minute later.
    for (const std::string& name : names) {
      absl::Status live =
          line.poller->SetLive(name, absl::Seconds(5), absl::Seconds(20));
      if (!live.ok())
        EWS_LOG(WARNING) << "live poll of " << name << ": " << live;
    }
    EWS_LOG(INFO) << "polling " << names.size() << " device(s) on "
                  << line_name;
  }
  return absl::OkStatus();
}

void FieldBus::SetPollListener(PollListener listener) {
  absl::MutexLock lock(&mutex_);
  poll_listener_ = std::move(listener);
}

void FieldBus::Record(const acquisition::PollResult& result) {
  PollListener listener;
  const devices::v1::Profile* profile = nullptr;
  {
    absl::MutexLock lock(&mutex_);
    listener = poll_listener_;
    auto it = device_profile_.find(result.device);
    if (it != device_profile_.end()) profile = it->second;
  }
  if (listener && profile != nullptr) listener(result, *profile);
  absl::MutexLock lock(&mutex_);
  if (!result.status.ok() && latest_.count(result.device) != 0) {
    // Keep the last good values; only the state changes.
    latest_[result.device].status = result.status;
  } else {
    latest_[result.device] = result;
  }
  if (history_ == nullptr || !result.history || !result.status.ok()) return;

  // Buffered: the history writer commits the whole poll round at once.

  for (const acquisition::Sample& sample : result.samples) {
    std::optional<storage::SeriesKind> kind = SeriesKindOf(sample.kind);
    // A float register holding NaN or infinity is no measurement: the pages
    // show why, the history has a gap.
    if (!kind || !std::isfinite(sample.value)) continue;
    storage::SeriesSpec spec;
    spec.device_id = result.device;
    spec.quantity_id = sample.quantity_id;
    spec.kind = *kind;
    spec.unit = sample.unit;
    spec.scale = sample.scale;
    if (*kind == storage::SeriesKind::kCounter) {
      spec.counter_bits = CounterBits(devices::FindQuantity(
          *device_profile_.at(result.device), sample.quantity_id));
    }
    const int64_t sign = sample.negative ? -1 : 1;
    if (sample.raw.kind == devices::RawValue::Kind::kFloat) {
      history_->AppendValue(spec, result.time, sample.value);
    } else {
      history_->AppendRaw(
          spec, result.time,
          sign * (sample.raw.kind == devices::RawValue::Kind::kSigned
                      ? sample.raw.s
                      : static_cast<int64_t>(sample.raw.u)));
    }
  }
}

absl::StatusOr<std::vector<acquisition::FoundDevice>> FieldBus::ScanRs485(
    int first_address, int last_address) {
  Line& line = lines_[kRs485];
  if (line.scheduler == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("no RS485 line: ", line.problem.message()));
  }
  acquisition::ScanOptions options;
  options.first_address = first_address;
  options.last_address = last_address;
  return acquisition::ScanBus(*line.scheduler, registry_, options);
}

absl::StatusOr<FieldBus::DeviceTarget> FieldBus::FindDevice(
    const std::string& id) const {
  absl::MutexLock lock(&mutex_);
  auto line = device_line_.find(id);
  if (line == device_line_.end()) {
    return absl::NotFoundError(absl::StrCat("no device \"", id, "\""));
  }
  return DeviceTarget{id, device_name_.at(id), line->second,
                      device_unit_.at(id), device_profile_.at(id)};
}

std::vector<FieldBus::DeviceTarget> FieldBus::Devices() const {
  std::vector<DeviceTarget> devices;
  absl::MutexLock lock(&mutex_);
  for (const auto& [id, line] : device_line_) {
    devices.push_back({id, device_name_.at(id), line, device_unit_.at(id),
                       device_profile_.at(id)});
  }
  return devices;
}

absl::StatusOr<modbus::LineScheduler*> FieldBus::LineNamed(
    const std::string& name) const {
  // lines_ does not change after Start().
  auto line = lines_.find(name);
  if (line == lines_.end()) {
    return absl::NotFoundError(
        absl::StrCat("no line \"", name, "\" (rs485 or an IP gateway id)"));
  }
  if (line->second.scheduler == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "line ", name, " is not available: ", line->second.problem.message()));
  }
  return line->second.scheduler.get();
}

std::optional<acquisition::PollResult> FieldBus::Latest(
    const std::string& id) const {
  absl::MutexLock lock(&mutex_);
  auto latest = latest_.find(id);
  if (latest == latest_.end()) return std::nullopt;
  return latest->second;
}

absl::Status FieldBus::Watch(const std::string& id, absl::Duration period,
                             absl::Duration duration) {
  std::string line_name;
  {
    absl::MutexLock lock(&mutex_);
    auto line = device_line_.find(id);
    if (line == device_line_.end() || misconfigured_.count(id) > 0) {
      return absl::NotFoundError(absl::StrCat("no polled device \"", id, "\""));
    }
    line_name = line->second;
  }
  auto line = lines_.find(line_name);
  if (line == lines_.end() || line->second.poller == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("the line ", line_name, " of ", id, " is not available"));
  }
  {
    absl::MutexLock lock(&mutex_);
    const absl::Duration now = clock_.MonotonicNow();
    int others = 0;
    for (auto it = watched_until_.begin(); it != watched_until_.end();) {
      if (it->second <= now) {
        it = watched_until_.erase(it);
        continue;
      }
      auto watched_line = device_line_.find(it->first);
      if (it->first != id && watched_line != device_line_.end() &&
          watched_line->second == line_name) {
        ++others;
      }
      ++it;
    }
    if (watched_until_.count(id) == 0 && others >= max_watched_per_line_) {
      return absl::ResourceExhaustedError(
          absl::StrCat(others, " devices of the line ", line_name,
                       " are watched already (at most ", max_watched_per_line_,
                       "): close a page that shows one"));
    }
    watched_until_[id] = now + duration;
  }
  return line->second.poller->SetLive(id, period, duration);
}

int FieldBus::modbus_port() const {
  return gateway_ != nullptr ? gateway_->port() : -1;
}

void FieldBus::Stop() {
  for (auto& [name, line] : lines_) {
    if (line.poller) line.poller->Stop();
  }
  if (gateway_) gateway_->Stop();
  for (auto& [name, line] : lines_) {
    if (line.scheduler) line.scheduler->Stop();
  }
}

std::map<std::string, std::string> FieldBus::Misconfigured() const {
  absl::MutexLock lock(&mutex_);
  std::map<std::string, std::string> problems;
  for (const auto& [id, misconfiguration] : misconfigured_) {
    problems[id] = misconfiguration.problem;
  }
  return problems;
}

std::string FieldBus::DevicesJson(absl::string_view more_lines,
                                  absl::string_view more_devices) const {
  http::JsonWriter json;
  json.BeginObject().Key("lines").BeginArray();
  for (const auto& [name, line] : lines_) {
    json.BeginObject()
        .Key("name")
        .String(name)
        .Key("available")
        .Bool(line.scheduler != nullptr);
    if (!line.problem.ok()) json.Key("problem").String(line.problem.message());
    json.EndObject();
  }
  json.Raw(more_lines).EndArray().Key("gateway").BeginObject();
  if (gateway_ != nullptr) {
    json.Key("port").Int(gateway_->port());
  } else if (!gateway_problem_.ok()) {
    json.Key("problem").String(gateway_problem_.message());
  } else {
    json.Key("disabled").Bool(true);
  }
  json.EndObject().Key("devices").BeginArray();
  absl::MutexLock lock(&mutex_);
  for (const auto& [device, line_name] : device_line_) {
    WriteDeviceLocked(device, line_name, /*with_link=*/true, json);
  }
  json.Raw(more_devices).EndArray().EndObject();
  return json.Take();
}

void FieldBus::WriteDeviceLocked(const std::string& device,
                                 const std::string& line_name, bool with_link,
                                 http::JsonWriter& json) const {
  const devices::v1::Profile* profile = device_profile_.at(device);
  json.BeginObject().Key("id").String(device).Key("name").String(
      device_name_.at(device));
  auto misconfigured = misconfigured_.find(device);
  if (misconfigured != misconfigured_.end()) {
    WriteMisconfiguredJson(misconfigured->second.profile, line_name,
                           misconfigured->second.problem, json);
    return;
  }
  json.Key("profile").String(profile->id()).Key("line").String(line_name);
  // The commands, the address and the link: last in the object, so that the
  // fields above keep their order for readers that grep.
  auto write_link = [&] {
    WriteCommandsJson(*profile, json);
    json.Key("address").Int(device_unit_.at(device));
    auto line = lines_.find(line_name);
    if (!with_link || line == lines_.end() ||
        line->second.scheduler == nullptr) {
      return;
    }
    json.Key("link");
    WriteLinkHealth(line->second.scheduler->HealthOf(device_unit_.at(device)),
                    json);
  };
  auto latest = latest_.find(device);
  if (latest == latest_.end()) {
    json.Key("online")
        .Bool(false)
        .Key("state")
        .String("not polled yet")
        .Key("values")
        .BeginArray()
        .EndArray();
    write_link();
    json.EndObject();
    return;
  }
  const acquisition::PollResult& result = latest->second;
  json.Key("online")
      .Bool(result.status.ok())
      .Key("state")
      .String(result.status.ok() ? "ok" : result.status.message())
      .Key("time")
      .Time(result.time)
      .Key("values");
  WriteSamplesJson(*profile, result.samples, json);
  write_link();
  json.EndObject();
}

absl::Status FieldBus::WriteDeviceJson(const std::string& id, bool with_link,
                                       http::JsonWriter& json) const {
  absl::MutexLock lock(&mutex_);
  auto line = device_line_.find(id);
  if (line == device_line_.end()) {
    return absl::NotFoundError(absl::StrCat("no device \"", id, "\""));
  }
  WriteDeviceLocked(id, line->second, with_link, json);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LiveFieldBus>> LiveFieldBus::Start(
    const DeviceConfig& config, const FieldBusOverrides& overrides,
    Clock& clock, const devices::ProfileRegistry& registry,
    HistoryWriter* history, Board& board,
    hal::SerialPort::TrafficListener rs485_traffic) {
  std::unique_ptr<LiveFieldBus> live(new LiveFieldBus(
      overrides, clock, registry, history, board, std::move(rs485_traffic)));
  EWS_ASSIGN_OR_RETURN(std::unique_ptr<FieldBus> bus, live->StartBus(config));
  live->bus_ = std::move(bus);
  absl::MutexLock lock(&live->reconfigure_mutex_);
  live->running_ = config;
  return live;
}

absl::StatusOr<std::unique_ptr<FieldBus>> LiveFieldBus::StartBus(
    const DeviceConfig& config) {
  return FieldBus::Start(config, overrides_, clock_, registry_, history_,
                         board_, rs485_traffic_);
}

std::shared_ptr<FieldBus> LiveFieldBus::Get() const {
  absl::MutexLock lock(&mutex_);
  return bus_;
}

void LiveFieldBus::SetPollListener(FieldBus::PollListener listener) {
  absl::MutexLock reconfigure(&reconfigure_mutex_);
  poll_listener_ = listener;
  Get()->SetPollListener(std::move(listener));
}

bool LiveFieldBus::Handles(absl::string_view field) {
  return field == "rs485" || field == "modbus_devices" ||
         field == "ip_gateways" || field == "modbus_tcp_server";
}

absl::Status LiveFieldBus::Reconfigure(const DeviceConfig& config) {
  absl::MutexLock reconfigure(&reconfigure_mutex_);
  bool changed = false;
  for (const std::string& field : config::ChangedSections(running_, config)) {
    changed = changed || Handles(field) || field == "model_size";
  }
  if (!changed) return absl::OkStatus();
  Get()->Stop();  // frees the serial port and the gateway's socket
  absl::StatusOr<std::unique_ptr<FieldBus>> fresh = StartBus(config);
  absl::Status result = fresh.status();
  if (fresh.ok()) {
    EWS_LOG(INFO) << "field bus reconfigured";
    running_ = config;
  } else {
    EWS_LOG(ERROR) << "field bus not reconfigured, back to the running "
                      "configuration: "
                   << fresh.status();
    fresh = StartBus(running_);
    if (!fresh.ok()) {
      EWS_LOG(ERROR) << "field bus down until the next start: "
                     << fresh.status();
      return result;
    }
  }
  std::shared_ptr<FieldBus> fresh_bus(*std::move(fresh));
  if (poll_listener_) fresh_bus->SetPollListener(poll_listener_);
  absl::MutexLock lock(&mutex_);
  bus_ = std::move(fresh_bus);
  return result;
}

}  // namespace ews::server

#include "sdk/acquisition/bus_scan.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sdk/devices/codec.h"
#include "sdk/modbus/exception.h"

namespace ews::acquisition {

namespace v1 = ::ews::devices::v1;

namespace {

// Silence, or a unit the line knows to be absent (it missed its last
// requests; LineScheduler answers at once until its next probe).
bool NoAnswer(const absl::Status& status) {
  return (absl::IsDeadlineExceeded(status) &&
          !modbus::ModbusExceptionCode(status).has_value()) ||
         modbus::IsUnitAbsent(status);
}

// Someone answered (an exception, or a corrupt frame from a device).
bool Answered(const absl::Status& status) {
  return modbus::ModbusExceptionCode(status).has_value() ||
         absl::IsDataLoss(status);
}

bool UsesDeviceIdentification(const devices::ProfileRegistry& registry) {
  for (const v1::Profile* profile : registry.profiles()) {
    if (profile->identification().has_device_identification()) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<FoundDevice> IdentifyDevice(
    modbus::Client& client, const devices::ProfileRegistry& registry,
    int address, const modbus::CallOptions& call_options) {
  const uint8_t unit = static_cast<uint8_t>(address);
  FoundDevice found;
  found.address = address;
  bool answered = false;
  for (const devices::ModelProbe& probe : registry.ModelProbes()) {
    const int count = devices::RegisterCount(probe.type);
    absl::StatusOr<std::vector<uint16_t>> words;
    // A garbled answer means someone is there: ask again (twice at most);
    // silence is never retried.
    for (int attempt = 0; attempt < 3; ++attempt) {
      words = probe.table == v1::TABLE_INPUT_REGISTERS
                  ? client.ReadInputRegisters(unit, probe.address, count,
                                              call_options)
                  : client.ReadHoldingRegisters(unit, probe.address, count,
                                                call_options);
      if (!absl::IsDataLoss(words.status())) break;
    }
    if (!words.ok()) {
      if (NoAnswer(words.status())) {
        if (!answered) return absl::NotFoundError("no answer");
        continue;
      }
      if (!Answered(words.status())) return words.status();  // the line's
      answered = true;  // an exception or a garbled answer: someone is there
      if (found.evidence.empty()) {
        found.evidence = absl::StrCat("answered: ", words.status().message());
      }
      continue;
    }
    answered = true;
    absl::StatusOr<devices::RawValue> value =
        devices::DecodeRegisters(*words, probe.type, v1::WORD_ORDER_ABCD);
    if (!value.ok()) continue;
    found.evidence =
        absl::StrFormat("model register 0x%04X = %d", probe.address, value->u);
    if (const v1::Profile* profile =
            registry.IdentifyByModel(probe, value->u)) {
      found.profile = profile;
      return found;
    }
  }
  if (UsesDeviceIdentification(registry)) {
    absl::StatusOr<modbus::DeviceIdentification> id =
        client.ReadDeviceIdentification(unit, modbus::DeviceIdCode::kBasic, 0,
                                        call_options);
    if (id.ok()) {
      answered = true;
      const std::string vendor = id->objects.count(0) ? id->objects.at(0) : "";
      const std::string product = id->objects.count(1) ? id->objects.at(1) : "";
      found.evidence =
          absl::StrCat("device identification '", vendor, "' '", product, "'");
      found.profile = registry.IdentifyByDeviceId(vendor, product);
      return found;
    }
    if (Answered(id.status())) answered = true;
  }
  if (!answered) return absl::NotFoundError("no answer");
  return found;
}

absl::StatusOr<std::vector<FoundDevice>> ScanBus(
    modbus::Client& client, const devices::ProfileRegistry& registry,
    const ScanOptions& options,
    const std::function<void(const ScanProgress&)>& progress,
    const std::atomic<bool>* cancel) {
  if (options.first_address < 1 || options.last_address > 247 ||
      options.first_address > options.last_address) {
    return absl::InvalidArgumentError(
        absl::StrCat("scan range must lie in 1..247, got ",
                     options.first_address, "..", options.last_address));
  }
  modbus::CallOptions call_options;
  call_options.priority = options.priority;
  call_options.timeout = options.probe_timeout;
  call_options.max_attempts = 1;
  ScanProgress state;
  state.total = options.last_address - options.first_address + 1;
  std::vector<FoundDevice> found;
  for (int address = options.first_address; address <= options.last_address;
       ++address) {
    if (cancel != nullptr && cancel->load()) {
      return absl::CancelledError(
          absl::StrCat("scan cancelled at address ", address));
    }
    absl::StatusOr<FoundDevice> device =
        IdentifyDevice(client, registry, address, call_options);
    if (device.ok()) {
      found.push_back(*device);
    } else if (!absl::IsNotFound(device.status())) {
      return device.status();
    }
    state.address = address;
    ++state.done;
    state.found = static_cast<int>(found.size());
    if (progress) progress(state);
  }
  return found;
}

}  // namespace ews::acquisition

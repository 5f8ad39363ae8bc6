#include "sdk/acquisition/bus_scan.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sdk/devices/codec.h"
#include "sdk/modbus/exception.h"

namespace ews::acquisition {

namespace v1 = ::ews::devices::v1;

namespace {

// Exception 0x0A (path unavailable) or 0x0B (target failed to respond):
// a Modbus TCP gateway in front of the line speaking for a silent address.
bool GatewaySaysNobody(const absl::Status& status) {
  const std::optional<uint8_t> code = modbus::ModbusExceptionCode(status);
  return code == static_cast<uint8_t>(
                     modbus::ExceptionCode::kGatewayPathUnavailable) ||
         code == static_cast<uint8_t>(
                     modbus::ExceptionCode::kGatewayTargetFailedToRespond);
}

// Silence, or a unit the line knows to be absent (it missed its last
// requests; LineScheduler answers at once until its next probe), or a
// gateway saying nobody answered behind it.
bool NoAnswer(const absl::Status& status) {
  return (absl::IsDeadlineExceeded(status) &&
          !modbus::ModbusExceptionCode(status).has_value()) ||
         modbus::IsUnitAbsent(status) || GatewaySaysNobody(status);
}

// Someone answered (an exception from the device, or a corrupt frame).
bool Answered(const absl::Status& status) {
  return (modbus::ModbusExceptionCode(status).has_value() &&
          !GatewaySaysNobody(status)) ||
         absl::IsDataLoss(status);
}

bool UsesDeviceIdentification(const devices::ProfileRegistry& registry) {
  for (const v1::Profile* profile : registry.profiles()) {
    if (profile->identification().has_device_identification()) return true;
  }
  return false;
}

// Asks for the device identification objects (function 43/14, basic) and
// records what came back. Whether the device answered at all.
bool ReadDeviceIdentification(modbus::Client& client, uint8_t unit,
                              const modbus::CallOptions& call_options,
                              RawIdentification& raw) {
  absl::StatusOr<modbus::DeviceIdentification> id =
      client.ReadDeviceIdentification(unit, modbus::DeviceIdCode::kBasic, 0,
                                      call_options);
  if (!id.ok()) return Answered(id.status());
  for (const auto& [object, text] : id->objects) {
    raw.device_identification[object] = text;
  }
  return true;
}

void SetEmsLocation(FoundDevice& found) {
  if (found.profile == nullptr ||
      found.profile->family() != v1::FAMILY_ENERGY_MANAGEMENT ||
      found.profile->ems().scheme() == v1::EmsAddressing::SCHEME_REMOTE) {
    return;
  }
  found.ems = devices::EmsLocationOf(found.address);
  if (found.ems) {
    absl::StrAppend(&found.evidence, "; EMS CX3 interface ",
                    found.ems->interface, " module ", found.ems->module);
  }
}

}  // namespace

std::string RawIdentification::ToString() const {
  std::string out;
  for (const ModelRegister& reg : model_registers) {
    absl::StrAppend(&out, out.empty() ? "" : "; ",
                    absl::StrFormat("model register 0x%04X = %d (0x%X)",
                                    reg.address, reg.value, reg.value));
  }
  absl::StrAppend(&out, out.empty() ? "" : "; ", "device identification: ");
  if (device_identification.empty()) {
    absl::StrAppend(&out, "none");
  } else {
    bool first = true;
    for (const auto& [object, text] : device_identification) {
      absl::StrAppend(&out, first ? "" : ", ", object, "='", text, "'");
      first = false;
    }
  }
  return out;
}

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
    found.raw.model_registers.push_back({probe.address, probe.table, value->u});
    found.evidence =
        absl::StrFormat("model register 0x%04X = %d", probe.address, value->u);
    if (const v1::Profile* profile =
            registry.IdentifyByModel(probe, value->u)) {
      found.profile = profile;
      SetEmsLocation(found);
      return found;
    }
  }
  // No model register matched. Device identification identifies a device
  // for the profiles that use it; for the others it is asked only of a
  // device that answered, to report its raw identification.
  if (!answered && !UsesDeviceIdentification(registry)) {
    return absl::NotFoundError("no answer");
  }
  if (ReadDeviceIdentification(client, unit, call_options, found.raw)) {
    answered = true;
    const auto& objects = found.raw.device_identification;
    if (!objects.empty()) {
      const std::string vendor = objects.count(0) ? objects.at(0) : "";
      const std::string product = objects.count(1) ? objects.at(1) : "";
      found.profile = registry.IdentifyByDeviceId(vendor, product);
      if (found.profile != nullptr) {
        found.evidence = absl::StrCat("device identification '", vendor, "' '",
                                      product, "'");
        SetEmsLocation(found);
        return found;
      }
    }
  }
  if (!answered) return absl::NotFoundError("no answer");
  found.evidence = found.raw.ToString();
  return found;
}

absl::StatusOr<std::vector<FoundDevice>> ScanBus(
    modbus::Client& client, const devices::ProfileRegistry& registry,
    const ScanOptions& options,
    const std::function<void(const ScanProgress&)>& progress,
    const std::atomic<bool>* cancel) {
  std::vector<int> addresses = options.addresses;
  if (addresses.empty()) {
    if (options.first_address < 1 || options.last_address > 247 ||
        options.first_address > options.last_address) {
      return absl::InvalidArgumentError(
          absl::StrCat("scan range must lie in 1..247, got ",
                       options.first_address, "..", options.last_address));
    }
    for (int a = options.first_address; a <= options.last_address; ++a) {
      addresses.push_back(a);
    }
  }
  for (int a : addresses) {
    if (a < 1 || a > 247) {
      return absl::InvalidArgumentError(
          absl::StrCat("scan address must lie in 1..247, got ", a));
    }
  }
  modbus::CallOptions call_options;
  call_options.priority = options.priority;
  call_options.timeout = options.probe_timeout;
  call_options.max_attempts = 1;
  ScanProgress state;
  state.total = static_cast<int>(addresses.size());
  std::vector<FoundDevice> found;
  for (int address : addresses) {
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

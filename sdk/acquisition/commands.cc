#include "sdk/acquisition/commands.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "sdk/devices/codec.h"

namespace ews::acquisition {

namespace v1 = ::ews::devices::v1;

absl::Status ExecuteCommand(modbus::Client& client, const v1::Profile& profile,
                            int address, absl::string_view command_id,
                            std::optional<double> argument,
                            modbus::CallOptions options) {
  if (address < 1 || address > 247) {
    return absl::InvalidArgumentError(
        absl::StrCat("address must be 1..247, got ", address));
  }
  const v1::Command* command = nullptr;
  for (const v1::Command& c : profile.commands()) {
    if (c.id() == command_id) command = &c;
  }
  if (command == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "profile '", profile.id(), "' has no command '", command_id, "'"));
  }
  const std::string where = absl::StrCat("command '", command_id, "': ");
  devices::RawValue raw;
  if (command->has_argument()) {
    const auto& spec = command->argument();
    if (!argument.has_value()) {
      return absl::InvalidArgumentError(where + "needs a value");
    }
    if (*argument < spec.min() || *argument > spec.max()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, *argument, " ", spec.unit(), " is outside ",
                       spec.min(), "..", spec.max()));
    }
    absl::StatusOr<devices::RawValue> scaled = devices::RawFromScaled(
        *argument, spec.has_scale() ? spec.scale() : 1.0, 0, command->type());
    if (!scaled.ok()) {
      return absl::InvalidArgumentError(where +
                                        std::string(scaled.status().message()));
    }
    raw = *scaled;
  } else {
    if (argument.has_value()) {
      return absl::InvalidArgumentError(where + "takes no value");
    }
    raw = devices::IsSignedType(command->type())
              ? devices::RawValue::Signed(
                    static_cast<int64_t>(command->fixed_value()))
              : devices::RawValue::Unsigned(command->fixed_value());
  }
  const uint8_t unit = static_cast<uint8_t>(address);
  const uint16_t register_address = static_cast<uint16_t>(command->address());
  if (command->function() == v1::WRITE_FUNCTION_SINGLE_COIL) {
    return client.WriteSingleCoil(unit, register_address, raw.u != 0, options);
  }
  std::vector<uint16_t> words(devices::RegisterCount(command->type()));
  absl::Status encoded = devices::EncodeRegisters(
      raw, command->type(), profile.word_order(), absl::MakeSpan(words));
  if (!encoded.ok()) {
    return absl::InvalidArgumentError(where + std::string(encoded.message()));
  }
  if (command->function() == v1::WRITE_FUNCTION_SINGLE_REGISTER) {
    return client.WriteSingleRegister(unit, register_address, words[0],
                                      options);
  }
  return client.WriteMultipleRegisters(unit, register_address, words, options);
}

}  // namespace ews::acquisition

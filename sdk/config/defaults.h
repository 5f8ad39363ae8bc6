// The factory configuration (the reference product's defaults).
//
//   DefaultConfigOptions options;
//   options.model_size = v1::MODEL_32;  // read from the board
//   EWS_ASSIGN_OR_RETURN(v1::DeviceConfig config, DefaultConfig(options));
//
// The four users get the factory PIN/PUK codes, hashed with fresh salts each
// time DefaultConfig() runs (on first start): no hash is committed anywhere.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sdk/config/config.pb.h"
#include "sdk/security/credentials.h"

namespace ews::config {

// The factory codes of the four user types (F9). PUKs in display form.
struct FactoryCode {
  v1::Role role;
  absl::string_view pin;
  absl::string_view puk;
};
inline constexpr FactoryCode kFactoryCodes[] = {
    {v1::ROLE_ADMINISTRATOR, "99999", "00000 9999 00000"},
    {v1::ROLE_GREENUP, "88888", "00000 8888 00000"},
    {v1::ROLE_INSTALLER, "55555", "00000 5555 00000"},
    {v1::ROLE_USER, "11111", "00000 1111 00000"},
};

struct DefaultConfigOptions {
  // The hardware variant; the app reads it from the board.
  v1::ModelSize model_size = v1::MODEL_10;
  // Written into site.serial (empty or 1..32 of [A-Za-z0-9-]).
  std::string serial;
  // PBKDF2 iterations for the factory codes.
  uint32_t hash_iterations = security::kDefaultIterations;
};

// Everything except the users, as written in the factory text
// (kFactoryConfigText). Does not validate (it has no users).
v1::DeviceConfig FactorySettingsWithoutUsers();

// The factory configuration; it passes Validate().
// Errors: InvalidArgument for bad options; Internal if hashing fails.
absl::StatusOr<v1::DeviceConfig> DefaultConfig(
    const DefaultConfigOptions& options = {});

// Whether the user with `role` still has its factory PIN or PUK (the UI asks
// for a change). Costs two code verifications (about 0.1 s on the device).
// False if there is no such user.
bool HasFactoryCodes(const v1::DeviceConfig& config, v1::Role role);

// The factory settings in protobuf text format (no users).
extern const char kFactoryConfigText[];

}  // namespace ews::config

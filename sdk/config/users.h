// Users in the configuration: conversion between the stored HashedCode and
// sdk/security's CodeHash, lookup by role, and code checks.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sdk/config/config.pb.h"
#include "sdk/security/credentials.h"

namespace ews::config {

v1::HashedCode ToHashedCode(const security::CodeHash& hash);
security::CodeHash ToCodeHash(const v1::HashedCode& code);

// A user of `role` whose PIN (5 digits) and PUK (14 digits, any spacing) are
// hashed with fresh salts.
// Errors: InvalidArgument for a bad role, PIN or PUK; as security::HashCode.
absl::StatusOr<v1::User> MakeUser(
    v1::Role role, absl::string_view pin, absl::string_view puk,
    uint32_t iterations = security::kDefaultIterations);

// Replaces the PIN / PUK of the user with `role` by a fresh hash of `pin`
// (5 digits) / `puk` (14 digits, any spacing). `config` is unchanged on error.
// Errors: NotFound if no user has `role`; InvalidArgument for a malformed
// code; as security::HashCode.
absl::Status SetPin(v1::DeviceConfig& config, v1::Role role,
                    absl::string_view pin,
                    uint32_t iterations = security::kDefaultIterations);
absl::Status SetPuk(v1::DeviceConfig& config, v1::Role role,
                    absl::string_view puk,
                    uint32_t iterations = security::kDefaultIterations);

// The user with `role`, or nullptr.
const v1::User* FindUser(const v1::DeviceConfig& config, v1::Role role);
v1::User* FindMutableUser(v1::DeviceConfig& config, v1::Role role);

// Whether `pin` / `puk` is the code stored for `role` (false if there is no
// such user or its hash is malformed). Constant-time comparison.
bool CheckPin(const v1::DeviceConfig& config, v1::Role role,
              absl::string_view pin);
bool CheckPuk(const v1::DeviceConfig& config, v1::Role role,
              absl::string_view puk);

}  // namespace ews::config

// Blanks the secrets of a configuration before it is logged or exported.
#pragma once

#include "google/protobuf/message.h"
#include "sdk/config/config.pb.h"

namespace ews::config {

// What a non-empty secret is replaced with.
inline constexpr char kRedacted[] = "[REDACTED]";

// A copy of `config` in which every non-empty string or bytes field marked
// `[(ews.config.v1.sensitive) = true]` (SMTP/FTP/share passwords, code salts
// and hashes) reads kRedacted. The result does not pass Validate(); it is for
// logs and for exports meant for people, not for restoring a device.
v1::DeviceConfig RedactSecrets(const v1::DeviceConfig& config);

// The same, in place, for any message (walks sub-messages, repeated fields
// and maps).
void RedactSecretsInPlace(google::protobuf::Message& message);

}  // namespace ews::config

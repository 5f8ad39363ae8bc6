// The device profiles an application knows: the built-in ones (compiled into
// the binary from sdk/devices/profiles/*.textproto, so no files are needed at
// run time) plus any an installer adds (LoadProfileDirectory()).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "sdk/devices/profile.pb.h"

namespace ews::devices {

// One embedded profile file.
struct EmbeddedProfile {
  const char* file_name;  // "emdx3_4_120_45.textproto"
  const char* text;
};

// The built-in profile files, in file-name order.
absl::Span<const EmbeddedProfile> EmbeddedProfiles();

// A register probed during a bus scan: one read identifies every profile
// whose model register it is.
struct ModelProbe {
  ews::devices::v1::Table table;
  uint32_t address;
  ews::devices::v1::DataType type;
};

class ProfileRegistry {
 public:
  ProfileRegistry() = default;
  ProfileRegistry(ProfileRegistry&&) = default;
  ProfileRegistry& operator=(ProfileRegistry&&) = default;

  // A registry of the built-in profiles. InvalidArgument naming the file if
  // one is broken (a test guards against that).
  static absl::StatusOr<ProfileRegistry> BuiltIn();

  // Validates and adds. AlreadyExists if the id is taken (a replacement must
  // use a new id, so that stored history keeps its meaning).
  // InvalidArgument: the profile is invalid, or its model register value
  // already identifies another profile.
  absl::Status Add(ews::devices::v1::Profile profile,
                   absl::string_view source = "profile");

  // nullptr if unknown.
  const ews::devices::v1::Profile* Find(absl::string_view id) const;
  std::vector<const ews::devices::v1::Profile*> profiles() const;
  size_t size() const { return profiles_.size(); }

  // The distinct model registers to read when identifying a device.
  std::vector<ModelProbe> ModelProbes() const;
  // The profile whose model register `probe` holds `value`, or nullptr.
  const ews::devices::v1::Profile* IdentifyByModel(const ModelProbe& probe,
                                                   uint64_t value) const;
  // The profile matching device-identification objects, or nullptr.
  const ews::devices::v1::Profile* IdentifyByDeviceId(
      absl::string_view vendor_name, absl::string_view product_code) const;

 private:
  std::vector<std::unique_ptr<ews::devices::v1::Profile>> profiles_;
};

}  // namespace ews::devices

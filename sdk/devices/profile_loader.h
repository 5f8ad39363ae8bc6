// Parsing and validation of device profiles.
//
// Every error names the source (file name) and the field path, e.g.
//   emdx3.textproto: quantities[12] (p_total).scale_by.quantity: no quantity
//   'ct' in this profile
// so that an installer who edited a profile can fix it.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sdk/devices/profile.pb.h"

namespace ews::devices {

// Checks everything the decoder, planner, scan and simulators rely on.
// InvalidArgument with "<source>: <field path>: <problem>" on the first
// problem found.
absl::Status ValidateProfile(const ews::devices::v1::Profile& profile,
                             absl::string_view source = "profile");

// Parses text format and validates. InvalidArgument with the line and column
// of a syntax error, or the validation error.
absl::StatusOr<ews::devices::v1::Profile> ParseProfile(
    absl::string_view text, absl::string_view source);

// Reads and parses one file. Errors: as ReadFileToString (sdk/base/files.h:
// NotFound when missing, PermissionDenied), and as ParseProfile().
absl::StatusOr<ews::devices::v1::Profile> LoadProfileFile(
    const std::string& path);

// Every *.textproto file of a directory, sorted by name.
absl::StatusOr<std::vector<ews::devices::v1::Profile>> LoadProfileDirectory(
    const std::string& directory);

}  // namespace ews::devices

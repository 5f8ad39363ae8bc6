#include "sdk/devices/profile_registry.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "sdk/base/status_macros.h"
#include "sdk/devices/profile_loader.h"

namespace ews::devices {

namespace v1 = ::ews::devices::v1;

absl::StatusOr<ProfileRegistry> ProfileRegistry::BuiltIn() {
  ProfileRegistry registry;
  for (const EmbeddedProfile& file : EmbeddedProfiles()) {
    const std::string source =
        absl::StrCat("sdk/devices/profiles/", file.file_name);
    EWS_ASSIGN_OR_RETURN(v1::Profile profile, ParseProfile(file.text, source));
    EWS_RETURN_IF_ERROR(registry.Add(std::move(profile), source));
  }
  return registry;
}

absl::Status ProfileRegistry::Add(v1::Profile profile,
                                  absl::string_view source) {
  EWS_RETURN_IF_ERROR(ValidateProfile(profile, source));
  if (Find(profile.id()) != nullptr) {
    return absl::AlreadyExistsError(absl::StrCat(
        source, ": id: profile '", profile.id(), "' already exists"));
  }
  if (profile.identification().has_model_register()) {
    const auto& reg = profile.identification().model_register();
    const ModelProbe probe{reg.table(), reg.address(), reg.type()};
    for (uint64_t value : reg.values()) {
      if (const v1::Profile* other = IdentifyByModel(probe, value)) {
        return absl::InvalidArgumentError(absl::StrCat(
            source, ": identification.model_register.values: ", value,
            " already identifies profile '", other->id(), "'"));
      }
    }
  }
  profiles_.push_back(std::make_unique<v1::Profile>(std::move(profile)));
  return absl::OkStatus();
}

const v1::Profile* ProfileRegistry::Find(absl::string_view id) const {
  for (const auto& profile : profiles_) {
    if (profile->id() == id) return profile.get();
  }
  return nullptr;
}

std::vector<const v1::Profile*> ProfileRegistry::profiles() const {
  std::vector<const v1::Profile*> result;
  for (const auto& profile : profiles_) result.push_back(profile.get());
  return result;
}

std::vector<ModelProbe> ProfileRegistry::ModelProbes() const {
  std::vector<ModelProbe> probes;
  for (const auto& profile : profiles_) {
    if (!profile->identification().has_model_register()) continue;
    const auto& reg = profile->identification().model_register();
    bool seen = false;
    for (const ModelProbe& probe : probes) {
      seen |= probe.table == reg.table() && probe.address == reg.address() &&
              probe.type == reg.type();
    }
    if (!seen) probes.push_back({reg.table(), reg.address(), reg.type()});
  }
  return probes;
}

const v1::Profile* ProfileRegistry::IdentifyByModel(const ModelProbe& probe,
                                                    uint64_t value) const {
  for (const auto& profile : profiles_) {
    if (!profile->identification().has_model_register()) continue;
    const auto& reg = profile->identification().model_register();
    if (reg.table() != probe.table || reg.address() != probe.address ||
        reg.type() != probe.type) {
      continue;
    }
    for (uint64_t candidate : reg.values()) {
      if (candidate == value) return profile.get();
    }
  }
  return nullptr;
}

const v1::Profile* ProfileRegistry::IdentifyByDeviceId(
    absl::string_view vendor_name, absl::string_view product_code) const {
  for (const auto& profile : profiles_) {
    if (!profile->identification().has_device_identification()) continue;
    const auto& id = profile->identification().device_identification();
    if (id.vendor_name() == vendor_name &&
        absl::StartsWith(product_code, id.product_code_prefix())) {
      return profile.get();
    }
  }
  return nullptr;
}

}  // namespace ews::devices

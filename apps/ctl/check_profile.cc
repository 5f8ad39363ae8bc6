#include "apps/ctl/check_profile.h"

#include <iostream>
#include <string>
#include <vector>

#include "sdk/devices/profile_loader.h"
#include "sdk/devices/profile_registry.h"
#include "sdk/devices/request_planner.h"

namespace ews::ctl {
namespace {

namespace v1 = ::ews::devices::v1;

void Describe(const std::string& source, const v1::Profile& profile) {
  auto reads =
      ews::devices::PlanProfileReads(profile, ews::devices::PollSet::kHistory);
  int unconfirmed = 0;
  for (const v1::Quantity& q : profile.quantities()) {
    unconfirmed += q.unconfirmed();
  }
  for (const v1::Command& c : profile.commands())
    unconfirmed += c.unconfirmed();
  std::cout << source << ": ok: " << profile.id() << " ("
            << v1::Family_Name(profile.family()) << ", "
            << v1::Provenance_Name(profile.provenance()) << "), "
            << profile.quantities_size() << " quantities, "
            << profile.commands_size() << " commands (" << unconfirmed
            << " unconfirmed), " << (reads.ok() ? reads->size() : 0)
            << " reads per poll\n";
}

}  // namespace

int CheckProfile(int argc, char** argv) {
  if (argc < 2) {
    std::cerr
        << "usage: ews-ctl check-profile FILE.textproto ... | --builtin\n";
    return 2;
  }
  int bad = 0;
  if (std::string(argv[1]) == "--builtin") {
    auto registry = ews::devices::ProfileRegistry::BuiltIn();
    if (!registry.ok()) {
      std::cout << registry.status().message() << "\n";
      return 1;
    }
    for (const v1::Profile* profile : registry->profiles()) {
      Describe("built-in", *profile);
    }
    return 0;
  }
  for (int i = 1; i < argc; ++i) {
    auto profile = ews::devices::LoadProfileFile(argv[i]);
    if (!profile.ok()) {
      std::cout << profile.status().message() << "\n";
      ++bad;
      continue;
    }
    Describe(argv[i], *profile);
  }
  return bad == 0 ? 0 : 1;
}

}  // namespace ews::ctl

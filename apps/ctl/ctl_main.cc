// ews-ctl: the device's command-line tool.
//
//   ews-ctl check-config [--to-json|--to-text] [--redact] FILE
//   ews-ctl check-profile FILE.textproto ... | --builtin
//
// Exit status: the subcommand's (check_config.h, check_profile.h); 2 on an
// unknown subcommand.
#include <cstring>
#include <iostream>

#include "apps/ctl/check_config.h"
#include "apps/ctl/check_profile.h"

namespace {

struct Command {
  const char* name;
  int (*run)(int argc, char** argv);
  const char* usage;
};

constexpr Command kCommands[] = {
    {"check-config", ews::ctl::CheckConfig,
     "[--to-json|--to-text] [--redact] FILE"},
    {"check-profile", ews::ctl::CheckProfile, "FILE.textproto ... | --builtin"},
};

int Usage() {
  std::cerr << "usage:\n";
  for (const Command& command : kCommands) {
    std::cerr << "  ews-ctl " << command.name << " " << command.usage << "\n";
  }
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  for (const Command& command : kCommands) {
    if (std::strcmp(argv[1], command.name) == 0) {
      return command.run(argc - 1, argv + 1);
    }
  }
  return Usage();
}

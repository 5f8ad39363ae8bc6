// ews-ctl check-profile: validates device profiles the way EWS loads them,
// for installers editing a profile and for CI.
//
//   check-profile FILE.textproto ...     each file: "ok" or the error
//   check-profile --builtin              the profiles compiled into EWS
//
// For each valid profile it prints its id, family, quantity and command
// counts and the reads one history poll takes.
#pragma once

namespace ews::ctl {

// argv[0] is the subcommand's name. Returns the exit status: 0 all valid, 1
// if any file is invalid, 2 on bad usage.
int CheckProfile(int argc, char** argv);

}  // namespace ews::ctl

// ews-ctl check-config: checks a configuration file and converts between its
// text and JSON forms.
//
//   check-config FILE              parse (text, or JSON if FILE ends in
//                                  .json) and validate; prints every problem
//   check-config --to-json FILE    ... then print it as JSON
//   check-config --to-text FILE    ... then print it as text format
//   check-config --redact ...      blank the secrets in what is printed
#pragma once

namespace ews::ctl {

// argv[0] is the subcommand's name. Returns the exit status: 0 valid, 1
// invalid or unreadable, 2 usage.
int CheckConfig(int argc, char** argv);

}  // namespace ews::ctl

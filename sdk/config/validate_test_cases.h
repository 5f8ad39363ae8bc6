// The bad-configuration cases of validate_test, one list per configuration
// section (validate_<section>_test.cc). Each case changes RichConfig() and
// names the field Validate() must report first.
#pragma once

#include <cstddef>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "sdk/config/config.pb.h"
#include "sdk/config/validate.h"

namespace ews::config::validate_test {

// One bad configuration: RichConfig() changed by `mutate`; Validate() must
// name `field` (exactly, as the first error's path) and say `message`.
struct BadCase {
  std::string name;
  std::function<void(v1::DeviceConfig&)> mutate;
  std::string field;
  std::string message;
  size_t error_count = 1;
};

inline void PrintTo(const BadCase& bad, std::ostream* os) { *os << bad.name; }

// Every problem, one per line, for failure messages.
std::string Describe(const std::vector<FieldError>& errors);

std::vector<BadCase> NetworkBadCases();       // network, web
std::vector<BadCase> FieldBusBadCases();      // rs485 .. pulse counters
std::vector<BadCase> ConsumptionBadCases();   // consumption tree, tariffs
std::vector<BadCase> UsersReportsBadCases();  // users, storage, reports

}  // namespace ews::config::validate_test

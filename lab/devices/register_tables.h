// The lab's own reading of each device family's register table: what the
// simulators serve. Written from the reference notes (docs/devices/*.md) in
// the tables' own terms — register numbers as the maker lists them (wire
// address + 1), the function code that reads them, type, scale and unit —
// and never derived from the SDK's profiles, so the end-to-end tests check
// the profiles against an independent reading. Where no published table
// exists (breakers, DX3 module, EV charger, EMS modules) the rows are the
// project's convention, the same one the profiles mark unconfirmed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "sdk/devices/profile.pb.h"

namespace ews::lab {

namespace v1 = ::ews::devices::v1;

// Scales that are not a constant.
inline constexpr double kScaleByCtPower = -1;   // EMDX3: 0.01 below CT 5000
inline constexpr double kScaleByCtEnergy = -2;  // EMDX3: 10 Wh .. 1 MWh

struct RegisterRow {
  std::string id;   // the quantity the simulator's model provides
  uint32_t number;  // register number as the table lists it (>= 1)
  int function;     // 3 (holding registers) or 4 (input registers)
  v1::DataType type;
  double scale;  // raw × scale = value in `unit` (or kScaleBy…)
  const char* unit;
  v1::Kind kind;
  const char* sign_from = "";  // id of the row carrying the sign (0 = +)
  bool writable = false;
};

struct CommandRow {
  const char* id;
  uint32_t number;  // register number as the table lists it
  v1::WriteFunction function;
  int64_t fixed_value;  // -1: the value is an argument in [min, max]
  double min = 0, max = 0, scale = 1;
};

struct RegisterTable {
  const char* profile_id;  // the built-in profile this table stands beside
  const char* document;    // the reference note it is read from
  v1::Family family;
  v1::EmsAddressing::ModuleKind module_kind;
  uint32_t model_number;  // identification register (register number)
  uint64_t model_value;
  std::vector<RegisterRow> rows;
  std::vector<CommandRow> commands;
};

// Every family's table.
const std::vector<RegisterTable>& RegisterTables();

// nullptr: no lab table for that profile (an installer's profile).
const RegisterTable* FindRegisterTable(absl::string_view profile_id);

// The table as the simulator serves it (wire addresses = number − 1).
v1::Profile ServedProfile(const RegisterTable& table);

}  // namespace ews::lab

#include "lab/devices/register_tables.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace ews::lab {
namespace {

constexpr auto kU16 = v1::DATA_TYPE_U16;
constexpr auto kS16 = v1::DATA_TYPE_S16;
constexpr auto kU32 = v1::DATA_TYPE_U32;
constexpr auto kS32 = v1::DATA_TYPE_S32;
constexpr auto kU64 = v1::DATA_TYPE_U64;
constexpr auto kInst = v1::KIND_INSTANTANEOUS;
constexpr auto kCounter = v1::KIND_COUNTER;
constexpr auto kStat = v1::KIND_STATISTIC;
constexpr auto kStatus = v1::KIND_STATUS;
constexpr auto kSetting = v1::KIND_SETTING;
constexpr auto kFc6 = v1::WRITE_FUNCTION_SINGLE_REGISTER;
constexpr auto kFc16 = v1::WRITE_FUNCTION_MULTIPLE_REGISTERS;

// The EMDX3 4 120 45 measurement block (docs/devices/emdx3.md), register
// numbers 4097.. as the maker's table 412045 lists them. The other meter-like
// families of this project follow the same block with fixed scales.
std::vector<RegisterRow> MeterBlock(int function, double power_scale,
                                    double energy_scale) {
  std::vector<RegisterRow> rows = {
      {"v1n", 4097, function, kU32, 0.001, "V", kInst},
      {"v2n", 4099, function, kU32, 0.001, "V", kInst},
      {"v3n", 4101, function, kU32, 0.001, "V", kInst},
      {"i1", 4103, function, kU32, 0.001, "A", kInst},
      {"i2", 4105, function, kU32, 0.001, "A", kInst},
      {"i3", 4107, function, kU32, 0.001, "A", kInst},
      {"in", 4109, function, kU32, 0.001, "A", kInst},
      {"u12", 4111, function, kU32, 0.001, "V", kInst},
      {"u23", 4113, function, kU32, 0.001, "V", kInst},
      {"u31", 4115, function, kU32, 0.001, "V", kInst},
      {"p_total", 4117, function, kU32, power_scale, "W", kInst, "p_sign"},
      {"q_total", 4119, function, kU32, power_scale, "var", kInst, "q_sign"},
      {"s_total", 4121, function, kU32, power_scale, "VA", kInst},
      {"ea_import", 4125, function, kU32, energy_scale, "Wh", kCounter},
      {"er_import", 4127, function, kU32, energy_scale, "varh", kCounter},
      {"ea_export", 4129, function, kU32, energy_scale, "Wh", kCounter},
      {"er_export", 4131, function, kU32, energy_scale, "varh", kCounter},
      {"pf", 4133, function, kS16, 0.01, "", kInst},
      {"frequency", 4135, function, kU16, 0.1, "Hz", kInst},
      // Sign registers: the table says one exists per power; where is the
      // project's assumption (docs/devices/emdx3.md).
      {"p_sign", 4137, function, kU16, 1, "", kInst},
      {"q_sign", 4138, function, kU16, 1, "", kInst},
  };
  return rows;
}

// THD of V1-N..V3-N, then of I1..I3, from register 4171.
void AddThd(std::vector<RegisterRow>& rows) {
  uint32_t number = 4171;
  for (const char* of : {"v", "i"}) {
    for (int n = 1; n <= 3; ++n) {
      rows.push_back(
          {absl::StrCat("thd_", of, n), number++, 3, kU16, 0.1, "%", kStat});
    }
  }
}

std::vector<RegisterRow> Concat(std::vector<RegisterRow> a,
                                const std::vector<RegisterRow>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<RegisterTable>* BuildTables() {
  auto* tables = new std::vector<RegisterTable>;

  // EMDX3 4 120 45: model register 769 (wire 768), value unconfirmed.
  std::vector<RegisterRow> emdx3 =
      MeterBlock(3, kScaleByCtPower, kScaleByCtEnergy);
  AddThd(emdx3);
  emdx3.push_back({"ct_ratio", 4609, 3, kU16, 1, "", kSetting});
  tables->push_back({"emdx3_4_120_45",
                     "emdx3.md",
                     v1::FAMILY_ENERGY_METER,
                     v1::EmsAddressing::MODULE_KIND_UNSPECIFIED,
                     769,
                     4512,
                     emdx3,
                     {}});

  // Breakers and the DIN module: no published table (breakers.md,
  // dx3_modules.md); the project's convention.
  const std::vector<CommandRow> breaker_commands = {
      {"open", 4481, kFc6, 1},
      {"close", 4481, kFc6, 2},
      {"reset_trip", 4481, kFc6, 3},
  };
  std::vector<RegisterRow> mccb = MeterBlock(3, 0.01, 1);
  AddThd(mccb);
  mccb.push_back({"status", 4353, 3, kU16, 1, "", kStatus});
  mccb.push_back({"trip_count", 4354, 3, kU16, 1, "", kCounter});
  tables->push_back({"mccb_measurement_unit", "breakers.md",
                     v1::FAMILY_MOULDED_CASE_BREAKER,
                     v1::EmsAddressing::MODULE_KIND_UNSPECIFIED, 769, 19779,
                     mccb, breaker_commands});

  std::vector<RegisterRow> acb =
      Concat(mccb, {
                       {"ea_import_total", 4145, 3, kU64, 1, "Wh", kCounter},
                       {"i1_max", 4193, 3, kU32, 0.001, "A", kStat},
                       {"i1_avg", 4195, 3, kU32, 0.001, "A", kStat},
                       {"v1n_min", 4197, 3, kU32, 0.001, "V", kStat},
                       {"i1_h3", 4212, 3, kU16, 0.1, "%", kStat},
                       {"i1_h5", 4214, 3, kU16, 0.1, "%", kStat},
                       {"i1_h7", 4216, 3, kU16, 0.1, "%", kStat},
                   });
  tables->push_back({"acb_measurement_unit", "breakers.md",
                     v1::FAMILY_AIR_CIRCUIT_BREAKER,
                     v1::EmsAddressing::MODULE_KIND_UNSPECIFIED, 769, 16707,
                     acb, breaker_commands});

  std::vector<RegisterRow> din = MeterBlock(3, 0.01, 1);
  AddThd(din);
  din.push_back({"status", 4353, 3, kU16, 1, "", kStatus});
  tables->push_back({"din_measurement_module",
                     "dx3_modules.md",
                     v1::FAMILY_MEASUREMENT_MODULE,
                     v1::EmsAddressing::MODULE_KIND_UNSPECIFIED,
                     769,
                     19789,
                     din,
                     {}});

  // EV charger: no published table (ev_chargers.md).
  tables->push_back(
      {"ev_charger_generic",
       "ev_chargers.md",
       v1::FAMILY_EV_CHARGER,
       v1::EmsAddressing::MODULE_KIND_UNSPECIFIED,
       769,
       17750,
       {
           {"state", 257, 3, kU16, 1, "", kStatus},
           {"cable_state", 258, 3, kU16, 1, "", kStatus},
           {"i1", 273, 3, kU32, 0.001, "A", kInst},
           {"i2", 275, 3, kU32, 0.001, "A", kInst},
           {"i3", 277, 3, kU32, 0.001, "A", kInst},
           {"v1n", 279, 3, kU32, 0.001, "V", kInst},
           {"v2n", 281, 3, kU32, 0.001, "V", kInst},
           {"v3n", 283, 3, kU32, 0.001, "V", kInst},
           {"p_total", 289, 3, kS32, 1, "W", kInst},
           {"ea_import", 291, 3, kU64, 1, "Wh", kCounter},
           {"session_energy", 295, 3, kU32, 1, "Wh", kInst},
           {"current_limit", 513, 3, kU16, 0.1, "A", kSetting, "", true},
           {"failsafe_current", 514, 3, kU16, 0.1, "A", kSetting, "", true},
           {"failsafe_timeout", 515, 3, kU16, 1, "s", kSetting, "", true},
           {"charging_enabled", 516, 3, kU16, 1, "", kStatus, "", true},
       },
       {
           {"start", 516, kFc6, 1},
           {"stop", 516, kFc6, 0},
           {"set_current_limit", 513, kFc6, -1, 0, 32, 0.1},
           {"set_failsafe_current", 514, kFc6, -1, 0, 32, 0.1},
           {"set_failsafe_timeout", 515, kFc16, -1, 0, 3600, 1},
       }});

  // EMS CX3 modules (ems_cx3.md): the measurement module's table reads its
  // measurements as input registers (function 4); the rest is convention.
  tables->push_back({"ems_cx3_measurement",
                     "ems_cx3.md",
                     v1::FAMILY_ENERGY_MANAGEMENT,
                     v1::EmsAddressing::MODULE_KIND_MEASUREMENT,
                     769,
                     17713,
                     MeterBlock(4, 0.01, 1),
                     {}});
  std::vector<RegisterRow> signalling;
  for (uint32_t n = 1; n <= 4; ++n) {
    signalling.push_back({absl::StrCat("contact", n, "_state"), 1024 + n, 3,
                          kU16, 1, "", kStatus});
  }
  for (uint32_t n = 1; n <= 4; ++n) {
    signalling.push_back({absl::StrCat("contact", n, "_changes"),
                          1041 + 2 * (n - 1), 3, kU32, 1, "", kCounter});
  }
  tables->push_back({"ems_cx3_signalling",
                     "ems_cx3.md",
                     v1::FAMILY_ENERGY_MANAGEMENT,
                     v1::EmsAddressing::MODULE_KIND_SIGNALLING,
                     769,
                     17714,
                     signalling,
                     {}});
  tables->push_back({"ems_cx3_control",
                     "ems_cx3.md",
                     v1::FAMILY_ENERGY_MANAGEMENT,
                     v1::EmsAddressing::MODULE_KIND_CONTROL,
                     769,
                     17715,
                     {
                         {"relay1_state", 1281, 3, kU16, 1, "", kStatus},
                         {"relay2_state", 1282, 3, kU16, 1, "", kStatus},
                         {"relay1_operations", 1297, 3, kU32, 1, "", kCounter},
                         {"relay2_operations", 1299, 3, kU32, 1, "", kCounter},
                     },
                     {
                         {"relay1_on", 1281, kFc6, 1},
                         {"relay1_off", 1281, kFc6, 0},
                         {"relay2_on", 1282, kFc6, 1},
                         {"relay2_off", 1282, kFc6, 0},
                     }});

  // Pulse concentrator 0 046 87 (pulse_concentrator.md): the group map of
  // table v1.01 — input n's indexes from 0x9100 + 0x80 (n − 1), its settings
  // from 0x9B00 + 27 (n − 1), the input/output state at 0xCB00; the first
  // register of each group is the project's reading.
  std::vector<RegisterRow> pulses;
  for (uint32_t n = 1; n <= 7; ++n) {
    pulses.push_back({absl::StrCat("input", n, "_index"),
                      0x9100 + 0x80 * (n - 1) + 1, 3, kU32, 1, "pulses",
                      kCounter});
  }
  for (uint32_t n = 1; n <= 7; ++n) {
    pulses.push_back({absl::StrCat("input", n, "_weight"),
                      0x9B00 + 27 * (n - 1) + 1, 3, kU16, 1, "", kSetting});
  }
  pulses.push_back({"io_state", 0xCB00 + 1, 3, kU16, 1, "", kStatus});
  tables->push_back({"ems_cx3_pulse_concentrator",
                     "pulse_concentrator.md",
                     v1::FAMILY_ENERGY_MANAGEMENT,
                     v1::EmsAddressing::MODULE_KIND_PULSE_CONCENTRATOR,
                     769,
                     17716,
                     pulses,
                     {}});
  return tables;
}

void SetCtScale(v1::Quantity& q, double rule) {
  v1::ScaleTable& table = *q.mutable_scale_by();
  table.set_quantity("ct_ratio");
  auto add = [&](uint64_t below, double scale) {
    v1::ScaleTable::Entry& e = *table.add_entries();
    if (below > 0) e.set_below(below);
    e.set_scale(scale);
  };
  if (rule == kScaleByCtPower) {
    add(5000, 0.01);
    add(0, 1);
  } else {
    add(100, 10);
    add(1000, 100);
    add(5000, 1000);
    add(10000, 10000);
    add(50000, 100000);
    add(0, 1000000);
  }
}

}  // namespace

const std::vector<RegisterTable>& RegisterTables() {
  static const std::vector<RegisterTable>* tables = BuildTables();
  return *tables;
}

const RegisterTable* FindRegisterTable(absl::string_view profile_id) {
  for (const RegisterTable& table : RegisterTables()) {
    if (table.profile_id == profile_id) return &table;
  }
  return nullptr;
}

v1::Profile ServedProfile(const RegisterTable& table) {
  v1::Profile profile;
  profile.set_id(table.profile_id);
  profile.set_name(std::string("lab table: ") + table.document);
  profile.set_family(table.family);
  profile.set_provenance(v1::PROVENANCE_INSTALLER);
  profile.set_word_order(v1::WORD_ORDER_ABCD);
  if (table.module_kind != v1::EmsAddressing::MODULE_KIND_UNSPECIFIED) {
    profile.mutable_ems()->set_module_kind(table.module_kind);
  }
  auto& model = *profile.mutable_identification()->mutable_model_register();
  model.set_address(table.model_number - 1);
  model.set_table(v1::TABLE_HOLDING_REGISTERS);
  model.set_type(kU16);
  model.add_values(table.model_value);
  for (const RegisterRow& row : table.rows) {
    v1::Quantity& q = *profile.add_quantities();
    q.set_id(row.id);
    q.set_name(row.id);
    q.set_unit(row.unit);
    q.set_address(row.number - 1);
    q.set_table(row.function == 4 ? v1::TABLE_INPUT_REGISTERS
                                  : v1::TABLE_HOLDING_REGISTERS);
    q.set_type(row.type);
    if (row.scale < 0) {
      SetCtScale(q, row.scale);
    } else {
      q.set_scale(row.scale);
    }
    q.set_kind(row.kind);
    if (*row.sign_from != '\0') {
      q.mutable_sign_from()->set_quantity(row.sign_from);
    }
    q.set_writable(row.writable);
  }
  for (const CommandRow& row : table.commands) {
    v1::Command& c = *profile.add_commands();
    c.set_id(row.id);
    c.set_name(row.id);
    c.set_address(row.number - 1);
    c.set_function(row.function);
    c.set_type(kU16);
    if (row.fixed_value >= 0) {
      c.set_fixed_value(static_cast<uint64_t>(row.fixed_value));
    } else {
      c.mutable_argument()->set_min(row.min);
      c.mutable_argument()->set_max(row.max);
      c.mutable_argument()->set_scale(row.scale);
    }
  }
  return profile;
}

}  // namespace ews::lab

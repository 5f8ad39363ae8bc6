#include "sdk/devices/profile_registry.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"
#include "sdk/devices/codec.h"

namespace ews::devices {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ProfileRegistryTest, EveryBuiltInProfileLoadsAndValidates) {
  absl::StatusOr<ProfileRegistry> registry = ProfileRegistry::BuiltIn();
  ASSERT_THAT(registry, IsOk());
  EXPECT_EQ(registry->size(), EmbeddedProfiles().size());
  for (const char* id :
       {"emdx3_4_120_45", "mccb_measurement_unit", "acb_measurement_unit",
        "din_measurement_module", "ems_cx3_measurement", "ems_cx3_signalling",
        "ems_cx3_control", "ems_cx3_pulse_concentrator", "ev_charger_generic",
        "generic_modbus_device"}) {
    EXPECT_NE(registry->Find(id), nullptr) << id;
  }
}

TEST(ProfileRegistryTest, EveryFamilyOfTheIssueHasAProfile) {
  absl::StatusOr<ProfileRegistry> registry = ProfileRegistry::BuiltIn();
  ASSERT_THAT(registry, IsOk());
  std::set<int> families;
  for (const v1::Profile* profile : registry->profiles()) {
    families.insert(profile->family());
  }
  for (v1::Family family :
       {v1::FAMILY_ENERGY_METER, v1::FAMILY_MOULDED_CASE_BREAKER,
        v1::FAMILY_AIR_CIRCUIT_BREAKER, v1::FAMILY_MEASUREMENT_MODULE,
        v1::FAMILY_ENERGY_MANAGEMENT, v1::FAMILY_EV_CHARGER,
        v1::FAMILY_GENERIC}) {
    EXPECT_EQ(families.count(family), 1u) << v1::Family_Name(family);
  }
}

TEST(ProfileRegistryTest, Emdx3MatchesTheMakersTable) {
  absl::StatusOr<ProfileRegistry> registry = ProfileRegistry::BuiltIn();
  ASSERT_THAT(registry, IsOk());
  const v1::Profile* p = registry->Find("emdx3_4_120_45");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->identification().model_register().address(), 0x0300u);
  struct Row {
    const char* id;
    uint32_t address;
    v1::DataType type;
  };
  for (const Row& row : {Row{"v1n", 0x1000, v1::DATA_TYPE_U32},
                         Row{"in", 0x100C, v1::DATA_TYPE_U32},
                         Row{"u31", 0x1012, v1::DATA_TYPE_U32},
                         Row{"p_total", 0x1014, v1::DATA_TYPE_U32},
                         Row{"s_total", 0x1018, v1::DATA_TYPE_U32},
                         Row{"ea_import", 0x101C, v1::DATA_TYPE_U32},
                         Row{"er_export", 0x1022, v1::DATA_TYPE_U32},
                         Row{"pf", 0x1024, v1::DATA_TYPE_S16},
                         Row{"frequency", 0x1026, v1::DATA_TYPE_U16},
                         Row{"thd_v1", 0x104A, v1::DATA_TYPE_U16},
                         Row{"thd_i3", 0x104F, v1::DATA_TYPE_U16},
                         Row{"ct_ratio", 0x1200, v1::DATA_TYPE_U16}}) {
    const v1::Quantity* q = FindQuantity(*p, row.id);
    ASSERT_NE(q, nullptr) << row.id;
    EXPECT_EQ(q->address(), row.address) << row.id;
    EXPECT_EQ(q->type(), row.type) << row.id;
  }
  EXPECT_EQ(FindQuantity(*p, "ea_import")->kind(), v1::KIND_COUNTER);
  EXPECT_EQ(FindQuantity(*p, "p_total")->scale_by().quantity(), "ct_ratio");
  EXPECT_EQ(FindQuantity(*p, "p_total")->sign_from().quantity(), "p_sign");
}

TEST(ProfileRegistryTest, IdentifiesByModelRegister) {
  absl::StatusOr<ProfileRegistry> registry = ProfileRegistry::BuiltIn();
  ASSERT_THAT(registry, IsOk());
  std::vector<ModelProbe> probes = registry->ModelProbes();
  ASSERT_EQ(probes.size(), 1u);  // every built-in uses register 0x0300
  const v1::Profile* p = registry->IdentifyByModel(probes[0], 4512);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->id(), "emdx3_4_120_45");
  EXPECT_EQ(registry->IdentifyByModel(probes[0], 1), nullptr);
}

TEST(ProfileRegistryTest, RejectsDuplicateIdsAndModelValues) {
  absl::StatusOr<ProfileRegistry> registry = ProfileRegistry::BuiltIn();
  ASSERT_THAT(registry, IsOk());
  v1::Profile copy = *registry->Find("emdx3_4_120_45");
  EXPECT_THAT(registry->Add(copy, "copy.textproto"),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("copy.textproto: id")));
  copy.set_id("emdx3_copy");
  EXPECT_THAT(registry->Add(copy, "copy.textproto"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("already identifies profile "
                                 "'emdx3_4_120_45'")));
  copy.mutable_identification()->mutable_model_register()->set_values(0, 9999);
  EXPECT_THAT(registry->Add(copy, "copy.textproto"), IsOk());
  EXPECT_NE(registry->Find("emdx3_copy"), nullptr);
}

}  // namespace
}  // namespace ews::devices

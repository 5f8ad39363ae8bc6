// The lab's tables against the SDK's built-in profiles: the same registers
// (wire address = the table's register number - 1), types and scales, and
// every quantity the profile polls is served. A disagreement is a misread
// of the maker's table on one side or the other.
#include "lab/devices/register_tables.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"
#include "sdk/devices/codec.h"
#include "sdk/devices/profile_registry.h"

namespace ews::lab {
namespace {

using ::ews::testing::IsOk;

TEST(RegisterTablesTest, EveryBuiltInProfileHasALabTableThatAgrees) {
  auto registry = devices::ProfileRegistry::BuiltIn();
  ASSERT_THAT(registry, IsOk());
  int tables = 0;
  for (const v1::Profile* profile : registry->profiles()) {
    if (profile->provenance() == v1::PROVENANCE_INSTALLER) continue;
    SCOPED_TRACE(profile->id());
    const RegisterTable* table = FindRegisterTable(profile->id());
    ASSERT_NE(table, nullptr);
    ++tables;
    const v1::Profile served = ServedProfile(*table);
    EXPECT_EQ(served.family(), profile->family());
    EXPECT_EQ(served.ems().module_kind(), profile->ems().module_kind());
    const auto& model = profile->identification().model_register();
    EXPECT_EQ(served.identification().model_register().address(),
              model.address());
    EXPECT_THAT(model.values(),
                ::testing::Contains(
                    served.identification().model_register().values(0)));
    for (const v1::Quantity& q : profile->quantities()) {
      SCOPED_TRACE(q.id());
      const v1::Quantity* lab = devices::FindQuantity(served, q.id());
      ASSERT_NE(lab, nullptr) << "the lab table does not serve it";
      EXPECT_EQ(lab->address(), q.address());
      EXPECT_EQ(lab->table(), q.table());
      EXPECT_EQ(lab->type(), q.type());
      EXPECT_EQ(lab->scale_by().entries_size(), q.scale_by().entries_size());
      if (q.scale_by().entries_size() == 0) {
        EXPECT_DOUBLE_EQ(lab->scale(), q.has_scale() ? q.scale() : 1);
      }
      EXPECT_EQ(lab->sign_from().quantity(), q.sign_from().quantity());
      EXPECT_EQ(lab->writable(), q.writable());
    }
    for (const v1::Command& c : profile->commands()) {
      SCOPED_TRACE(c.id());
      bool found = false;
      for (const v1::Command& lab : served.commands()) {
        if (lab.id() != c.id()) continue;
        found = true;
        EXPECT_EQ(lab.address(), c.address());
        EXPECT_EQ(lab.function(), c.function());
        EXPECT_EQ(lab.value_case(), c.value_case());
        if (c.has_fixed_value()) EXPECT_EQ(lab.fixed_value(), c.fixed_value());
      }
      EXPECT_TRUE(found) << "the lab table does not take it";
    }
  }
  EXPECT_EQ(tables, static_cast<int>(RegisterTables().size()));
}

TEST(RegisterTablesTest, RegisterNumbersAreTheTablesOwn) {
  // The maker's tables number registers from 1: V1-N of the EMDX3 4 120 45 is
  // register 4097, wire address 0x1000.
  const RegisterTable* emdx3 = FindRegisterTable("emdx3_4_120_45");
  ASSERT_NE(emdx3, nullptr);
  const v1::Profile served = ServedProfile(*emdx3);
  EXPECT_EQ(devices::FindQuantity(served, "v1n")->address(), 0x1000u);
  EXPECT_EQ(devices::FindQuantity(served, "ct_ratio")->address(), 4608u);
  EXPECT_EQ(served.identification().model_register().address(), 768u);
  EXPECT_EQ(FindRegisterTable("no_such_profile"), nullptr);
}

}  // namespace
}  // namespace ews::lab

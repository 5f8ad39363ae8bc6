#include "sdk/devices/profile_loader.h"

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"

namespace ews::devices {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;

constexpr char kValid[] = R"pb(
  id: "test_meter"
  name: "Test meter"
  family: FAMILY_ENERGY_METER
  provenance: PROVENANCE_GENERIC
  word_order: WORD_ORDER_ABCD
  identification {
    model_register {
      address: 0x0300
      table: TABLE_HOLDING_REGISTERS
      type: DATA_TYPE_U16
      values: 7
    }
    source: "test table, identification"
  }
  quantities {
    id: "p"
    name: "P"
    unit: "W"
    address: 0x1014
    table: TABLE_HOLDING_REGISTERS
    type: DATA_TYPE_U32
    kind: KIND_INSTANTANEOUS
    scale_by {
      quantity: "ct"
      entries { below: 5000 scale: 0.01 }
      entries { scale: 1 }
    }
    sign_from { quantity: "sign" }
    source: "test table, quantities"
  }
  quantities {
    id: "ct"
    name: "CT"
    address: 0x1200
    table: TABLE_HOLDING_REGISTERS
    type: DATA_TYPE_U16
    kind: KIND_SETTING
    source: "test table, quantities"
  }
  quantities {
    id: "sign"
    name: "sign"
    address: 0x1028
    table: TABLE_HOLDING_REGISTERS
    type: DATA_TYPE_U16
    kind: KIND_INSTANTANEOUS
    source: "test table, quantities"
  }
  quantities {
    id: "e"
    name: "Ea+"
    unit: "Wh"
    address: 0x101C
    table: TABLE_HOLDING_REGISTERS
    type: DATA_TYPE_U32
    scale: 10
    kind: KIND_COUNTER
    source: "test table, quantities"
  }
  quantities {
    id: "status"
    name: "Status"
    address: 0x1100
    table: TABLE_HOLDING_REGISTERS
    type: DATA_TYPE_U16
    kind: KIND_STATUS
    bits { bit: 2 name: "tripped" }
    bits { bit: 4 width: 4 name: "trip_cause" }
    source: "test table, quantities"
  }
  commands {
    id: "open"
    name: "Open"
    address: 0x1180
    function: WRITE_FUNCTION_SINGLE_REGISTER
    type: DATA_TYPE_U16
    fixed_value: 1
    source: "test table, commands"
  }
)pb";

TEST(ProfileLoaderTest, ParsesAValidProfile) {
  absl::StatusOr<v1::Profile> profile = ParseProfile(kValid, "test.textproto");
  ASSERT_THAT(profile, IsOk());
  EXPECT_EQ(profile->quantities_size(), 5);
}

TEST(ProfileLoaderTest, SyntaxErrorsNameFileLineAndColumn) {
  EXPECT_THAT(ParseProfile("id: \"x\"\nnmae: \"y\"\n", "bad.textproto"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("bad.textproto: line 2 column")));
}

struct BadCase {
  std::string from;
  std::string to;
  std::string error;
};

// Each case breaks kValid in one place; the error names file and field.
TEST(ProfileLoaderTest, ValidationErrorsNameTheField) {
  const std::vector<BadCase> cases = {
      {"id: \"test_meter\"", "id: \"Test Meter\"", "f.textproto: id: must be"},
      {"family: FAMILY_ENERGY_METER", "", "family: is unspecified"},
      {"provenance: PROVENANCE_GENERIC", "", "provenance: is unspecified"},
      {"word_order: WORD_ORDER_ABCD", "", "word_order: is unspecified"},
      {"values: 7", "", "identification.model_register.values: is empty"},
      {"quantity: \"ct\"", "quantity: \"ctr\"",
       "quantities[0] (p).scale_by.quantity: no quantity 'ctr'"},
      {"entries { scale: 1 }", "entries { below: 9000 scale: 1 }",
       "scale_by.entries[1].below: the last entry"},
      {"below: 5000 scale: 0.01", "below: 5000 scale: 0",
       "scale_by.entries[0].scale: must be finite"},
      {"quantity: \"sign\"", "quantity: \"sgn\"",
       "quantities[0] (p).sign_from.quantity: no quantity 'sgn'"},
      {"id: \"e\"", "id: \"ct\"", "quantities[3] (ct).id: is not unique"},
      {"scale: 10", "scale: 0", "quantities[3] (e).scale: must be finite"},
      {"address: 0x101C", "address: 0xFFFF",
       "quantities[3] (e).address: runs past"},
      {"type: DATA_TYPE_U32\n    scale: 10",
       "type: DATA_TYPE_FLOAT32\n    scale: 10",
       "quantities[3] (e).type: a counter must be an integer"},
      {"kind: KIND_SETTING", "", "quantities[1] (ct).kind: is unspecified"},
      {"bit: 4 width: 4", "bit: 14 width: 4",
       "quantities[4] (status).bits[1]: bit 14 width 4 does not fit 16"},
      {"fixed_value: 1", "", "commands[0] (open): needs fixed_value"},
      {"fixed_value: 1", "fixed_value: 70000",
       "commands[0] (open).fixed_value: 70000 does not fit"},
      {"function: WRITE_FUNCTION_SINGLE_REGISTER", "",
       "commands[0] (open).function: is unspecified"},
      {"    source: \"test table, quantities\"\n  }\n  quantities {\n    id: "
       "\"ct\"",
       "  }\n  quantities {\n    id: \"ct\"",
       "quantities[0] (p).source: is empty: cite the published table"},
      {"    source: \"test table, commands\"", "",
       "commands[0] (open).source: is empty"},
      {"    source: \"test table, identification\"", "",
       "identification.source: is empty"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(c.error);
    const std::string text = absl::StrReplaceAll(kValid, {{c.from, c.to}});
    ASSERT_NE(text, kValid) << "case does not apply: " << c.from;
    EXPECT_THAT(
        ParseProfile(text, "f.textproto"),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.error)));
  }
}

TEST(ProfileLoaderTest, InstallerProfilesNeedNoIdentification) {
  std::string text = absl::StrReplaceAll(
      kValid,
      {{"provenance: PROVENANCE_GENERIC", "provenance: PROVENANCE_INSTALLER"}});
  const size_t start = text.find("identification {");
  const size_t end = text.find("quantities {");
  text.erase(start, end - start);
  EXPECT_THAT(ParseProfile(text, "f"), IsOk());
  text = absl::StrReplaceAll(text, {{"provenance: PROVENANCE_INSTALLER",
                                     "provenance: PROVENANCE_GENERIC"}});
  EXPECT_THAT(ParseProfile(text, "f"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("identification: is required")));
}

TEST(ProfileLoaderTest, AnUnconfirmedRegisterNeedsNoSource) {
  const std::string text = absl::StrReplaceAll(
      kValid, {{"source: \"test table, quantities\"", "unconfirmed: true"}});
  auto profile = ParseProfile(text, "f");
  ASSERT_THAT(profile, IsOk());
  EXPECT_TRUE(profile->quantities(0).unconfirmed());
  EXPECT_TRUE(profile->quantities(0).source().empty());
}

TEST(ProfileLoaderTest, EveryShippedRegisterCitesASourceOrIsUnconfirmed) {
  auto profiles = LoadProfileDirectory("sdk/devices/profiles");
  ASSERT_THAT(profiles, IsOk());
  for (const v1::Profile& profile : *profiles) {
    if (profile.provenance() == v1::PROVENANCE_INSTALLER) continue;
    for (const v1::Quantity& q : profile.quantities()) {
      EXPECT_TRUE(!q.source().empty() || q.unconfirmed())
          << profile.id() << " " << q.id();
      EXPECT_FALSE(q.source().empty()) << profile.id() << " " << q.id();
    }
    // Only the EMDX3 4 120 45 rests on a published register table.
    int cited = 0;
    for (const v1::Quantity& q : profile.quantities())
      cited += !q.unconfirmed();
    if (profile.provenance() != v1::PROVENANCE_MAKER_TABLE) {
      EXPECT_EQ(cited, 0) << profile.id();
    }
  }
}

TEST(ProfileLoaderTest, LoadsTheShippedProfileDirectory) {
  auto profiles = LoadProfileDirectory("sdk/devices/profiles");
  ASSERT_THAT(profiles, IsOk());
  EXPECT_EQ(profiles->size(), 10u);
}

TEST(ProfileLoaderTest, LoadsAnInstallerFileAndReportsItsName) {
  const std::string dir = std::getenv("TEST_TMPDIR");
  const std::string path = dir + "/mine.textproto";
  std::ofstream(path) << absl::StrReplaceAll(kValid,
                                             {{"scale: 10", "scale: 0"}});
  EXPECT_THAT(LoadProfileFile(path),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr(path + ": quantities[3] (e).scale")));
  EXPECT_THAT(LoadProfileFile(dir + "/missing.textproto"),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace ews::devices

#include "sdk/devices/request_planner.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"
#include "sdk/devices/profile_registry.h"

namespace ews::devices {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::ElementsAre;

void PrintTo(const RegisterSpan& span, std::ostream* os) {
  *os << v1::Table_Name(span.table) << "@0x" << std::hex << span.address
      << std::dec << "+" << span.count;
}

constexpr auto kHolding = v1::TABLE_HOLDING_REGISTERS;
constexpr auto kInput = v1::TABLE_INPUT_REGISTERS;

TEST(RequestPlannerTest, MergesAdjacentAndOverlappingSpans) {
  auto reads = PlanReads({{kHolding, 4, 2},
                          {kHolding, 0, 2},
                          {kHolding, 2, 2},
                          {kHolding, 5, 2},
                          {kHolding, 10, 1}});
  ASSERT_THAT(reads, IsOk());
  EXPECT_THAT(*reads, ElementsAre(RegisterSpan{kHolding, 0, 7},
                                  RegisterSpan{kHolding, 10, 1}));
}

TEST(RequestPlannerTest, KeepsTablesApart) {
  auto reads = PlanReads({{kHolding, 0, 2}, {kInput, 2, 2}});
  ASSERT_THAT(reads, IsOk());
  EXPECT_THAT(*reads, ElementsAre(RegisterSpan{kHolding, 0, 2},
                                  RegisterSpan{kInput, 2, 2}));
}

TEST(RequestPlannerTest, BridgesGapsOnlyWhenAllowed) {
  std::vector<RegisterSpan> spans = {{kHolding, 0, 2}, {kHolding, 4, 2}};
  EXPECT_THAT(
      *PlanReads(spans, 125, 0),
      ElementsAre(RegisterSpan{kHolding, 0, 2}, RegisterSpan{kHolding, 4, 2}));
  EXPECT_THAT(*PlanReads(spans, 125, 2),
              ElementsAre(RegisterSpan{kHolding, 0, 6}));
}

TEST(RequestPlannerTest, NeverExceedsTheReadLimit) {
  std::vector<RegisterSpan> spans;
  for (uint32_t a = 0; a < 300; a += 2) spans.push_back({kHolding, a, 2});
  auto reads = PlanReads(spans);
  ASSERT_THAT(reads, IsOk());
  // 300 registers in reads of at most 125, split between 2-register values.
  EXPECT_THAT(*reads, ElementsAre(RegisterSpan{kHolding, 0, 124},
                                  RegisterSpan{kHolding, 124, 124},
                                  RegisterSpan{kHolding, 248, 52}));
  reads = PlanReads(spans, 10);
  ASSERT_THAT(reads, IsOk());
  EXPECT_EQ(reads->size(), 30u);
}

TEST(RequestPlannerTest, RejectsBadSpansAndLimits) {
  EXPECT_THAT(PlanReads({{kHolding, 0, 0}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PlanReads({{v1::TABLE_UNSPECIFIED, 0, 1}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PlanReads({{kHolding, 65535, 2}}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PlanReads({{kHolding, 0, 1}}, 126),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PlanReads({{kHolding, 0, 4}}, 2),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RequestPlannerTest, PlansTheEmdx3MeasurementBlockInFewReads) {
  absl::StatusOr<ProfileRegistry> registry = ProfileRegistry::BuiltIn();
  ASSERT_THAT(registry, IsOk());
  const v1::Profile* emdx3 = registry->Find("emdx3_4_120_45");
  ASSERT_NE(emdx3, nullptr);
  auto reads = PlanProfileReads(*emdx3);
  ASSERT_THAT(reads, IsOk());
  // 0x1000..0x1029 (V, I, U, P, Q, S, energies, PF, f, signs: the profile
  // allows reading across the 2-register holes), 0x104A..0x104F (THD),
  // 0x1200 (CT ratio).
  EXPECT_THAT(*reads, ElementsAre(RegisterSpan{kHolding, 0x1000, 0x2A},
                                  RegisterSpan{kHolding, 0x104A, 6},
                                  RegisterSpan{kHolding, 0x1200, 1}));
}

TEST(RequestPlannerTest, EveryBuiltInProfileIsPlannable) {
  absl::StatusOr<ProfileRegistry> registry = ProfileRegistry::BuiltIn();
  ASSERT_THAT(registry, IsOk());
  for (const v1::Profile* profile : registry->profiles()) {
    SCOPED_TRACE(profile->id());
    EXPECT_THAT(PlanProfileReads(*profile, PollSet::kHistory), IsOk());
    EXPECT_THAT(PlanProfileReads(*profile, PollSet::kAll), IsOk());
  }
}

}  // namespace
}  // namespace ews::devices

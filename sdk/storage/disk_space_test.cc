#include "sdk/storage/disk_space.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/storage/fake_disk_space.h"
#include "sdk/storage/store.h"

namespace ews::storage {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

constexpr int64_t kMiB = int64_t{1} << 20;

TEST(FreeSpaceBudgetTest, TheConfiguredBudgetWhenThereIsRoom) {
  const FileSystemSpace big{8192 * kMiB, 4096 * kMiB};
  EXPECT_EQ(DiskReserveBytes(big), 32 * kMiB);
  EXPECT_EQ(FreeSpaceBudget(96 * kMiB, 10 * kMiB, big), 96 * kMiB);
}

TEST(FreeSpaceBudgetTest, ThreeQuartersOfTheRoomLessTheReserve) {
  // A 256 MiB partition with 40 MiB free, the store's files 20 MiB: room is
  // 20 + 40 - 25.6 (10 %) MiB.
  const FileSystemSpace flash{256 * kMiB, 40 * kMiB};
  EXPECT_EQ(DiskReserveBytes(flash), 256 * kMiB / 10);
  EXPECT_EQ(FreeSpaceBudget(96 * kMiB, 20 * kMiB, flash),
            (60 * kMiB - 256 * kMiB / 10) / 4 * 3);
  // A 1.2 MB file system: the store's own 1 MiB counts as room.
  const FileSystemSpace tiny{1200 << 10, 0};
  EXPECT_EQ(FreeSpaceBudget(96 * kMiB, kMiB, tiny),
            (kMiB - (1200 << 10) / 10) / 4 * 3);
  // A full disk and no store yet: the minimum, not zero or negative.
  EXPECT_EQ(FreeSpaceBudget(96 * kMiB, 0, tiny), 64 << 10);
}

TEST(StatvfsDiskSpaceTest, AsksTheFileSystem) {
  StatvfsDiskSpace disk;
  auto space = disk.Query(std::getenv("TEST_TMPDIR"));
  ASSERT_THAT(space, IsOk());
  EXPECT_GT(space->total_bytes, 0);
  EXPECT_LE(space->free_bytes, space->total_bytes);
  EXPECT_THAT(disk.Query("/no/such/directory"),
              StatusIs(absl::StatusCode::kNotFound));
}

class StoreDiskSpaceTest : public ::testing::Test {
 protected:
  std::unique_ptr<Store> Open() {
    StoreOptions options;
    options.path = absl::StrCat(
        std::getenv("TEST_TMPDIR"), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".db");
    options.budget_bytes = 96 * kMiB;
    options.disk_space = &disk_;
    auto store = Store::Open(options, &clock_, absl::UTCTimeZone());
    EXPECT_THAT(store, IsOk());
    return store.ok() ? *std::move(store) : nullptr;
  }

  // The minute-tier horizon of the (non-counter) series of a fresh store.
  absl::Duration VoltageMinutes(Store& store) {
    SeriesSpec spec;
    spec.device_id = "meter-1";
    spec.quantity_id = "u1";
    spec.kind = SeriesKind::kInstantaneous;
    spec.unit = "V";
    spec.scale = 0.1;
    EXPECT_THAT(store.RegisterSeries(spec), IsOk());
    auto horizons = store.Horizons();
    EXPECT_THAT(horizons, IsOk());
    return horizons.ok() && !horizons->empty() ? (*horizons)[0].retention[0]
                                               : absl::ZeroDuration();
  }

  SimulatedClock clock_;
  FakeDiskSpace disk_;
};

TEST_F(StoreDiskSpaceTest, TheBudgetRespectsTheFreeSpaceOfItsFileSystem) {
  disk_.Set({8192 * kMiB, 4096 * kMiB});
  auto roomy = Open();
  ASSERT_NE(roomy, nullptr);
  auto stats = roomy->Stats();
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->budget_bytes, 96 * kMiB);
  const absl::Duration full_budget = VoltageMinutes(*roomy);
  // The store asked about its own file system.
  ASSERT_FALSE(disk_.queried().empty());
  EXPECT_EQ(disk_.queried().back(), std::getenv("TEST_TMPDIR"));

  // The same store on a 256 MiB flash partition with 40 MiB free.
  disk_.Set({256 * kMiB, 40 * kMiB});
  ASSERT_THAT(roomy->Consolidate(/*force_prune=*/true), IsOk());
  stats = roomy->Stats();
  ASSERT_THAT(stats, IsOk());
  // (The prune measured the files before its own transaction grew the WAL.)
  EXPECT_NEAR(
      stats->budget_bytes,
      FreeSpaceBudget(96 * kMiB, stats->file_bytes, {256 * kMiB, 40 * kMiB}),
      64 << 10);
  const absl::Duration small_budget = VoltageMinutes(*roomy);
  // Horizons are proportional to the budget (rounded down to hours).
  const double ratio = static_cast<double>(stats->budget_bytes) / (96 * kMiB);
  EXPECT_NEAR(absl::ToDoubleHours(small_budget),
              absl::ToDoubleHours(full_budget) * ratio, 1.0);
  EXPECT_LT(small_budget, full_budget / 8);
}

TEST_F(StoreDiskSpaceTest, AFileSystemThatCannotBeAskedKeepsTheConfiguredOne) {
  disk_.InjectError(absl::PermissionDeniedError("statvfs: denied"));
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto stats = store->Stats();
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->budget_bytes, 96 * kMiB);
}

}  // namespace
}  // namespace ews::storage

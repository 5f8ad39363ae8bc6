// The file view: names, listings, exact sizes, ranges, the role filter and
// path checks, against a real store.
#include "sdk/export/file_view.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"

namespace ews::files {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using storage::SeriesKind;
using storage::SeriesSpec;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

FileAccess Everything() {
  return {[](absl::string_view) { return true; }, true};
}

class FileViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(absl::LoadTimeZone("Europe/Paris", &tz_));
    storage::StoreOptions options;
    options.path = absl::StrCat(
        std::getenv("TEST_TMPDIR"), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".db");
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::remove((options.path + suffix).c_str());
    }
    auto store = storage::Store::Open(options, &clock_, tz_);
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
    auto e = store_->RegisterSeries(
        SeriesSpec{"meter-1", "ea_import", SeriesKind::kCounter, "kWh", 0.001});
    auto v = store_->RegisterSeries(
        SeriesSpec{"meter-1", "u1", SeriesKind::kInstantaneous, "V", 0.1});
    auto w = store_->RegisterSeries(
        SeriesSpec{"water-1", "volume", SeriesKind::kCounter, "L", 1});
    ASSERT_THAT(e, IsOk());
    ASSERT_THAT(v, IsOk());
    ASSERT_THAT(w, IsOk());
    // 2026-01-14 23:00Z .. 2026-01-16 23:00Z: two whole Paris days, a sample
    // every 10 minutes.
    for (int i = 0; i < 2 * 24 * 6; ++i) {
      const absl::Time t = clock_.WallNow();
      clock_.Advance(absl::Minutes(10));
      ASSERT_THAT(store_->Append(*e, t, 1000 + 0.25 * i), IsOk());
      ASSERT_THAT(store_->Append(*v, t, 230 + (i % 7) * 0.1), IsOk());
      ASSERT_THAT(store_->Append(*w, t, 50.0 * i), IsOk());
    }
    ASSERT_THAT(store_->Flush(), IsOk());
    clock_.Advance(absl::Hours(1));
    ASSERT_THAT(store_->Consolidate(), IsOk());
    view_ = std::make_unique<FileView>(store_.get(), clock_, tz_);
  }

  std::string ReadAll(absl::string_view path, uint64_t offset = 0,
                      uint64_t length = kToEnd) {
    std::string out;
    EXPECT_THAT(view_->Read(path, Everything(), offset, length,
                            [&](absl::string_view bytes) {
                              out.append(bytes.data(), bytes.size());
                              return absl::OkStatus();
                            }),
                IsOk());
    return out;
  }

  absl::TimeZone tz_;
  SimulatedClock clock_{
      absl::FromUnixSeconds(1768431600)};  // 01-15 00:00 Paris
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<FileView> view_;
};

std::vector<std::string> Names(const std::vector<FileEntry>& entries) {
  std::vector<std::string> names;
  for (const FileEntry& entry : entries) names.push_back(entry.name);
  return names;
}

TEST_F(FileViewTest, TreeHasStableNames) {
  auto root = view_->List("/", Everything());
  ASSERT_THAT(root, IsOk());
  EXPECT_THAT(Names(*root), ElementsAre("_site", "meter-1", "water-1"));
  auto meter = view_->List("/meter-1/", Everything());
  ASSERT_THAT(meter, IsOk());
  EXPECT_THAT(Names(*meter),
              ElementsAre("meter-1_2026-01-15.csv", "meter-1_2026-01-16.csv",
                          "meter-1_2026-01.csv", "meter-1_2026.csv"));
  auto site = view_->List("/_site", Everything());
  ASSERT_THAT(site, IsOk());
  EXPECT_THAT(Names(*site), ElementsAre("site_2026-01.csv"));
}

TEST_F(FileViewTest, SizesAreExactAndReadsMatchTheExporter) {
  auto meter = view_->List("/meter-1", Everything());
  ASSERT_THAT(meter, IsOk());
  for (const FileEntry& entry : *meter) {
    const std::string path = "/meter-1/" + entry.name;
    const std::string bytes = ReadAll(path);
    EXPECT_EQ(entry.size, static_cast<int64_t>(bytes.size())) << path;
    auto stat = view_->Stat(path, Everything());
    ASSERT_THAT(stat, IsOk());
    EXPECT_EQ(stat->size, entry.size);
    EXPECT_FALSE(stat->is_directory);
  }
  // The day file is the store's minute export of that Paris day.
  storage::CsvRequest request;
  request.device_id = "meter-1";
  request.from = absl::FromCivil(absl::CivilDay(2026, 1, 15), tz_);
  request.to = absl::FromCivil(absl::CivilDay(2026, 1, 16), tz_);
  request.tier = storage::Tier::kMinute;
  std::string expected;
  ASSERT_THAT(store_->ExportCsv(request,
                                [&](absl::string_view bytes) {
                                  expected.append(bytes.data(), bytes.size());
                                  return absl::OkStatus();
                                }),
              IsOk());
  EXPECT_EQ(ReadAll("/meter-1/meter-1_2026-01-15.csv"), expected);
  EXPECT_THAT(expected, HasSubstr("2026-01-15 00:10;60;1000,250;0,250;"));
  auto shared =
      view_->ExportRequestFor("/meter-1/meter-1_2026-01-15.csv", Everything());
  ASSERT_THAT(shared, IsOk());
  EXPECT_EQ(shared->from, request.from);
  EXPECT_EQ(shared->tier, storage::Tier::kMinute);
}

TEST_F(FileViewTest, RangesAreSlicesOfTheWholeFile) {
  const std::string path = "/meter-1/meter-1_2026-01.csv";
  const std::string whole = ReadAll(path);
  ASSERT_GT(whole.size(), 1000u);
  EXPECT_EQ(ReadAll(path, 100, 50), whole.substr(100, 50));
  EXPECT_EQ(ReadAll(path, 700), whole.substr(700));
  EXPECT_EQ(ReadAll(path, whole.size()), "");
  EXPECT_EQ(ReadAll(path, whole.size() + 10), "");
  EXPECT_EQ(ReadAll(path, 0, 0), "");
}

TEST_F(FileViewTest, SiteFileHoldsEveryCountersDailyConsumption) {
  const std::string site = ReadAll("/_site/site_2026-01.csv");
  EXPECT_THAT(site,
              HasSubstr("\xEF\xBB\xBF"
                        "Date;meter-1 ea_import consumption [kWh];water-1 "
                        "volume consumption [L]\r\n"));
  EXPECT_THAT(site, HasSubstr("2026-01-01;;\r\n"));
  // 143 steps of 0.25 kWh and 50 L on the 15th (the first sample is 0).
  EXPECT_THAT(site, HasSubstr("2026-01-15;35,750;7150\r\n"));
  EXPECT_THAT(site, HasSubstr("2026-01-31;;\r\n"));
}

TEST_F(FileViewTest, RoleFilterHidesFolders) {
  FileAccess water_only{[](absl::string_view id) { return id == "water-1"; },
                        false};
  auto root = view_->List("/", water_only);
  ASSERT_THAT(root, IsOk());
  EXPECT_THAT(Names(*root), ElementsAre("water-1"));
  EXPECT_THAT(view_->List("/meter-1", water_only).status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(view_->Stat("/meter-1/meter-1_2026.csv", water_only).status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(view_->Stat("/_site/site_2026-01.csv", water_only).status(),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(view_->Read("/meter-1/meter-1_2026.csv", water_only, 0, kToEnd,
                          [](absl::string_view) { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kNotFound));
  FileAccess nobody{nullptr, false};
  auto empty = view_->List("/", nobody);
  ASSERT_THAT(empty, IsOk());
  EXPECT_TRUE(empty->empty());
}

TEST_F(FileViewTest, TraversalAndMalformedPathsAreRefused) {
  for (const char* path :
       {"", "meter-1", "/..", "/meter-1/../meter-1", "/%2e%2e/x", "/./a",
        "//meter-1", "/meter-1\\x", "/a\nb", "/a/\x7f"}) {
    EXPECT_THAT(view_->Stat(path, Everything()).status(),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << path;
  }
  EXPECT_THAT(view_->Stat(std::string(300, '/'), Everything()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  for (const char* path :
       {"/nope", "/meter-1/meter-1_2025.csv", "/meter-1/water-1_2026.csv",
        "/meter-1/x/y", "/.hidden"}) {
    EXPECT_THAT(view_->Stat(path, Everything()).status(),
                StatusIs(absl::StatusCode::kNotFound))
        << path;
  }
  EXPECT_THAT(view_->List("/meter-1/meter-1_2026.csv", Everything()).status(),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(view_->Read("/meter-1", Everything(), 0, kToEnd,
                          [](absl::string_view) { return absl::OkStatus(); }),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(FileViewTest, TheCurrentPeriodGrows) {
  const absl::Time t = clock_.WallNow();
  auto before = view_->Stat("/water-1/water-1_2026.csv", Everything());
  ASSERT_THAT(before, IsOk());
  auto w = store_->FindSeries("water-1", "volume");
  ASSERT_THAT(w, IsOk());
  ASSERT_THAT(store_->Append(*w, t, 20000), IsOk());
  ASSERT_THAT(store_->Flush(), IsOk());
  auto after = view_->Stat("/water-1/water-1_2026.csv", Everything());
  ASSERT_THAT(after, IsOk());
  EXPECT_GT(after->size, before->size);
  EXPECT_EQ(after->size,
            static_cast<int64_t>(ReadAll("/water-1/water-1_2026.csv").size()));
}

}  // namespace
}  // namespace ews::files

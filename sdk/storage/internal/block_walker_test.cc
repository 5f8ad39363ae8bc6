#include "sdk/storage/internal/block_walker.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"
#include "sdk/storage/internal/tiers.h"

namespace ews::storage::internal {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

constexpr int64_t kDay = 1767225600;  // 2026-01-01T00:00Z
constexpr SeriesId kId = 3;

Record Minute(int64_t start) {
  Record r;
  r.start = start;
  r.a = r.min = r.max = r.last = (start - kDay) / 60;  // minutes since kDay
  r.b = r.samples = 1;
  return r;
}

class BlockWalkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("TEST_TMPDIR");
    path_ = absl::StrCat(dir != nullptr ? dir : "/tmp", "/walker.db");
    std::remove(path_.c_str());
    auto db = Db::Open(path_, Db::Mode::kReadWriteCreate);
    ASSERT_THAT(db, IsOk());
    db_ = *std::move(db);
    ASSERT_THAT(
        db_->Exec("CREATE TABLE tier_minute(series_id INTEGER NOT NULL, start "
                  "INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL, "
                  "PRIMARY KEY(start, series_id)) WITHOUT ROWID;"
                  "CREATE TABLE minute_sealed(key INTEGER PRIMARY KEY, n "
                  "INTEGER NOT NULL, data BLOB NOT NULL);"),
        IsOk());
    info_.id = kId;
    info_.spec.kind = SeriesKind::kInstantaneous;
    // The day before kDay in hour blocks (a file from before sealing), kDay
    // sealed (with an outage from 10:00 to 11:00), the next day open (hours
    // 0..2), and another series' blocks in between.
    for (int64_t hour = kDay - 86400; hour < kDay; hour += 3600) PutHour(hour);
    std::vector<Record> day;
    for (int64_t t = kDay; t < kDay + 86400; t += 60) {
      if (t < kDay + 36000 || t >= kDay + 39600) day.push_back(Minute(t));
    }
    auto put = db_->Prepare("INSERT INTO minute_sealed VALUES(?,?,?)");
    ASSERT_THAT(put, IsOk());
    (*put)
        ->Bind(1, SealedKey(kDay, kId))
        .Bind(2, static_cast<int64_t>(day.size()))
        .BindBlob(3, EncodeSealedBlock(info_.spec.kind, day));
    ASSERT_THAT((*put)->Run(), IsOk());
    (*put)
        ->Bind(1, SealedKey(kDay, kId + 1))
        .Bind(2, int64_t{1})
        .BindBlob(3, EncodeSealedBlock(info_.spec.kind, {Minute(kDay)}));
    ASSERT_THAT((*put)->Run(), IsOk());
    for (int64_t hour = kDay + 86400; hour < kDay + 86400 + 3 * 3600;
         hour += 3600) {
      PutHour(hour);
    }
  }

  void PutHour(int64_t hour) {
    std::vector<Record> minutes;
    for (int64_t t = hour; t < hour + 3600; t += 60)
      minutes.push_back(Minute(t));
    auto put = db_->Prepare("INSERT INTO tier_minute VALUES(?,?,?,?)");
    ASSERT_THAT(put, IsOk());
    (*put)
        ->Bind(1, kId)
        .Bind(2, hour)
        .Bind(3, int64_t{60})
        .BindBlob(4, EncodeBlock(info_.spec.kind, minutes));
    ASSERT_THAT((*put)->Run(), IsOk());
  }

  // Every record the walker returns for [from, to).
  std::vector<int64_t> Walk(int64_t from, int64_t to) {
    std::vector<int64_t> starts;
    auto walker = BlockWalker::Create(*db_, info_, Tier::kMinute, from, to,
                                      absl::UTCTimeZone());
    EXPECT_THAT(walker, IsOk());
    if (!walker.ok()) return starts;
    std::vector<Record> block;
    for (;;) {
      auto more = (*walker)->Next(&block);
      EXPECT_THAT(more, IsOk());
      if (!more.ok() || !*more) break;
      for (const Record& r : block) {
        EXPECT_EQ(r.a, (r.start - kDay) / 60);
        starts.push_back(r.start);
      }
    }
    return starts;
  }

  // The minute starts in [from, to) that SetUp stored.
  static std::vector<int64_t> Expected(int64_t from, int64_t to) {
    std::vector<int64_t> out;
    for (int64_t t = from; t < to; t += 60) {
      if (t >= kDay - 86400 && t < kDay + 86400 + 3 * 3600 &&
          !(t >= kDay + 36000 && t < kDay + 39600)) {
        out.push_back(t);
      }
    }
    return out;
  }

  std::string path_;
  std::unique_ptr<Db> db_;
  SeriesInfo info_;
};

TEST_F(BlockWalkerTest, HourBlocksSealedDaysAndTheOpenDayInOrder) {
  // Periods that start and end inside a day, inside the outage, and span all.
  const int64_t periods[][2] = {
      {kDay - 86400 + 1800, kDay + 86400 + 9000},
      {kDay + 30000, kDay + 40000},
      {kDay + 36060, kDay + 39000},
      {kDay + 86400 - 120, kDay + 86400 + 120},
      {kDay - 7 * 86400, kDay + 30 * 86400},
  };
  for (const auto& p : periods) {
    EXPECT_EQ(Walk(p[0], p[1]), Expected(p[0], p[1])) << p[0] << ".." << p[1];
  }
}

TEST_F(BlockWalkerTest, AVeryLongPeriodIsScannedInTheSameOrder) {
  // Over 200000 hours: a scan of both tables instead of key lookups.
  EXPECT_EQ(Walk(0, kDay + 40 * 365 * 86400LL),
            Expected(kDay - 86400, kDay + 86400 + 3 * 3600));
}

TEST_F(BlockWalkerTest, ADamagedSealedBlockIsADataLoss) {
  ASSERT_THAT(db_->Exec("UPDATE minute_sealed SET data = x'02ff01'"), IsOk());
  auto walker = BlockWalker::Create(*db_, info_, Tier::kMinute, kDay,
                                    kDay + 3600, absl::UTCTimeZone());
  ASSERT_THAT(walker, IsOk());
  std::vector<Record> block;
  EXPECT_THAT((*walker)->Next(&block), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(BlockWalkerTest, TierBlocksSqlCoversBothTablesOfTheMinuteTier) {
  auto stmt = db_->Prepare(absl::StrCat("SELECT COUNT(*), SUM(n) FROM (",
                                        TierBlocksSql(Tier::kMinute), ")"));
  ASSERT_THAT(stmt, IsOk());
  BindBlocksSince(**stmt, kDay);
  ASSERT_THAT((*stmt)->Step(), IsOk());
  EXPECT_EQ((*stmt)->ColumnInt(0), 2 + 3);           // 2 sealed, 3 hours
  EXPECT_EQ((*stmt)->ColumnInt(1), 1380 + 1 + 180);  // minutes in them
}

}  // namespace
}  // namespace ews::storage::internal

#include "apps/server/history_writer.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/capturing_log_sink.h"
#include "sdk/base/log.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"

namespace ews::server {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;

int64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

// The demo's field side in one poll round: `devices` devices with
// `per_device` quantities each (a voltage-like value and one energy counter).
struct Round {
  int devices = 13;
  int per_device = 16;
};

storage::SeriesSpec QuantitySpec(int device, int quantity) {
  storage::SeriesSpec spec;
  spec.device_id = absl::StrCat("meter-", device);
  spec.quantity_id = absl::StrCat("q", quantity);
  spec.unit = "V";
  spec.scale = 0.1;
  spec.kind = storage::SeriesKind::kInstantaneous;
  if (quantity == 0) {
    spec.quantity_id = "ea_import";
    spec.unit = "Wh";
    spec.scale = 1;
    spec.kind = storage::SeriesKind::kCounter;
    spec.counter_bits = 32;
  }
  return spec;
}

// One round of polls, device after device, as the field bus delivers them.
void PollRound(HistoryWriter& writer, absl::Time t, int64_t counter,
               Round round = {}) {
  for (int d = 0; d < round.devices; ++d) {
    for (int q = 0; q < round.per_device; ++q) {
      writer.AppendRaw(QuantitySpec(d, q), t, q == 0 ? counter : 2300 + q);
    }
  }
}

class HistoryWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StoreOptions options;
    options.path =
        std::string(std::getenv("TEST_TMPDIR")) + "/" +
        ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    auto store = storage::Store::Open(options, &clock_, absl::UTCTimeZone());
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
  }

  storage::SeriesSpec Energy(double scale) {
    storage::SeriesSpec spec;
    spec.device_id = "meter-1";
    spec.quantity_id = "ea_import";
    spec.kind = storage::SeriesKind::kCounter;
    spec.unit = "Wh";
    spec.scale = scale;
    spec.counter_bits = 32;
    return spec;
  }

  double Last(const storage::SeriesSpec& spec) {
    auto id = store_->FindSeries(spec.device_id, spec.quantity_id);
    EXPECT_THAT(id, IsOk());
    auto points =
        store_->Read(*id, storage::Tier::kMinute, absl::FromUnixSeconds(0),
                     clock_.WallNow() + absl::Hours(1));
    EXPECT_THAT(points, IsOk());
    EXPECT_FALSE(points->empty());
    return points->empty() ? -1 : points->back().counter;
  }

  SimulatedClock clock_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(HistoryWriterTest, RegistersOnFirstUseAndKeepsTheExactInteger) {
  const storage::SeriesSpec spec = Energy(10);  // 10 Wh per count
  ASSERT_THAT(AppendRawToHistory(*store_, spec, clock_.WallNow(), 123456789),
              IsOk());
  ASSERT_THAT(store_->Flush(), IsOk());
  EXPECT_DOUBLE_EQ(Last(spec), 1234567890.0);
}

TEST_F(HistoryWriterTest, ACtRatioChangeKeepsTheSeriesUnits) {
  ASSERT_THAT(AppendRawToHistory(*store_, Energy(10), clock_.WallNow(), 1000),
              IsOk());  // 10 kWh
  clock_.Advance(absl::Minutes(1));
  // The meter now counts in 1 Wh: 10,500 counts are 10.5 kWh, not 105 kWh.
  ASSERT_THAT(AppendRawToHistory(*store_, Energy(1), clock_.WallNow(), 10500),
              IsOk());
  ASSERT_THAT(store_->Flush(), IsOk());
  EXPECT_DOUBLE_EQ(Last(Energy(10)), 10500.0);
}

TEST_F(HistoryWriterTest, AnotherKindUnderTheSameIdIsRefused) {
  ASSERT_THAT(AppendRawToHistory(*store_, Energy(10), clock_.WallNow(), 1),
              IsOk());
  storage::SeriesSpec power = Energy(10);
  power.kind = storage::SeriesKind::kInstantaneous;
  power.counter_bits = 0;
  EXPECT_THAT(AppendValueToHistory(*store_, power, clock_.WallNow(), 5),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

class HistoryWriterRoundsTest : public HistoryWriterTest {
 protected:
  std::unique_ptr<HistoryWriter> Writer(absl::Duration interval) {
    HistoryWriterOptions options;
    options.commit_interval = interval;
    options.commit_on_schedule = false;
    return std::make_unique<HistoryWriter>(*store_, clock_, options);
  }
  // Stored minute records of meter-<device>'s energy counter.
  size_t Minutes(int device = 0) {
    auto id = store_->FindSeries(absl::StrCat("meter-", device), "ea_import");
    if (!id.ok()) return 0;
    auto points =
        store_->Read(*id, storage::Tier::kMinute, absl::FromUnixSeconds(0),
                     clock_.WallNow() + absl::Hours(1));
    EXPECT_THAT(points, IsOk());
    return points.ok() ? points->size() : 0;
  }
  std::string Wal() {
    return std::string(std::getenv("TEST_TMPDIR")) + "/" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() +
           ".db-wal";
  }
};

TEST_F(HistoryWriterRoundsTest, APollRoundIsOneCommitAtTheTickNotOnePerDevice) {
  auto writer = Writer(absl::Minutes(1));
  // 00:00:00: the first round registers the series.
  PollRound(*writer, clock_.WallNow(), 1000);
  EXPECT_EQ(writer->NextCommitAfter(clock_.WallNow()),
            clock_.WallNow() + absl::Seconds(30));
  clock_.Advance(absl::Seconds(30));
  writer->CommitIfDue();
  EXPECT_EQ(Minutes(), 1u);

  // 00:01:00: the next round, 13 devices. Nothing reaches the disk per device.
  clock_.Advance(absl::Seconds(30));
  const int64_t wal_before = FileSize(Wal());
  auto stats = store_->Stats();
  ASSERT_THAT(stats, IsOk());
  const int64_t log_records_before = stats->log_records;
  PollRound(*writer, clock_.WallNow(), 1010);
  writer->CommitIfDue();  // 00:01:00: not due
  EXPECT_EQ(Minutes(), 1u);
  EXPECT_EQ(writer->Health().buffered_samples, 13 * 16);
  clock_.Advance(absl::Seconds(30));
  writer->CommitIfDue();  // 00:01:30: the round's commit
  EXPECT_EQ(Minutes(), 2u);
  EXPECT_EQ(Minutes(12), 2u);
  // One commit: one record appended to the store's sample log, not thirteen,
  // and nothing written to SQLite's WAL.
  stats = store_->Stats();
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->log_records, log_records_before + 1);
  EXPECT_EQ(FileSize(Wal()), wal_before);
  const HistoryWrites health = writer->Health();
  EXPECT_EQ(health.state, HistoryWrites::State::kOk);
  EXPECT_EQ(health.committed_samples, 2 * 13 * 16);
  EXPECT_EQ(health.buffered_samples, 0);
  EXPECT_EQ(health.last_commit, clock_.WallNow());
}

TEST_F(HistoryWriterRoundsTest, FlashSavingCommitsEveryFewMinutesAndAllOnStop) {
  auto writer = Writer(absl::Minutes(5));
  EXPECT_EQ(writer->NextCommitAfter(clock_.WallNow()),
            clock_.WallNow() + absl::Seconds(30));
  EXPECT_EQ(writer->NextCommitAfter(clock_.WallNow() + absl::Seconds(30)),
            clock_.WallNow() + absl::Minutes(5) + absl::Seconds(30));
  clock_.Advance(absl::Seconds(31));
  writer->CommitIfDue();  // 00:00:31: nothing yet; the next is at 00:05:30
  for (int minute = 1; minute <= 6; ++minute) {
    clock_.Advance(absl::Minutes(1));
    PollRound(*writer, clock_.WallNow() - absl::Seconds(31), 1000 + minute);
    writer->CommitIfDue();
    // 00:05:31 is the first commit: the rounds of minutes 1 to 5 together.
    EXPECT_EQ(Minutes(), minute < 5 ? 0u : 5u) << "minute " << minute;
  }
  // A clean stop loses nothing.
  writer->Stop();
  EXPECT_EQ(Minutes(), 6u);
  EXPECT_EQ(writer->Health().buffered_samples, 0);
}

TEST_F(HistoryWriterRoundsTest, ABadSampleIsRejectedAndTheRestCommitted) {
  auto writer = Writer(absl::Minutes(1));
  PollRound(*writer, clock_.WallNow(), 1000, {2, 3});
  // The same time again for one series: not after its previous sample.
  writer->AppendRaw(QuantitySpec(0, 0), clock_.WallNow(), 1000);
  EXPECT_THAT(writer->Commit(), IsOk());
  const HistoryWrites health = writer->Health();
  EXPECT_EQ(health.state, HistoryWrites::State::kOk);
  EXPECT_EQ(health.committed_samples, 6);
  EXPECT_EQ(health.rejected_samples, 1);
  EXPECT_EQ(Minutes(1), 1u);
}

TEST(HistoryHealthJsonTest, SaysWhatHappened) {
  HistoryWrites health;
  health.state = HistoryWrites::State::kDiskFull;
  health.since = absl::FromUnixSeconds(1767225600);
  health.problem = absl::ResourceExhaustedError("database or disk is \"full\"");
  health.buffered_samples = 2000;
  health.committed_samples = 5000;
  health.dropped_samples = 7;
  health.rejected_samples = 1;
  health.commit_interval = absl::Minutes(5);
  EXPECT_EQ(HistoryWritesJson(health),
            R"({"state":"disk_full","since":"2026-01-01T00:00:00Z",)"
            R"("problem":"database or disk is \"full\"",)"
            R"("buffered_samples":2000,"dropped_samples":7,)"
            R"("rejected_samples":1,"committed_samples":5000,)"
            R"("last_commit":null,"commit_interval_s":300})");
  EXPECT_EQ(HistoryWritesJson(HistoryWrites{}).substr(0, 30),
            R"({"state":"ok","since":null,"bu)");
}

// A 1.2 MB file system for the data directory (a tmpfs in a mount namespace of
// the test's own; skipped where mounting is refused).
class FullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/small";
    ASSERT_EQ(::mkdir(dir_.c_str(), 0700), 0) << std::strerror(errno);
    if (::unshare(CLONE_NEWNS) != 0 ||
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        ::mount("tmpfs", dir_.c_str(), "tmpfs", 0, "size=1200k") != 0) {
      GTEST_SKIP() << "cannot mount a 1.2 MB tmpfs here ("
                   << std::strerror(errno)
                   << "): the full-disk test needs root (CAP_SYS_ADMIN)";
    }
    mounted_ = true;
    storage::StoreOptions options;
    options.path = dir_ + "/history.db";
    auto store = storage::Store::Open(options, &clock_, absl::UTCTimeZone());
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
    log::SetSink(&log_);
  }
  void TearDown() override {
    log::SetSink(nullptr);
    store_.reset();
    if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
  }

  // Fills the file system to the last byte.
  void Fill() {
    FILE* f = std::fopen((dir_ + "/filler").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::vector<char> block(4096, 'x');
    while (std::fwrite(block.data(), 1, block.size(), f) == block.size()) {
    }
    std::fclose(f);
  }

  size_t Stored(int device, absl::Time from) {
    auto id = store_->FindSeries(absl::StrCat("meter-", device), "ea_import");
    if (!id.ok()) return 0;
    auto points = store_->Read(*id, storage::Tier::kMinute, from,
                               clock_.WallNow() + absl::Hours(1));
    return points.ok() ? points->size() : 0;
  }

  std::string dir_;
  bool mounted_ = false;
  SimulatedClock clock_;
  std::unique_ptr<storage::Store> store_;
  log::CapturingLogSink log_;
};

TEST_F(FullDiskTest, ReportsBuffersTheNewestAndRecoversWhenSpaceReturns) {
  HistoryWriterOptions options;
  options.commit_on_schedule = false;
  options.max_buffered_samples = 150;
  HistoryWriter writer(*store_, clock_, options);
  // The store's budget fits the file system it is on, not the configured
  // 96 MiB.
  auto stats = store_->Stats();
  ASSERT_THAT(stats, IsOk());
  EXPECT_LT(stats->budget_bytes, 1200 << 10);
  const Round round{4, 8};  // 32 samples a round
  int64_t counter = 1000;
  PollRound(writer, clock_.WallNow(), counter, round);
  ASSERT_THAT(writer.Commit(), IsOk());

  Fill();
  const absl::Time full_since = clock_.WallNow() + absl::Minutes(1);
  absl::Status status;
  for (int minute = 1; minute <= 30; ++minute) {
    clock_.Advance(absl::Minutes(1));
    PollRound(writer, clock_.WallNow(), counter += 10, round);
    status = writer.Commit();
  }
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kResourceExhausted));
  HistoryWrites health = writer.Health();
  EXPECT_EQ(health.state, HistoryWrites::State::kDiskFull);
  EXPECT_GE(health.since, full_since);
  EXPECT_THAT(HistoryWritesJson(health), HasSubstr(R"("state":"disk_full")"));
  // Bounded: the writer's buffer plus the one batch left in the store.
  EXPECT_LE(health.buffered_samples, 150 + 32);
  EXPECT_GT(health.dropped_samples, 0);
  // Not a warning per poll: one line when it started (a summary every 10
  // minutes follows while it lasts).
  EXPECT_LE(log_.Messages(log::Level::kWarning).size(), 4u)
      << absl::StrJoin(log_.Messages(log::Level::kWarning), "\n");

  // Space returns: the next commit writes what was kept, newest included.
  ASSERT_EQ(::unlink((dir_ + "/filler").c_str()), 0);
  clock_.Advance(absl::Minutes(1));
  PollRound(writer, clock_.WallNow(), counter += 10, round);
  EXPECT_THAT(writer.Commit(), IsOk());
  health = writer.Health();
  EXPECT_EQ(health.state, HistoryWrites::State::kOk);
  EXPECT_EQ(health.buffered_samples, 0);
  EXPECT_EQ(health.since, clock_.WallNow());
  EXPECT_TRUE(log_.Contains("history is written again"));
  // Kept: the round whose commit failed first (it stayed in the store) and the
  // newest 150 samples (the last 4.7 rounds): device 0 has minutes 0, 1 and
  // 28 to 31.
  EXPECT_EQ(Stored(0, clock_.WallNow() - absl::Minutes(3)), 4u);
  EXPECT_EQ(Stored(0, absl::UnixEpoch()), 6u);
  EXPECT_THAT(store_->CheckIntegrity(), IsOk());
}

}  // namespace
}  // namespace ews::server

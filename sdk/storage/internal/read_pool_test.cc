#include "sdk/storage/internal/read_pool.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"
#include "sdk/storage/internal/db.h"

namespace ews::storage::internal {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

// Every wait in these tests is bounded by this; a pool that serialised its
// readers would hit it and fail rather than hang.
constexpr absl::Duration kBound = absl::Seconds(20);

std::string TempPath(const std::string& name) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::remove((path + suffix).c_str());
  }
  return path;
}

// A WAL database at `path` with table t of `rows` rows; the writer stays open
// (as the store's does), so the WAL stays in place.
std::unique_ptr<Db> CreateTable(const std::string& path, int rows) {
  auto db = Db::Open(path, Db::Mode::kReadWriteCreate);
  EXPECT_THAT(db, IsOk());
  if (!db.ok()) return nullptr;
  EXPECT_THAT((*db)->QueryText("PRAGMA journal_mode=WAL"), IsOk());
  EXPECT_THAT((*db)->Exec("CREATE TABLE t(k INTEGER PRIMARY KEY)"), IsOk());
  for (int k = 0; k < rows; ++k) {
    EXPECT_THAT((*db)->Exec(absl::StrCat("INSERT INTO t VALUES(", k, ")")),
                IsOk());
  }
  return *std::move(db);
}

int64_t Count(Db& db) {
  absl::StatusOr<int64_t> n = db.QueryInt("SELECT COUNT(*) FROM t");
  EXPECT_THAT(n, IsOk());
  return n.ok() ? *n : -1;
}

// Each of N threads leases a connection, opens a read transaction and waits
// until all N are inside theirs at once: only possible with N connections
// lent at the same time. The writer commits meanwhile (WAL: not blocked by
// the readers), and every reader keeps its snapshot until it commits.
TEST(ReadPoolTest, ConcurrentReadersEachHoldAConnectionOfTheirOwn) {
  const std::string path = TempPath("concurrent.db");
  std::unique_ptr<Db> writer = CreateTable(path, 100);
  ASSERT_NE(writer, nullptr);
  constexpr int kReaders = 3;
  ReadPool pool;
  ASSERT_THAT(pool.Open(path, kReaders), IsOk());
  EXPECT_EQ(pool.size(), kReaders);

  absl::Mutex mu;
  int inside = 0;        // readers inside their transaction
  bool written = false;  // the writer has committed row 100
  int saw_before = 0;    // readers whose snapshot had 100 rows
  int saw_after = 0;     // readers that then saw 101
  bool all_met = true;
  std::vector<std::thread> threads;
  for (int i = 0; i < kReaders; ++i) {
    threads.emplace_back([&] {
      absl::StatusOr<ReadPool::Lease> lease = pool.Acquire();
      ASSERT_THAT(lease, IsOk());
      Db& db = **lease;
      ASSERT_THAT(db.Exec("BEGIN"), IsOk());
      const int64_t before = Count(db);  // fixes the snapshot
      {
        absl::MutexLock lock(&mu);
        ++inside;
        auto written_now = [&] { return written; };
        if (!mu.AwaitWithTimeout(absl::Condition(&written_now), kBound)) {
          all_met = false;
        }
      }
      const int64_t still = Count(db);  // same snapshot
      ASSERT_THAT(db.Exec("COMMIT"), IsOk());
      const int64_t after = Count(db);
      absl::MutexLock lock(&mu);
      if (before == 100 && still == 100) ++saw_before;
      if (after == 101) ++saw_after;
    });
  }
  {
    absl::MutexLock lock(&mu);
    auto all_inside = [&] { return inside == kReaders; };
    EXPECT_TRUE(mu.AwaitWithTimeout(absl::Condition(&all_inside), kBound))
        << "only " << inside << " of " << kReaders << " readers at once";
  }
  EXPECT_THAT(writer->Exec("INSERT INTO t VALUES(100)"), IsOk());
  {
    absl::MutexLock lock(&mu);
    written = true;
  }
  for (std::thread& t : threads) t.join();
  EXPECT_TRUE(all_met);
  EXPECT_EQ(saw_before, kReaders);
  EXPECT_EQ(saw_after, kReaders);
}

// More callers than connections: each waits for one to be given back, and
// never gets one that is still lent.
TEST(ReadPoolTest, CallersBeyondThePoolWaitForAConnection) {
  const std::string path = TempPath("wait.db");
  std::unique_ptr<Db> writer = CreateTable(path, 10);
  ASSERT_NE(writer, nullptr);
  ReadPool pool;
  ASSERT_THAT(pool.Open(path, 2), IsOk());
  absl::Mutex mu;
  int lent = 0;
  int most_lent = 0;
  int64_t rows = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      for (int q = 0; q < 50; ++q) {
        absl::StatusOr<ReadPool::Lease> lease = pool.Acquire();
        ASSERT_THAT(lease, IsOk());
        {
          absl::MutexLock lock(&mu);
          most_lent = std::max(most_lent, ++lent);
        }
        const int64_t n = Count(**lease);
        absl::MutexLock lock(&mu);
        --lent;
        rows += n;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_LE(most_lent, 2);
  EXPECT_EQ(rows, 6 * 50 * 10);
  EXPECT_EQ(pool.size(), 2);
}

// Close() waits for the lent connection, then refuses leases; the pool opens
// again on a file that replaced the first (what the store's recovery does).
TEST(ReadPoolTest, CloseWaitsForLeasesAndThePoolReopensOnAFreshFile) {
  const std::string path = TempPath("close.db");
  std::unique_ptr<Db> writer = CreateTable(path, 5);
  ASSERT_NE(writer, nullptr);
  ReadPool pool;
  ASSERT_THAT(pool.Open(path, 2), IsOk());
  absl::StatusOr<ReadPool::Lease> acquired = pool.Acquire();
  ASSERT_THAT(acquired, IsOk());
  std::optional<ReadPool::Lease> lease(*std::move(acquired));
  absl::Mutex mu;
  bool given_back = false;
  bool closed_after_give_back = false;
  std::thread closer([&] {
    pool.Close();
    absl::MutexLock lock(&mu);
    closed_after_give_back = given_back;
  });
  // Close() is now waiting (or about to): the lease still works.
  EXPECT_EQ(Count(**lease), 5);
  // Not needed for a pass; gives a Close() that did not wait the time to
  // return early and be caught.
  absl::SleepFor(absl::Milliseconds(50));
  {
    absl::MutexLock lock(&mu);
    given_back = true;
  }
  lease.reset();
  closer.join();
  EXPECT_TRUE(closed_after_give_back);
  EXPECT_EQ(pool.size(), 0);
  EXPECT_THAT(pool.Acquire(), StatusIs(absl::StatusCode::kFailedPrecondition));

  // Recovery: the file moved aside, a fresh one in its place.
  writer.reset();
  ASSERT_EQ(std::rename(path.c_str(), (path + ".aside").c_str()), 0);
  std::remove((path + "-wal").c_str());
  std::remove((path + "-shm").c_str());
  writer = CreateTable(path, 2);
  ASSERT_NE(writer, nullptr);
  ASSERT_THAT(pool.Open(path, 2), IsOk());
  absl::StatusOr<ReadPool::Lease> fresh = pool.Acquire();
  ASSERT_THAT(fresh, IsOk());
  EXPECT_EQ(Count(**fresh), 2);
}

TEST(ReadPoolTest, BadArgumentsAndMissingFilesGetAClearError) {
  const std::string path = TempPath("args.db");
  std::unique_ptr<Db> writer = CreateTable(path, 1);
  ASSERT_NE(writer, nullptr);
  ReadPool pool;
  EXPECT_THAT(pool.Acquire(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(pool.Open(path, -1),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(pool.Open(TempPath("missing.db"), 2), ::testing::Not(IsOk()));
  EXPECT_EQ(pool.size(), 0);  // nothing left open
  ASSERT_THAT(pool.Open(path, 0), IsOk());
  EXPECT_EQ(pool.size(), ReadPool::AutomaticSize());
  EXPECT_GE(ReadPool::AutomaticSize(), 2);
  EXPECT_LE(ReadPool::AutomaticSize(), 4);
  EXPECT_THAT(pool.Open(path, 1),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(pool.size(), ReadPool::AutomaticSize());
}

}  // namespace
}  // namespace ews::storage::internal

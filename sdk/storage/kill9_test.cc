// Kills a writer process with SIGKILL at random moments, again and again, then
// checks that every sample it acknowledged is stored and the database passes
// PRAGMA integrity_check.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/storage/store.h"

namespace ews::storage {
namespace {

using ::ews::testing::IsOk;

std::string WriterPath() {
  return absl::StrCat(std::getenv("TEST_SRCDIR"),
                      "/ews/sdk/storage/bench/kill9_writer");
}

// Runs the writer for about `run_for`, kills it with SIGKILL and returns the
// highest sequence number it acknowledged (`acked` when none). A restarted
// writer resumes after what is durable, which includes at least everything
// acknowledged before.
int64_t RunAndKill(const std::string& db, int seed, absl::Duration run_for,
                   int64_t acked) {
  int out[2];
  if (pipe(out) != 0) return -2;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    const std::string writer = WriterPath();
    const std::string seed_text = absl::StrCat(seed);
    execl(writer.c_str(), writer.c_str(), db.c_str(), seed_text.c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(out[1]);
  std::string text;
  char buffer[4096];
  const absl::Time deadline = absl::Now() + run_for;
  bool killed = false;
  for (;;) {
    const absl::Duration left = deadline - absl::Now();
    if (!killed && left <= absl::ZeroDuration()) {
      kill(pid, SIGKILL);
      killed = true;
    }
    pollfd pfd{out[0], POLLIN, 0};
    const int wait_ms =
        killed ? 1000 : static_cast<int>(absl::ToInt64Milliseconds(left)) + 1;
    if (poll(&pfd, 1, wait_ms) <= 0) continue;
    const ssize_t n = read(out[0], buffer, sizeof(buffer));
    if (n <= 0) break;  // EOF: the writer is gone
    text.append(buffer, n);
  }
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "writer exited by itself with status " << status;
  int64_t last = -1;
  bool first = true;
  // Only complete lines were acknowledged: a partial last line is ignored.
  const size_t end = text.rfind('\n');
  if (end == std::string::npos) return acked;
  for (absl::string_view line :
       absl::StrSplit(absl::string_view(text).substr(0, end), '\n')) {
    int64_t seq;
    EXPECT_TRUE(absl::SimpleAtoi(line, &seq)) << line;
    if (first) {
      EXPECT_GT(seq, acked) << "resumed before an acknowledged sample";
    } else {
      EXPECT_EQ(seq, last + 1) << "acknowledged out of sequence";
    }
    first = false;
    last = seq;
  }
  return last;
}

TEST(Kill9Test, EveryAcknowledgedSampleSurvivesSigkill) {
  const std::string db = absl::StrCat(std::getenv("TEST_TMPDIR"), "/kill9.db");
  for (const char* suffix : {"", "-wal", "-shm", "-log"}) {
    std::remove((db + suffix).c_str());
  }
  std::mt19937 rng(20261125);
  int64_t acked = -1;
  for (int iteration = 0; iteration < 20; ++iteration) {
    const absl::Duration run_for = absl::Milliseconds(50 + rng() % 400);
    acked = RunAndKill(db, static_cast<int>(rng()), run_for, acked);
  }
  ASSERT_GT(acked, 100) << "the writer made too little progress to be a test";

  const absl::Time t0 = absl::FromUnixSeconds(1767225600);
  SimulatedClock clock(t0 + absl::Minutes(acked + 1));
  StoreOptions options;
  options.path = db;
  options.recover_corrupt = false;
  absl::TimeZone tz;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Paris", &tz));
  auto store = Store::Open(options, &clock, tz);
  ASSERT_THAT(store, IsOk());
  EXPECT_THAT((*store)->CheckIntegrity(), IsOk());
  for (int i = 0; i < 4; ++i) {
    auto id = (*store)->FindSeries(absl::StrCat("dev-", i),
                                   i % 2 == 0 ? "ea_import" : "p_total");
    ASSERT_THAT(id, IsOk());
    auto points =
        (*store)->Read(*id, Tier::kMinute, t0, t0 + absl::Minutes(acked + 1));
    ASSERT_THAT(points, IsOk());
    ASSERT_EQ(static_cast<int64_t>(points->size()), acked + 1)
        << "series " << i;
    for (int64_t seq = 0; seq <= acked; ++seq) {
      const Point& p = (*points)[seq];
      ASSERT_EQ(p.start, t0 + absl::Minutes(seq));
      if (i % 2 == 0) {
        ASSERT_EQ(p.counter, static_cast<double>(seq));
        ASSERT_EQ(p.delta, seq == 0 ? 0.0 : 1.0) << seq;
      } else {
        ASSERT_EQ(p.avg, static_cast<double>(seq % 977));
      }
    }
  }
  // The tiers written by consolidations that were interrupted at random are
  // consistent: every full hour of counter 0 holds 60 Wh (the first 59).
  ASSERT_THAT((*store)->Consolidate(), IsOk());
  auto id = (*store)->FindSeries("dev-0", "ea_import");
  ASSERT_THAT(id, IsOk());
  const int64_t full_hours = (acked + 1) / 60;
  auto hours =
      (*store)->Totals(*id, Tier::kHour, t0, t0 + absl::Hours(full_hours));
  ASSERT_THAT(hours, IsOk());
  ASSERT_EQ(static_cast<int64_t>(hours->size()), full_hours);
  for (int64_t h = 0; h < full_hours; ++h) {
    ASSERT_EQ((*hours)[h].delta, h == 0 ? 59.0 : 60.0) << "hour " << h;
  }
  std::printf("acknowledged samples checked: %lld per series\n",
              static_cast<long long>(acked + 1));
}

}  // namespace
}  // namespace ews::storage

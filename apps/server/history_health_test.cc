#include "apps/server/history_health.h"

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include <set>
#include <string>

#include "gtest/gtest.h"
#include "sdk/base/files.h"
#include "sdk/base/status_matchers.h"

namespace ews::server {
namespace {

using ::ews::testing::IsOk;

std::string MakeTempDir() {
  std::string dir = std::string(getenv("TEST_TMPDIR")) + "/XXXXXX";
  EXPECT_NE(mkdtemp(dir.data()), nullptr);
  return dir;
}

std::set<std::string> List(const std::string& dir) {
  std::set<std::string> names;
  DIR* listing = opendir(dir.c_str());
  while (const dirent* entry = readdir(listing)) {
    if (entry->d_name[0] != '.') names.insert(entry->d_name);
  }
  closedir(listing);
  return names;
}

TEST(PruneMovedAsideHistoryTest, KeepsTheNewestCopiesWithTheirWalAndShm) {
  const std::string dir = MakeTempDir();
  for (const char* name :
       {"history.db", "history.db-wal", "history.db.corrupt-20261201T000000Z",
        "history.db.corrupt-20261201T000000Z-wal",
        "history.db.corrupt-20261202T000000Z",
        "history.db.corrupt-20261203T000000Z",
        "history.db.corrupt-20261203T000000Z-shm",
        "history.db.corrupt-20261204T000000Z", "other.corrupt-20200101T000000Z",
        "config.textproto.corrupt-20200101T000000Z",
        "history.db-log.corrupt-20261201T000000Z",
        "history.db-log.corrupt-20261202T000000Z",
        "history.db-log.corrupt-20261205T000000Z"}) {
    ASSERT_THAT(WriteFileAtomically(dir + "/" + name, "x", 0600), IsOk());
  }
  ASSERT_THAT(PruneMovedAsideHistory(dir + "/history.db", 2), IsOk());
  EXPECT_EQ(List(dir),
            (std::set<std::string>{"history.db", "history.db-wal",
                                   "history.db.corrupt-20261203T000000Z",
                                   "history.db.corrupt-20261203T000000Z-shm",
                                   "history.db.corrupt-20261204T000000Z",
                                   "other.corrupt-20200101T000000Z",
                                   "config.textproto.corrupt-20200101T000000Z",
                                   "history.db-log.corrupt-20261202T000000Z",
                                   "history.db-log.corrupt-20261205T000000Z"}));
  // Within the bound nothing goes.
  ASSERT_THAT(PruneMovedAsideHistory(dir + "/history.db", 2), IsOk());
  EXPECT_EQ(List(dir).size(), 9u);
}

TEST(PruneMovedAsideHistoryTest, AMissingDirectoryIsAnError) {
  EXPECT_FALSE(PruneMovedAsideHistory("/nonexistent/dir/history.db", 3).ok());
}

TEST(HistoryIncidentsTest, AReportSurvivesARestartUntilAcknowledged) {
  const std::string dir = MakeTempDir();
  HistoryCorruption corruption{absl::FromUnixSeconds(1796640000),
                               dir + "/history.db.corrupt-X",
                               "history database was corrupt\n(moved)"};
  {
    HistoryIncidents incidents(dir);
    EXPECT_FALSE(incidents.Unacknowledged().has_value());
    ASSERT_THAT(incidents.RecordCorruption(corruption), IsOk());
  }
  {
    HistoryIncidents restarted(dir);
    std::optional<HistoryCorruption> kept = restarted.Unacknowledged();
    ASSERT_TRUE(kept.has_value());
    EXPECT_EQ(kept->since, corruption.since);
    EXPECT_EQ(kept->moved_aside, corruption.moved_aside);
    EXPECT_EQ(kept->problem, "history database was corrupt (moved)");
    ASSERT_THAT(restarted.Acknowledge(), IsOk());
    EXPECT_FALSE(restarted.Unacknowledged().has_value());
    ASSERT_THAT(restarted.Acknowledge(), IsOk());  // idempotent
  }
  EXPECT_FALSE(HistoryIncidents(dir).Unacknowledged().has_value());
}

TEST(HistoryIncidentsTest, AGarbledReportIsIgnored) {
  const std::string dir = MakeTempDir();
  ASSERT_THAT(WriteFileAtomically(dir + "/history.incident", "garbage", 0600),
              IsOk());
  EXPECT_FALSE(HistoryIncidents(dir).Unacknowledged().has_value());
}

std::string Json(const HistoryHealth& health) {
  http::JsonWriter json;
  json.BeginObject();
  health.WriteJson(json);
  json.EndObject();
  return json.Take();
}

TEST(HistoryHealthTest, SaysWhatNeedsAttention) {
  HistoryHealth health;
  health.available = true;
  EXPECT_EQ(Json(health), R"({"history":true,"history_state":{"state":"ok"}})");

  health.corruption =
      HistoryCorruption{absl::FromUnixSeconds(0), "/d/h.corrupt-1", "corrupt"};
  EXPECT_EQ(Json(health),
            R"({"history":false,"history_state":{)"
            R"("state":"recovered_from_corruption","problem":"corrupt",)"
            R"("since":"1970-01-01T00:00:00Z","moved_aside":"/d/h.corrupt-1",)"
            R"("acknowledge":"POST /api/v1/history/acknowledge"}})");

  HistoryHealth none;
  none.open_error = absl::FailedPreconditionError("read-only");
  EXPECT_EQ(
      Json(none),
      R"({"history":false,"history_state":{"state":"unavailable","problem":"read-only"}})");
}

}  // namespace
}  // namespace ews::server

#include "sdk/config/config_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/capturing_log_sink.h"
#include "sdk/base/log.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/config/test_util.h"
#include "sdk/config/text_json.h"

namespace ews::config {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void WriteAll(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(d);
  return names;
}

class ConfigStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    ASSERT_NE(tmp, nullptr);
    const ::testing::TestInfo* info =
        ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = absl::StrCat(tmp, "/", info->test_suite_name(), ".", info->name());
    for (size_t i = std::strlen(tmp) + 1; i < dir_.size(); ++i) {
      if (dir_[i] == '/') dir_[i] = '_';
    }
    ASSERT_EQ(::mkdir(dir_.c_str(), 0700), 0) << dir_;
    previous_sink_ = log::SetSink(&logs_);
  }
  void TearDown() override { log::SetSink(previous_sink_); }

  v1::DeviceConfig Config(const std::string& site_name) {
    v1::DeviceConfig config = testing::RichConfig();
    config.mutable_site()->set_name(site_name);
    return config;
  }

  std::string dir_;
  SimulatedClock clock_{absl::FromUnixSeconds(1767225600)};  // 2026-01-01
  log::CapturingLogSink logs_;
  log::LogSink* previous_sink_ = nullptr;
};

TEST_F(ConfigStoreTest, FirstStartIsNotFound) {
  ConfigStore store(dir_, clock_);
  EXPECT_THAT(store.Load(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("first start")));
  EXPECT_THAT(ListDir(dir_), IsEmpty());
}

TEST_F(ConfigStoreTest, MissingDirectoryIsNotFound) {
  ConfigStore store(dir_ + "/absent", clock_);
  EXPECT_THAT(store.Load(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("first start")));
}

// Another process (the ctl tool) holding the directory lock makes Save()
// wait: the file changes only once the lock is released.
TEST_F(ConfigStoreTest, SaveWaitsForAnotherProcessesLock) {
  ConfigStore store(dir_, clock_);
  ASSERT_THAT(store.Save(Config("one")), IsOk());
  int fd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);  // own open file description

  absl::Notification saved;
  std::thread saver([&] {
    EXPECT_THAT(store.Save(Config("two")), IsOk());
    saved.Notify();
  });
  // Cannot prove a negative without waiting a little; a broken lock shows
  // up as a failure here, a slow machine only as a weaker test.
  EXPECT_FALSE(saved.WaitForNotificationWithTimeout(absl::Milliseconds(200)));
  EXPECT_EQ(FromText(ReadAll(store.config_path()))->site().name(), "one");
  ASSERT_EQ(::close(fd), 0);  // releases the lock
  saver.join();
  EXPECT_EQ(FromText(ReadAll(store.config_path()))->site().name(), "two");
}

TEST_F(ConfigStoreTest, SaveThenLoadRoundTrips) {
  ConfigStore store(dir_, clock_);
  ASSERT_THAT(store.Save(testing::RichConfig()), IsOk());
  absl::StatusOr<v1::DeviceConfig> loaded = store.Load();
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->SerializeAsString(),
            testing::RichConfig().SerializeAsString());
  // A new store over the same directory (a reboot) reads the same.
  ConfigStore rebooted(dir_, clock_);
  loaded = rebooted.Load();
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->site().name(), testing::RichConfig().site().name());
  EXPECT_FALSE(logs_.Contains("unusable"));
}

TEST_F(ConfigStoreTest, FilesAreOwnerOnly) {
  ConfigStore store(dir_, clock_);
  ::umask(0);  // even with a permissive umask
  ASSERT_THAT(store.Save(Config("one")), IsOk());
  ASSERT_THAT(store.Save(Config("two")), IsOk());
  ::umask(022);
  for (const std::string& path :
       {store.config_path(), store.last_good_path()}) {
    struct stat st;
    ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << path;
  }
}

TEST_F(ConfigStoreTest, CreatesItsDirectoryOwnerOnly) {
  std::string sub = dir_ + "/config";
  ConfigStore store(sub, clock_);
  ASSERT_THAT(store.Save(Config("one")), IsOk());
  struct stat st;
  ASSERT_EQ(::stat(sub.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(ConfigStoreTest, SaveKeepsThePreviousAsLastGood) {
  ConfigStore store(dir_, clock_);
  ASSERT_THAT(store.Save(Config("one")), IsOk());
  // After the first save the backup is a copy.
  EXPECT_EQ(ReadAll(store.last_good_path()), ReadAll(store.config_path()));
  ASSERT_THAT(store.Save(Config("two")), IsOk());
  EXPECT_THAT(FromText(ReadAll(store.config_path()))->site().name(), "two");
  EXPECT_THAT(FromText(ReadAll(store.last_good_path()))->site().name(), "one");
  ASSERT_THAT(store.Save(Config("three")), IsOk());
  EXPECT_THAT(FromText(ReadAll(store.last_good_path()))->site().name(), "two");
  EXPECT_THAT(
      ListDir(dir_),
      UnorderedElementsAre("config.textproto", "config.textproto.last-good"));
}

TEST_F(ConfigStoreTest, SaveRefusesAnInvalidConfigAndWritesNothing) {
  ConfigStore store(dir_, clock_);
  ASSERT_THAT(store.Save(Config("one")), IsOk());
  std::string before = ReadAll(store.config_path());
  v1::DeviceConfig bad = Config("two");
  bad.mutable_rs485()->set_baud_rate(14400);
  EXPECT_THAT(store.Save(bad), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("rs485.baud_rate")));
  EXPECT_EQ(ReadAll(store.config_path()), before);
}

TEST_F(ConfigStoreTest, UpdateModifiesTheStoredConfiguration) {
  ConfigStore store(dir_, clock_);
  ASSERT_THAT(store.Save(Config("one")), IsOk());
  absl::StatusOr<v1::DeviceConfig> updated =
      store.Update([](v1::DeviceConfig& config) {
        EXPECT_EQ(config.site().name(), "one");
        config.mutable_site()->set_name("two");
        return absl::OkStatus();
      });
  ASSERT_THAT(updated, IsOk());
  EXPECT_EQ(updated->site().name(), "two");
  absl::StatusOr<v1::DeviceConfig> loaded = store.Load();
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->site().name(), "two");
}

TEST_F(ConfigStoreTest, UpdateWritesNothingOnAnErrorOrAnInvalidResult) {
  ConfigStore store(dir_, clock_);
  ASSERT_THAT(store.Save(Config("one")), IsOk());
  const std::string before = ReadAll(store.config_path());
  EXPECT_THAT(store.Update([](v1::DeviceConfig& config) {
    config.mutable_site()->set_name("two");
    return absl::FailedPreconditionError("no");
  }),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(store.Update([](v1::DeviceConfig& config) {
    config.mutable_rs485()->set_baud_rate(14400);
    return absl::OkStatus();
  }),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("rs485.baud_rate")));
  EXPECT_EQ(ReadAll(store.config_path()), before);
}

// Two stores on one directory (the session API's and the config API's): an
// Update() never overwrites what the other saved in the meantime.
TEST_F(ConfigStoreTest, ConcurrentUpdatesFromTwoStoresLoseNothing) {
  ConfigStore a(dir_, clock_);
  ConfigStore b(dir_, clock_);
  v1::DeviceConfig initial = Config("one");
  initial.mutable_rs485()->set_retries(0);
  initial.mutable_storage()->set_minute_tier_days(1);
  ASSERT_THAT(a.Save(initial), IsOk());
  constexpr int kRounds = 5;
  std::thread other([&b] {
    for (int i = 0; i < kRounds; ++i) {
      EXPECT_THAT(b.Update([](v1::DeviceConfig& config) {
        config.mutable_storage()->set_minute_tier_days(
            config.storage().minute_tier_days() + 1);
        return absl::OkStatus();
      }),
                  IsOk());
    }
  });
  for (int i = 0; i < kRounds; ++i) {
    EXPECT_THAT(a.Update([](v1::DeviceConfig& config) {
      config.mutable_rs485()->set_retries(config.rs485().retries() + 1);
      return absl::OkStatus();
    }),
                IsOk());
  }
  other.join();
  absl::StatusOr<v1::DeviceConfig> loaded = a.Load();
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->rs485().retries(), kRounds);
  EXPECT_EQ(loaded->storage().minute_tier_days(), 1 + kRounds);
}

TEST_F(ConfigStoreTest, SaveDoesNotPromoteAHandBrokenFileToLastGood) {
  ConfigStore store(dir_, clock_);
  ASSERT_THAT(store.Save(Config("one")), IsOk());
  WriteAll(store.config_path(), "site { name: ");  // broken by hand
  ASSERT_THAT(store.Save(Config("two")), IsOk());
  EXPECT_THAT(FromText(ReadAll(store.last_good_path()))->site().name(), "one");
  EXPECT_EQ(ReadAll(store.config_path() + ".corrupt-20260101T000000Z"),
            "site { name: ");
}

// Corrupt main file variants: each falls back to last-good, logs an ERROR
// naming the file and the problem, and moves the bad file aside.
struct CorruptCase {
  const char* name;
  std::string (*corrupt)(const std::string& good);
  const char* expected_problem;
};

class ConfigStoreCorruptTest
    : public ConfigStoreTest,
      public ::testing::WithParamInterface<CorruptCase> {};

TEST_P(ConfigStoreCorruptTest, FallsBackToLastGood) {
  ConfigStore store(dir_, clock_);
  ASSERT_THAT(store.Save(Config("one")), IsOk());
  ASSERT_THAT(store.Save(Config("two")), IsOk());  // last-good = "one"
  std::string good = ReadAll(store.config_path());
  std::string bad = GetParam().corrupt(good);
  WriteAll(store.config_path(), bad);

  absl::StatusOr<v1::DeviceConfig> loaded = store.Load();
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->site().name(), "one");

  std::vector<std::string> errors = logs_.Messages(log::Level::kError);
  ASSERT_FALSE(errors.empty());
  EXPECT_THAT(errors[0], HasSubstr(store.config_path()));
  EXPECT_THAT(errors[0], HasSubstr(GetParam().expected_problem));
  EXPECT_THAT(errors[0], HasSubstr("last-good"));

  // The bad file is kept aside, byte for byte, with the clock's time.
  std::string aside = store.config_path() + ".corrupt-20260101T000000Z";
  EXPECT_EQ(ReadAll(aside), bad);
  // The main file is restored, so the next start is clean.
  EXPECT_EQ(ReadAll(store.config_path()), ReadAll(store.last_good_path()));
  ConfigStore rebooted(dir_, clock_);
  log::CapturingLogSink second_boot;
  log::SetSink(&second_boot);
  ASSERT_THAT(rebooted.Load(), IsOk());
  EXPECT_TRUE(second_boot.Messages(log::Level::kError).empty());
  log::SetSink(&logs_);
}

INSTANTIATE_TEST_SUITE_P(
    Corruptions, ConfigStoreCorruptTest,
    ::testing::Values(
        CorruptCase{"GarbageBytes",
                    [](const std::string&) {
                      return std::string("\x7f\x45\x4c\x46\x00\xff\xfe garbage",
                                         17);
                    },
                    "line 1"},
        CorruptCase{"Truncated",
                    [](const std::string& good) {
                      return good.substr(0, good.size() / 2);
                    },
                    "line "},
        CorruptCase{"Empty", [](const std::string&) { return std::string(); },
                    "schema_version"},
        CorruptCase{"ValidSyntaxInvalidValues",
                    [](const std::string& good) {
                      std::string bad = good;
                      size_t at = bad.find("baud_rate: 19200");
                      bad.replace(at, 16, "baud_rate: 14400");
                      return bad;
                    },
                    "rs485.baud_rate: 14400"},
        CorruptCase{
            "UnknownField",
            [](const std::string& good) { return good + "\nbogus_field: 1\n"; },
            "bogus_field"}),
    [](const ::testing::TestParamInfo<CorruptCase>& info) {
      return std::string(info.param.name);
    });

TEST_F(ConfigStoreTest, MissingMainWithLastGoodFallsBack) {
  ConfigStore store(dir_, clock_);
  ASSERT_THAT(store.Save(Config("one")), IsOk());
  ASSERT_EQ(::unlink(store.config_path().c_str()), 0);
  absl::StatusOr<v1::DeviceConfig> loaded = store.Load();
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->site().name(), "one");
  EXPECT_TRUE(logs_.Contains("is missing"));
  EXPECT_TRUE(Exists(store.config_path()));
}

TEST_F(ConfigStoreTest, BothBadIsDataLossNeverDefaults) {
  ConfigStore store(dir_, clock_);
  ASSERT_THAT(store.Save(Config("one")), IsOk());
  WriteAll(store.config_path(), "garbage {");
  WriteAll(store.last_good_path(), "schema_version: 1\n");  // parses, invalid
  absl::StatusOr<v1::DeviceConfig> loaded = store.Load();
  EXPECT_THAT(loaded, StatusIs(absl::StatusCode::kDataLoss,
                               HasSubstr("last good copy is unusable")));
  EXPECT_THAT(loaded.status().message(), HasSubstr(store.config_path()));
  EXPECT_THAT(loaded.status().message(), HasSubstr(store.last_good_path()));
  EXPECT_TRUE(logs_.Contains("no usable configuration"));
  // Nothing was invented or moved: both files are as they were.
  EXPECT_EQ(ReadAll(store.last_good_path()), "schema_version: 1\n");
  EXPECT_EQ(ReadAll(store.config_path()), "garbage {");
  // A reboot fails the same way: never NotFound, so never silent defaults.
  ConfigStore rebooted(dir_, clock_);
  EXPECT_THAT(rebooted.Load(), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(ConfigStoreTest, CorruptWithoutLastGoodIsDataLossOnEveryBoot) {
  ConfigStore store(dir_, clock_);
  WriteAll(store.config_path(), "\xff\xff\xff");
  EXPECT_THAT(store.Load(), StatusIs(absl::StatusCode::kDataLoss,
                                     HasSubstr(store.config_path())));
  EXPECT_THAT(store.Load(), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(ReadAll(store.config_path()), "\xff\xff\xff");
}

// After DataLoss a person decides, e.g. a factory reset: Save() replaces the
// unusable file but keeps it aside.
TEST_F(ConfigStoreTest, ExplicitSaveAfterDataLossKeepsTheBadFileAside) {
  ConfigStore store(dir_, clock_);
  WriteAll(store.config_path(), "user data, damaged");
  ASSERT_THAT(store.Load(), StatusIs(absl::StatusCode::kDataLoss));
  ASSERT_THAT(store.Save(Config("reset")), IsOk());
  EXPECT_EQ(ReadAll(store.config_path() + ".corrupt-20260101T000000Z"),
            "user data, damaged");
  EXPECT_EQ(store.Load()->site().name(), "reset");
  // The damaged file never becomes last-good.
  EXPECT_EQ(FromText(ReadAll(store.last_good_path()))->site().name(), "reset");
}

TEST_F(ConfigStoreTest, RepeatedCorruptionGetsDistinctAsideNames) {
  ConfigStore store(dir_, clock_);
  ASSERT_THAT(store.Save(Config("one")), IsOk());
  WriteAll(store.config_path(), "bad 1");
  ASSERT_THAT(store.Load(), IsOk());
  WriteAll(store.config_path(), "bad 2");  // same second
  ASSERT_THAT(store.Load(), IsOk());
  EXPECT_EQ(ReadAll(store.config_path() + ".corrupt-20260101T000000Z"),
            "bad 1");
  EXPECT_EQ(ReadAll(store.config_path() + ".corrupt-20260101T000000Z-1"),
            "bad 2");
}

// A crash after the temp file was written but before the rename: the old
// file is intact and the stray temp file is ignored and cleaned up.
TEST_F(ConfigStoreTest, CrashBeforeRenameLeavesTheOldFile) {
  ConfigStore store(dir_, clock_);
  ASSERT_THAT(store.Save(Config("one")), IsOk());
  std::string new_text = ToText(Config("two"));
  WriteAll(store.temp_path(), new_text.substr(0, new_text.size() / 3));

  ConfigStore rebooted(dir_, clock_);
  absl::StatusOr<v1::DeviceConfig> loaded = rebooted.Load();
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->site().name(), "one");
  EXPECT_FALSE(Exists(store.temp_path()));
  EXPECT_TRUE(logs_.Messages(log::Level::kError).empty());
  // Saving again works over whatever was left.
  WriteAll(store.temp_path(), "stale");
  ::chmod(store.temp_path().c_str(), 0644);
  ASSERT_THAT(rebooted.Save(Config("three")), IsOk());
  EXPECT_EQ(rebooted.Load()->site().name(), "three");
  struct stat st;
  ASSERT_EQ(::stat(store.config_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ConfigStoreTest, NewerSchemaIsRefusedAndLeftInPlace) {
  ConfigStore store(dir_, clock_);
  ASSERT_THAT(store.Save(Config("one")), IsOk());
  std::string text = ReadAll(store.config_path());
  size_t at = text.find("schema_version: 1");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 17, "schema_version: 2");
  WriteAll(store.config_path(), text);
  EXPECT_THAT(store.Load(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                     HasSubstr("newer software")));
  EXPECT_EQ(ReadAll(store.config_path()), text);
}

TEST_F(ConfigStoreTest, HandInstalledFileGetsABackup) {
  ConfigStore store(dir_, clock_);
  WriteAll(store.config_path(), ToText(Config("by hand")));
  ASSERT_THAT(store.Load(), IsOk());
  EXPECT_EQ(FromText(ReadAll(store.last_good_path()))->site().name(),
            "by hand");
}

// An I/O failure while writing (here: a directory where the temp file goes,
// which fails even as root) leaves the previous file intact.
TEST_F(ConfigStoreTest, SaveFailureLeavesThePreviousFile) {
  ConfigStore store(dir_, clock_);
  ASSERT_THAT(store.Save(Config("one")), IsOk());
  std::string before = ReadAll(store.config_path());
  ASSERT_EQ(::mkdir(store.temp_path().c_str(), 0700), 0);
  absl::Status saved = store.Save(Config("two"));
  EXPECT_THAT(saved, StatusIs(absl::StatusCode::kInternal,
                              HasSubstr(store.temp_path())));
  EXPECT_EQ(ReadAll(store.config_path()), before);
  ASSERT_EQ(::rmdir(store.temp_path().c_str()), 0);
  absl::StatusOr<v1::DeviceConfig> loaded = store.Load();
  ASSERT_THAT(loaded, IsOk());
  EXPECT_EQ(loaded->site().name(), "one");
}

TEST_F(ConfigStoreTest, SaveFailsCleanlyInAReadOnlyDirectory) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  ConfigStore store(dir_, clock_);
  ASSERT_THAT(store.Save(Config("one")), IsOk());
  std::string before = ReadAll(store.config_path());
  ASSERT_EQ(::chmod(dir_.c_str(), 0500), 0);
  EXPECT_THAT(store.Save(Config("two")),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_EQ(::chmod(dir_.c_str(), 0700), 0);
  EXPECT_EQ(ReadAll(store.config_path()), before);
}

}  // namespace
}  // namespace ews::config

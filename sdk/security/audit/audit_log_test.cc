#include "sdk/security/audit/audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/files.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/security/audit/auth_audit.h"

namespace ews::security {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(
        std::getenv("TEST_TMPDIR"), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    Reopen();
  }
  void Reopen(AuditOptions options = {}) {
    log_.reset();
    absl::StatusOr<std::unique_ptr<AuditLog>> log =
        AuditLog::Open(dir_, clock_, options);
    ASSERT_THAT(log, IsOk());
    log_ = *std::move(log);
  }
  uint64_t Append(const std::string& action, const std::string& detail = "") {
    AuditEntry entry;
    entry.actor = "installer";
    entry.client_address = "192.0.2.5";
    entry.action = action;
    entry.outcome = "ok";
    entry.detail = detail;
    absl::StatusOr<uint64_t> sequence = log_->Append(entry);
    EXPECT_THAT(sequence, IsOk());
    return sequence.value_or(0);
  }
  std::vector<uint64_t> Sequences(size_t limit, uint64_t before = 0) {
    std::vector<uint64_t> out;
    absl::StatusOr<std::vector<AuditEntry>> entries = log_->Read(limit, before);
    EXPECT_THAT(entries, IsOk());
    for (const AuditEntry& entry :
         entries.value_or(std::vector<AuditEntry>())) {
      out.push_back(entry.sequence);
    }
    return out;
  }

  SimulatedClock clock_;
  std::string dir_;
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditLogTest, AppendsAndReadsNewestFirst) {
  EXPECT_EQ(Append("login"), 1u);
  clock_.Advance(absl::Seconds(5));
  EXPECT_EQ(Append("config.apply"), 2u);
  EXPECT_EQ(Append("logout"), 3u);
  absl::StatusOr<std::vector<AuditEntry>> entries = log_->Read(10);
  ASSERT_THAT(entries, IsOk());
  ASSERT_EQ(entries->size(), 3u);
  EXPECT_EQ((*entries)[0].action, "logout");
  EXPECT_EQ((*entries)[1].time, clock_.WallNow());
  EXPECT_EQ((*entries)[2].time, clock_.WallNow() - absl::Seconds(5));
  EXPECT_EQ((*entries)[2].actor, "installer");
  EXPECT_EQ((*entries)[2].client_address, "192.0.2.5");
  EXPECT_THAT(Sequences(2), ElementsAre(3, 2));
  EXPECT_THAT(Sequences(10, 3), ElementsAre(2, 1));
  EXPECT_THAT(Sequences(10, 1), ElementsAre());
}

TEST_F(AuditLogTest, SurvivesARestart) {
  Append("login");
  Append("config.apply");
  Reopen();
  EXPECT_EQ(Append("logout"), 3u);
  EXPECT_THAT(Sequences(10), ElementsAre(3, 2, 1));
  struct stat info;
  ASSERT_EQ(stat(log_->current_path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  ASSERT_EQ(stat(dir_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700);
}

TEST_F(AuditLogTest, BoundedInSizeByRotation) {
  AuditOptions options;
  options.max_bytes = 8192;
  Reopen(options);
  const std::string detail(60, 'x');
  for (int i = 1; i <= 2000; ++i) {
    ASSERT_EQ(Append("device.command", detail), static_cast<uint64_t>(i));
    struct stat current, previous;
    ASSERT_EQ(stat(log_->current_path().c_str(), &current), 0);
    const off_t previous_size =
        stat(log_->previous_path().c_str(), &previous) == 0 ? previous.st_size
                                                            : 0;
    ASSERT_LE(current.st_size + previous_size, 8192) << i;
  }
  // What is kept is the newest, without gaps, and continues after a
  // restart.
  std::vector<uint64_t> kept = Sequences(100000);
  ASSERT_GT(kept.size(), 40u);
  for (size_t i = 0; i < kept.size(); ++i) EXPECT_EQ(kept[i], 2000 - i);
  Reopen(options);
  EXPECT_EQ(Append("login"), 2001u);
}

TEST_F(AuditLogTest, CodesAreRedactedFromChanges) {
  AuditEntry entry;
  entry.actor = "administrator";
  entry.action = "config.apply";
  entry.outcome = "ok";
  entry.changes = {{"rs485.baud_rate", "19200", "38400"},
                   {"users.installer.pin", "12345", "54321"},
                   {"users.installer.puk", "00000555500000", "98765432109876"},
                   {"reports.email.smtp_password", "hunter2", "letmein"},
                   {"web.tls_private_key_path", "/a", "/b"}};
  ASSERT_THAT(log_->Append(entry), IsOk());
  absl::StatusOr<std::vector<AuditEntry>> read = log_->Read(1);
  ASSERT_THAT(read, IsOk());
  EXPECT_THAT(
      (*read)[0].changes,
      ElementsAre(
          AuditChange{"rs485.baud_rate", "19200", "38400"},
          AuditChange{"users.installer.pin", kRedacted, kRedacted},
          AuditChange{"users.installer.puk", kRedacted, kRedacted},
          AuditChange{"reports.email.smtp_password", kRedacted, kRedacted},
          AuditChange{"web.tls_private_key_path", kRedacted, kRedacted}));
  absl::StatusOr<std::string> file = ReadFileToString(log_->current_path());
  ASSERT_THAT(file, IsOk());
  for (const char* secret :
       {"12345", "54321", "5555", "98765", "hunter2", "letmein"}) {
    EXPECT_THAT(*file, Not(HasSubstr(secret)));
  }
}

TEST_F(AuditLogTest, AnyTextStaysOneLine) {
  const std::string nasty =
      "tab\there\nnew line\r\\n not an escape \x01\x7f\xc3\xa9 end\\";
  AuditEntry entry;
  entry.actor = nasty;
  entry.client_address = "::1";
  entry.action = "x";
  entry.detail = nasty;
  entry.changes = {{nasty, nasty, ""}};
  ASSERT_THAT(log_->Append(entry), IsOk());
  absl::StatusOr<std::string> file = ReadFileToString(log_->current_path());
  ASSERT_THAT(file, IsOk());
  EXPECT_EQ(std::count(file->begin(), file->end(), '\n'), 1);
  absl::StatusOr<std::vector<AuditEntry>> read = log_->Read(1);
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ((*read)[0].actor, nasty);
  EXPECT_EQ((*read)[0].detail, nasty);
  EXPECT_EQ((*read)[0].changes[0].from, nasty);
  EXPECT_EQ((*read)[0].changes[0].to, "");
}

TEST_F(AuditLogTest, ATornLastLineIsCutAtOpen) {
  Append("login");
  Append("logout");
  {
    const int fd = open(log_->current_path().c_str(), O_WRONLY | O_APPEND);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, "3\t17000", 7), 7);
    close(fd);
  }
  Reopen();
  EXPECT_EQ(Append("login"), 3u);
  EXPECT_THAT(Sequences(10), ElementsAre(3, 2, 1));
}

TEST_F(AuditLogTest, UnreadableLinesAreSkipped) {
  Append("login");
  {
    const int fd = open(log_->current_path().c_str(), O_WRONLY | O_APPEND);
    ASSERT_GE(fd, 0);
    const std::string junk = "garbage line\n\xff\xfe\n0\t0\ta\tb\tc\td\te\n";
    ASSERT_EQ(write(fd, junk.data(), junk.size()),
              static_cast<ssize_t>(junk.size()));
    close(fd);
  }
  Reopen();
  EXPECT_EQ(Append("logout"), 2u);
  EXPECT_THAT(Sequences(10), ElementsAre(2, 1));
}

TEST_F(AuditLogTest, RefusesAnOversizedEntry) {
  AuditEntry entry;
  entry.action = "x";
  entry.detail = std::string(1 << 20, 'a');
  EXPECT_THAT(log_->Append(entry),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(Append("login"), 1u);
}

TEST(AuditLineTest, RejectsMalformedLines) {
  for (const char* line :
       {"", "1\t2\t3", "x\t0\ta\tb\tc\td\te", "0\t0\ta\tb\tc\td\te",
        "1\tx\ta\tb\tc\td\te", "1\t0\ta\tb\tc\td\te\tf",
        "1\t0\ta\\q\tb\tc\td\te", "1\t0\ta\\\tb\tc\td\te",
        "1\t0\ta\\x4\tb\tc\td\te", "1\t0\ta\\xzz\tb\tc\td\te"}) {
    SCOPED_TRACE(line);
    EXPECT_THAT(ParseAuditLine(line), StatusIs(absl::StatusCode::kDataLoss));
  }
  EXPECT_THAT(ParseAuditLine("1\t0\ta\\x41\tb\tc\td\te"), IsOk());
}

TEST(AuditLineTest, SensitiveFields) {
  for (const char* field :
       {"pin", "users.administrator.pin", "users.user.PUK", "smtp_password",
        "ftp.secret", "salt", "hash", "csrf_token", "tls_private_key_path"}) {
    EXPECT_TRUE(IsSensitiveField(field)) << field;
  }
  for (const char* field : {"rs485.baud_rate", "network.hostname",
                            "pinned.baud_rate" /* only the last part */}) {
    EXPECT_FALSE(IsSensitiveField(field)) << field;
  }
}

TEST(AuthAuditTest, MapsEvents) {
  AuditEntry entry = AuditEntryFor(AuthEvent{AuthEvent::Kind::kBlocked,
                                             config::v1::ROLE_GREENUP,
                                             "192.0.2.9", "5 wrong PINs"});
  EXPECT_EQ(entry.actor, "greenUp");
  EXPECT_EQ(entry.client_address, "192.0.2.9");
  EXPECT_EQ(entry.action, "auth.blocked");
  EXPECT_EQ(entry.outcome, "denied");
  EXPECT_EQ(entry.detail, "5 wrong PINs");
  entry = AuditEntryFor(
      AuthEvent{AuthEvent::Kind::kLogin, config::v1::ROLE_USER, "::1", ""});
  EXPECT_EQ(entry.action, "auth.login");
  EXPECT_EQ(entry.outcome, "ok");
}

}  // namespace
}  // namespace ews::security

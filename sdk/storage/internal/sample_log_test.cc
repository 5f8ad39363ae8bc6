#include "sdk/storage/internal/sample_log.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"

namespace ews::storage::internal {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Field;

class SampleLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/sample_log_test-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::remove(path_.c_str());
  }

  int64_t FileBytes() const {
    struct stat st;
    return ::stat(path_.c_str(), &st) == 0 ? st.st_size : -1;
  }
  std::string ReadFile() const {
    std::ifstream in(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  void WriteFile(const std::string& data) const {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << data;
  }

  std::string path_;
};

auto Batch(int64_t batch) { return Field(&SampleLog::Entry::batch, batch); }

TEST(Crc32cTest, KnownValue) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c("6789", Crc32c("12345")), 0xE3069283u);
}

TEST_F(SampleLogTest, RecordsSurviveAReopenInOrder) {
  SampleLog::Contents contents;
  {
    auto log = SampleLog::Open(path_, &contents);
    ASSERT_THAT(log, IsOk());
    EXPECT_TRUE(contents.entries.empty());
    ASSERT_THAT((*log)->Append(1, "first"), IsOk());
    ASSERT_THAT((*log)->Append(2, "second"), IsOk());
    ASSERT_THAT((*log)->Append(5, std::string(3000, 'x')), IsOk());
  }
  auto log = SampleLog::Open(path_, &contents);
  ASSERT_THAT(log, IsOk());
  EXPECT_FALSE(contents.torn_tail);
  ASSERT_THAT(contents.entries, ElementsAre(Batch(1), Batch(2), Batch(5)));
  EXPECT_EQ(contents.entries[0].payload, "first");
  EXPECT_EQ(contents.entries[2].payload, std::string(3000, 'x'));
  // The next record goes after the last one.
  ASSERT_THAT((*log)->Append(6, "sixth"), IsOk());
  log->reset();
  ASSERT_THAT(SampleLog::Open(path_, &contents), IsOk());
  EXPECT_THAT(contents.entries,
              ElementsAre(Batch(1), Batch(2), Batch(5), Batch(6)));
}

TEST_F(SampleLogTest, AppendsWithinThePreallocationKeepTheFileSize) {
  SampleLog::Contents contents;
  auto log = SampleLog::Open(path_, &contents);
  ASSERT_THAT(log, IsOk());
  EXPECT_EQ(FileBytes(), SampleLog::kGrowBytes);
  for (int i = 1; i <= 50; ++i) {
    ASSERT_THAT((*log)->Append(i, std::string(600, 'a' + i % 26)), IsOk());
  }
  EXPECT_EQ(FileBytes(), SampleLog::kGrowBytes);
  // Past it, the file grows by whole steps, and every record reads back.
  for (int i = 51; i <= 150; ++i) {
    ASSERT_THAT((*log)->Append(i, std::string(600, 'a' + i % 26)), IsOk());
  }
  EXPECT_EQ(FileBytes(), 2 * SampleLog::kGrowBytes);
  log->reset();
  ASSERT_THAT(SampleLog::Open(path_, &contents), IsOk());
  ASSERT_EQ(contents.entries.size(), 150u);
  EXPECT_EQ(contents.entries[149].batch, 150);
  EXPECT_EQ(contents.entries[149].payload, std::string(600, 'a' + 150 % 26));
}

// A poll round is one record of a few hundred bytes: it must cost one page,
// not two when it would straddle a page boundary.
TEST_F(SampleLogTest, ARecordThatFitsInAPageIsWrittenWithinOne) {
  SampleLog::Contents contents;
  int64_t moved_at = -1;
  {
    auto log = SampleLog::Open(path_, &contents);
    ASSERT_THAT(log, IsOk());
    const uint64_t pages = SampleLogPagesWritten();
    for (int i = 1; i <= 40; ++i) {
      const int64_t end = (*log)->used_bytes();
      ASSERT_THAT((*log)->Append(i, std::string(590, 'a' + i % 26)), IsOk());
      const int64_t start =
          (*log)->used_bytes() - SampleLog::kRecordHeaderBytes - 590;
      if (start != end && moved_at < 0) moved_at = start;
    }
    EXPECT_EQ(SampleLogPagesWritten() - pages, 40u);
    // Records bigger than a page are written where they are.
    const int64_t end = (*log)->used_bytes();
    ASSERT_THAT((*log)->Append(41, std::string(5000, 'b')), IsOk());
    EXPECT_EQ((*log)->used_bytes(), end + SampleLog::kRecordHeaderBytes + 5000);
  }
  ASSERT_EQ(moved_at % 4096, 0);
  ASSERT_THAT(SampleLog::Open(path_, &contents), IsOk());
  EXPECT_FALSE(contents.torn_tail);
  ASSERT_EQ(contents.entries.size(), 41u);
  EXPECT_EQ(contents.entries[39].payload, std::string(590, 'a' + 40 % 26));

  // The first record moved to a page boundary, torn by a crash: discarded,
  // and the next record is written there again.
  std::string data = ReadFile();
  data[moved_at + SampleLog::kRecordHeaderBytes + 7] ^= 0x5a;
  WriteFile(data);
  {
    auto log = SampleLog::Open(path_, &contents);
    ASSERT_THAT(log, IsOk());
    EXPECT_TRUE(contents.torn_tail);
    const size_t kept = contents.entries.size();
    ASSERT_GT(kept, 0u);
    ASSERT_LT(kept, 41u);
    ASSERT_THAT((*log)->Append(50, std::string(590, 'z')), IsOk());
    EXPECT_EQ((*log)->used_bytes(),
              moved_at + SampleLog::kRecordHeaderBytes + 590);
  }
  ASSERT_THAT(SampleLog::Open(path_, &contents), IsOk());
  EXPECT_EQ(contents.entries.back().batch, 50);
}

TEST_F(SampleLogTest, ATornLastRecordIsDiscardedAndWrittenOver) {
  SampleLog::Contents contents;
  int64_t second_at = 0;
  {
    auto log = SampleLog::Open(path_, &contents);
    ASSERT_THAT(log, IsOk());
    ASSERT_THAT((*log)->Append(1, "acknowledged"), IsOk());
    second_at = (*log)->used_bytes();
    ASSERT_THAT((*log)->Append(2, "interrupted while written"), IsOk());
  }
  // A crash in the middle of the second write: its payload is half old data.
  std::string data = ReadFile();
  data[second_at + SampleLog::kRecordHeaderBytes + 3] ^= 0x5a;
  WriteFile(data);
  {
    auto log = SampleLog::Open(path_, &contents);
    ASSERT_THAT(log, IsOk());
    EXPECT_TRUE(contents.torn_tail);
    ASSERT_THAT(contents.entries, ElementsAre(Batch(1)));
    EXPECT_EQ((*log)->used_bytes(), second_at);
    ASSERT_THAT((*log)->Append(3, "next"), IsOk());
  }
  ASSERT_THAT(SampleLog::Open(path_, &contents), IsOk());
  EXPECT_FALSE(contents.torn_tail);
  EXPECT_THAT(contents.entries, ElementsAre(Batch(1), Batch(3)));
}

TEST_F(SampleLogTest, ARecordCutShortByTheEndOfTheFileIsTorn) {
  SampleLog::Contents contents;
  int64_t end = 0;
  {
    auto log = SampleLog::Open(path_, &contents);
    ASSERT_THAT(log, IsOk());
    ASSERT_THAT((*log)->Append(1, "one"), IsOk());
    ASSERT_THAT((*log)->Append(2, std::string(5000, 'z')), IsOk());
    end = (*log)->used_bytes();
  }
  WriteFile(ReadFile().substr(0, end - 100));
  auto log = SampleLog::Open(path_, &contents);
  ASSERT_THAT(log, IsOk());
  EXPECT_TRUE(contents.torn_tail);
  EXPECT_THAT(contents.entries, ElementsAre(Batch(1)));
  // Appending grows the file back to whole steps.
  ASSERT_THAT((*log)->Append(3, "three"), IsOk());
  EXPECT_EQ(FileBytes() % SampleLog::kGrowBytes, 0);
}

TEST_F(SampleLogTest, AfterAResetOlderRecordsAreNotReadBack) {
  SampleLog::Contents contents;
  {
    auto log = SampleLog::Open(path_, &contents);
    ASSERT_THAT(log, IsOk());
    for (int i = 1; i <= 5; ++i) {
      ASSERT_THAT((*log)->Append(i, std::string(100 * i, 'o')), IsOk());
    }
    (*log)->Reset();
    EXPECT_EQ((*log)->used_bytes(), SampleLog::kHeaderBytes);
  }
  // Reset() writes nothing: the old records are still there (the store skips
  // what SQLite has absorbed).
  ASSERT_THAT(SampleLog::Open(path_, &contents), IsOk());
  EXPECT_EQ(contents.entries.size(), 5u);
  {
    auto log = SampleLog::Open(path_, &contents);
    ASSERT_THAT(log, IsOk());
    (*log)->Reset();
    ASSERT_THAT((*log)->Append(6, "new"), IsOk());
    ASSERT_THAT((*log)->Append(7, std::string(150, 'n')), IsOk());
  }
  ASSERT_THAT(SampleLog::Open(path_, &contents), IsOk());
  EXPECT_FALSE(contents.torn_tail);
  EXPECT_THAT(contents.entries, ElementsAre(Batch(6), Batch(7)));
}

TEST_F(SampleLogTest, AnOlderRecordRightAfterTheLastOneIsNotReadBack) {
  // Records of the same length line up with the old ones: the old record
  // after the new tail has a valid CRC but a lower batch number.
  SampleLog::Contents contents;
  {
    auto log = SampleLog::Open(path_, &contents);
    ASSERT_THAT(log, IsOk());
    for (int i = 1; i <= 3; ++i) ASSERT_THAT((*log)->Append(i, "same"), IsOk());
    (*log)->Reset();
    ASSERT_THAT((*log)->Append(9, "same"), IsOk());
  }
  ASSERT_THAT(SampleLog::Open(path_, &contents), IsOk());
  EXPECT_THAT(contents.entries, ElementsAre(Batch(9)));
  // Put back the old record's length where the end mark went: the reader
  // then meets old record 2, intact, and must stop there.
  std::string data = ReadFile();
  const size_t second =
      SampleLog::kHeaderBytes + SampleLog::kRecordHeaderBytes + 4;
  ASSERT_EQ(data.substr(second, 4), std::string(4, '\0'));
  data[second] = 4;
  WriteFile(data);
  ASSERT_THAT(SampleLog::Open(path_, &contents), IsOk());
  EXPECT_FALSE(contents.torn_tail);
  EXPECT_THAT(contents.entries, ElementsAre(Batch(9)));
}

TEST_F(SampleLogTest, AFileThatIsNotASampleLogIsDataLoss) {
  WriteFile(std::string("SQLite format 3") + std::string(100, '\0'));
  SampleLog::Contents contents;
  EXPECT_THAT(SampleLog::Open(path_, &contents),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(SampleLogTest, AnEmptyPayloadIsRefused) {
  SampleLog::Contents contents;
  auto log = SampleLog::Open(path_, &contents);
  ASSERT_THAT(log, IsOk());
  EXPECT_THAT((*log)->Append(1, ""),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(SampleLogTest, AnInterruptedCreationStartsOver) {
  WriteFile("EWS-SA");  // the header was never completely written
  SampleLog::Contents contents;
  auto log = SampleLog::Open(path_, &contents);
  ASSERT_THAT(log, IsOk());
  EXPECT_TRUE(contents.entries.empty());
  ASSERT_THAT((*log)->Append(1, "x"), IsOk());
  EXPECT_EQ(FileBytes(), SampleLog::kGrowBytes);
}

}  // namespace
}  // namespace ews::storage::internal

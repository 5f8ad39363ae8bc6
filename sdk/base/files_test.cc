#include "sdk/base/files.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"

namespace ews {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

TEST(ErrnoToStatusTest, MapsToWhatTheCallerShouldDo) {
  EXPECT_THAT(ErrnoToStatus(ENOENT, "open x"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("open x: ")));
  EXPECT_THAT(ErrnoToStatus(EACCES, "x"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(ErrnoToStatus(EAGAIN, "x"),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(ErrnoToStatus(ENOSPC, "x"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(ErrnoToStatus(EIO, "x"), StatusIs(absl::StatusCode::kInternal));
}

TEST(FilesTest, WriteThenReadBack) {
  const std::string path = TempPath("a.txt");
  ASSERT_THAT(WriteFileAtomically(path, "first"), IsOk());
  ASSERT_THAT(WriteFileAtomically(path, "second, longer"), IsOk());
  absl::StatusOr<std::string> read = ReadFileToString(path);
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(*read, "second, longer");
  struct stat status;
  ASSERT_EQ(stat(path.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0600);
  EXPECT_NE(stat((path + ".tmp").c_str(), &status), 0);  // no temp left
}

TEST(FilesTest, StrayTempFileGetsTheRequestedMode) {
  const std::string path = TempPath("b.txt");
  std::ofstream(path + ".tmp") << "left by a crash";
  chmod((path + ".tmp").c_str(), 0666);
  ASSERT_THAT(WriteFileAtomically(path, "secret", 0600), IsOk());
  struct stat status;
  ASSERT_EQ(stat(path.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0600);
}

TEST(FilesTest, FailedWriteLeavesTheOldFile) {
  const std::string path = TempPath("missing-dir/c.txt");
  EXPECT_THAT(WriteFileAtomically(path, "x"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(FilesTest, ReadErrors) {
  EXPECT_THAT(ReadFileToString(TempPath("nope")),
              StatusIs(absl::StatusCode::kNotFound));
  const std::string path = TempPath("big.txt");
  ASSERT_THAT(WriteFileAtomically(path, std::string(100, 'x')), IsOk());
  EXPECT_THAT(ReadFileToString(path, 99),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(ReadFileToString(path, 100), IsOk());
}

TEST(FilesTest, FsyncDirectory) {
  EXPECT_THAT(FsyncDirectory(std::getenv("TEST_TMPDIR")), IsOk());
  EXPECT_THAT(FsyncDirectory(TempPath("no-such-directory")),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("cannot fsync directory")));
  ASSERT_THAT(WriteFileAtomically(TempPath("plain"), "x"), IsOk());
  EXPECT_FALSE(FsyncDirectory(TempPath("plain")).ok());
}

}  // namespace
}  // namespace ews

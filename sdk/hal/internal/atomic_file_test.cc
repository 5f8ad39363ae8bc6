#include "sdk/hal/internal/atomic_file.h"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"

namespace ews::hal::internal {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

TEST(AtomicFileTest, WritesReplacesAndReads) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/f";
  EXPECT_THAT(ReadSmallFile(path), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(WriteFileAtomically(path, "one"), IsOk());
  ASSERT_THAT(WriteFileAtomically(path, "two"), IsOk());
  EXPECT_EQ(*ReadSmallFile(path), "two");
  EXPECT_NE(access((path + ".tmp").c_str(), F_OK), 0);
  EXPECT_THAT(ReadSmallFile(path, 2), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(WriteFileAtomically("/nonexistent-dir/f", "x"),
              StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace ews::hal::internal

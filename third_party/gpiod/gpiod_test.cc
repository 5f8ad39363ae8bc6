// Proves libgpiod links: the version string and a clean failure on a missing
// chip.
#include <gpiod.h>

#include <cerrno>
#include <string>

#include "gtest/gtest.h"

namespace {

TEST(GpiodTest, LinksAndReportsVersion) {
  const std::string version = gpiod_version_string();
  EXPECT_EQ(version.rfind("1.", 0), 0u) << version;
}

TEST(GpiodTest, OpeningAMissingChipFails) {
  errno = 0;
  EXPECT_EQ(gpiod_chip_open("/nonexistent/gpiochip9"), nullptr);
  EXPECT_NE(errno, 0);
}

}  // namespace

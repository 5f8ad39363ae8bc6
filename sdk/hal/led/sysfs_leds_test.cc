// SysfsLeds on a fake /sys/class/leds tree of plain files in TEST_TMPDIR.
#include "sdk/hal/led/sysfs_leds.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"

namespace ews::hal {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class SysfsLedsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    options_.root = std::string(std::getenv("TEST_TMPDIR")) + "/leds" +
                    std::to_string(counter++);
    mkdir(options_.root.c_str(), 0755);
    for (Led led : kAllLeds) {
      const std::string dir = Dir(led);
      mkdir(dir.c_str(), 0755);
      std::ofstream(dir + "/brightness") << "0\n";
      std::ofstream(dir + "/max_brightness")
          << (led == Led::kPower ? "255\n" : "1\n");
      std::ofstream(dir + "/trigger") << "[heartbeat] none timer\n";
    }
  }
  std::string Dir(Led led) {
    return options_.root + "/" + options_.names[static_cast<int>(led)];
  }
  SysfsLeds::Options options_;
};

TEST_F(SysfsLedsTest, TakesTheLedsFromTheirTriggersAndSwitchesThem) {
  auto leds = SysfsLeds::Open(options_);
  ASSERT_THAT(leds, IsOk());
  EXPECT_EQ(ReadFile(Dir(Led::kPower) + "/trigger"), "none");
  ASSERT_THAT((*leds)->Set(Led::kPower, true), IsOk());
  EXPECT_EQ(ReadFile(Dir(Led::kPower) + "/brightness"), "255");
  EXPECT_TRUE(*(*leds)->Get(Led::kPower));
  ASSERT_THAT((*leds)->Set(Led::kRx, true), IsOk());
  EXPECT_EQ(ReadFile(Dir(Led::kRx) + "/brightness"), "1");
  ASSERT_THAT((*leds)->Set(Led::kPower, false), IsOk());
  EXPECT_EQ(ReadFile(Dir(Led::kPower) + "/brightness"), "0");
  EXPECT_FALSE(*(*leds)->Get(Led::kPower));
}

TEST_F(SysfsLedsTest, MissingLedIsNotFound) {
  unlink((Dir(Led::kAct) + "/brightness").c_str());
  EXPECT_THAT(SysfsLeds::Open(options_), StatusIs(absl::StatusCode::kNotFound,
                                                  ::testing::HasSubstr("act")));
}

TEST_F(SysfsLedsTest, GarbageMaxBrightnessIsDataLoss) {
  std::ofstream(Dir(Led::kTx) + "/max_brightness") << "lots\n";
  EXPECT_THAT(SysfsLeds::Open(options_), StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(SysfsLedsTest, MissingMaxBrightnessDefaultsToOne) {
  unlink((Dir(Led::kLink) + "/max_brightness").c_str());
  unlink((Dir(Led::kLink) + "/trigger").c_str());
  auto leds = SysfsLeds::Open(options_);
  ASSERT_THAT(leds, IsOk());
  ASSERT_THAT((*leds)->Set(Led::kLink, true), IsOk());
  EXPECT_EQ(ReadFile(Dir(Led::kLink) + "/brightness"), "1");
}

TEST_F(SysfsLedsTest, ADisappearedLedFailsCleanly) {
  auto leds = SysfsLeds::Open(options_);
  ASSERT_THAT(leds, IsOk());
  unlink((Dir(Led::kRx) + "/brightness").c_str());
  rmdir(Dir(Led::kRx).c_str());
  EXPECT_THAT((*leds)->Set(Led::kRx, true),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT((*leds)->Set(Led::kTx, true), IsOk());
}

}  // namespace
}  // namespace ews::hal

// Proves GoogleTest and GoogleMock link: a mocked interface with an
// expectation.
#include "gmock/gmock.h"

#include "gtest/gtest.h"

namespace {

class Led {
 public:
  virtual ~Led() = default;
  virtual void Set(bool on) = 0;
};

class MockLed : public Led {
 public:
  MOCK_METHOD(void, Set, (bool on), (override));
};

TEST(GmockTest, ExpectationIsChecked) {
  MockLed led;
  EXPECT_CALL(led, Set(true)).Times(1);
  led.Set(true);
  EXPECT_THAT(std::vector<int>({1, 2}), ::testing::ElementsAre(1, 2));
}

}  // namespace

#include "sdk/base/log.h"

#include "gtest/gtest.h"
#include "sdk/base/capturing_log_sink.h"

namespace ews::log {
namespace {

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { previous_ = SetSink(&sink_); }
  void TearDown() override {
    SetSink(previous_);
    SetMinLevel(Level::kInfo);
  }
  CapturingLogSink sink_;
  LogSink* previous_ = nullptr;
};

int evaluations = 0;
int Counted() { return ++evaluations; }

TEST_F(LogTest, WritesFormattedMessagesToTheSink) {
  EWS_LOG(WARNING) << "device " << 17 << " offline";
  EXPECT_TRUE(sink_.Contains("device 17 offline"));
  EXPECT_EQ(sink_.Messages(Level::kWarning).size(), 1u);
  EXPECT_EQ(sink_.Messages(Level::kError).size(), 0u);
}

TEST_F(LogTest, DisabledLevelsDoNotEvaluateOperands) {
  evaluations = 0;
  EWS_LOG(DEBUG) << Counted();
  EXPECT_EQ(evaluations, 0);
  EXPECT_TRUE(sink_.Messages().empty());
  SetMinLevel(Level::kDebug);
  EWS_LOG(DEBUG) << Counted();
  EXPECT_EQ(evaluations, 1);
  EXPECT_EQ(sink_.Messages().size(), 1u);
}

TEST_F(LogTest, UsableInUnbracedIfElse) {
  bool failed = true;
  if (failed)
    EWS_LOG(ERROR) << "failed";
  else
    EWS_LOG(INFO) << "fine";
  EXPECT_TRUE(sink_.Contains("failed"));
  EXPECT_FALSE(sink_.Contains("fine"));
}

}  // namespace
}  // namespace ews::log

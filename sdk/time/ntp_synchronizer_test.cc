#include "sdk/time/ntp_synchronizer.h"

#include <cstdlib>
#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"
#include "sdk/hal/rtc/fake_rtc.h"
#include "sdk/hal/rtc/time_keeper.h"
#include "sdk/time/ntp_packet.h"
#include "sdk/time/ntp_test_peers.h"

namespace ews::ntp {
namespace {

using ::ews::ntp::testing::ChronyServer;
using ::ews::ntp::testing::ServerAnswer;
using ::ews::ntp::testing::ShiftedClock;
using ::ews::ntp::testing::UdpResponder;
using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;

// Options for tests: quick samples, the real rules.
NtpOptions Options(std::vector<std::string> servers) {
  NtpOptions options;
  options.servers = std::move(servers);
  options.sample_spacing = absl::Milliseconds(20);
  options.timeout = absl::Milliseconds(500);
  return options;
}

class NtpSynchronizerTest : public ::testing::Test {
 protected:
  // The device: a shifted real clock, an RTC and the TimeKeeper over both.
  // `valid`: the RTC holds a time (then the clock starts `shift` off).
  void MakeDevice(absl::Duration shift, bool valid) {
    clock_ = std::make_unique<ShiftedClock>();
    rtc_ = valid ? std::make_unique<hal::FakeRtc>(clock_.get(),
                                                  absl::Now() + shift)
                 : std::make_unique<hal::FakeRtc>(clock_.get());
    keeper_ = std::make_unique<hal::TimeKeeper>(rtc_.get(), clock_.get());
    const absl::Status started = keeper_->Start();
    ASSERT_EQ(started.ok(), valid) << started;
    // The RTC keeps whole seconds: put the clock exactly `shift` off.
    if (valid) ASSERT_THAT(clock_->SetWallTime(absl::Now() + shift), IsOk());
    if (!valid) {
      // A dead battery: the box believes it is 2000.
      ASSERT_THAT(clock_->SetWallTime(absl::FromUnixSeconds(946684800)),
                  IsOk());
    }
  }

  std::unique_ptr<ChronyServer> Chrony(int stratum = 8) {
    absl::StatusOr<std::unique_ptr<ChronyServer>> chrony =
        ChronyServer::Start(std::getenv("TEST_TMPDIR"), stratum);
    EXPECT_THAT(chrony, IsOk());
    return chrony.ok() ? *std::move(chrony) : nullptr;
  }

  // A server that answers consistently, but `lie` off the real time.
  std::unique_ptr<UdpResponder> Liar(absl::Duration lie) {
    absl::StatusOr<std::unique_ptr<UdpResponder>> liar =
        UdpResponder::Start([lie](const NtpPacket& request) {
          return EncodePacket(ServerAnswer(request, absl::Now() + lie));
        });
    EXPECT_THAT(liar, IsOk());
    return liar.ok() ? *std::move(liar) : nullptr;
  }

  absl::Duration ClockError() const {
    return absl::AbsDuration(clock_->WallNow() - absl::Now());
  }

  std::unique_ptr<ShiftedClock> clock_;
  std::unique_ptr<hal::FakeRtc> rtc_;
  std::unique_ptr<hal::TimeKeeper> keeper_;
};

TEST_F(NtpSynchronizerTest, TwoChronysSetTheClockAndTheRtc) {
  MakeDevice(absl::Hours(1), /*valid=*/true);
  auto a = Chrony();
  auto b = Chrony();
  NtpSynchronizer ntp(Options({a->address(), b->address()}), keeper_.get(),
                      *clock_);
  ASSERT_THAT(ntp.Poll(), IsOk());
  EXPECT_LT(ClockError(), absl::Milliseconds(50));
  EXPECT_EQ(keeper_->last_source(), hal::TimeKeeper::Source::kNtp);
  ASSERT_EQ(rtc_->sets().size(), 1u);
  EXPECT_LT(absl::AbsDuration(rtc_->sets()[0] - absl::Now()), absl::Seconds(2));
  NtpStatus status = ntp.Status();
  EXPECT_TRUE(status.last_round_stepped);
  EXPECT_LT(absl::AbsDuration(status.last_offset + absl::Hours(1)),
            absl::Milliseconds(50));
  EXPECT_EQ(status.poll_interval, absl::Seconds(64));
  ASSERT_EQ(status.servers.size(), 2u);
  EXPECT_EQ(status.servers[0].reach, 1);
  EXPECT_THAT(status.servers[1].last_result, IsOk());

  // The next round finds the clock right: no step, longer interval.
  ASSERT_THAT(ntp.Poll(), IsOk());
  EXPECT_FALSE(ntp.Status().last_round_stepped);
  EXPECT_EQ(rtc_->sets().size(), 1u);
  EXPECT_EQ(ntp.NextPoll(), absl::Seconds(128));
  ASSERT_THAT(ntp.Poll(), IsOk());
  EXPECT_EQ(ntp.NextPoll(), absl::Seconds(256));
}

TEST_F(NtpSynchronizerTest, ABigStepFromOneServerNeedsASecondRound) {
  MakeDevice(absl::Hours(1), /*valid=*/true);
  auto chrony = Chrony();
  NtpSynchronizer ntp(Options({chrony->address()}), keeper_.get(), *clock_);
  EXPECT_THAT(ntp.Poll(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                   HasSubstr("confirmation")));
  EXPECT_GT(ClockError(), absl::Minutes(59));
  EXPECT_TRUE(rtc_->sets().empty());
  EXPECT_EQ(ntp.NextPoll(), absl::Seconds(64));
  ASSERT_THAT(ntp.Poll(), IsOk());
  EXPECT_LT(ClockError(), absl::Milliseconds(50));
  EXPECT_EQ(rtc_->sets().size(), 1u);
}

TEST_F(NtpSynchronizerTest, AnInvalidClockTakesTheFirstConsistentAnswer) {
  MakeDevice(absl::ZeroDuration(), /*valid=*/false);
  EXPECT_GT(ClockError(), absl::Hours(24 * 365));
  auto chrony = Chrony();
  NtpSynchronizer ntp(Options({chrony->address()}), keeper_.get(), *clock_);
  ASSERT_THAT(ntp.Poll(), IsOk());
  EXPECT_LT(ClockError(), absl::Milliseconds(50));
  EXPECT_TRUE(keeper_->time_valid());
}

TEST_F(NtpSynchronizerTest, SmallOffsetsAreLeftAlone) {
  MakeDevice(absl::Milliseconds(60), /*valid=*/true);
  auto chrony = Chrony();
  NtpSynchronizer ntp(Options({chrony->address()}), keeper_.get(), *clock_);
  ASSERT_THAT(ntp.Poll(), IsOk());
  EXPECT_FALSE(ntp.Status().last_round_stepped);
  EXPECT_TRUE(rtc_->sets().empty());
}

TEST_F(NtpSynchronizerTest, ALiarIsOutvoted) {
  MakeDevice(absl::Minutes(10), /*valid=*/true);
  auto a = Chrony();
  auto b = Chrony();
  auto liar = Liar(absl::Hours(24));
  NtpSynchronizer ntp(Options({liar->address(), a->address(), b->address()}),
                      keeper_.get(), *clock_);
  ASSERT_THAT(ntp.Poll(), IsOk());
  EXPECT_LT(ClockError(), absl::Milliseconds(50));
}

TEST_F(NtpSynchronizerTest, OneLiarAgainstOneHonestServerChangesNothing) {
  MakeDevice(absl::Minutes(10), /*valid=*/true);
  auto chrony = Chrony();
  auto liar = Liar(absl::Hours(24));
  NtpSynchronizer ntp(Options({liar->address(), chrony->address()}),
                      keeper_.get(), *clock_);
  EXPECT_THAT(ntp.Poll(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                   HasSubstr("disagree")));
  EXPECT_TRUE(rtc_->sets().empty());
  EXPECT_GT(ClockError(), absl::Minutes(9));
}

TEST_F(NtpSynchronizerTest, OneBadAnswerAmongGoodOnesDoesNotCount) {
  MakeDevice(absl::Minutes(10), /*valid=*/true);
  // Every third answer is a day off: the server still counts (two of its
  // three samples agree) and the odd one is not used.
  std::atomic<int> n{0};
  auto flaky = UdpResponder::Start([&n](const NtpPacket& request) {
    const bool odd = n++ % 3 == 1;
    return EncodePacket(ServerAnswer(
        request, absl::Now() + (odd ? absl::Hours(24) : absl::ZeroDuration())));
  });
  ASSERT_THAT(flaky, IsOk());
  auto chrony = Chrony();
  NtpSynchronizer ntp(Options({(*flaky)->address(), chrony->address()}),
                      keeper_.get(), *clock_);
  ASSERT_THAT(ntp.Poll(), IsOk());
  EXPECT_LT(ClockError(), absl::Milliseconds(50));
  // Answers that never agree with each other do not count at all.
  n = 0;
  auto random = UdpResponder::Start([&n](const NtpPacket& request) {
    return EncodePacket(
        ServerAnswer(request, absl::Now() + absl::Hours(24 * ++n)));
  });
  ASSERT_THAT(random, IsOk());
  NtpSynchronizer alone(Options({(*random)->address()}), keeper_.get(),
                        *clock_);
  EXPECT_THAT(alone.Poll(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(
      alone.Status().servers[0].last_result,
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("disagree")));
}

TEST_F(NtpSynchronizerTest, ImplausibleTimesAreRefused) {
  MakeDevice(absl::ZeroDuration(), /*valid=*/false);
  // Two servers agreeing that it is 2001.
  const absl::Duration back = absl::FromUnixSeconds(978307200) - absl::Now();
  auto a = Liar(back);
  auto b = Liar(back);
  NtpSynchronizer ntp(Options({a->address(), b->address()}), keeper_.get(),
                      *clock_);
  EXPECT_THAT(ntp.Poll(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                   HasSubstr("before")));
  EXPECT_FALSE(keeper_->time_valid());
}

TEST_F(NtpSynchronizerTest, KissOfDeath) {
  MakeDevice(absl::ZeroDuration(), /*valid=*/true);
  auto kiss = [](uint32_t code) {
    return UdpResponder::Start([code](const NtpPacket& request) {
      NtpPacket answer = ServerAnswer(request, absl::Now());
      answer.stratum = 0;
      answer.reference_id = code;
      return EncodePacket(answer);
    });
  };
  auto rate = kiss(0x52415445);
  auto deny = kiss(0x44454E59);
  ASSERT_THAT(rate, IsOk());
  ASSERT_THAT(deny, IsOk());
  NtpSynchronizer ntp(Options({(*rate)->address(), (*deny)->address()}),
                      keeper_.get(), *clock_);
  EXPECT_THAT(ntp.Poll(), StatusIs(absl::StatusCode::kUnavailable));
  NtpStatus status = ntp.Status();
  EXPECT_EQ(status.servers[0].backoff, absl::Seconds(64));
  EXPECT_FALSE(status.servers[0].dropped);
  EXPECT_TRUE(status.servers[1].dropped);
  // One request each: a kiss ends the server's round at once.
  EXPECT_EQ((*rate)->requests(), 1);
  EXPECT_EQ((*deny)->requests(), 1);
  // Next round: RATE is still backing off, DENY is never asked again.
  EXPECT_THAT(ntp.Poll(), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ((*rate)->requests(), 1);
  EXPECT_EQ((*deny)->requests(), 1);
}

TEST_F(NtpSynchronizerTest, NoAnswersBackOffUpToMaxPoll) {
  MakeDevice(absl::ZeroDuration(), /*valid=*/true);
  auto silent = UdpResponder::Start([](const NtpPacket&) { return ""; });
  ASSERT_THAT(silent, IsOk());
  NtpOptions options = Options({(*silent)->address()});
  options.timeout = absl::Milliseconds(50);
  options.samples_per_server = 2;
  NtpSynchronizer ntp(options, keeper_.get(), *clock_);
  const absl::Duration expected[] = {absl::Seconds(64),   absl::Seconds(128),
                                     absl::Seconds(256),  absl::Seconds(512),
                                     absl::Seconds(1024), absl::Seconds(1024)};
  for (absl::Duration interval : expected) {
    EXPECT_THAT(ntp.Poll(), StatusIs(absl::StatusCode::kUnavailable));
    EXPECT_EQ(ntp.NextPoll(), interval);
  }
  EXPECT_EQ(ntp.Status().servers[0].reach, 0);
  NtpSynchronizer none(Options({}), keeper_.get(), *clock_);
  EXPECT_THAT(none.Poll(), StatusIs(absl::StatusCode::kUnavailable,
                                    HasSubstr("no NTP server configured")));
}

TEST_F(NtpSynchronizerTest, StartAndStop) {
  MakeDevice(absl::Hours(1), /*valid=*/false);
  auto chrony = Chrony();
  NtpSynchronizer ntp(Options({chrony->address()}), keeper_.get(), *clock_);
  ntp.Start();
  for (int i = 0; i < 100 && !keeper_->time_valid(); ++i) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  ntp.Stop();
  EXPECT_TRUE(keeper_->time_valid());
  EXPECT_LT(ClockError(), absl::Milliseconds(50));
}

}  // namespace
}  // namespace ews::ntp

#include "sdk/time/sntp_client.h"

#include <cstdlib>
#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"
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

const char* TempDir() { return std::getenv("TEST_TMPDIR"); }

TEST(SntpClientTest, MeasuresTheOffsetToARealChrony) {
  absl::StatusOr<std::unique_ptr<ChronyServer>> chrony =
      ChronyServer::Start(TempDir(), 8);
  ASSERT_THAT(chrony, IsOk());
  // Our clock is an hour ahead of chrony's (the real clock).
  ShiftedClock clock(absl::Hours(1));
  SntpClient client(clock);
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<SntpSample> sample =
        client.Query((*chrony)->address(), absl::Seconds(2));
    ASSERT_THAT(sample, IsOk());
    EXPECT_LT(absl::AbsDuration(sample->offset + absl::Hours(1)),
              absl::Milliseconds(20));
    EXPECT_GE(sample->delay, absl::ZeroDuration());
    EXPECT_LT(sample->delay, absl::Milliseconds(100));
    EXPECT_EQ(sample->stratum, 8);
    EXPECT_LT(absl::AbsDuration(sample->server_time - absl::Now()),
              absl::Milliseconds(100));
  }
}

TEST(SntpClientTest, AnUnsynchronisedChronyIsRefused) {
  absl::StatusOr<std::unique_ptr<ChronyServer>> chrony =
      ChronyServer::Start(TempDir(), 0);
  ASSERT_THAT(chrony, IsOk());
  ShiftedClock clock;
  SntpClient client(clock);
  EXPECT_THAT(client.Query((*chrony)->address(), absl::Seconds(2)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("not synchronised")));
}

TEST(SntpClientTest, NobodyListening) {
  // A responder that never answers, then a closed port.
  absl::StatusOr<std::unique_ptr<UdpResponder>> silent =
      UdpResponder::Start([](const NtpPacket&) { return std::string(); });
  ASSERT_THAT(silent, IsOk());
  ShiftedClock clock;
  SntpClient client(clock);
  EXPECT_THAT(client.Query((*silent)->address(), absl::Milliseconds(300)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  const std::string address = (*silent)->address();
  silent->reset();
  absl::StatusOr<SntpSample> closed =
      client.Query(address, absl::Milliseconds(300));
  EXPECT_TRUE(absl::IsUnavailable(closed.status()) ||
              absl::IsDeadlineExceeded(closed.status()))
      << closed.status();
  EXPECT_THAT(client.Query("no.such.host.invalid", absl::Milliseconds(300)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

struct BadAnswer {
  const char* what;
  std::function<void(NtpPacket&)> spoil;
  absl::StatusCode code;
  const char* message;
};

class SntpBadAnswerTest : public ::testing::TestWithParam<BadAnswer> {};

TEST_P(SntpBadAnswerTest, IsRefused) {
  const BadAnswer& bad = GetParam();
  absl::StatusOr<std::unique_ptr<UdpResponder>> server =
      UdpResponder::Start([&](const NtpPacket& request) {
        NtpPacket answer = ServerAnswer(request, absl::Now());
        bad.spoil(answer);
        return EncodePacket(answer);
      });
  ASSERT_THAT(server, IsOk());
  ShiftedClock clock;
  SntpClient client(clock);
  EXPECT_THAT(client.Query((*server)->address(), absl::Milliseconds(300)),
              StatusIs(bad.code, HasSubstr(bad.message)));
}

NtpPacket& Kiss(NtpPacket& p, uint32_t code) {
  p.stratum = 0;
  p.reference_id = code;
  return p;
}

INSTANTIATE_TEST_SUITE_P(
    All, SntpBadAnswerTest,
    ::testing::Values(
        BadAnswer{"kiss RATE", [](NtpPacket& p) { Kiss(p, 0x52415445); },
                  absl::StatusCode::kResourceExhausted, "RATE"},
        BadAnswer{"kiss DENY", [](NtpPacket& p) { Kiss(p, 0x44454E59); },
                  absl::StatusCode::kPermissionDenied, "DENY"},
        BadAnswer{"kiss RSTR", [](NtpPacket& p) { Kiss(p, 0x52535452); },
                  absl::StatusCode::kPermissionDenied, "RSTR"},
        BadAnswer{"stratum 0", [](NtpPacket& p) { Kiss(p, 0); },
                  absl::StatusCode::kFailedPrecondition, "not synchronised"},
        BadAnswer{"stratum 16", [](NtpPacket& p) { p.stratum = 16; },
                  absl::StatusCode::kFailedPrecondition, "not synchronised"},
        BadAnswer{"leap alarm", [](NtpPacket& p) { p.leap = 3; },
                  absl::StatusCode::kFailedPrecondition, "not synchronised"},
        BadAnswer{"zero transmit", [](NtpPacket& p) { p.transmit = 0; },
                  absl::StatusCode::kDataLoss, "zero"},
        BadAnswer{"zero receive", [](NtpPacket& p) { p.receive = 0; },
                  absl::StatusCode::kDataLoss, "zero"},
        BadAnswer{"client mode", [](NtpPacket& p) { p.mode = Mode::kClient; },
                  absl::StatusCode::kDataLoss, "mode"},
        BadAnswer{"broadcast", [](NtpPacket& p) { p.mode = Mode::kBroadcast; },
                  absl::StatusCode::kDataLoss, "mode"},
        BadAnswer{"version 2", [](NtpPacket& p) { p.version = 2; },
                  absl::StatusCode::kDataLoss, "version"},
        BadAnswer{
            "sent before received",
            [](NtpPacket& p) { p.transmit = p.receive - (uint64_t{1} << 32); },
            absl::StatusCode::kDataLoss, "before it received"},
        BadAnswer{"server took 5 s",
                  [](NtpPacket& p) { p.receive -= uint64_t{5} << 32; },
                  absl::StatusCode::kDataLoss, "delay"},
        BadAnswer{"root distance 3 s",
                  [](NtpPacket& p) { p.root_dispersion = 3 << 16; },
                  absl::StatusCode::kFailedPrecondition, "root distance"},
        BadAnswer{"wrong origin (spoofed)", [](NtpPacket& p) { p.origin ^= 1; },
                  absl::StatusCode::kDeadlineExceeded, "no answer"}),
    [](const ::testing::TestParamInfo<BadAnswer>& info) {
      std::string name;
      for (const char* c = info.param.what; *c; ++c) {
        if (std::isalnum(static_cast<unsigned char>(*c))) name += *c;
      }
      return name;
    });

TEST(SntpClientTest, AShortAnswerIsDataLoss) {
  absl::StatusOr<std::unique_ptr<UdpResponder>> server = UdpResponder::Start(
      [](const NtpPacket&) { return std::string(20, 'x'); });
  ASSERT_THAT(server, IsOk());
  ShiftedClock clock;
  SntpClient client(clock);
  EXPECT_THAT(client.Query((*server)->address(), absl::Milliseconds(300)),
              StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace ews::ntp

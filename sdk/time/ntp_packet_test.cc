#include "sdk/time/ntp_packet.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"
#include "sdk/time/sntp_client.h"

namespace ews::ntp {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

TEST(NtpPacketTest, EncodesAndDecodesEveryField) {
  NtpPacket packet;
  packet.leap = 3;
  packet.version = 4;
  packet.mode = Mode::kServer;
  packet.stratum = 9;
  packet.poll = 6;
  packet.precision = -20;
  packet.root_delay = 0x00010002;
  packet.root_dispersion = 0x00030004;
  packet.reference_id = 0x52415445;  // "RATE"
  packet.reference = 0x0102030405060708;
  packet.origin = 0x1112131415161718;
  packet.receive = 0x2122232425262728;
  packet.transmit = 0xF1F2F3F4F5F6F7F8;
  const std::string bytes = EncodePacket(packet);
  ASSERT_EQ(bytes.size(), kPacketBytes);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), (3 << 6) | (4 << 3) | 4);
  absl::StatusOr<NtpPacket> decoded = DecodePacket(bytes + "extension");
  ASSERT_THAT(decoded, IsOk());
  EXPECT_EQ(decoded->leap, 3);
  EXPECT_EQ(decoded->version, 4);
  EXPECT_EQ(decoded->mode, Mode::kServer);
  EXPECT_EQ(decoded->stratum, 9);
  EXPECT_EQ(decoded->poll, 6);
  EXPECT_EQ(decoded->precision, -20);
  EXPECT_EQ(decoded->root_delay, packet.root_delay);
  EXPECT_EQ(decoded->root_dispersion, packet.root_dispersion);
  EXPECT_EQ(KissCode(*decoded), "RATE");
  EXPECT_EQ(decoded->reference, packet.reference);
  EXPECT_EQ(decoded->origin, packet.origin);
  EXPECT_EQ(decoded->receive, packet.receive);
  EXPECT_EQ(decoded->transmit, packet.transmit);
  EXPECT_EQ(ShortToDuration(0x00018000), absl::Seconds(1.5));
}

TEST(NtpPacketTest, ShortPacketsAreDataLoss) {
  EXPECT_THAT(DecodePacket(""), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(DecodePacket(std::string(47, '\0')),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(NtpTimestampTest, KnownValuesAndRoundTrips) {
  // 1970-01-01 is 2208988800 s into era 0.
  EXPECT_EQ(ToNtpTimestamp(absl::UnixEpoch()), uint64_t{2208988800} << 32);
  EXPECT_EQ(ToNtpTimestamp(absl::UnixEpoch() + absl::Milliseconds(500)),
            (uint64_t{2208988800} << 32) | 0x80000000u);
  const absl::Time pivot = absl::FromUnixSeconds(1796000000);  // 2026
  for (int64_t unix_seconds :
       {int64_t{946684800}, int64_t{1796000000}, int64_t{2085978495},
        int64_t{2085978496} /* 2036-02-07T06:28:16Z: era 1 starts */,
        int64_t{2500000000}}) {
    const absl::Time time =
        absl::FromUnixSeconds(unix_seconds) + absl::Microseconds(250);
    const absl::Time back = FromNtpTimestamp(ToNtpTimestamp(time), pivot);
    EXPECT_LT(absl::AbsDuration(back - time), absl::Microseconds(1))
        << unix_seconds;
  }
  // Era 1 timestamps are small numbers; near a 2036+ pivot they are read
  // in era 1, near a 2026 pivot a small number would be 2036+ too (it is
  // within 68 years).
  const NtpTimestamp era1_start = 0;
  EXPECT_EQ(FromNtpTimestamp(era1_start, pivot),
            absl::FromUnixSeconds(2085978496));
  EXPECT_EQ(FromNtpTimestamp(uint64_t{2208988800} << 32,
                             absl::FromUnixSeconds(2085978496)),
            absl::UnixEpoch());
}

TEST(ServerAddressTest, Parses) {
  struct Case {
    const char* text;
    const char* host;
    int port;
  };
  for (const Case& c : {Case{"pool.ntp.org", "pool.ntp.org", 123},
                        Case{"192.0.2.1", "192.0.2.1", 123},
                        Case{"192.0.2.1:1123", "192.0.2.1", 1123},
                        Case{"2001:db8::1", "2001:db8::1", 123},
                        Case{"[2001:db8::1]", "2001:db8::1", 123},
                        Case{"[::1]:5000", "::1", 5000}}) {
    absl::StatusOr<ServerAddress> address = ParseServerAddress(c.text);
    ASSERT_THAT(address, IsOk()) << c.text;
    EXPECT_EQ(address->host, c.host);
    EXPECT_EQ(address->port, c.port);
  }
  for (const char* bad : {"", ":123", "host:", "host:0", "host:65536",
                          "host:12x", "[::1", "[::1]x", "[]:123"}) {
    EXPECT_THAT(ParseServerAddress(bad),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << bad;
  }
}

}  // namespace
}  // namespace ews::ntp

#include "sdk/config/internal/string_checks.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace ews::config::internal {
namespace {

TEST(StringChecksTest, QuoteEscapes) {
  EXPECT_EQ(Quote("ab"), "\"ab\"");
  EXPECT_EQ(Quote("a\nb"), "\"a\\nb\"");
}

TEST(StringChecksTest, CodePointsCountsUtf8Characters) {
  EXPECT_EQ(CodePoints(""), 0);
  EXPECT_EQ(CodePoints("abc"), 3);
  EXPECT_EQ(CodePoints("Zürich"), 6);  // ü is two bytes
}

TEST(StringChecksTest, ControlChars) {
  EXPECT_FALSE(HasControlChars("plain text"));
  EXPECT_TRUE(HasControlChars("a\tb"));
  EXPECT_TRUE(HasControlChars("a\x7f"));
  EXPECT_TRUE(HasControlChars(std::string("a\0b", 3)));
}

TEST(StringChecksTest, Id) {
  EXPECT_TRUE(IsId("main"));
  EXPECT_TRUE(IsId("0-a_b"));
  EXPECT_TRUE(IsId(std::string(kMaxIdChars, 'a')));
  EXPECT_FALSE(IsId(""));
  EXPECT_FALSE(IsId(std::string(kMaxIdChars + 1, 'a')));
  EXPECT_FALSE(IsId("Main"));
  EXPECT_FALSE(IsId("-main"));
  EXPECT_FALSE(IsId("a b"));
}

TEST(StringChecksTest, Ipv4) {
  uint32_t ip = 0;
  EXPECT_TRUE(ParseIpv4("192.168.1.2", &ip));
  EXPECT_EQ(ip, 0xC0A80102u);
  EXPECT_TRUE(ParseIpv4("0.0.0.0", nullptr));
  EXPECT_FALSE(ParseIpv4("192.168.1.300", nullptr));
  EXPECT_FALSE(ParseIpv4("192.168.001.1", nullptr));
  EXPECT_FALSE(ParseIpv4(std::string("1.2.3.4\0junk", 12), nullptr));
  EXPECT_FALSE(ParseIpv4("::1", nullptr));
}

TEST(StringChecksTest, Ipv6AndLiterals) {
  EXPECT_TRUE(IsIpv6("::1"));
  EXPECT_TRUE(IsIpv6("fd00::1:2"));
  EXPECT_FALSE(IsIpv6("1.2.3.4"));
  EXPECT_FALSE(IsIpv6(std::string("::1\0x", 5)));
  EXPECT_TRUE(IsIpLiteral("10.0.0.1"));
  EXPECT_TRUE(IsIpLiteral("::"));
  EXPECT_FALSE(IsIpLiteral("example.com"));
}

TEST(StringChecksTest, HostnameLabel) {
  EXPECT_TRUE(IsHostnameLabel("ews-01"));
  EXPECT_TRUE(IsHostnameLabel(std::string(63, 'a')));
  EXPECT_FALSE(IsHostnameLabel(std::string(64, 'a')));
  EXPECT_FALSE(IsHostnameLabel(""));
  EXPECT_FALSE(IsHostnameLabel("-ews"));
  EXPECT_FALSE(IsHostnameLabel("ews-"));
  EXPECT_FALSE(IsHostnameLabel("ews_01"));
}

TEST(StringChecksTest, Host) {
  EXPECT_TRUE(IsHost("pool.ntp.org"));
  EXPECT_TRUE(IsHost("nas"));
  EXPECT_TRUE(IsHost("10.1.2.3"));
  EXPECT_TRUE(IsHost("fd00::5"));
  EXPECT_TRUE(IsHost("1a.example"));
  EXPECT_FALSE(IsHost(""));
  EXPECT_FALSE(IsHost("999.1.1.1"));  // all numeric: must be valid IPv4
  EXPECT_FALSE(IsHost("a..b"));
  EXPECT_FALSE(IsHost("-a.example"));
  EXPECT_FALSE(IsHost(std::string(254, 'a')));
}

TEST(StringChecksTest, Cidr) {
  EXPECT_TRUE(IsCidr("192.168.1.0/24"));
  EXPECT_TRUE(IsCidr("0.0.0.0/0"));
  EXPECT_TRUE(IsCidr("fd00::/8"));
  EXPECT_TRUE(IsCidr("::1/128"));
  EXPECT_FALSE(IsCidr("192.168.1.0/33"));
  EXPECT_FALSE(IsCidr("fd00::/129"));
  EXPECT_FALSE(IsCidr("192.168.1.0"));
  EXPECT_FALSE(IsCidr("192.168.1.0/"));
  EXPECT_FALSE(IsCidr("192.168.1.0/+8"));
  EXPECT_FALSE(IsCidr("host/8"));
  EXPECT_FALSE(IsCidr("1.2.3.4/8/8"));
}

TEST(StringChecksTest, Email) {
  EXPECT_TRUE(IsEmail("ops@example.com"));
  EXPECT_TRUE(IsEmail("a.b+c@mail.example.org"));
  EXPECT_FALSE(IsEmail("ops@localhost"));  // no dot in the domain
  EXPECT_FALSE(IsEmail("ops@10.0.0.1"));
  EXPECT_FALSE(IsEmail("@example.com"));
  EXPECT_FALSE(IsEmail("ops"));
  EXPECT_FALSE(IsEmail(".ops@example.com"));
  EXPECT_FALSE(IsEmail("o..ps@example.com"));
  EXPECT_FALSE(IsEmail("o ps@example.com"));
  EXPECT_FALSE(IsEmail(std::string(65, 'a') + "@example.com"));
}

TEST(StringChecksTest, TimeZoneName) {
  EXPECT_TRUE(IsTimeZoneName("Europe/Zurich"));
  EXPECT_TRUE(IsTimeZoneName("Etc/GMT+1"));
  EXPECT_TRUE(IsTimeZoneName("UTC"));
  EXPECT_FALSE(IsTimeZoneName(""));
  EXPECT_FALSE(IsTimeZoneName("../etc/passwd"));
  EXPECT_FALSE(IsTimeZoneName("Europe//Zurich"));
  EXPECT_FALSE(IsTimeZoneName("/Europe/Zurich"));
  EXPECT_FALSE(IsTimeZoneName("Europe/Zu rich"));
}

TEST(StringChecksTest, Paths) {
  EXPECT_TRUE(IsAbsolutePath("/etc/ews/cert.pem"));
  EXPECT_FALSE(IsAbsolutePath("etc/ews"));
  EXPECT_FALSE(IsAbsolutePath("/etc/../root"));
  EXPECT_FALSE(IsAbsolutePath(""));
  EXPECT_TRUE(IsRelativePath("reports/2026"));
  EXPECT_TRUE(IsRelativePath(""));
  EXPECT_FALSE(IsRelativePath("/reports"));
  EXPECT_FALSE(IsRelativePath("a/../b"));
  EXPECT_FALSE(IsRelativePath("a\\b"));
  EXPECT_FALSE(IsRelativePath("a\nb"));
}

TEST(StringChecksTest, Loopback) {
  EXPECT_TRUE(IsLoopback("127.0.0.1"));
  EXPECT_TRUE(IsLoopback("127.8.9.10"));
  EXPECT_TRUE(IsLoopback("::1"));
  EXPECT_TRUE(IsLoopback("localhost"));
  EXPECT_FALSE(IsLoopback("128.0.0.1"));
  EXPECT_FALSE(IsLoopback("example.com"));
}

}  // namespace
}  // namespace ews::config::internal

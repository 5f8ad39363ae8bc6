#include "sdk/http/connection_guard.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace ews::http {
namespace {

int NewSocket() { return socket(AF_INET, SOCK_STREAM, 0); }

TEST(ConnectionGuardTest, CapsEachAddressAndForgetsClosedConnections) {
  ConnectionGuard guard(2);
  const int a = NewSocket();
  const int b = NewSocket();
  const int c = NewSocket();
  EXPECT_TRUE(guard.Admit(a, "10.0.0.1"));
  EXPECT_TRUE(guard.Admit(b, "10.0.0.1"));
  EXPECT_FALSE(guard.Admit(c, "10.0.0.1"));
  EXPECT_TRUE(guard.Admit(c, "10.0.0.2"));  // another address
  EXPECT_EQ(guard.OpenFrom("10.0.0.1"), 2);
  EXPECT_EQ(guard.refused(), 1);

  close(a);
  EXPECT_EQ(guard.OpenFrom("10.0.0.1"), 1);
  const int d = NewSocket();
  EXPECT_TRUE(guard.Admit(d, "10.0.0.1"));
  EXPECT_FALSE(guard.Admit(NewSocket(), "10.0.0.1"));
  close(b);
  close(c);
  close(d);
}

// A descriptor closed and reused for another socket no longer counts for the
// address of the connection it held.
TEST(ConnectionGuardTest, AReusedDescriptorIsAnotherConnection) {
  ConnectionGuard guard(1);
  const int first = NewSocket();
  ASSERT_TRUE(guard.Admit(first, "10.0.0.1"));
  close(first);
  const int reused = NewSocket();
  ASSERT_EQ(reused, first);  // the lowest free descriptor
  EXPECT_EQ(guard.OpenFrom("10.0.0.1"), 0);
  EXPECT_TRUE(guard.Admit(reused, "10.0.0.1"));
  close(reused);
}

TEST(ConnectionGuardTest, AddressText) {
  sockaddr_in ipv4{};
  ipv4.sin_family = AF_INET;
  ipv4.sin_addr.s_addr = htonl(0x7F000002);
  EXPECT_EQ(AddressText(reinterpret_cast<sockaddr*>(&ipv4), sizeof ipv4),
            "127.0.0.2");
  sockaddr_in6 mapped{};
  mapped.sin6_family = AF_INET6;
  mapped.sin6_addr.s6_addr[10] = 0xFF;
  mapped.sin6_addr.s6_addr[11] = 0xFF;
  mapped.sin6_addr.s6_addr[12] = 192;
  mapped.sin6_addr.s6_addr[15] = 7;
  EXPECT_EQ(AddressText(reinterpret_cast<sockaddr*>(&mapped), sizeof mapped),
            "192.0.0.7");
  sockaddr_in6 ipv6{};
  ipv6.sin6_family = AF_INET6;
  ipv6.sin6_addr.s6_addr[15] = 1;
  EXPECT_EQ(AddressText(reinterpret_cast<sockaddr*>(&ipv6), sizeof ipv6),
            "::1");
}

TEST(ConnectionGuardTest, ClientKeyIsTheIpv4AddressOrTheIpv6Slash64) {
  sockaddr_in ipv4{};
  ipv4.sin_family = AF_INET;
  ipv4.sin_addr.s_addr = htonl(0x0A000001);
  EXPECT_EQ(ClientKey(reinterpret_cast<sockaddr*>(&ipv4), sizeof ipv4),
            "10.0.0.1");
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr.s6_addr[0] = 0x20;
  a.sin6_addr.s6_addr[1] = 0x01;
  a.sin6_addr.s6_addr[2] = 0x0d;
  a.sin6_addr.s6_addr[3] = 0xb8;
  a.sin6_addr.s6_addr[15] = 1;
  sockaddr_in6 b = a;
  b.sin6_addr.s6_addr[9] = 0x42;  // another host of the same /64
  EXPECT_EQ(ClientKey(reinterpret_cast<sockaddr*>(&a), sizeof a),
            "2001:db8::/64");
  EXPECT_EQ(ClientKey(reinterpret_cast<sockaddr*>(&b), sizeof b),
            "2001:db8::/64");
}

}  // namespace
}  // namespace ews::http

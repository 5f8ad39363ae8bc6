#include "sdk/system/network_settings.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/files.h"
#include "sdk/base/status_matchers.h"
#include "sdk/config/defaults.h"

namespace ews::system {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

config::v1::Network FactoryNetwork() {
  return config::FactorySettingsWithoutUsers().network();
}

std::string TempDir() {
  std::string dir = std::string(std::getenv("TEST_TMPDIR")) + "/netXXXXXX";
  return mkdtemp(dir.data());
}

TEST(RenderNetworkdFileTest, FactorySettingsAreStaticWithGatewayDnsNtp) {
  absl::StatusOr<std::string> file =
      RenderNetworkdFile(FactoryNetwork(), "eth0");
  ASSERT_THAT(file.status(), IsOk());
  EXPECT_THAT(*file, HasSubstr("[Match]\nName=eth0\n"));
  EXPECT_THAT(*file, HasSubstr("Address=192.168.1.100/24\n"));
  EXPECT_THAT(*file, HasSubstr("Gateway=192.168.1.1\n"));
  EXPECT_THAT(*file, HasSubstr("DNS=192.168.1.1\n"));
  EXPECT_THAT(*file, HasSubstr("NTP=pool.ntp.org\n"));
  EXPECT_THAT(*file, Not(HasSubstr("DHCP")));
}

TEST(RenderNetworkdFileTest, DhcpSendsTheHostname) {
  config::v1::Network network = FactoryNetwork();
  network.mutable_dhcp();
  network.set_hostname("box-7");
  absl::StatusOr<std::string> file = RenderNetworkdFile(network, "eth1");
  ASSERT_THAT(file.status(), IsOk());
  EXPECT_THAT(*file, HasSubstr("DHCP=ipv4\n"));
  EXPECT_THAT(*file, HasSubstr("[DHCPv4]\nHostname=box-7\n"));
  EXPECT_THAT(*file, Not(HasSubstr("Address=")));
}

TEST(RenderNetworkdFileTest, NoGatewayNoRoute) {
  config::v1::Network network = FactoryNetwork();
  network.mutable_static_ipv4()->set_gateway("");
  network.mutable_static_ipv4()->set_netmask("255.255.0.0");
  absl::StatusOr<std::string> file = RenderNetworkdFile(network, "eth0");
  ASSERT_THAT(file.status(), IsOk());
  EXPECT_THAT(*file, HasSubstr("Address=192.168.1.100/16\n"));
  EXPECT_THAT(*file, Not(HasSubstr("Gateway=")));
}

TEST(RenderNetworkdFileTest, BadInputIsRefused) {
  config::v1::Network network = FactoryNetwork();
  EXPECT_THAT(RenderNetworkdFile(network, "").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(RenderNetworkdFile(network, "eth0\n[Network]").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  network.mutable_static_ipv4()->set_netmask("255.0.255.0");
  EXPECT_THAT(
      RenderNetworkdFile(network, "eth0").status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("netmask")));
  network.clear_static_ipv4();
  EXPECT_THAT(RenderNetworkdFile(network, "eth0").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(NetworkdBackendTest, WritesOnceAndOnlyOnChange) {
  std::string dir = TempDir();
  NetworkdBackend backend(dir, "eth0");
  EXPECT_EQ(backend.path(), dir + "/10-ews-eth0.network");
  absl::StatusOr<bool> changed = backend.Apply(FactoryNetwork());
  ASSERT_THAT(changed.status(), IsOk());
  EXPECT_TRUE(*changed);
  absl::StatusOr<std::string> written = ReadFileToString(backend.path(), 4096);
  ASSERT_THAT(written.status(), IsOk());
  EXPECT_EQ(*written, *RenderNetworkdFile(FactoryNetwork(), "eth0"));
  struct stat info;
  ASSERT_EQ(stat(backend.path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0644u);

  changed = backend.Apply(FactoryNetwork());
  ASSERT_THAT(changed.status(), IsOk());
  EXPECT_FALSE(*changed);

  config::v1::Network other = FactoryNetwork();
  other.mutable_static_ipv4()->set_address("192.168.1.50");
  changed = backend.Apply(other);
  ASSERT_THAT(changed.status(), IsOk());
  EXPECT_TRUE(*changed);
  EXPECT_THAT(*ReadFileToString(backend.path(), 4096),
              HasSubstr("Address=192.168.1.50/24"));
}

TEST(NetworkdBackendTest, BadSettingsLeaveTheFileAlone) {
  std::string dir = TempDir();
  NetworkdBackend backend(dir, "eth0");
  ASSERT_THAT(backend.Apply(FactoryNetwork()).status(), IsOk());
  config::v1::Network bad = FactoryNetwork();
  bad.clear_static_ipv4();
  EXPECT_THAT(backend.Apply(bad).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(*ReadFileToString(backend.path(), 4096),
              HasSubstr("Address=192.168.1.100/24"));
}

TEST(NetworkdBackendTest, MissingDirectoryIsAnError) {
  NetworkdBackend backend(TempDir() + "/missing", "eth0");
  EXPECT_THAT(backend.Apply(FactoryNetwork()).status(), Not(IsOk()));
}

TEST(RecordingNetworkBackendTest, RecordsEachChange) {
  std::string path = TempDir() + "/network.record";
  RecordingNetworkBackend backend(path, "eth0");
  ASSERT_THAT(backend.Apply(FactoryNetwork()).status(), IsOk());
  ASSERT_THAT(backend.Apply(FactoryNetwork()).status(), IsOk());
  config::v1::Network dhcp = FactoryNetwork();
  dhcp.mutable_dhcp();
  ASSERT_THAT(backend.Apply(dhcp).status(), IsOk());
  EXPECT_THAT(*ReadFileToString(path, 4096), HasSubstr("DHCP=ipv4"));
  absl::StatusOr<std::string> log = ReadFileToString(path + ".log", 4096);
  ASSERT_THAT(log.status(), IsOk());
  EXPECT_EQ(std::count(log->begin(), log->end(), '\n'), 2);
}

}  // namespace
}  // namespace ews::system

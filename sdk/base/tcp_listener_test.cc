#include "sdk/base/tcp_listener.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/loopback.h"
#include "sdk/base/status_matchers.h"

namespace ews {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;

TEST(TcpListenerTest, ListensOnAFreePortThatAcceptsConnections) {
  absl::StatusOr<TcpListener> listener = ListenTcp("127.0.0.1", 0, 4);
  ASSERT_THAT(listener, IsOk());
  EXPECT_GT(listener->port, 0);
  absl::StatusOr<int> client =
      ConnectToLoopback(listener->port, absl::Seconds(1));
  ASSERT_THAT(client, IsOk());
  close(*client);
  close(listener->fd);
}

TEST(TcpListenerTest, BadAddressesAndPortsAreInvalidArguments) {
  EXPECT_THAT(ListenTcp("localhost", 0, 4),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("bad bind address")));
  EXPECT_THAT(ListenTcp("127.0.0.1", 65536, 4),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ListenTcp("127.0.0.1", -1, 4),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TcpListenerTest, APortInUseIsAnErrorNamingIt) {
  absl::StatusOr<TcpListener> first = ListenTcp("127.0.0.1", 0, 4);
  ASSERT_THAT(first, IsOk());
  absl::StatusOr<TcpListener> second = ListenTcp("127.0.0.1", first->port, 4);
  EXPECT_FALSE(second.ok());
  EXPECT_THAT(
      second.status().message(),
      HasSubstr(absl::StrCat("cannot listen on 127.0.0.1:", first->port)));
  close(first->fd);
}

}  // namespace
}  // namespace ews

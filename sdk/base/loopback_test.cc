#include "sdk/base/loopback.h"

#include <sys/socket.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"

namespace ews {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

TEST(LoopbackTest, ClientReachesListener) {
  absl::StatusOr<LoopbackListener> listener = ListenOnLoopback();
  ASSERT_THAT(listener, IsOk());
  EXPECT_GT(listener->port, 0);
  absl::StatusOr<int> client =
      ConnectToLoopback(listener->port, absl::Milliseconds(200));
  ASSERT_THAT(client, IsOk());
  const int server = accept(listener->fd, nullptr, nullptr);
  ASSERT_GE(server, 0);
  ASSERT_EQ(send(server, "x", 1, 0), 1);
  char byte = 0;
  EXPECT_EQ(recv(*client, &byte, 1, 0), 1);
  EXPECT_EQ(byte, 'x');
  // Nothing more arrives: the receive timeout ends the wait.
  EXPECT_EQ(recv(*client, &byte, 1, 0), -1);
  close(server);
  close(*client);
  close(listener->fd);
}

TEST(LoopbackTest, RefusedConnectionIsAnError) {
  absl::StatusOr<LoopbackListener> listener = ListenOnLoopback();
  ASSERT_THAT(listener, IsOk());
  const uint16_t port = listener->port;
  close(listener->fd);  // nobody listens there any more
  EXPECT_FALSE(ConnectToLoopback(port, absl::Seconds(1)).ok());
}

}  // namespace
}  // namespace ews

// Proves civetweb links and serves: plain HTTP on a loopback port 0, one
// handler, one GET.
#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace {

int Hello(mg_connection* connection, void*) {
  mg_send_http_ok(connection, "text/plain", 5);
  mg_write(connection, "hello", 5);
  return 200;
}

std::string Get(int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return "";
  }
  std::string request = "GET " + path + " HTTP/1.0\r\n\r\n";
  (void)!write(fd, request.data(), request.size());
  std::string response;
  char buffer[512];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) response.append(buffer, n);
  close(fd);
  return response;
}

TEST(CivetwebTest, ServesOnLoopbackPortZero) {
  mg_init_library(0);
  const char* options[] = {"listening_ports", "127.0.0.1:0", "num_threads", "2",
                           nullptr};
  mg_callbacks callbacks{};
  mg_context* context = mg_start(&callbacks, nullptr, options);
  ASSERT_NE(context, nullptr);
  mg_set_request_handler(context, "/hello", Hello, nullptr);
  mg_server_port ports[4];
  ASSERT_EQ(mg_get_server_ports(context, 4, ports), 1);
  ASSERT_GT(ports[0].port, 0);
  std::string response = Get(ports[0].port, "/hello");
  EXPECT_NE(response.find("200 OK"), std::string::npos) << response;
  EXPECT_NE(response.find("hello"), std::string::npos);
  mg_stop(context);
  mg_exit_library();
}

}  // namespace

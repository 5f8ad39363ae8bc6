#include "sdk/modbus/tcp_transport.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/loopback.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/modbus/internal/rtu_codec.h"
#include "sdk/modbus/register_bank.h"

namespace ews::modbus {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::ElementsAre;

// A minimal Modbus TCP device on 127.0.0.1: answers from a RegisterBank,
// counts connections, can stay silent or send a stale answer first.
class TinyServer {
 public:
  TinyServer() : bank_(true) {
    LoopbackListener listener = *ListenOnLoopback();
    listen_ = listener.fd;
    port_ = listener.port;
    thread_ = std::thread([this] { Run(); });
  }
  ~TinyServer() {
    stop_ = true;
    shutdown(listen_, SHUT_RDWR);
    close(listen_);
    thread_.join();
  }
  uint16_t port() const { return port_; }
  RegisterBank& bank() { return bank_; }
  std::atomic<int> connections{0};
  std::atomic<bool> silent{false};
  std::atomic<bool> stale_first{false};
  std::atomic<bool> close_after_answer{false};

 private:
  void Run() {
    while (!stop_) {
      int fd = accept(listen_, nullptr, nullptr);
      if (fd < 0) return;
      ++connections;
      while (true) {
        uint8_t header[7];
        if (recv(fd, header, 7, MSG_WAITALL) != 7) break;
        Pdu pdu((header[4] << 8 | header[5]) - 1);
        if (recv(fd, pdu.data(), pdu.size(), MSG_WAITALL) !=
            static_cast<ssize_t>(pdu.size())) {
          break;
        }
        if (silent) continue;
        Pdu answer = bank_.Handle(pdu);
        std::vector<uint8_t> out(header, header + 7);
        out[5] = static_cast<uint8_t>(answer.size() + 1);
        out.insert(out.end(), answer.begin(), answer.end());
        if (stale_first.exchange(false)) {
          std::vector<uint8_t> stale = out;
          stale[1] ^= 0x55;
          send(fd, stale.data(), stale.size(), MSG_NOSIGNAL);
        }
        send(fd, out.data(), out.size(), MSG_NOSIGNAL);
        if (close_after_answer) break;
      }
      close(fd);
    }
  }
  RegisterBank bank_;
  int listen_;
  uint16_t port_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(TcpTransportTest, ReusesOneConnection) {
  TinyServer server;
  server.bank().SetHolding(0, {11, 12});
  TcpOptions options;
  options.host = "127.0.0.1";
  options.port = server.port();
  TcpTransport transport(options);
  for (int i = 0; i < 5; ++i) {
    auto pdu = transport.Exchange(3, ReadRequest(3, 0, 2), absl::Seconds(1));
    ASSERT_THAT(pdu.status(), IsOk());
    EXPECT_THAT(*pdu, ElementsAre(3, 4, 0, 11, 0, 12));
  }
  EXPECT_EQ(server.connections, 1);
  EXPECT_EQ(transport.connects(), 1);
}

TEST(TcpTransportTest, ReconnectsWhenTheGatewayDropsTheConnection) {
  TinyServer server;
  server.close_after_answer = true;
  TcpOptions options;
  options.host = "127.0.0.1";
  options.port = server.port();
  TcpTransport transport(options);
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(
        transport.Exchange(3, ReadRequest(3, 0, 1), absl::Seconds(1)).status(),
        IsOk());
  }
  EXPECT_EQ(transport.connects(), 3);
}

TEST(TcpTransportTest, SkipsStaleAnswersAndTimesOut) {
  TinyServer server;
  server.bank().SetHolding(0, {5});
  TcpOptions options;
  options.host = "127.0.0.1";
  options.port = server.port();
  TcpTransport transport(options);
  server.stale_first = true;
  auto pdu = transport.Exchange(3, ReadRequest(3, 0, 1), absl::Seconds(1));
  ASSERT_THAT(pdu.status(), IsOk());
  EXPECT_THAT(*pdu, ElementsAre(3, 2, 0, 5));
  server.silent = true;
  EXPECT_THAT(
      transport.Exchange(3, ReadRequest(3, 0, 1), absl::Milliseconds(50))
          .status(),
      StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(transport.connected());  // a timeout keeps the connection
}

TEST(TcpTransportTest, BacksOffWhenTheGatewayIsDown) {
  // A port nobody listens on: bind, read the port, close.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  SimulatedClock clock;
  TcpOptions options;
  options.host = "127.0.0.1";
  options.port = ntohs(address.sin_port);
  options.clock = &clock;
  TcpTransport transport(options);
  EXPECT_THAT(
      transport.Exchange(3, ReadRequest(3, 0, 1), absl::Seconds(1)).status(),
      StatusIs(absl::StatusCode::kUnavailable,
               ::testing::HasSubstr("cannot connect")));
  // Within the back-off no new attempt is made.
  EXPECT_THAT(
      transport.Exchange(3, ReadRequest(3, 0, 1), absl::Seconds(1)).status(),
      StatusIs(absl::StatusCode::kUnavailable,
               ::testing::HasSubstr("next attempt")));
  clock.Advance(absl::Milliseconds(100));
  EXPECT_THAT(
      transport.Exchange(3, ReadRequest(3, 0, 1), absl::Seconds(1)).status(),
      StatusIs(absl::StatusCode::kUnavailable,
               ::testing::HasSubstr("retry in 200ms")));
}

// A serial device server carrying RTU frames over TCP, answering from a
// RegisterBank (CRC by libmodbus through the codec); answers may be split in
// two TCP segments.
class TinyRtuServer {
 public:
  TinyRtuServer() : bank_(true), codec_(*internal::RtuCodec::Create()) {
    LoopbackListener listener = *ListenOnLoopback();
    listen_ = listener.fd;
    port_ = listener.port;
    thread_ = std::thread([this] { Run(); });
  }
  ~TinyRtuServer() {
    shutdown(listen_, SHUT_RDWR);
    close(listen_);
    thread_.join();
  }
  uint16_t port() const { return port_; }
  RegisterBank& bank() { return bank_; }
  std::atomic<bool> split{false};

 private:
  void Run() {
    int fd = accept(listen_, nullptr, nullptr);
    if (fd < 0) return;
    std::vector<uint8_t> in;
    uint8_t buffer[300];
    ssize_t n;
    while ((n = recv(fd, buffer, sizeof buffer, 0)) > 0) {
      in.insert(in.end(), buffer, buffer + n);
      if (!codec_->Check(in).ok()) continue;
      Pdu request(in.begin() + 1, in.end() - 2);
      const uint8_t unit = in[0];
      in.clear();
      if (unit != 9) continue;  // only unit 9 answers
      auto adu = *codec_->Encode(unit, bank_.Handle(request));
      if (split) {
        send(fd, adu.data(), 3, MSG_NOSIGNAL);
        absl::SleepFor(absl::Milliseconds(5));
        send(fd, adu.data() + 3, adu.size() - 3, MSG_NOSIGNAL);
      } else {
        send(fd, adu.data(), adu.size(), MSG_NOSIGNAL);
      }
    }
    close(fd);
  }
  RegisterBank bank_;
  std::unique_ptr<internal::RtuCodec> codec_;
  int listen_;
  uint16_t port_;
  std::thread thread_;
};

TEST(TcpTransportTest, RtuOverTcp) {
  TinyRtuServer server;
  server.bank().SetHolding(0, {1, 2, 3});
  DeviceIdentification id;
  id.objects = {{0, "Maker"}, {1, "Model"}, {2, "1.0"}};
  server.bank().SetIdentification(id);
  TcpOptions options;
  options.host = "127.0.0.1";
  options.port = server.port();
  options.framing = TcpOptions::Framing::kRtuOverTcp;
  TcpTransport transport(options);
  auto pdu = transport.Exchange(9, ReadRequest(3, 0, 3), absl::Seconds(1));
  ASSERT_THAT(pdu.status(), IsOk());
  EXPECT_THAT(*pdu, ElementsAre(3, 6, 0, 1, 0, 2, 0, 3));
  server.split = true;  // a frame in two segments is joined
  pdu = transport.Exchange(9, ReadRequest(3, 1, 1), absl::Seconds(1));
  ASSERT_THAT(pdu.status(), IsOk());
  EXPECT_THAT(*pdu, ElementsAre(3, 2, 0, 2));
  // 43/14: length unknown from the request, the gap ends the frame.
  pdu = transport.Exchange(
      9, ReadDeviceIdentificationRequest(DeviceIdCode::kBasic, 0),
      absl::Seconds(1));
  ASSERT_THAT(pdu.status(), IsOk());
  auto part = ParseDeviceIdentification(*pdu);
  ASSERT_THAT(part.status(), IsOk());
  EXPECT_EQ(part->identification.objects[1], "Model");
  EXPECT_THAT(
      transport.Exchange(8, ReadRequest(3, 0, 1), absl::Milliseconds(50))
          .status(),
      StatusIs(absl::StatusCode::kDeadlineExceeded));
  // Exception answers are complete at 5 bytes.
  pdu = transport.Exchange(9, Pdu{0x08, 0, 0, 0, 0}, absl::Seconds(1));
  ASSERT_THAT(pdu.status(), IsOk());
  EXPECT_THAT(*pdu, ElementsAre(0x88, 0x01));
  EXPECT_EQ(transport.connects(), 1);
}

}  // namespace
}  // namespace ews::modbus

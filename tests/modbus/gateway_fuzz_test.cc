// Throws 19,200 random and mutated MBAP frames at the gateway (8 clients in
// parallel, 4 pipelined per connection, over 127.0.0.1; at least 10,000 of
// them parsed: a malformed header closes its connection) and checks that it
// still answers a valid request correctly, that the line behind it is not
// stuck, and that every connection was cleaned up. Bounded: a fixed seed and
// count.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/loopback.h"
#include "sdk/base/status_matchers.h"
#include "sdk/modbus/fake_client.h"
#include "sdk/modbus/gateway_server.h"
#include "sdk/modbus/line_scheduler.h"
#include "sdk/modbus/register_bank.h"
#include "sdk/modbus/tcp_transport.h"

namespace ews::modbus {
namespace {

using ::ews::testing::IsOk;
using ::testing::ElementsAre;

// A line whose devices answer instantly from one bank (units 1..50).
class BankTransport final : public Transport {
 public:
  explicit BankTransport(RegisterBank* bank) : bank_(bank) {}
  absl::StatusOr<Pdu> Exchange(uint8_t unit, const Pdu& request,
                               absl::Duration) override {
    if (unit == 0) return Pdu();
    if (unit > 50) return absl::DeadlineExceededError("silent");
    return bank_->Handle(request);
  }
  std::string Describe() const override { return "bank"; }

 private:
  RegisterBank* bank_;
};

std::vector<uint8_t> Mbap(uint16_t tid, uint8_t unit, const Pdu& pdu) {
  std::vector<uint8_t> out = {uint8_t(tid >> 8),
                              uint8_t(tid),
                              0,
                              0,
                              uint8_t((pdu.size() + 1) >> 8),
                              uint8_t(pdu.size() + 1),
                              unit};
  out.insert(out.end(), pdu.begin(), pdu.end());
  return out;
}

std::vector<uint8_t> RandomFrame(std::mt19937& rng) {
  auto byte = [&] { return static_cast<uint8_t>(rng() & 0xFF); };
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  static const uint8_t kFunctions[] = {1,    2,    3,  4,  5,  6, 15,
                                       16,   23,   43, 8,  17, 0, 0x80,
                                       0x83, 0xFF, 7,  20, 22, 24};
  Pdu pdu;
  switch (pick(4)) {
    case 0: {  // a valid request
      const uint8_t function = kFunctions[pick(10)];
      switch (function) {
        case 5:
          pdu = WriteSingleCoilRequest(pick(100), pick(2));
          break;
        case 6:
          pdu = WriteSingleRegisterRequest(pick(100), byte());
          break;
        case 15:
          pdu = WriteMultipleCoilsRequest(pick(100),
                                          std::vector<bool>(1 + pick(40)));
          break;
        case 16:
          pdu = WriteMultipleRegistersRequest(
              pick(100), std::vector<uint16_t>(1 + pick(20), 7));
          break;
        case 23:
          pdu = ReadWriteMultipleRegistersRequest(pick(100), 1 + pick(10),
                                                  pick(100), {1, 2});
          break;
        case 43:
          pdu = ReadDeviceIdentificationRequest(DeviceIdCode(1 + pick(4)),
                                                pick(3));
          break;
        default:
          pdu = ReadRequest(function, pick(200), 1 + pick(130));
      }
      break;
    }
    case 1: {  // random PDU of random length
      pdu.resize(1 + pick(260));
      for (auto& b : pdu) b = byte();
      pdu[0] = kFunctions[pick(20)];
      break;
    }
    case 2:  // empty/short
      pdu.resize(pick(3));
      for (auto& b : pdu) b = byte();
      break;
    default: {  // valid request, then mutated below
      pdu = ReadRequest(3, pick(100), 1 + pick(125));
    }
  }
  const uint8_t units[] = {1, 2, 17, 50, 51, 0, 255, 100, 150, 200, byte()};
  std::vector<uint8_t> frame = Mbap(rng() & 0xFFFF, units[pick(11)], pdu);
  // Mutations of the header and the body.
  const int mutations = pick(3) == 0 ? 1 + pick(2) : 0;
  for (int i = 0; i < mutations && !frame.empty(); ++i) {
    switch (pick(6)) {
      case 0:
        frame[pick(frame.size())] = byte();
        break;
      case 1:  // length field
        if (frame.size() > 5) frame[4 + pick(2)] = byte();
        break;
      case 2:  // protocol id
        if (frame.size() > 3) frame[2 + pick(2)] = byte();
        break;
      case 3:  // truncate
        frame.resize(pick(frame.size()));
        break;
      case 4:  // trailing garbage
        for (int j = pick(10); j > 0; --j) frame.push_back(byte());
        break;
      default:
        break;
    }
  }
  return frame;
}

int Connect(uint16_t port) {
  absl::StatusOr<int> fd = ConnectToLoopback(port, absl::Seconds(5));
  return fd.ok() ? *fd : -1;
}

TEST(GatewayFuzzTest, SurvivesRandomAndMutatedFrames) {
  RegisterBank bank(/*open=*/true);
  bank.SetHolding(1000, {4321});  // beyond the fuzz's writes
  LineScheduler line(std::make_unique<BankTransport>(&bank), LineOptions());
  FakeClient remote;
  remote.AddUnit(50 + 50, true);
  GatewayOptions options;
  options.bind_address = "127.0.0.1";
  options.port = 0;
  options.frame_timeout = absl::Milliseconds(200);
  options.idle_timeout = absl::Seconds(5);
  options.routes = {{1, 99, 0, &line, true, "line"},
                    {100, 199, 0, &remote, false, "remote"}};
  options.identity.objects = {{0, "EWS"}, {1, "EWS-32"}, {2, "1.0"}};
  auto server = GatewayServer::Start(options);
  ASSERT_THAT(server.status(), IsOk());
  const uint16_t port = (*server)->port();

  const int kClients =
      getenv("FUZZ_CLIENTS") ? atoi(getenv("FUZZ_CLIENTS")) : 8;
  const int kFramesPerClient =
      getenv("FUZZ_FRAMES") ? atoi(getenv("FUZZ_FRAMES")) : 2400;
  constexpr int kBatch = 4;  // frames pipelined per connection
  std::atomic<int> sent{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937 rng(1234 + c);
      for (int done = 0; done < kFramesPerClient; done += kBatch) {
        int fd = Connect(port);
        if (fd < 0) {
          if (getenv("FUZZ_DEBUG")) std::printf("connect failed\n");
          continue;
        }
        for (int i = 0; i < kBatch; ++i) {
          std::vector<uint8_t> frame = RandomFrame(rng);
          if (send(fd, frame.data(), frame.size(), MSG_NOSIGNAL) < 0) break;
          ++sent;
        }
        // No more requests: read answers until the server closes.
        shutdown(fd, SHUT_WR);
        uint8_t buffer[4096];
        ssize_t got, total = 0;
        while ((got = recv(fd, buffer, sizeof buffer, 0)) > 0) total += got;
        if (getenv("FUZZ_DEBUG")) {
          std::printf("batch: got %zd bytes, last %zd errno %d\n", total, got,
                      errno);
        }
        close(fd);
      }
    });
  }
  for (auto& client : clients) client.join();
  EXPECT_GE(sent, 10000);

  // Still answers a valid request, on a fresh connection, correctly.
  TcpOptions tcp;
  tcp.host = "127.0.0.1";
  tcp.port = port;
  LineScheduler scada(std::make_unique<TcpTransport>(tcp), LineOptions());
  auto value = scada.ReadHoldingRegisters(1, 1000, 1);
  ASSERT_THAT(value.status(), IsOk());
  EXPECT_THAT(*value, ElementsAre(4321));
  EXPECT_EQ(scada.ReadDeviceIdentification(255)->objects.at(0), "EWS");
  // The line behind it is idle, not stuck.
  EXPECT_EQ(line.stats().queued, 0u);
  EXPECT_FALSE(line.stats().busy);
  auto direct = line.ReadHoldingRegisters(1, 0, 1);
  ASSERT_THAT(direct.status(), IsOk());
  const GatewayStats stats = (*server)->stats();
  // Frames the gateway actually parsed (a malformed header ends its
  // connection, so later frames of that batch never count).
  EXPECT_GE(stats.requests + stats.malformed, 10000u);
  EXPECT_GT(stats.malformed, 100u);
  EXPECT_GT(stats.exceptions, 1000u);
  EXPECT_GT(stats.responses, 1000u);
  EXPECT_LE(stats.connections_open, 1u);  // only the scada connection
  std::printf(
      "fuzz: %d frames, %lu requests, %lu answers, %lu exceptions, "
      "%lu connections closed for malformed frames, %lu accepted, %lu "
      "rejected\n",
      sent.load(), static_cast<unsigned long>(stats.requests),
      static_cast<unsigned long>(stats.responses),
      static_cast<unsigned long>(stats.exceptions),
      static_cast<unsigned long>(stats.malformed),
      static_cast<unsigned long>(stats.connections_accepted),
      static_cast<unsigned long>(stats.connections_rejected));
}

}  // namespace
}  // namespace ews::modbus

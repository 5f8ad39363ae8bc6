#include "sdk/modbus/gateway_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/loopback.h"
#include "sdk/base/status_matchers.h"
#include "sdk/modbus/fake_client.h"
#include "sdk/modbus/line_scheduler.h"
#include "sdk/modbus/register_bank.h"
#include "sdk/modbus/tcp_transport.h"

namespace ews::modbus {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Optional;

// A raw Modbus TCP connection for byte-level tests.
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    absl::StatusOr<int> fd = ConnectToLoopback(port, absl::Seconds(2));
    connected_ = fd.ok();
    fd_ = fd.ok() ? *fd : -1;
  }
  ~RawClient() { close(fd_); }
  bool connected() const { return connected_; }
  void Send(const std::vector<uint8_t>& bytes) {
    (void)!send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  // The next answer (MBAP + PDU), or empty if the connection closed.
  std::vector<uint8_t> Receive() {
    std::vector<uint8_t> out(7);
    if (!ReadN(out.data(), 7)) return {};
    const size_t length = out[4] << 8 | out[5];
    out.resize(6 + length);
    if (!ReadN(out.data() + 7, length - 1)) return {};
    return out;
  }
  // True if the server closed the connection.
  bool Closed() {
    uint8_t byte;
    return recv(fd_, &byte, 1, 0) == 0;
  }

 private:
  bool ReadN(uint8_t* data, size_t n) {
    size_t done = 0;
    while (done < n) {
      ssize_t got = recv(fd_, data + done, n - done, 0);
      if (got <= 0) return false;
      done += got;
    }
    return true;
  }
  int fd_;
  bool connected_ = false;
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

class GatewayServerTest : public ::testing::Test {
 protected:
  void StartServer(GatewayOptions options = {}) {
    options.bind_address = "127.0.0.1";
    options.port = 0;
    options.request_timeout = absl::Milliseconds(300);
    if (options.routes.empty()) {
      options.routes.push_back({1, 99, 0, &line_, true, "rs485"});
      options.routes.push_back({100, 120, -90, &remote_, false, "gw"});
    }
    options.identity.objects = {{0, "EWS"}, {1, "EWS-32"}, {2, "1.0"}};
    auto server = GatewayServer::Start(options);
    ASSERT_THAT(server.status(), IsOk());
    server_ = *std::move(server);
  }
  std::unique_ptr<LineScheduler> ClientLine() {
    TcpOptions tcp;
    tcp.host = "127.0.0.1";
    tcp.port = server_->port();
    return std::make_unique<LineScheduler>(std::make_unique<TcpTransport>(tcp),
                                           LineOptions());
  }

  FakeClient line_;
  FakeClient remote_;
  std::unique_ptr<GatewayServer> server_;
};

TEST_F(GatewayServerTest, RoutesByUnitRangeWithShift) {
  line_.AddUnit(17).SetHolding(0x1000, {1, 2});
  remote_.AddUnit(15).SetHolding(0, {42});
  StartServer();
  auto client = ClientLine();
  auto local = client->ReadHoldingRegisters(17, 0x1000, 2);
  ASSERT_THAT(local.status(), IsOk());
  EXPECT_THAT(*local, ElementsAre(1, 2));
  auto shifted = client->ReadHoldingRegisters(105, 0, 1);
  ASSERT_THAT(shifted.status(), IsOk());
  EXPECT_THAT(*shifted, ElementsAre(42));
  ASSERT_EQ(remote_.calls().size(), 1u);
  EXPECT_EQ(remote_.calls()[0].unit, 15);
  EXPECT_EQ(remote_.calls()[0].priority, Priority::kGateway);
}

TEST_F(GatewayServerTest, PreservesTransactionAndUnitIds) {
  line_.AddUnit(17).SetHolding(0, {7});
  StartServer();
  RawClient raw(server_->port());
  ASSERT_TRUE(raw.connected());
  raw.Send(Mbap(0xBEEF, 17, ReadRequest(3, 0, 1)));
  EXPECT_THAT(raw.Receive(),
              ElementsAre(0xBE, 0xEF, 0, 0, 0, 5, 17, 3, 2, 0, 7));
}

TEST_F(GatewayServerTest, GatewayExceptions) {
  line_.AddUnit(17).SetHolding(0, {7});
  line_.AddUnit(18).SetHolding(0, {7});
  line_.SetOffline(18, true);
  StartServer();
  auto client = ClientLine();
  // Unknown unit: 0x0A. Silent device: 0x0B. Device exception: passed on.
  EXPECT_THAT(
      ModbusExceptionCode(client->ReadHoldingRegisters(200, 0, 1).status()),
      Optional(0x0A));
  EXPECT_THAT(
      ModbusExceptionCode(client->ReadHoldingRegisters(18, 0, 1).status()),
      Optional(0x0B));
  EXPECT_THAT(
      ModbusExceptionCode(client->ReadHoldingRegisters(17, 5, 1).status()),
      Optional(0x02));
  line_.InjectError(17, absl::DataLossError("crc"));
  EXPECT_THAT(
      ModbusExceptionCode(client->ReadHoldingRegisters(17, 0, 1).status()),
      Optional(0x0B));
  line_.InjectError(17, absl::UnavailableError("busy"));
  EXPECT_THAT(
      ModbusExceptionCode(client->ReadHoldingRegisters(17, 0, 1).status()),
      Optional(0x0A));
  // Malformed PDU: exception 03, nothing reaches the line.
  RawClient raw(server_->port());
  line_.ClearCalls();
  raw.Send(Mbap(1, 17, ReadRequest(3, 0, 200)));
  EXPECT_THAT(raw.Receive(), ElementsAre(0, 1, 0, 0, 0, 3, 17, 0x83, 0x03));
  EXPECT_EQ(line_.call_count(), 0u);
  EXPECT_GE(server_->stats().exceptions_by_code[0x0A], 2u);
}

TEST_F(GatewayServerTest, AnswersForItselfOnUnit255) {
  StartServer();
  auto client = ClientLine();
  auto id = client->ReadDeviceIdentification(255);
  ASSERT_THAT(id.status(), IsOk());
  EXPECT_EQ(id->objects.at(0), "EWS");
  EXPECT_EQ(id->objects.at(1), "EWS-32");
  EXPECT_THAT(
      ModbusExceptionCode(client->ReadHoldingRegisters(255, 0, 1).status()),
      Optional(0x01));
  EXPECT_EQ(line_.call_count(), 0u);
}

TEST_F(GatewayServerTest, BroadcastWritesGoWithoutAReply) {
  line_.AddUnit(1, true);
  line_.AddUnit(2, true);
  line_.AddUnit(17).SetHolding(0, {7});
  StartServer();
  RawClient raw(server_->port());
  raw.Send(Mbap(9, 0, WriteSingleRegisterRequest(3, 77)));
  // No reply to the broadcast: the next answer is the one to the next
  // request (an echo here would be taken for it).
  raw.Send(Mbap(10, 17, ReadRequest(3, 0, 1)));
  EXPECT_THAT(raw.Receive(), ElementsAre(0, 10, 0, 0, 0, 5, 17, 3, 2, 0, 7));
  EXPECT_EQ(line_.unit(1)->holding(3), 77);
  EXPECT_EQ(line_.unit(2)->holding(3), 77);
  EXPECT_TRUE(remote_.calls().empty());
  EXPECT_EQ(server_->stats().broadcasts, 1u);
  // A broadcast read is dropped too (the spec: no answer to unit 0).
  raw.Send(Mbap(11, 0, ReadRequest(3, 0, 1)));
  raw.Send(Mbap(12, 17, ReadRequest(3, 0, 1)));
  EXPECT_THAT(raw.Receive(), ElementsAre(0, 12, 0, 0, 0, 5, 17, 3, 2, 0, 7));
}

TEST_F(GatewayServerTest, BroadcastReplyOption) {
  line_.AddUnit(1, true);
  GatewayOptions options;
  options.broadcast_reply = true;
  StartServer(options);
  RawClient raw(server_->port());
  raw.Send(Mbap(9, 0, WriteSingleRegisterRequest(3, 77)));
  EXPECT_THAT(raw.Receive(), ElementsAre(0, 9, 0, 0, 0, 6, 0, 6, 0, 3, 0, 77));
  EXPECT_EQ(line_.unit(1)->holding(3), 77);
  raw.Send(Mbap(10, 0, ReadRequest(3, 0, 1)));
  EXPECT_THAT(raw.Receive(), ElementsAre(0, 10, 0, 0, 0, 3, 0, 0x83, 0x01));
}

TEST_F(GatewayServerTest, ReadOnlyRoutesRefuseWrites) {
  line_.AddUnit(17, true).SetHolding(0, {7});
  remote_.AddUnit(15, true).SetHolding(0, {42});
  GatewayOptions options;
  options.routes.push_back({1, 99, 0, &line_, true, "rs485", true});
  options.routes.push_back({100, 120, -90, &remote_, false, "gw"});
  StartServer(options);
  auto client = ClientLine();
  // Reads pass; writes of every kind get 0x01 and never reach the line.
  EXPECT_THAT(client->ReadHoldingRegisters(17, 0, 1).status(), IsOk());
  EXPECT_THAT(client->ReadCoils(17, 0, 1).status(), IsOk());
  line_.ClearCalls();
  EXPECT_THAT(ModbusExceptionCode(client->WriteSingleRegister(17, 0, 1)),
              Optional(0x01));
  EXPECT_THAT(ModbusExceptionCode(client->WriteSingleCoil(17, 0, true)),
              Optional(0x01));
  EXPECT_THAT(ModbusExceptionCode(client->WriteMultipleRegisters(17, 0, {1})),
              Optional(0x01));
  EXPECT_THAT(
      ModbusExceptionCode(
          client->ReadWriteMultipleRegisters(17, 0, 1, 0, {1}).status()),
      Optional(0x01));
  EXPECT_EQ(line_.call_count(), 0u);
  EXPECT_EQ(line_.unit(17)->holding(0), 7);
  EXPECT_EQ(server_->stats().writes_refused, 4u);
  // Broadcasts skip a read-only route: nothing reaches it.
  RawClient raw(server_->port());
  raw.Send(Mbap(9, 0, WriteSingleRegisterRequest(0, 99)));
  raw.Send(Mbap(10, 17, ReadRequest(3, 0, 1)));
  EXPECT_THAT(raw.Receive(), ElementsAre(0, 10, 0, 0, 0, 5, 17, 3, 2, 0, 7));
  // The other route stays read-write.
  EXPECT_THAT(client->WriteSingleRegister(105, 0, 5), IsOk());
  EXPECT_EQ(remote_.unit(15)->holding(0), 5);
}

// A line whose unit 1 holds the line until released and whose other units
// never answer (switched off); counts what reaches the wire.
class HeldLineTransport final : public Transport {
 public:
  absl::StatusOr<Pdu> Exchange(uint8_t unit, const Pdu& request,
                               absl::Duration) override {
    ++exchanges;
    if (unit == 1) {
      release.WaitForNotification();
      return bank_.Handle(request);
    }
    return absl::DeadlineExceededError("no answer");
  }
  std::string Describe() const override { return "held"; }
  absl::Notification release;
  std::atomic<int> exchanges{0};

 private:
  RegisterBank bank_{true};
};

TEST(GatewayLineTest, QueuedTooLongIs0x0AAndAbsentUnitsAre0x0BAtOnce) {
  auto transport = std::make_unique<HeldLineTransport>();
  HeldLineTransport* held = transport.get();
  LineOptions line_options;
  line_options.absent_after_misses = 2;
  line_options.absent_probe_interval = absl::Seconds(60);
  LineScheduler line(std::move(transport), line_options);
  GatewayOptions options;
  options.bind_address = "127.0.0.1";
  options.port = 0;
  options.request_timeout = absl::Milliseconds(200);
  options.routes = {{1, 247, 0, &line, false, "held"}};
  auto server = GatewayServer::Start(options);
  ASSERT_THAT(server.status(), IsOk());
  const uint16_t port = (*server)->port();

  // Unit 9 misses twice (0x0B after the line's timeout), then is absent:
  // 0x0B at once, nothing on the wire.
  RawClient client(port);
  for (uint16_t tid = 1; tid <= 3; ++tid) {
    client.Send(Mbap(tid, 9, ReadRequest(3, 0, 1)));
    EXPECT_THAT(client.Receive(),
                ElementsAre(0, tid, 0, 0, 0, 3, 9, 0x83, 0x0B));
  }
  EXPECT_EQ(held->exchanges, 2);
  EXPECT_EQ(line.HealthOf(9).state, UnitState::kAbsent);
  EXPECT_EQ(line.HealthOf(9).fast_failed, 1u);

  // Unit 1 holds the line; a request queued behind it expires: 0x0A.
  RawClient holder(port);
  holder.Send(Mbap(1, 1, ReadRequest(3, 0, 1)));
  while (!line.stats().busy) absl::SleepFor(absl::Milliseconds(1));
  RawClient queued(port);
  queued.Send(Mbap(7, 2, ReadRequest(3, 0, 1)));
  EXPECT_THAT(queued.Receive(), ElementsAre(0, 7, 0, 0, 0, 3, 2, 0x83, 0x0A));
  held->release.Notify();
  // The holder outlived its own deadline on the wire: 0x0B.
  EXPECT_THAT(holder.Receive(), ElementsAre(0, 1, 0, 0, 0, 3, 1, 0x83, 0x0B));
  EXPECT_EQ(held->exchanges, 3);  // unit 2 never reached the wire
  EXPECT_EQ((*server)->stats().exceptions_by_code[0x0A], 1u);
}

TEST_F(GatewayServerTest, MalformedHeadersCloseTheConnection) {
  line_.AddUnit(17).SetHolding(0, {7});
  StartServer();
  {
    RawClient raw(server_->port());
    raw.Send({0, 1, 0, 1, 0, 6, 17, 3, 0, 0, 0, 1});  // protocol id 1
    EXPECT_TRUE(raw.Closed());
  }
  {
    RawClient raw(server_->port());
    raw.Send({0, 1, 0, 0, 0, 1, 17});  // length 1: no function code
    EXPECT_TRUE(raw.Closed());
  }
  {
    RawClient raw(server_->port());
    raw.Send({0, 1, 0, 0, 1, 0, 17, 3});  // length 256 > max request size
    EXPECT_TRUE(raw.Closed());
  }
  // The server still answers.
  RawClient raw(server_->port());
  raw.Send(Mbap(2, 17, ReadRequest(3, 0, 1)));
  EXPECT_EQ(raw.Receive().size(), 11u);
  EXPECT_EQ(server_->stats().malformed, 3u);
}

TEST_F(GatewayServerTest, TruncatedFrameTimesOutAndCloses) {
  GatewayOptions options;
  options.frame_timeout = absl::Milliseconds(100);
  StartServer(options);
  RawClient raw(server_->port());
  raw.Send({0, 1, 0, 0, 0, 6, 17, 3});  // 4 bytes missing
  EXPECT_TRUE(raw.Closed());
}

TEST_F(GatewayServerTest, ConnectionLimitAllowListAndIdleTimeout) {
  GatewayOptions options;
  options.max_connections = 2;
  options.idle_timeout = absl::Milliseconds(200);
  StartServer(options);
  line_.AddUnit(17).SetHolding(0, {7});
  RawClient a(server_->port()), b(server_->port());
  a.Send(Mbap(1, 17, ReadRequest(3, 0, 1)));
  b.Send(Mbap(1, 17, ReadRequest(3, 0, 1)));
  EXPECT_EQ(a.Receive().size(), 11u);
  EXPECT_EQ(b.Receive().size(), 11u);
  RawClient c(server_->port());
  EXPECT_TRUE(c.Closed());  // third connection refused
  EXPECT_TRUE(a.Closed());  // idle timeout
  EXPECT_GE(server_->stats().idle_closed, 1u);
  EXPECT_GE(server_->stats().connections_rejected, 1u);
}

TEST_F(GatewayServerTest, AllowList) {
  GatewayOptions options;
  options.allow_list = {"10.0.0.0/8", "fd00::/8"};
  StartServer(options);
  RawClient raw(server_->port());
  EXPECT_TRUE(raw.Closed());
  EXPECT_EQ(server_->stats().connections_rejected, 1u);
}

TEST_F(GatewayServerTest, AllowListAdmitsListedNetworks) {
  line_.AddUnit(17).SetHolding(0, {7});
  GatewayOptions options;
  options.allow_list = {"fd00::/8", "127.0.0.0/30"};
  StartServer(options);
  RawClient raw(server_->port());
  raw.Send(Mbap(1, 17, ReadRequest(3, 0, 1)));
  EXPECT_EQ(raw.Receive().size(), 11u);
}

TEST(GatewayOptionsTest, Validation) {
  FakeClient client;
  GatewayOptions options;
  options.routes = {{1, 10, 0, &client, false, "a"},
                    {10, 20, 0, &client, false, "b"}};
  EXPECT_THAT(ValidateGatewayOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument));
  options.routes = {{1, 10, 250, &client, false, "a"}};
  EXPECT_THAT(ValidateGatewayOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument));
  options.routes = {{1, 10, 0, nullptr, false, "a"}};
  EXPECT_THAT(ValidateGatewayOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument));
  options.routes = {{1, 10, 0, &client, false, "a"}};
  options.allow_list = {"10.0.0.300"};
  EXPECT_THAT(ValidateGatewayOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument));
  options.allow_list = {"10.0.0.3", "192.168.1.0/24", "fd00::/8", "::1"};
  EXPECT_THAT(ValidateGatewayOptions(options), IsOk());
  options.allow_list = {"fd00::/129"};
  EXPECT_THAT(ValidateGatewayOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument));
  options.allow_list = {};
  options.max_request_size = 300;
  EXPECT_THAT(ValidateGatewayOptions(options),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// A line whose one device takes 1 ms per transaction.
class SlowBankTransport final : public Transport {
 public:
  absl::StatusOr<Pdu> Exchange(uint8_t unit, const Pdu& request,
                               absl::Duration) override {
    absl::SleepFor(absl::Milliseconds(1));
    return bank_.Handle(request);
  }
  std::string Describe() const override { return "slow"; }

 private:
  RegisterBank bank_{true};
};

TEST(GatewayFairnessTest, ClientsShareTheLineEvenly) {
  LineScheduler line(std::make_unique<SlowBankTransport>(), LineOptions());
  GatewayOptions options;
  options.bind_address = "127.0.0.1";
  options.port = 0;
  options.routes = {{1, 247, 0, &line, false, "slow"}};
  auto server = GatewayServer::Start(options);
  ASSERT_THAT(server.status(), IsOk());
  constexpr int kClients = 8;
  std::atomic<bool> stop{false};
  std::vector<int> served(kClients, 0);
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      RawClient raw((*server)->port());
      // Each client pipelines 4 requests at a time.
      uint16_t tid = 0;
      while (!stop) {
        for (int i = 0; i < 4; ++i)
          raw.Send(Mbap(++tid, 1, ReadRequest(3, 0, 1)));
        for (int i = 0; i < 4; ++i) {
          if (raw.Receive().size() == 11) ++served[c];
        }
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(500));
  stop = true;
  for (auto& thread : threads) thread.join();
  const int most = *std::max_element(served.begin(), served.end());
  const int least = *std::min_element(served.begin(), served.end());
  EXPECT_GT(least, 0);
  // Round-robin on the line: no client gets much more than another.
  EXPECT_LE(most - least, most / 4 + 8)
      << "most " << most << " least " << least;
}

TEST_F(GatewayServerTest, SixtyFourConcurrentClientsAreAllServed) {
  line_.AddUnit(17, true);
  line_.SetLatency(absl::Microseconds(200));
  StartServer();
  // One line behind the server, as in the product.
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 64; ++i) {
    threads.emplace_back([&] {
      auto client = ClientLine();
      for (int j = 0; j < 10; ++j) {
        if (client->ReadHoldingRegisters(17, 0, 2).ok()) ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok, 640);
}

}  // namespace
}  // namespace ews::modbus

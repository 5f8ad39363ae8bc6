// gateway_bench: N concurrent Modbus TCP clients through the EWS gateway onto
// a simulated RS485 line (lab/bus: real character timing) with one simulated
// device that answers after a fixed reply delay.
//
//   bazel run //lab/gateway_bench:gateway_bench -- [--clients=64]
//       [--bauds=19200,115200] [--seconds=5] [--reply_delay_ms=5]
//       [--registers=2] [--quick]
//
// For each baud rate it prints:
//   * the theoretical maximum: one transaction occupies the line for
//     request + reply delay + response + t3.5 (the silence the master must
//     leave before its next request), so max tps = 1 / that;
//   * the measured transactions per second with N clients, and the ratio;
//   * the line's idle time beyond t3.5 between transactions under that load
//     (p50/p99), from the bus capture;
//   * the latency the gateway adds over the wire time, one client at a time
//     (p50/p99): client round trip minus (first request character on the
//     line .. last response character), from the bus capture.
// Figures are read from this output; nothing here asserts a target.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "lab/bus/virtual_bus.h"
#include "sdk/base/log.h"
#include "sdk/base/loopback.h"
#include "sdk/hal/serial/termios_serial_port.h"
#include "sdk/modbus/gateway_server.h"
#include "sdk/modbus/line_scheduler.h"
#include "sdk/modbus/register_bank.h"
#include "sdk/modbus/rtu_slave.h"
#include "sdk/modbus/rtu_transport.h"

ABSL_FLAG(int, clients, 64, "concurrent Modbus TCP clients");
ABSL_FLAG(std::string, bauds, "19200,115200", "line speeds to measure");
ABSL_FLAG(std::string, framing, "8E1", "data bits, parity, stop bits");
ABSL_FLAG(double, seconds, 5, "measurement time per line speed");
ABSL_FLAG(double, reply_delay_ms, 5,
          "device reply delay: end of request to start of answer");
ABSL_FLAG(int, registers, 2, "holding registers read per transaction");
ABSL_FLAG(int, latency_samples, 300, "single-client transactions");
ABSL_FLAG(
    int, realtime_priority, 10,
    "SCHED_FIFO priority of the line worker (0: normal), as in the product");
ABSL_FLAG(bool, quick, false,
          "a short run for tests: 16 clients, 1 s, 30 latency samples");

namespace {

using ews::modbus::GatewayOptions;
using ews::modbus::GatewayServer;

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

absl::Duration Percentile(std::vector<absl::Duration> values, double p) {
  if (values.empty()) return absl::ZeroDuration();
  std::sort(values.begin(), values.end());
  size_t index = static_cast<size_t>(p * (values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

// A blocking Modbus TCP client reading holding registers.
class BenchClient {
 public:
  explicit BenchClient(uint16_t port) {
    absl::StatusOr<int> fd = ews::ConnectToLoopback(port, absl::Seconds(3));
    ok_ = fd.ok();
    fd_ = fd.ok() ? *fd : -1;
  }
  ~BenchClient() { close(fd_); }
  bool ok() const { return ok_; }
  // One read; true on a normal answer of the right size.
  bool Read(uint16_t registers) {
    const uint16_t tid = ++tid_;
    uint8_t request[12] = {
        uint8_t(tid >> 8),       uint8_t(tid),      0, 0, 0, 6, 1, 3, 0, 0,
        uint8_t(registers >> 8), uint8_t(registers)};
    if (send(fd_, request, sizeof request, MSG_NOSIGNAL) != sizeof request) {
      return false;
    }
    const size_t expected = 9 + 2 * registers;
    uint8_t answer[300];
    size_t got = 0;
    while (got < expected) {
      ssize_t n = recv(fd_, answer + got, expected - got, 0);
      if (n <= 0) return false;
      got += n;
      if (got >= 9 && (answer[7] & 0x80)) return false;
    }
    return answer[0] == request[0] && answer[1] == request[1];
  }

 private:
  int fd_;
  bool ok_ = false;
  uint16_t tid_ = 0;
};

struct LineUnderTest {
  std::unique_ptr<ews::lab::VirtualBus> bus;
  std::unique_ptr<ews::hal::TermiosSerialPort> master_port, slave_port;
  std::unique_ptr<ews::modbus::LineScheduler> line;
  std::unique_ptr<ews::modbus::RegisterBank> bank;
  std::unique_ptr<ews::modbus::RtuSlave> slave;
  std::unique_ptr<GatewayServer> server;
};

bool Setup(const ews::hal::SerialSettings& settings, absl::Duration reply_delay,
           LineUnderTest& t) {
  ews::lab::BusOptions bus;
  bus.endpoints = 2;
  bus.line = settings;
  auto started = ews::lab::VirtualBus::Start(bus);
  if (!started.ok()) {
    std::fprintf(stderr, "bus: %s\n", started.status().ToString().c_str());
    return false;
  }
  t.bus = *std::move(started);
  auto a = ews::hal::TermiosSerialPort::Open(t.bus->endpoint_path(0), settings);
  auto b = ews::hal::TermiosSerialPort::Open(t.bus->endpoint_path(1), settings);
  if (!a.ok() || !b.ok()) return false;
  t.master_port = *std::move(a);
  t.slave_port = *std::move(b);
  auto transport = ews::modbus::RtuTransport::Create(t.master_port.get());
  if (!transport.ok()) return false;
  ews::modbus::LineOptions line;
  line.name = "rs485";
  line.realtime_priority = absl::GetFlag(FLAGS_realtime_priority);
  t.line =
      std::make_unique<ews::modbus::LineScheduler>(*std::move(transport), line);
  t.bank = std::make_unique<ews::modbus::RegisterBank>(/*open=*/true);
  ews::modbus::RtuSlaveOptions slave;
  slave.reply_delay = reply_delay;
  // Below the bus thread (SCHED_FIFO 10), which must preempt a device or a
  // line worker spinning out its last microseconds.
  slave.realtime_priority =
      line.realtime_priority > 0 ? line.realtime_priority + 1 : 0;
  auto s = ews::modbus::RtuSlave::Start(t.slave_port.get(), slave);
  if (!s.ok()) return false;
  t.slave = *std::move(s);
  t.slave->AddUnit(1, t.bank.get());
  GatewayOptions options;
  options.bind_address = "127.0.0.1";
  options.port = 0;
  options.max_connections = 256;
  options.request_timeout = absl::Seconds(5);  // 64 clients queue on one line
  options.routes = {{1, 247, 0, t.line.get(), true, "rs485"}};
  // The line worker above the connections, both above normal work.
  options.realtime_priority = std::max(0, line.realtime_priority - 1);
  auto server = GatewayServer::Start(options);
  if (!server.ok()) return false;
  t.server = *std::move(server);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  ews::log::SetMinLevel(ews::log::Level::kWarning);
  const bool quick = absl::GetFlag(FLAGS_quick);
  const int clients = quick ? 16 : absl::GetFlag(FLAGS_clients);
  const absl::Duration window =
      absl::Seconds(quick ? 1.0 : absl::GetFlag(FLAGS_seconds));
  const int samples = quick ? 30 : absl::GetFlag(FLAGS_latency_samples);
  const int registers = absl::GetFlag(FLAGS_registers);
  const absl::Duration reply_delay =
      absl::Microseconds(absl::GetFlag(FLAGS_reply_delay_ms) * 1000);
  const size_t request_bytes = 8, response_bytes = 5 + 2 * registers;

  std::printf(
      "gateway_bench: %d Modbus TCP clients -> gateway -> virtual RS485 line "
      "-> 1 simulated device\n"
      "  transaction: read %d holding registers (RTU request %zu B, response "
      "%zu B), device reply delay %.3f ms, %.1f s per line speed%s\n",
      clients, registers, request_bytes, response_bytes, Ms(reply_delay),
      absl::ToDoubleSeconds(window), quick ? " (quick mode)" : "");
  for (absl::string_view baud_text :
       absl::StrSplit(absl::GetFlag(FLAGS_bauds), ',')) {
    auto settings = ews::hal::ParseSerialSettings(
        absl::StrCat(baud_text, " ", absl::GetFlag(FLAGS_framing)));
    if (!settings.ok()) {
      std::fprintf(stderr, "%s\n", settings.status().ToString().c_str());
      return 2;
    }
    LineUnderTest t;
    if (!Setup(*settings, reply_delay, t)) return 1;
    const absl::Duration chr = settings->CharacterTime();
    const absl::Duration t35 = std::max(chr * 3.5, absl::Microseconds(1750));
    // The device cannot answer before it has seen t3.5 of silence.
    const absl::Duration delay = std::max(reply_delay, t35);
    const absl::Duration cycle =
        chr * double(request_bytes + response_bytes) + delay + t35;
    const double max_tps = 1.0 / absl::ToDoubleSeconds(cycle);

    // Throughput with N clients.
    std::atomic<bool> measuring{false}, stop{false};
    std::atomic<uint64_t> done{0}, errors{0};
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&] {
        BenchClient client(t.server->port());
        if (!client.ok()) {
          ++errors;
          return;
        }
        while (!stop) {
          const bool ok = client.Read(registers);
          if (measuring) ok ? ++done : ++errors;
        }
      });
    }
    absl::SleepFor(absl::Milliseconds(300));  // all connected, queue full
    // Not ClearCapture() under traffic (before lab/bus 8262fb3 it corrupted
    // the character in flight): skip the frames captured so far.
    const size_t frames_before = t.bus->CaptureFrames(chr * 1.5).size();
    const absl::Time start = absl::Now();
    measuring = true;
    absl::SleepFor(window);
    measuring = false;
    const absl::Duration elapsed = absl::Now() - start;
    const uint64_t completed = done.load();
    std::vector<ews::lab::CapturedFrame> frames =
        t.bus->CaptureFrames(chr * 1.5);
    frames.erase(frames.begin(),
                 frames.begin() + std::min(frames.size(), frames_before));
    stop = true;
    for (auto& thread : threads) thread.join();
    const double tps = completed / absl::ToDoubleSeconds(elapsed);
    if (getenv("BENCH_DEBUG") != nullptr) {
      const ews::lab::BusStats bus_stats = t.bus->stats();
      std::printf("  debug bus: %lu chars, %lu collisions, %lu overflows\n",
                  (unsigned long)bus_stats.characters,
                  (unsigned long)bus_stats.collisions,
                  (unsigned long)bus_stats.overflows);
      for (size_t i = 0; i + 1 < frames.size(); ++i) {
        if (frames[i].from == frames[i + 1].from || frames[i].damaged ||
            frames[i + 1].start - frames[i].end > absl::Milliseconds(50)) {
          for (size_t j = (i > 3 ? i - 3 : 0);
               j < std::min(frames.size(), i + 4); ++j) {
            std::string hex;
            for (uint8_t b : frames[j].bytes) absl::StrAppend(&hex, " ", b);
            std::printf("  debug %zu: +%.3f..%.3f ms ep%d%s%s\n", j,
                        Ms(frames[j].start), Ms(frames[j].end), frames[j].from,
                        hex.c_str(), frames[j].damaged ? " DAMAGED" : "");
          }
        }
      }
    }
    // Where the line time goes (means over the window), for the report.
    absl::Duration sum_request, sum_turnaround, sum_response;
    int pairs = 0;
    for (size_t i = 0; i + 1 < frames.size(); ++i) {
      if (frames[i].from == 0 && frames[i + 1].from == 1) {
        sum_request += frames[i].end - frames[i].start;
        sum_turnaround += frames[i + 1].start - frames[i].end;
        sum_response += frames[i + 1].end - frames[i + 1].start;
        ++pairs;
      }
    }
    // Line idle beyond t3.5 between a response and the next request.
    std::vector<absl::Duration> gaps;
    for (size_t i = 1; i < frames.size(); ++i) {
      if (frames[i].from == 0 && frames[i - 1].from == 1) {
        gaps.push_back(frames[i].start - frames[i - 1].end - t35);
      }
    }

    // Added latency, one client at a time; the client (the measuring
    // instrument) at the connections' priority, so its own scheduling delays
    // do not pass for the gateway's. (the line is idle: clearing the
    // capture is safe now).
    absl::SleepFor(absl::Milliseconds(50));
    t.bus->ClearCapture();
    std::vector<absl::Duration> round_trips, sends;
    std::thread([&] {
      const int rt = absl::GetFlag(FLAGS_realtime_priority);
      if (rt > 1) {
        sched_param param{};
        param.sched_priority = rt - 1;
        (void)pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
      }
      BenchClient client(t.server->port());
      for (int i = 0; i < samples && client.ok(); ++i) {
        const absl::Time begin = absl::Now();
        sends.push_back(absl::FromChrono(
            std::chrono::steady_clock::now().time_since_epoch()));
        if (!client.Read(registers)) break;
        round_trips.push_back(absl::Now() - begin);
        absl::SleepFor(t35);  // let the line fall silent, as idle clients do
      }
    }).join();
    frames = t.bus->CaptureFrames(chr * 1.5);
    std::vector<absl::Duration> wire, added, pre;
    for (size_t i = 0; i + 1 < frames.size(); ++i) {
      if (frames[i].from == 0 && frames[i + 1].from == 1) {
        wire.push_back(frames[i + 1].end - frames[i].start);
        pre.push_back(frames[i].start -
                      sends[std::min(sends.size() - 1, wire.size() - 1)]);
        ++i;
      }
    }
    if (getenv("BENCH_DEBUG") != nullptr && !pre.empty()) {
      const absl::Duration base = *std::min_element(pre.begin(), pre.end());
      for (size_t i = 0; i < pre.size() && i < round_trips.size(); ++i) {
        const absl::Duration p = pre[i] - base;
        const absl::Duration a = round_trips[i] - wire[i];
        if (a > absl::Milliseconds(1)) {
          std::printf(
              "  debug split %zu: pre-wire excess %.3f, post-wire %.3f\n", i,
              Ms(p), Ms(a - p));
        }
      }
    }
    for (size_t i = 0; i < std::min(wire.size(), round_trips.size()); ++i) {
      added.push_back(round_trips[i] - wire[i]);
      if (getenv("BENCH_DEBUG") != nullptr &&
          added.back() > absl::Milliseconds(1)) {
        std::printf(
            "  debug slow %zu: rtt %.3f wire %.3f (%zu frames, %zu rtts)\n", i,
            Ms(round_trips[i]), Ms(wire[i]), frames.size(), round_trips.size());
      }
    }

    std::printf(
        "line %s: character %.3f ms, t3.5 %.3f ms, wire cycle %.3f ms "
        "(request %.3f + reply delay %.3f + response %.3f + t3.5 %.3f)\n",
        settings->ToString().c_str(), Ms(chr), Ms(t35), Ms(cycle),
        Ms(chr * double(request_bytes)), Ms(delay),
        Ms(chr * double(response_bytes)), Ms(t35));
    std::printf("  theoretical max %.1f transactions/s\n", max_tps);
    std::printf(
        "  measured %.1f transactions/s with %d clients (%lu in %.2f s, %lu "
        "errors)\n",
        tps, clients, static_cast<unsigned long>(completed),
        absl::ToDoubleSeconds(elapsed),
        static_cast<unsigned long>(errors.load()));
    std::printf("  ratio %.3f\n", tps / max_tps);
    std::printf(
        "  line idle beyond t3.5 between transactions (%d clients): p50 %.3f "
        "ms, p99 %.3f ms (%zu gaps)\n",
        clients, Ms(Percentile(gaps, 0.5)), Ms(Percentile(gaps, 0.99)),
        gaps.size());
    if (pairs > 0) {
      std::printf(
          "  on the line (means): request %.3f ms, device turnaround %.3f ms, "
          "response %.3f ms\n",
          Ms(sum_request / pairs), Ms(sum_turnaround / pairs),
          Ms(sum_response / pairs));
    }
    std::printf(
        "  latency added by the gateway over the wire time (1 client): p50 "
        "%.3f ms, p99 %.3f ms (%zu transactions)\n",
        Ms(Percentile(added, 0.5)), Ms(Percentile(added, 0.99)), added.size());
    const ews::modbus::DeviceHealth health = t.line->HealthOf(1);
    std::printf(
        "  device health: %lu answers, %lu timeouts, %lu CRC errors%s%s\n",
        static_cast<unsigned long>(health.answers),
        static_cast<unsigned long>(health.timeouts),
        static_cast<unsigned long>(health.crc_errors),
        health.last_error.ok() ? "" : ", last error: ",
        health.last_error.ok() ? "" : health.last_error.ToString().c_str());
    std::fflush(stdout);
    t.server->Stop();
    t.line->Stop();
  }
  return 0;
}

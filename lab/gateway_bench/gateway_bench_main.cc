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
//
// Then the dead-unit phase (--dead_phase, at --dead_baud, 19200 8E1 by
// default): 8 clients (--live_clients) read the live unit 1 while 2 clients
// (--dead_clients) poll unit 2, where no device answers. Each client sends
// its next request as soon as it has its answer; after an exception answer
// it first waits --error_pause_ms (10 ms), as a polling client does. Run
// twice, each time on a fresh line: with absent detection off
// (LineOptions::absent_after_misses = 0: every request to unit 2 holds the
// line for the full response timeout) and on (after 3 misses unit 2 is
// answered 0x0B at once, but for a probe 1 s later, then at intervals
// doubling up to --probe_interval_ms, 10 s as in the product; the
// measurement starts once the probes are at that interval, a dead device's
// steady state, and spans whole probe intervals). Each run prints
//   * baseline: the 8 live clients alone, the silent unit's clients paused
//     (transactions/s, p99 latency); with detection on, measured before and
//     after the dead-unit measurement and averaged, so that a drift of the
//     host's load cancels out;
//   * with the dead-unit clients: the live clients' transactions/s and p99,
//     and the dead-unit ratio, their throughput over the baseline (the
//     target: >= 0.95 with detection on);
// and the run with detection on then switches unit 2 on again and prints
//   * how long until its clients get answers again (at most one probe
//     interval: the first answer, a probe's, restores the unit);
//   * the line's throughput (all 10 clients) in the second after that first
//     answer over the baseline (the restore ratio: 1.00 = the line is back
//     to full use at once), and, to judge it, the range of the baseline's
//     own 1 s windows over its mean;
//   * unit 2's health as the line keeps it (state, absences, probes,
//     fast-failed requests).
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
#include <cmath>
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
          "a short run for tests: 16 clients, 1 s, 30 latency samples, "
          "a 1 s dead-unit phase with a 1 s probe interval");
ABSL_FLAG(bool, dead_phase, true,
          "run the dead-unit phase (live clients + clients of a silent unit)");
ABSL_FLAG(int, dead_baud, 19200, "line speed of the dead-unit phase");
ABSL_FLAG(int, live_clients, 8, "dead-unit phase: clients of the live unit");
ABSL_FLAG(int, dead_clients, 2, "dead-unit phase: clients of the silent unit");
ABSL_FLAG(int, response_timeout_ms, 300, "the line's response timeout");
ABSL_FLAG(int, error_pause_ms, 10,
          "dead-unit phase: after an exception answer a client waits this "
          "long before its next request, as a polling client does (0: at "
          "once; the bench's own threads then spin on the CPU the live "
          "clients need)");
ABSL_FLAG(int, absent_after_misses, 3,
          "dead-unit phase: misses before a unit is absent");
ABSL_FLAG(int, probe_interval_ms, 10000,
          "dead-unit phase: longest probe interval of an absent unit (the "
          "default of LineOptions and of the configuration)");

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
  enum class Result { kAnswer, kException, kError };
  // One read of `unit`: a normal answer of the right size, an exception
  // answer, or a broken connection / mismatched answer.
  Result Read(uint8_t unit, uint16_t registers) {
    const uint16_t tid = ++tid_;
    uint8_t request[12] = {
        uint8_t(tid >> 8),       uint8_t(tid),      0, 0, 0, 6, unit, 3, 0, 0,
        uint8_t(registers >> 8), uint8_t(registers)};
    if (send(fd_, request, sizeof request, MSG_NOSIGNAL) != sizeof request) {
      return Result::kError;
    }
    const size_t expected = 9 + 2 * registers;
    uint8_t answer[300];
    size_t got = 0;
    while (got < expected) {
      ssize_t n = recv(fd_, answer + got, expected - got, 0);
      if (n <= 0) return Result::kError;
      got += n;
      if (got >= 9 && (answer[7] & 0x80)) break;
    }
    if (answer[0] != request[0] || answer[1] != request[1]) {
      return Result::kError;
    }
    return (answer[7] & 0x80) != 0 ? Result::kException : Result::kAnswer;
  }
  bool Read(uint16_t registers) {
    return Read(1, registers) == Result::kAnswer;
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
           int absent_after_misses, LineUnderTest& t) {
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
  line.response_timeout =
      absl::Milliseconds(absl::GetFlag(FLAGS_response_timeout_ms));
  line.absent_after_misses = absent_after_misses;
  line.absent_probe_interval =
      absl::Milliseconds(absl::GetFlag(FLAGS_probe_interval_ms));
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

// Clients reading one unit each in a loop, every answer recorded with its
// completion time.
class Load {
 public:
  struct Event {
    absl::Time end;
    absl::Duration latency;
    uint8_t unit;
    BenchClient::Result result;
  };
  // The clients of `pausable` (if not 0) start paused.
  Load(uint16_t port, const std::vector<uint8_t>& units, int registers,
       uint8_t pausable = 0, absl::Duration error_pause = absl::ZeroDuration())
      : pausable_(pausable), paused_(pausable != 0) {
    events_.resize(units.size());
    for (size_t c = 0; c < units.size(); ++c) {
      threads_.emplace_back(
          [this, port, c, unit = units[c], registers, error_pause] {
            BenchClient client(port);
            while (client.ok() && !stop_) {
              if (unit == pausable_ && paused_) {
                absl::SleepFor(absl::Milliseconds(1));
                continue;
              }
              const absl::Time begin = absl::Now();
              const BenchClient::Result result = client.Read(unit, registers);
              const absl::Time end = absl::Now();
              events_[c].push_back({end, end - begin, unit, result});
              if (result == BenchClient::Result::kError) break;
              if (result == BenchClient::Result::kException) {
                absl::SleepFor(error_pause);
              }
            }
          });
    }
  }
  ~Load() { Stop(); }
  // Holds or releases the clients of `pausable` (each finishes the request
  // it has in flight).
  void Pause(bool paused) { paused_ = paused; }
  void Stop() {
    stop_ = true;
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }
  // After Stop(): every event, in no particular order.
  std::vector<Event> events() const {
    std::vector<Event> all;
    for (const auto& client : events_) {
      all.insert(all.end(), client.begin(), client.end());
    }
    return all;
  }

 private:
  const uint8_t pausable_;
  std::atomic<bool> paused_;
  std::atomic<bool> stop_{false};
  std::vector<std::vector<Event>> events_;  // per client thread
  std::vector<std::thread> threads_;
};

struct Window {
  double tps = 0;           // answers per second
  absl::Duration p99;       // of those answers
  uint64_t exceptions = 0;  // exception answers
  uint64_t errors = 0;
};

// Normal answers of `unit` (0: every unit) completed in [from, to).
Window Measure(const std::vector<Load::Event>& events, uint8_t unit,
               absl::Time from, absl::Time to) {
  Window window;
  std::vector<absl::Duration> latencies;
  for (const Load::Event& e : events) {
    if (e.end < from || e.end >= to || (unit != 0 && e.unit != unit)) {
      continue;
    }
    if (e.result == BenchClient::Result::kAnswer) {
      latencies.push_back(e.latency);
    } else if (e.result == BenchClient::Result::kException) {
      ++window.exceptions;
    } else {
      ++window.errors;
    }
  }
  window.tps = latencies.size() / absl::ToDoubleSeconds(to - from);
  window.p99 = Percentile(latencies, 0.99);
  return window;
}

// The dead-unit phase's units: the live device, and the address where no
// device answers (until a run with `revive` switches one on).
constexpr uint8_t kLiveUnit = 1, kDeadUnit = 2;

// A measurement window in wall time.
struct Span {
  absl::Time from, to;
};

// Lets the load run for `length` and returns when that was.
Span MeasureFor(absl::Duration length) {
  Span span{absl::Now(), absl::Time()};
  absl::SleepFor(length);
  span.to = absl::Now();
  return span;
}

void PrintDeadUnitRunHeading(int absent_after_misses,
                             absl::Duration probe_interval,
                             absl::Duration window) {
  std::printf(
      "  absent detection %s, %.1f s per measurement:\n",
      absent_after_misses > 0
          ? absl::StrCat("on (absent after ", absent_after_misses,
                         " misses, probes after 1s doubling up to every ",
                         absl::FormatDuration(probe_interval), ")")
                .c_str()
          : "off",
      absl::ToDoubleSeconds(window));
}

// With detection on: waits until the silent unit is absent and its probes
// have reached their steady interval (the first comes after 1 s, then the
// interval doubles up to probe_interval: 1, 2, 4, 8, then 10 s), so that the
// measurement sees a dead device's steady state. Gives up after the ramp
// plus 5 s. Returns at once with detection off.
void AwaitSteadyProbes(ews::modbus::LineScheduler& line,
                       int absent_after_misses, absl::Duration probe_interval) {
  uint64_t ramp_probes = 0;
  for (absl::Duration d = absl::Seconds(1); d < probe_interval; d *= 2) {
    ++ramp_probes;
  }
  const absl::Time settle_until =
      absl::Now() + absl::Seconds(5) + probe_interval * double(ramp_probes);
  while (absent_after_misses > 0 && absl::Now() < settle_until) {
    const ews::modbus::DeviceHealth health = line.HealthOf(kDeadUnit);
    if (health.state == ews::modbus::UnitState::kAbsent &&
        health.probes >= ramp_probes) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
}

// The revival: measures the second baseline (the silent unit's clients
// paused) into `*after`, then switches the device at the silent unit on
// again, lets its clients poll and waits for its first answer (at most a
// probe interval and 2 s) and the second after it. Returns when the device
// was switched on.
absl::Time ReviveDeadUnit(LineUnderTest& t, Load& load, absl::Duration settle,
                          absl::Duration window, absl::Duration probe_interval,
                          Span* after) {
  load.Pause(true);
  absl::SleepFor(settle);
  *after = MeasureFor(window);
  const absl::Time revived_at = absl::Now();
  t.slave->AddUnit(kDeadUnit, t.bank.get());
  load.Pause(false);
  const absl::Time give_up = revived_at + probe_interval + absl::Seconds(2);
  while (t.line->HealthOf(kDeadUnit).answers == 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  absl::SleepFor(absl::Seconds(1) + absl::Milliseconds(100));
  return revived_at;
}

// The live clients alone: `before`, averaged with `after` when there is one
// (with `revive`), so that a drift of the host's load cancels out.
Window LiveBaseline(const std::vector<Load::Event>& events, const Span& before,
                    const Span* after) {
  Window baseline = Measure(events, kLiveUnit, before.from, before.to);
  if (after != nullptr) {
    const Window second = Measure(events, kLiveUnit, after->from, after->to);
    baseline.tps = (baseline.tps + second.tps) / 2;
    baseline.p99 = std::max(baseline.p99, second.p99);
  }
  return baseline;
}

// The live clients' figures with the silent unit's clients polling, and the
// dead-unit ratio over `baseline`.
void PrintWithDeadUnit(const std::vector<Load::Event>& events,
                       const Window& baseline, const Span& with, int dead) {
  const Window with_dead = Measure(events, kLiveUnit, with.from, with.to);
  const Window dead_window = Measure(events, kDeadUnit, with.from, with.to);
  std::vector<absl::Duration> dead_latencies;
  for (const Load::Event& e : events) {
    if (e.unit == kDeadUnit && e.end >= with.from && e.end < with.to) {
      dead_latencies.push_back(e.latency);
    }
  }
  std::printf(
      "    with %d clients of silent unit %d: live %.1f transactions/s, p99 "
      "%.1f ms; the silent unit's clients got %lu exception answers (p50 "
      "%.3f ms), %lu errors\n",
      dead, kDeadUnit, with_dead.tps, Ms(with_dead.p99),
      static_cast<unsigned long>(dead_window.exceptions),
      Ms(Percentile(dead_latencies, 0.5)),
      static_cast<unsigned long>(with_dead.errors + dead_window.errors));
  std::printf(
      "    dead-unit ratio %.3f (live throughput with / without), p99 "
      "%.1f -> %.1f ms\n",
      baseline.tps > 0 ? with_dead.tps / baseline.tps : 0.0, Ms(baseline.p99),
      Ms(with_dead.p99));
}

// How much 1 s windows of the baseline itself vary on this host: a restore
// ratio within that range is the line back to full use.
void PrintBaselineSpread(const std::vector<Load::Event>& events,
                         const Window& baseline, const Span& before,
                         const Span& after) {
  std::vector<double> seconds;
  for (const Span& span : {before, after}) {
    for (absl::Time from = span.from; from + absl::Seconds(1) <= span.to;
         from += absl::Seconds(1)) {
      seconds.push_back(
          Measure(events, kLiveUnit, from, from + absl::Seconds(1)).tps /
          baseline.tps);
    }
  }
  std::sort(seconds.begin(), seconds.end());
  if (!seconds.empty() && baseline.tps > 0) {
    std::printf(
        "    the baseline's own 1 s windows: %.3f..%.3f of its mean "
        "(median %.3f, %zu windows)\n",
        seconds.front(), seconds.back(), seconds[seconds.size() / 2],
        seconds.size());
  }
}

// After the revival: when the silent unit's clients got their first answer
// and the line's throughput (all `clients`) in the second after it over the
// baseline (the restore ratio).
void PrintRestore(const std::vector<Load::Event>& events,
                  const Window& baseline, const Span& before, const Span& after,
                  absl::Time revived_at, int clients) {
  absl::Time answered_at = absl::InfiniteFuture();
  for (const Load::Event& e : events) {
    if (e.unit == kDeadUnit && e.result == BenchClient::Result::kAnswer &&
        e.end >= revived_at) {
      answered_at = std::min(answered_at, e.end);
    }
  }
  if (answered_at == absl::InfiniteFuture()) {
    std::printf("    unit %d answers again: its clients got no answer\n",
                kDeadUnit);
    return;
  }
  const Window next =
      Measure(events, 0, answered_at, answered_at + absl::Seconds(1));
  std::printf(
      "    unit %d answers again: its clients answered after %.3f s "
      "(the next probe); line throughput (all %d clients) in the second "
      "after %.1f transactions/s, restore ratio %.3f\n",
      kDeadUnit, absl::ToDoubleSeconds(answered_at - revived_at), clients,
      next.tps, baseline.tps > 0 ? next.tps / baseline.tps : 0.0);
  PrintBaselineSpread(events, baseline, before, after);
}

void PrintDeadUnitHealth(const ews::modbus::LineScheduler& line) {
  const ews::modbus::DeviceHealth health = line.HealthOf(kDeadUnit);
  std::printf(
      "    unit %d health: state %s, %lu absences, %lu probes, %lu "
      "fast-failed, %lu timeouts, %lu answers\n",
      kDeadUnit, ews::modbus::UnitStateName(health.state),
      static_cast<unsigned long>(health.absences),
      static_cast<unsigned long>(health.probes),
      static_cast<unsigned long>(health.fast_failed),
      static_cast<unsigned long>(health.timeouts),
      static_cast<unsigned long>(health.answers));
}

// One run of the dead-unit phase on a fresh line; false if it could not be
// set up. The baseline is measured with the same connections, the silent
// unit's clients paused: before, and (with `revive`) after the measurement
// with them, averaged, so a drift of the host's load cancels out.
bool DeadUnitRun(const ews::hal::SerialSettings& settings,
                 absl::Duration reply_delay, int absent_after_misses,
                 absl::Duration window, bool revive) {
  const int live = absl::GetFlag(FLAGS_live_clients);
  const int dead = absl::GetFlag(FLAGS_dead_clients);
  const absl::Duration probe_interval =
      absl::Milliseconds(absl::GetFlag(FLAGS_probe_interval_ms));
  LineUnderTest t;
  if (!Setup(settings, reply_delay, absent_after_misses, t)) return false;
  PrintDeadUnitRunHeading(absent_after_misses, probe_interval, window);

  std::vector<uint8_t> units(live, kLiveUnit);
  units.insert(units.end(), dead, kDeadUnit);
  Load load(t.server->port(), units, absl::GetFlag(FLAGS_registers),
            /*pausable=*/kDeadUnit,
            absl::Milliseconds(absl::GetFlag(FLAGS_error_pause_ms)));
  const absl::Duration settle =
      absl::Milliseconds(300) +
      absl::Milliseconds(absl::GetFlag(FLAGS_response_timeout_ms));
  absl::SleepFor(settle);
  const Span before = MeasureFor(window);
  load.Pause(false);
  AwaitSteadyProbes(*t.line, absent_after_misses, probe_interval);
  absl::SleepFor(absl::Milliseconds(300));
  // With detection on, the window holds whole probe intervals: exactly one
  // probe per interval, as in the long run.
  const Span with = MeasureFor(window);
  Span after{};
  absl::Time revived_at;
  if (revive) {
    revived_at =
        ReviveDeadUnit(t, load, settle, window, probe_interval, &after);
  }
  load.Stop();

  const std::vector<Load::Event> events = load.events();
  const Window baseline =
      LiveBaseline(events, before, revive ? &after : nullptr);
  std::printf(
      "    baseline, %d live clients alone: %.1f transactions/s, p99 %.1f "
      "ms\n",
      live, baseline.tps, Ms(baseline.p99));
  PrintWithDeadUnit(events, baseline, with, dead);
  if (revive) {
    PrintRestore(events, baseline, before, after, revived_at, live + dead);
    PrintDeadUnitHealth(*t.line);
  }
  std::fflush(stdout);
  t.server->Stop();
  t.line->Stop();
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  ews::log::SetMinLevel(ews::log::Level::kWarning);
  const bool quick = absl::GetFlag(FLAGS_quick);
  if (quick) absl::SetFlag(&FLAGS_probe_interval_ms, 1000);
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
       absl::StrSplit(absl::GetFlag(FLAGS_bauds), ',', absl::SkipEmpty())) {
    auto settings = ews::hal::ParseSerialSettings(
        absl::StrCat(baud_text, " ", absl::GetFlag(FLAGS_framing)));
    if (!settings.ok()) {
      std::fprintf(stderr, "%s\n", settings.status().ToString().c_str());
      return 2;
    }
    LineUnderTest t;
    if (!Setup(*settings, reply_delay, absl::GetFlag(FLAGS_absent_after_misses),
               t)) {
      return 1;
    }
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

  if (absl::GetFlag(FLAGS_dead_phase)) {
    auto settings = ews::hal::ParseSerialSettings(absl::StrCat(
        absl::GetFlag(FLAGS_dead_baud), " ", absl::GetFlag(FLAGS_framing)));
    if (!settings.ok()) {
      std::fprintf(stderr, "%s\n", settings.status().ToString().c_str());
      return 2;
    }
    const absl::Duration dead_window =
        absl::Seconds(quick ? 1.0 : absl::GetFlag(FLAGS_seconds));
    // Whole probe intervals with detection on (one probe per interval).
    const absl::Duration probe_interval =
        absl::Milliseconds(absl::GetFlag(FLAGS_probe_interval_ms));
    const absl::Duration on_window =
        probe_interval * std::max(1.0, std::ceil(dead_window / probe_interval));
    std::printf(
        "dead unit %s: %d clients read unit 1, %d clients poll unit 2 where "
        "no device answers (response timeout %d ms)\n",
        settings->ToString().c_str(), absl::GetFlag(FLAGS_live_clients),
        absl::GetFlag(FLAGS_dead_clients),
        absl::GetFlag(FLAGS_response_timeout_ms));
    if (!DeadUnitRun(*settings, reply_delay, 0, dead_window,
                     /*revive=*/false) ||
        !DeadUnitRun(*settings, reply_delay,
                     std::max(1, absl::GetFlag(FLAGS_absent_after_misses)),
                     on_window, /*revive=*/true)) {
      return 1;
    }
  }
  return 0;
}

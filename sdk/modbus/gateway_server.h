// GatewayServer: the Modbus TCP server of the box (port 502 by default).
// Modbus TCP clients on Ethernet reach the devices on our RS485 line, and
// devices behind other IP gateways (the concentrator), through it.
//
// Per request: MBAP in; the transaction id and unit id are echoed back; the
// unit id is routed by range (with an optional id shift) to a Client — a
// LineScheduler of our RS485 port, or of a remote IP gateway — at
// Priority::kGateway; the answer (or exception) goes back.
//
// Answers the gateway makes itself:
//   unit 255              the box: 43/14 device identification from
//                         GatewayOptions::identity; other functions -> 01
//   unit with no route    exception 0x0A (gateway path unavailable)
//   device silent/corrupt exception 0x0B (target device failed to respond)
//   device absent         exception 0x0B at once (the line stopped asking a
//                         unit that missed its last requests, see
//                         LineScheduler), but for a probe now and then
//   line busy/unreachable exception 0x0A (also: the request's deadline,
//                         request_timeout, passed while it was queued behind
//                         others)
//   write to a read-only  exception 0x01 (illegal function): on a route with
//   route                 read_only, only functions 1, 2, 3, 4 and 43/14 pass
//   malformed PDU         exception 01/02/03, nothing reaches the line
//   unit 0 (broadcast)    writes (5, 6, 15, 16) go to every route with
//                         accepts_broadcast (and not read_only), without
//                         waiting for a reply. By default the TCP client gets
//                         no answer at all, as the Modbus spec has it for a
//                         broadcast and as clients expect (pymodbus with
//                         broadcast_enable reads none; an answer would be
//                         taken for the one to its next request). With
//                         broadcast_reply: the normal (echo) answer once the
//                         request is on the wire, 0x0A if no route took it,
//                         01 for other functions.
// A malformed MBAP header (protocol id != 0, length < 2 or beyond
// max_request_size) or a frame truncated for longer than frame_timeout
// closes the connection: the stream cannot be resynchronised.
//
// Connections: one thread each; requests of one connection are handled in
// order, one at a time, so the line's FIFO serves clients round-robin.
// Beyond max_connections, or from an address outside the allow-list, a
// connection is closed at once; an idle one after idle_timeout.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/modbus/client.h"
#include "sdk/modbus/pdu.h"

namespace ews::modbus {

struct GatewayRoute {
  // Unit ids first_unit..last_unit (inclusive, 1..254) go to `target`.
  uint8_t first_unit = 1;
  uint8_t last_unit = 247;
  // The unit id sent to the target: unit + unit_shift (must stay in 1..255).
  int unit_shift = 0;
  // Not owned; must outlive the server.
  Client* target = nullptr;
  // Broadcasts (unit 0) are sent to this target too.
  bool accepts_broadcast = false;
  std::string name;  // for logs: "rs485", "gw-10.0.0.7"
  // Monitoring only: functions other than reads (1, 2, 3, 4, 43/14) are
  // answered with exception 0x01 and never reach the target; no broadcasts.
  bool read_only = false;
};

struct GatewayOptions {
  // An IPv4 or IPv6 literal; "::" listens on IPv6 and IPv4 (dual stack).
  std::string bind_address = "0.0.0.0";
  uint16_t port = 502;  // 0: any free port (tests), see port()
  int max_connections = 128;
  absl::Duration idle_timeout = absl::Seconds(60);
  // A started frame must be complete within this time.
  absl::Duration frame_timeout = absl::Seconds(2);
  // Largest ADU accepted (MBAP header + PDU), 8..260.
  size_t max_request_size = 260;
  // Addresses or networks, IPv4 or IPv6 ("10.0.0.5", "10.0.0.0/24",
  // "fd00::/8"); empty: any client.
  std::vector<std::string> allow_list;
  std::vector<GatewayRoute> routes;
  // What the box answers on unit 255 (43/14).
  DeviceIdentification identity;
  // Deadline of one request through a line (queue + wire); a TCP client
  // usually waits 1..3 s. A request still queued when it passes gets 0x0A.
  absl::Duration request_timeout = absl::Seconds(1);
  // Answer broadcasts (unit 0) as a unicast write is answered (see above);
  // false: send no reply, as the Modbus spec and mbusd (without -b) do.
  bool broadcast_reply = false;
  // Attempts on the line: 1 by default (the TCP client decides to retry).
  int max_attempts = 1;
  // Run connection threads under SCHED_FIFO at this priority (best effort;
  // 0: normal). They only ever block on sockets and the line, so this bounds
  // the latency they add on a loaded box without starving anything.
  int realtime_priority = 0;
};

// InvalidArgument naming the bad field: overlapping or empty routes, a shift
// leaving 1..255, a bad allow-list entry, limits out of range.
absl::Status ValidateGatewayOptions(const GatewayOptions& options);

struct GatewayStats {
  uint64_t connections_accepted = 0;
  uint64_t connections_rejected = 0;  // limit or allow-list
  uint64_t connections_open = 0;
  uint64_t requests = 0;
  uint64_t responses = 0;   // normal answers
  uint64_t exceptions = 0;  // exception answers of any origin
  uint64_t malformed = 0;   // connections closed for a bad frame
  uint64_t idle_closed = 0;
  uint64_t broadcasts = 0;      // broadcast writes sent to a line
  uint64_t writes_refused = 0;  // on read-only routes (exception 0x01)
  std::map<uint8_t, uint64_t> exceptions_by_code;
};

class GatewayServer {
 public:
  // Validates, binds, listens and starts serving.
  // InvalidArgument: ValidateGatewayOptions. Unavailable: cannot bind.
  static absl::StatusOr<std::unique_ptr<GatewayServer>> Start(
      const GatewayOptions& options);
  // Stops and closes every connection.
  ~GatewayServer();
  GatewayServer(const GatewayServer&) = delete;
  GatewayServer& operator=(const GatewayServer&) = delete;

  // The bound port (the chosen one when options.port was 0).
  uint16_t port() const { return port_; }
  void Stop();
  GatewayStats stats() const;

 private:
  // An IPv6 network; IPv4 ones as IPv4-mapped addresses (::ffff:a.b.c.d).
  struct Network {
    std::array<uint8_t, 16> address;
    int prefix;
  };
  struct Connection {
    int fd;
    std::thread thread;
    std::atomic<bool> finished{false};
  };

  explicit GatewayServer(const GatewayOptions& options);
  absl::Status Listen();
  void AcceptLoop();
  void Serve(Connection* connection);
  // The response PDU for one request; nullopt: send no reply (broadcasts,
  // unless broadcast_reply).
  std::optional<Pdu> Handle(uint8_t unit, const Pdu& request);
  Pdu Answer(uint8_t unit, const Pdu& request);
  Pdu Broadcast(const Pdu& request, const CallOptions& call);
  bool Allowed(const std::array<uint8_t, 16>& address) const;
  void CountException(const Pdu& response);
  void ReapFinished() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const GatewayOptions options_;
  std::vector<Network> allow_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: Stop()
  uint16_t port_ = 0;
  std::thread acceptor_;

  mutable absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::list<std::unique_ptr<Connection>> connections_ ABSL_GUARDED_BY(mutex_);
  GatewayStats stats_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::modbus

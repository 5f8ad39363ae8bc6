#include "sdk/modbus/gateway_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/base/tcp_listener.h"
#include "sdk/modbus/exception.h"
#include "sdk/modbus/internal/socket_io.h"
#include "sdk/modbus/register_bank.h"

namespace ews::modbus {
namespace {

constexpr size_t kMbapHeaderSize = 7;

using Address = std::array<uint8_t, 16>;

Address MappedV4(const in_addr& v4) {
  Address a{};
  a[10] = a[11] = 0xFF;
  memcpy(&a[12], &v4, 4);
  return a;
}

// "10.0.0.0/24", "10.0.0.5", "fd00::/8" -> network (IPv4 as mapped IPv6).
absl::StatusOr<std::pair<Address, int>> ParseNetwork(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  if (parts.empty() || parts.size() > 2) {
    return absl::InvalidArgumentError("allow_list: bad entry " + text);
  }
  Address address{};
  int max_bits;
  int offset;
  in_addr v4;
  in6_addr v6;
  if (inet_pton(AF_INET, parts[0].c_str(), &v4) == 1) {
    address = MappedV4(v4);
    max_bits = 32;
    offset = 96;
  } else if (inet_pton(AF_INET6, parts[0].c_str(), &v6) == 1) {
    memcpy(address.data(), &v6, 16);
    max_bits = 128;
    offset = 0;
  } else {
    return absl::InvalidArgumentError("allow_list: bad address " + text);
  }
  int bits = max_bits;
  if (parts.size() == 2 &&
      (!absl::SimpleAtoi(parts[1], &bits) || bits < 0 || bits > max_bits)) {
    return absl::InvalidArgumentError("allow_list: bad prefix " + text);
  }
  return std::make_pair(address, offset + bits);
}

bool InNetwork(const Address& address, const Address& network, int prefix) {
  for (int bit = 0; bit < prefix; bit += 8) {
    const int bits = std::min(8, prefix - bit);
    const uint8_t mask = static_cast<uint8_t>(0xFF00 >> bits);
    if ((address[bit / 8] & mask) != (network[bit / 8] & mask)) return false;
  }
  return true;
}

std::string AddressText(const Address& address) {
  char text[INET6_ADDRSTRLEN] = "?";
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (memcmp(address.data(), kMapped, 12) == 0) {
    inet_ntop(AF_INET, &address[12], text, sizeof text);
  } else {
    inet_ntop(AF_INET6, address.data(), text, sizeof text);
  }
  return text;
}

}  // namespace

absl::Status ValidateGatewayOptions(const GatewayOptions& options) {
  if (options.max_connections < 1 || options.max_connections > 4096) {
    return absl::InvalidArgumentError("max_connections must be 1..4096");
  }
  if (options.max_request_size < kMbapHeaderSize + 1 ||
      options.max_request_size > kMbapHeaderSize + kMaxPduSize) {
    return absl::InvalidArgumentError("max_request_size must be 8..260");
  }
  if (options.idle_timeout <= absl::ZeroDuration() ||
      options.frame_timeout <= absl::ZeroDuration() ||
      options.request_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("timeouts must be positive");
  }
  for (size_t i = 0; i < options.routes.size(); ++i) {
    const GatewayRoute& route = options.routes[i];
    const std::string which = absl::StrCat("routes[", i, "]");
    if (route.target == nullptr) {
      return absl::InvalidArgumentError(which + ": no target");
    }
    if (route.first_unit < 1 || route.last_unit > 254 ||
        route.first_unit > route.last_unit) {
      return absl::InvalidArgumentError(which + ": unit range must be 1..254");
    }
    if (route.first_unit + route.unit_shift < 1 ||
        route.last_unit + route.unit_shift > 255) {
      return absl::InvalidArgumentError(which +
                                        ": shifted unit ids leave 1..255");
    }
    for (size_t j = 0; j < i; ++j) {
      const GatewayRoute& other = options.routes[j];
      if (route.first_unit <= other.last_unit &&
          other.first_unit <= route.last_unit) {
        return absl::InvalidArgumentError(
            absl::StrCat(which, " overlaps routes[", j, "]"));
      }
    }
  }
  for (const std::string& entry : options.allow_list) {
    EWS_RETURN_IF_ERROR(ParseNetwork(entry).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<GatewayServer>> GatewayServer::Start(
    const GatewayOptions& options) {
  EWS_RETURN_IF_ERROR(ValidateGatewayOptions(options));
  std::unique_ptr<GatewayServer> server(new GatewayServer(options));
  for (const std::string& entry : options.allow_list) {
    auto network = *ParseNetwork(entry);
    server->allow_.push_back({network.first, network.second});
  }
  EWS_RETURN_IF_ERROR(server->Listen());
  server->acceptor_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  std::string routes;
  for (const GatewayRoute& route : options.routes) {
    absl::StrAppend(
        &routes, " ", route.first_unit, "-", route.last_unit,
        route.unit_shift != 0 ? absl::StrCat("(", route.unit_shift, ")") : "",
        "->", route.name, route.read_only ? " (read-only)" : "");
  }
  EWS_LOG(INFO) << "modbus gateway on " << options.bind_address << ":"
                << server->port_ << ", max " << options.max_connections
                << " connections, idle "
                << absl::FormatDuration(options.idle_timeout)
                << ", routes:" << (routes.empty() ? " none" : routes)
                << (options.allow_list.empty() ? "" : ", allow-list on")
                << ", request timeout "
                << absl::FormatDuration(options.request_timeout)
                << (options.broadcast_reply ? ", broadcasts answered"
                                            : ", broadcasts unanswered");
  return server;
}

GatewayServer::GatewayServer(const GatewayOptions& options)
    : options_(options) {}

GatewayServer::~GatewayServer() { Stop(); }

absl::Status GatewayServer::Listen() {
  absl::StatusOr<TcpListener> listener =
      ListenTcp(options_.bind_address, options_.port, 256);
  if (!listener.ok()) {
    return absl::IsInvalidArgument(listener.status())
               ? listener.status()
               : absl::UnavailableError(listener.status().message());
  }
  listen_fd_ = listener->fd;
  port_ = listener->port;
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    return absl::InternalError(absl::StrCat("eventfd: ", strerror(errno)));
  }
  return absl::OkStatus();
}

void GatewayServer::Stop() {
  std::list<std::unique_ptr<Connection>> connections;
  {
    absl::MutexLock lock(&mutex_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& connection : connections_) shutdown(connection->fd, SHUT_RDWR);
  }
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    (void)!write(wake_fd_, &one, sizeof one);
  }
  if (acceptor_.joinable()) acceptor_.join();
  {
    absl::MutexLock lock(&mutex_);
    connections.swap(connections_);
  }
  for (auto& connection : connections) {
    shutdown(connection->fd, SHUT_RDWR);
    if (connection->thread.joinable()) connection->thread.join();
    close(connection->fd);
  }
  if (listen_fd_ >= 0) close(listen_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
  listen_fd_ = wake_fd_ = -1;
}

GatewayStats GatewayServer::stats() const {
  absl::MutexLock lock(&mutex_);
  return stats_;
}

bool GatewayServer::Allowed(const std::array<uint8_t, 16>& address) const {
  if (allow_.empty()) return true;
  for (const Network& network : allow_) {
    if (InNetwork(address, network.address, network.prefix)) return true;
  }
  return false;
}

void GatewayServer::ReapFinished() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if ((*it)->finished) {
      if ((*it)->thread.joinable()) (*it)->thread.join();
      close((*it)->fd);
      it = connections_.erase(it);
    } else {
      ++it;
    }
  }
}

void GatewayServer::AcceptLoop() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int rc = poll(fds, 2, 1000);
    if (rc < 0 && errno != EINTR) break;
    if (fds[1].revents != 0) break;
    {
      absl::MutexLock lock(&mutex_);
      if (stopping_) break;
      ReapFinished();
    }
    if (rc <= 0 || (fds[0].revents & POLLIN) == 0) continue;
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &length,
                     SOCK_CLOEXEC);
    if (fd < 0) continue;
    Address address{};
    if (peer.ss_family == AF_INET) {
      address = MappedV4(reinterpret_cast<sockaddr_in*>(&peer)->sin_addr);
    } else {
      memcpy(address.data(), &reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr,
             16);
    }
    absl::MutexLock lock(&mutex_);
    const bool allowed = Allowed(address);
    if (!allowed ||
        connections_.size() >= static_cast<size_t>(options_.max_connections)) {
      ++stats_.connections_rejected;
      EWS_LOG(WARNING) << "modbus gateway: refused a connection from "
                       << AddressText(address)
                       << (allowed ? " (connection limit)"
                                   : " (not in the allow-list)");
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ++stats_.connections_accepted;
    auto connection = std::make_unique<Connection>();
    connection->fd = fd;
    Connection* raw = connection.get();
    connections_.push_back(std::move(connection));
    raw->thread = std::thread([this, raw] { Serve(raw); });
  }
}

void GatewayServer::Serve(Connection* connection) {
  if (options_.realtime_priority > 0) {
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    sched_param param{};
    param.sched_priority = std::min(options_.realtime_priority, 99);
    (void)pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
  }
  {
    absl::MutexLock lock(&mutex_);
    ++stats_.connections_open;
  }
  const int fd = connection->fd;
  std::vector<uint8_t> out;
  while (true) {
    absl::Status readable = internal::WaitReadable(fd, options_.idle_timeout);
    if (!readable.ok()) {
      absl::MutexLock lock(&mutex_);
      ++stats_.idle_closed;
      break;
    }
    uint8_t header[kMbapHeaderSize];
    if (!internal::ReadFull(fd, header, sizeof header, options_.frame_timeout)
             .ok()) {
      break;  // closed, or truncated frame
    }
    const uint16_t protocol = header[2] << 8 | header[3];
    const uint16_t length = header[4] << 8 | header[5];
    if (protocol != 0 || length < 2 ||
        kMbapHeaderSize - 1 + length > options_.max_request_size) {
      absl::MutexLock lock(&mutex_);
      ++stats_.malformed;
      break;
    }
    Pdu request(length - 1);
    if (!internal::ReadFull(fd, request.data(), request.size(),
                            options_.frame_timeout)
             .ok()) {
      absl::MutexLock lock(&mutex_);
      ++stats_.malformed;
      break;
    }
    {
      absl::MutexLock lock(&mutex_);
      ++stats_.requests;
    }
    const std::optional<Pdu> response = Handle(header[6], request);
    if (!response.has_value()) continue;  // a broadcast: no reply
    CountException(*response);
    out.assign(header, header + kMbapHeaderSize);
    out[4] = static_cast<uint8_t>((response->size() + 1) >> 8);
    out[5] = static_cast<uint8_t>(response->size() + 1);
    out.insert(out.end(), response->begin(), response->end());
    if (!internal::WriteFull(fd, out.data(), out.size(), options_.frame_timeout)
             .ok()) {
      break;
    }
  }
  shutdown(fd, SHUT_RDWR);
  absl::MutexLock lock(&mutex_);
  --stats_.connections_open;
  connection->finished = true;
}

void GatewayServer::CountException(const Pdu& response) {
  absl::MutexLock lock(&mutex_);
  if (response.size() == 2 && (response[0] & 0x80) != 0) {
    ++stats_.exceptions;
    ++stats_.exceptions_by_code[response[1]];
  } else {
    ++stats_.responses;
  }
}

std::optional<Pdu> GatewayServer::Handle(uint8_t unit, const Pdu& request) {
  Pdu answer = Answer(unit, request);
  if (unit == kBroadcastUnit && !options_.broadcast_reply) return std::nullopt;
  return answer;
}

Pdu GatewayServer::Answer(uint8_t unit, const Pdu& request) {
  const uint8_t function = request[0];
  absl::Status valid = ValidateRequest(request);
  if (!valid.ok()) {
    return ExceptionResponse(function, ModbusExceptionCode(valid).value_or(3));
  }
  if (unit == kGatewaySelfUnit) {
    if (function == fc::kEncapsulatedInterface &&
        request[1] == fc::kMeiReadDeviceIdentification &&
        !options_.identity.objects.empty()) {
      return DeviceIdentificationResponse(request, options_.identity);
    }
    return ExceptionResponse(function, 0x01);
  }
  CallOptions call;
  call.priority = Priority::kGateway;
  call.timeout = options_.request_timeout;
  call.max_attempts = options_.max_attempts;
  if (unit == kBroadcastUnit) return Broadcast(request, call);
  for (const GatewayRoute& route : options_.routes) {
    if (unit < route.first_unit || unit > route.last_unit) continue;
    if (route.read_only && !IsReadFunction(function)) {
      absl::MutexLock lock(&mutex_);
      ++stats_.writes_refused;
      return ExceptionResponse(function, 0x01);
    }
    absl::StatusOr<Pdu> response = route.target->Transact(
        static_cast<uint8_t>(unit + route.unit_shift), request, call);
    if (response.ok()) return *std::move(response);
    return ExceptionResponse(function, GatewayExceptionFor(response.status()));
  }
  return ExceptionResponse(function, 0x0A);
}

Pdu GatewayServer::Broadcast(const Pdu& request, const CallOptions& call) {
  const uint8_t function = request[0];
  if (!IsBroadcastableFunction(function)) {
    return ExceptionResponse(function, 0x01);
  }
  bool sent = false;
  for (const GatewayRoute& route : options_.routes) {
    if (!route.accepts_broadcast || route.read_only) continue;
    sent |= route.target->Transact(kBroadcastUnit, request, call).ok();
  }
  if (!sent) return ExceptionResponse(function, 0x0A);
  absl::MutexLock lock(&mutex_);
  ++stats_.broadcasts;
  // The normal answer a unicast write gets: an echo of the request (its
  // first 5 bytes for functions 15 and 16).
  return Pdu(request.begin(), request.begin() + 5);
}

}  // namespace ews::modbus

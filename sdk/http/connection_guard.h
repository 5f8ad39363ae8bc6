// A cap on the connections one client address may hold open on the HTTPS
// server, applied where civetweb accepts them.
//
// civetweb 1.15 gives every accepted connection a worker thread until it is
// closed, and its own per-connection callback (init_connection) runs on that
// worker, too late to refuse anything cheaply. So the process replaces libc's
// accept() (civetweb calls it through the PLT; see connection_guard.cc): a
// connection accepted on a guarded listening port from a client (an IPv4
// address, or an IPv6 /64: ClientKey()) that already holds `max_per_address`
// open connections is closed at once, before civetweb
// sees it. Other sockets' accept() calls (e.g. the Modbus TCP gateway's) pass
// through unchanged.
//
// Open connections are counted without hooking close(): each admitted
// connection is remembered as (descriptor, socket inode), and an entry whose
// descriptor is closed or now names another socket no longer counts.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace ews::http {

class ConnectionGuard {
 public:
  // `max_per_address` >= 1.
  explicit ConnectionGuard(int max_per_address)
      : max_per_address_(max_per_address) {}

  // Whether the just-accepted connection `fd` from `address` may be served.
  // Admitted connections count against their address until closed.
  bool Admit(int fd, const std::string& address);

  // Connections from `address` still open (for tests and logs).
  int OpenFrom(const std::string& address);

  int max_per_address() const { return max_per_address_; }
  int refused() const;

 private:
  struct Tracked {
    int fd;
    ino_t inode;
  };
  static constexpr size_t kPruneAllAbove = 256;
  // Drops the entries whose connection is closed.
  static void Prune(std::vector<Tracked>& tracked);
  void PruneAll() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const int max_per_address_;
  mutable absl::Mutex mutex_;
  std::map<std::string, std::vector<Tracked>> open_ ABSL_GUARDED_BY(mutex_);
  int refused_ ABSL_GUARDED_BY(mutex_) = 0;
};

// Applies `guard` to connections accepted on listening TCP port `port` (any
// local address) until UnguardPort(port). `guard` must outlive that.
void GuardPort(int port, ConnectionGuard* guard);
void UnguardPort(int port);

// The client address of a socket address, as text ("127.0.0.1", "::1"); an
// IPv4-mapped IPv6 address counts as its IPv4 address.
std::string AddressText(const sockaddr* address, socklen_t length);

// What the cap counts connections by: the IPv4 address, or an IPv6 address's
// /64 network ("2001:db8:1:2::/64"; one host usually has a whole /64, as the
// login rate limits assume too).
std::string ClientKey(const sockaddr* address, socklen_t length);

}  // namespace ews::http

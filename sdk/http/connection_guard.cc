#include "sdk/http/connection_guard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace ews::http {
namespace {

struct Registry {
  absl::Mutex mutex;
  std::map<int, ConnectionGuard*> by_port ABSL_GUARDED_BY(mutex);
};

Registry& GetRegistry() {
  static Registry* registry = new Registry;  // never destroyed
  return *registry;
}

ino_t InodeOf(int fd) {
  struct stat status;
  return fstat(fd, &status) == 0 && S_ISSOCK(status.st_mode) ? status.st_ino
                                                             : 0;
}

int LocalPort(int listening_fd) {
  sockaddr_storage local{};
  socklen_t length = sizeof local;
  if (getsockname(listening_fd, reinterpret_cast<sockaddr*>(&local), &length) !=
      0) {
    return -1;
  }
  if (local.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
  }
  if (local.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
  }
  return -1;
}

// Whether the connection `fd` just accepted on `listening_fd` may be served.
bool AdmitAccepted(int listening_fd, int fd, const sockaddr* peer,
                   socklen_t peer_length) {
  Registry& registry = GetRegistry();
  {
    absl::MutexLock lock(&registry.mutex);
    if (registry.by_port.empty()) return true;
  }
  const int port = LocalPort(listening_fd);
  absl::MutexLock lock(&registry.mutex);  // held: the guard stays registered
  auto it = registry.by_port.find(port);
  if (it == registry.by_port.end()) return true;
  return it->second->Admit(fd, ClientKey(peer, peer_length));
}

}  // namespace

bool ConnectionGuard::Admit(int fd, const std::string& address) {
  const ino_t inode = InodeOf(fd);
  absl::MutexLock lock(&mutex_);
  // Addresses whose connections have all closed are forgotten now and then,
  // so the map stays bounded by the addresses that hold connections.
  if (open_.size() > kPruneAllAbove) PruneAll();
  std::vector<Tracked>& tracked = open_[address];
  Prune(tracked);
  if (static_cast<int>(tracked.size()) >= max_per_address_) {
    ++refused_;
    return false;
  }
  tracked.push_back({fd, inode});
  return true;
}

int ConnectionGuard::OpenFrom(const std::string& address) {
  absl::MutexLock lock(&mutex_);
  auto it = open_.find(address);
  if (it == open_.end()) return 0;
  Prune(it->second);
  return static_cast<int>(it->second.size());
}

int ConnectionGuard::refused() const {
  absl::MutexLock lock(&mutex_);
  return refused_;
}

void ConnectionGuard::Prune(std::vector<Tracked>& tracked) {
  // Socket inodes are unique while the socket is open, so a descriptor that
  // was closed and reused for another connection no longer matches.
  tracked.erase(std::remove_if(tracked.begin(), tracked.end(),
                               [](const Tracked& entry) {
                                 return InodeOf(entry.fd) != entry.inode;
                               }),
                tracked.end());
}

void ConnectionGuard::PruneAll() {
  for (auto it = open_.begin(); it != open_.end();) {
    Prune(it->second);
    it = it->second.empty() ? open_.erase(it) : std::next(it);
  }
}

void GuardPort(int port, ConnectionGuard* guard) {
  Registry& registry = GetRegistry();
  absl::MutexLock lock(&registry.mutex);
  registry.by_port[port] = guard;
}

void UnguardPort(int port) {
  Registry& registry = GetRegistry();
  absl::MutexLock lock(&registry.mutex);
  registry.by_port.erase(port);
}

std::string ClientKey(const sockaddr* address, socklen_t length) {
  if (address->sa_family != AF_INET6 || length < sizeof(sockaddr_in6)) {
    return AddressText(address, length);
  }
  sockaddr_in6 network = *reinterpret_cast<const sockaddr_in6*>(address);
  if (IN6_IS_ADDR_V4MAPPED(&network.sin6_addr)) {
    return AddressText(address, length);
  }
  std::memset(&network.sin6_addr.s6_addr[8], 0, 8);
  return AddressText(reinterpret_cast<sockaddr*>(&network), sizeof network) +
         "/64";
}

std::string AddressText(const sockaddr* address, socklen_t length) {
  char text[INET6_ADDRSTRLEN] = "";
  if (address->sa_family == AF_INET && length >= sizeof(sockaddr_in)) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr,
              text, sizeof text);
  } else if (address->sa_family == AF_INET6 && length >= sizeof(sockaddr_in6)) {
    const in6_addr& ip6 =
        reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&ip6)) {
      inet_ntop(AF_INET, &ip6.s6_addr[12], text, sizeof text);
    } else {
      inet_ntop(AF_INET6, &ip6, text, sizeof text);
    }
  }
  return text;
}

}  // namespace ews::http

// libc's accept(), replaced for the whole process: the executable's (or an
// earlier-loaded library's) definition takes precedence over libc's for
// civetweb, which calls accept() through its PLT. accept4() is the system
// call behind it. A refused connection is closed and the call fails with
// ECONNABORTED, which civetweb's master thread ignores (it polls again).
extern "C" int accept(int fd, sockaddr* address, socklen_t* length) {
  sockaddr_storage peer{};
  socklen_t peer_length = sizeof peer;
  const int accepted =
      accept4(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length, 0);
  if (accepted < 0) return accepted;
  if (!ews::http::AdmitAccepted(
          fd, accepted, reinterpret_cast<sockaddr*>(&peer), peer_length)) {
    close(accepted);
    errno = ECONNABORTED;
    return -1;
  }
  if (address != nullptr && length != nullptr) {
    std::memcpy(address, &peer, std::min(*length, peer_length));
    *length = peer_length;
  }
  return accepted;
}

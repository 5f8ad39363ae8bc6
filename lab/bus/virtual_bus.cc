#include "lab/bus/virtual_bus.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sdk/hal/serial/internal/baud.h"
#include "sdk/hal/serial/termios_serial_port.h"

namespace ews::lab {
namespace {

constexpr int kMaxEndpoints = 64;

int BaudOf(speed_t speed) {
  switch (speed) {
    case B1200:
      return 1200;
    case B2400:
      return 2400;
    case B4800:
      return 4800;
    case B9600:
      return 9600;
    case B19200:
      return 19200;
    case B38400:
      return 38400;
    case B57600:
      return 57600;
    case B115200:
      return 115200;
    default:
      return -1;  // some other speed: never matches
  }
}

// What a UART at the wrong baud rate makes of a character: garbage (a fixed
// bijection, so tests can tell it apart).
uint8_t Garble(uint8_t byte) { return static_cast<uint8_t>(byte * 167 + 13); }

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<VirtualBus>> VirtualBus::Start(
    const BusOptions& options) {
  if (options.endpoints < 1 || options.endpoints > kMaxEndpoints) {
    return absl::InvalidArgumentError(
        absl::StrCat("endpoints must be 1..", kMaxEndpoints));
  }
  if (absl::Status status = hal::ValidateSerialSettings(options.line);
      !status.ok()) {
    return status;
  }
  if (options.capture_limit < 2) {
    return absl::InvalidArgumentError("capture_limit must be at least 2");
  }
  std::unique_ptr<VirtualBus> bus(new VirtualBus(options));
  if (absl::Status status = bus->Init(); !status.ok()) return status;
  bus->thread_ = std::thread([raw = bus.get()] { raw->Run(); });
  return bus;
}

VirtualBus::VirtualBus(const BusOptions& options)
    : options_(options),
      clock_(options.clock != nullptr ? options.clock : &SystemClock::Get()),
      epoch_(clock_->MonotonicNow()),
      line_(options.line),
      global_latency_(absl::ZeroDuration()),
      random_state_(options.seed == 0 ? 0x9E3779B97F4A7C15ull
                                      : options.seed * 0x9E3779B97F4A7C15ull) {}

absl::Status VirtualBus::Init() {
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) return Errno("eventfd");
  endpoints_.resize(options_.endpoints);
  for (int i = 0; i < options_.endpoints; ++i) {
    Endpoint& ep = endpoints_[i];
    char name[128];
    termios raw;
    std::memset(&raw, 0, sizeof raw);
    cfmakeraw(&raw);
    raw.c_cflag |= CREAD | CLOCAL;
    cfsetispeed(&raw, hal::internal::BaudToSpeed(options_.line.baud_rate));
    cfsetospeed(&raw, hal::internal::BaudToSpeed(options_.line.baud_rate));
    if (openpty(&ep.master, &ep.slave, name, &raw, nullptr) != 0) {
      return Errno("openpty");
    }
    ep.path = name;
    fcntl(ep.master, F_SETFL, fcntl(ep.master, F_GETFL) | O_NONBLOCK);
    fcntl(ep.master, F_SETFD, FD_CLOEXEC);
    fcntl(ep.slave, F_SETFD, FD_CLOEXEC);
    ep.free_at = absl::ZeroDuration();
    if (!options_.link_dir.empty()) {
      ep.link = absl::StrCat(options_.link_dir, "/ep", i);
      unlink(ep.link.c_str());
      if (symlink(ep.path.c_str(), ep.link.c_str()) != 0) {
        const int error = errno;
        ep.link.clear();
        if (error == ENOENT) {
          return absl::NotFoundError(
              absl::StrCat("link_dir ", options_.link_dir, " does not exist"));
        }
        errno = error;
        return Errno(absl::StrCat("symlink in ", options_.link_dir));
      }
    }
  }
  return absl::OkStatus();
}

VirtualBus::~VirtualBus() {
  {
    absl::MutexLock lock(&mutex_);
    stop_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  for (Endpoint& ep : endpoints_) {
    if (!ep.link.empty()) unlink(ep.link.c_str());
    if (ep.master >= 0) close(ep.master);
    if (ep.slave >= 0) close(ep.slave);
  }
  if (wake_fd_ >= 0) close(wake_fd_);
}

const std::string& VirtualBus::endpoint_path(int endpoint) const {
  return endpoints_.at(endpoint).path;
}

hal::SerialSettings VirtualBus::line_settings() const {
  absl::MutexLock lock(&mutex_);
  return line_;
}

absl::Status VirtualBus::SetLineSettings(const hal::SerialSettings& settings) {
  if (absl::Status status = hal::ValidateSerialSettings(settings);
      !status.ok()) {
    return status;
  }
  absl::MutexLock lock(&mutex_);
  line_ = settings;
  return absl::OkStatus();
}

absl::Status VirtualBus::CheckEndpoint(int endpoint, bool allow_any) const {
  if (allow_any && endpoint == kAnyEndpoint) return absl::OkStatus();
  if (endpoint < 0 || endpoint >= endpoint_count()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no endpoint ", endpoint, " (the bus has ", endpoint_count(), ")"));
  }
  return absl::OkStatus();
}

absl::Status VirtualBus::DropNext(int count, int from) {
  if (absl::Status s = CheckEndpoint(from, true); !s.ok()) return s;
  if (count < 0) return absl::InvalidArgumentError("count must be >= 0");
  absl::MutexLock lock(&mutex_);
  if (count > 0) rules_.push_back({FaultRule::Kind::kDrop, count, from, 0});
  return absl::OkStatus();
}

absl::Status VirtualBus::CorruptNext(int count, uint8_t xor_mask, int from) {
  if (absl::Status s = CheckEndpoint(from, true); !s.ok()) return s;
  if (count < 0) return absl::InvalidArgumentError("count must be >= 0");
  if (xor_mask == 0)
    return absl::InvalidArgumentError("xor mask must not be 0");
  absl::MutexLock lock(&mutex_);
  if (count > 0) {
    rules_.push_back({FaultRule::Kind::kCorrupt, count, from, xor_mask});
  }
  return absl::OkStatus();
}

absl::Status VirtualBus::SetDropProbability(double probability) {
  if (!(probability >= 0 && probability <= 1)) {
    return absl::InvalidArgumentError("probability must be in [0, 1]");
  }
  absl::MutexLock lock(&mutex_);
  drop_probability_ = probability;
  return absl::OkStatus();
}

absl::Status VirtualBus::SetCorruptProbability(double probability) {
  if (!(probability >= 0 && probability <= 1)) {
    return absl::InvalidArgumentError("probability must be in [0, 1]");
  }
  absl::MutexLock lock(&mutex_);
  corrupt_probability_ = probability;
  return absl::OkStatus();
}

absl::Status VirtualBus::SetLatency(absl::Duration latency, int from) {
  if (absl::Status s = CheckEndpoint(from, true); !s.ok()) return s;
  if (latency < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("latency must be >= 0");
  }
  absl::MutexLock lock(&mutex_);
  if (from == kAnyEndpoint) {
    global_latency_ = latency;
  } else {
    endpoints_[from].latency = latency;
  }
  return absl::OkStatus();
}

absl::Status VirtualBus::SetCutOff(int endpoint, bool cut_off) {
  if (absl::Status s = CheckEndpoint(endpoint, false); !s.ok()) return s;
  absl::MutexLock lock(&mutex_);
  endpoints_[endpoint].cut_off = cut_off;
  return absl::OkStatus();
}

void VirtualBus::ClearFaults() {
  absl::MutexLock lock(&mutex_);
  rules_.clear();
  drop_probability_ = 0;
  corrupt_probability_ = 0;
  global_latency_ = absl::ZeroDuration();
  for (Endpoint& ep : endpoints_) {
    ep.latency = absl::ZeroDuration();
    ep.cut_off = false;
  }
}

std::vector<CapturedChar> VirtualBus::Capture() const {
  absl::MutexLock lock(&mutex_);
  return capture_;
}

void VirtualBus::ClearCapture() {
  absl::MutexLock lock(&mutex_);
  capture_base_ += capture_.size();
  capture_.clear();
}

bool VirtualBus::WaitForCapture(size_t count, absl::Duration timeout) const {
  absl::MutexLock lock(&mutex_);
  auto enough = [this, count]() ABSL_SHARED_LOCKS_REQUIRED(mutex_) {
    return capture_.size() >= count;
  };
  return mutex_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

std::vector<CapturedFrame> VirtualBus::CaptureFrames(absl::Duration gap) const {
  std::vector<CapturedChar> chars;
  absl::Duration character_time;
  {
    absl::MutexLock lock(&mutex_);
    chars = capture_;
    character_time = line_.CharacterTime();
  }
  if (gap == absl::InfiniteDuration()) {
    gap = std::max(character_time * 3.5, absl::Microseconds(1750));
  }
  std::vector<CapturedFrame> frames;
  std::map<int, CapturedFrame> open;
  for (const CapturedChar& c : chars) {
    if (c.cut_off) continue;
    auto it = open.find(c.from);
    if (it != open.end() && c.start - it->second.end >= gap) {
      frames.push_back(std::move(it->second));
      open.erase(it);
      it = open.end();
    }
    if (it == open.end()) {
      it = open.emplace(c.from, CapturedFrame{c.from, c.start, c.end, {}, {}})
               .first;
    }
    CapturedFrame& frame = it->second;
    frame.end = c.end;
    frame.sent.push_back(c.sent);
    if (!c.dropped) frame.bytes.push_back(c.on_line);
    if (c.dropped || c.corrupted || c.collision || c.speed_mismatch) {
      frame.damaged = true;
    }
  }
  for (auto& [from, frame] : open) frames.push_back(std::move(frame));
  std::stable_sort(frames.begin(), frames.end(),
                   [](const CapturedFrame& a, const CapturedFrame& b) {
                     return a.start < b.start;
                   });
  return frames;
}

std::string VirtualBus::FormatCapture() const {
  std::string out;
  for (const CapturedFrame& frame : CaptureFrames()) {
    absl::StrAppendFormat(&out, "+%.6fs ep%d",
                          absl::ToDoubleSeconds(frame.start), frame.from);
    for (uint8_t b : frame.bytes) absl::StrAppendFormat(&out, " %02x", b);
    absl::StrAppendFormat(&out, " (%d bytes, %.3f ms)%s\n",
                          static_cast<int>(frame.sent.size()),
                          absl::ToDoubleMilliseconds(frame.end - frame.start),
                          frame.damaged ? " DAMAGED" : "");
  }
  return out;
}

BusStats VirtualBus::stats() const {
  absl::MutexLock lock(&mutex_);
  return stats_;
}

void VirtualBus::Wake() {
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
}

double VirtualBus::Random() {
  // xorshift64*
  random_state_ ^= random_state_ >> 12;
  random_state_ ^= random_state_ << 25;
  random_state_ ^= random_state_ >> 27;
  return static_cast<double>((random_state_ * 0x2545F4914F6CDD1Dull) >> 11) /
         static_cast<double>(1ull << 53);
}

CapturedChar* VirtualBus::CaptureAt(size_t absolute_index) {
  if (absolute_index < capture_base_ ||
      absolute_index - capture_base_ >= capture_.size()) {
    return nullptr;
  }
  return &capture_[absolute_index - capture_base_];
}

void VirtualBus::AppendCapture(const CapturedChar& c) {
  if (capture_.size() >= options_.capture_limit) {
    const size_t half = capture_.size() / 2;
    capture_.erase(capture_.begin(), capture_.begin() + half);
    capture_base_ += half;
  }
  capture_.push_back(c);
}

void VirtualBus::Run() {
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  if (options_.realtime_priority) {
    sched_param param = {};
    param.sched_priority = 10;
    // Fails quietly without CAP_SYS_NICE; timing is then best effort.
    (void)pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
  }
  std::vector<pollfd> fds(endpoints_.size() + 1);
  fds[0] = {wake_fd_, POLLIN, 0};
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    fds[i + 1] = {endpoints_[i].master, POLLIN, 0};
  }
  std::vector<std::vector<uint8_t>> out(endpoints_.size());
  while (true) {
    absl::Duration next;
    {
      absl::MutexLock lock(&mutex_);
      if (stop_) return;
      next = NextEvent();
    }
    timespec ts;
    timespec* timeout = nullptr;
    if (next != absl::InfiniteDuration()) {
      absl::Duration wait = next - (clock_->MonotonicNow() - epoch_);
      ts = absl::ToTimespec(std::max(wait, absl::ZeroDuration()));
      timeout = &ts;
    }
    const int ready = ppoll(fds.data(), fds.size(), timeout, nullptr);
    if (ready < 0 && errno != EINTR) return;
    if (ready > 0 && (fds[0].revents & POLLIN)) {
      uint64_t count;
      (void)!read(wake_fd_, &count, sizeof count);
    }
    // A master that reports an error or hang-up without data would make
    // ppoll() return at once forever (at real-time priority): stop polling
    // it. It cannot happen while the bus holds the slaves open.
    for (size_t i = 1; ready > 0 && i < fds.size(); ++i) {
      if ((fds[i].revents & (POLLERR | POLLHUP | POLLNVAL)) != 0 &&
          (fds[i].revents & POLLIN) == 0) {
        fds[i].fd = -1;
      }
    }
    absl::MutexLock lock(&mutex_);
    const absl::Duration now = clock_->MonotonicNow() - epoch_;
    ReadInputs(now);
    Advance(now, out);
    for (size_t j = 0; j < endpoints_.size(); ++j) {
      if (out[j].empty()) continue;
      size_t done = 0;
      while (done < out[j].size()) {
        ssize_t n = write(endpoints_[j].master, out[j].data() + done,
                          out[j].size() - done);
        if (n > 0) {
          done += n;
        } else if (n < 0 && errno == EINTR) {
          continue;
        } else {
          break;
        }
      }
      stats_.overflows += out[j].size() - done;
      out[j].clear();
    }
  }
}

void VirtualBus::ReadInputs(absl::Duration now) {
  uint8_t buffer[4096];
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    Endpoint& ep = endpoints_[i];
    while (true) {
      const ssize_t n = read(ep.master, buffer, sizeof buffer);
      if (n <= 0) break;
      // The device configured its port before writing: look again.
      SpeedMatches(static_cast<int>(i), now, /*refresh=*/true);
      for (ssize_t k = 0; k < n; ++k) {
        if (ep.cut_off) {
          CapturedChar c{now, now, static_cast<int>(i), buffer[k], buffer[k]};
          c.cut_off = true;
          AppendCapture(c);
          ++stats_.cut_off;
        } else {
          ep.pending.push_back({now + ep.latency + global_latency_, buffer[k]});
        }
      }
    }
  }
}

bool VirtualBus::SpeedMatches(int index, absl::Duration now, bool refresh) {
  if (!options_.check_speeds) return true;
  Endpoint& ep = endpoints_[index];
  if (refresh || now - ep.speed_checked_at >= absl::Milliseconds(20)) {
    termios t;
    ep.pty_baud = tcgetattr(ep.slave, &t) == 0 ? BaudOf(cfgetospeed(&t)) : 0;
    ep.speed_checked_at = now;
  }
  return ep.pty_baud == 0 || ep.pty_baud == line_.baud_rate;
}

absl::Duration VirtualBus::NextEvent() const {
  absl::Duration next = absl::InfiniteDuration();
  for (const Endpoint& ep : endpoints_) {
    if (ep.transmitting) {
      next = std::min(next, ep.current.end);
    } else if (ep.pending_head < ep.pending.size()) {
      next = std::min(next,
                      std::max(ep.pending[ep.pending_head].ready, ep.free_at));
    }
  }
  return next;
}

void VirtualBus::Advance(absl::Duration now,
                         std::vector<std::vector<uint8_t>>& out) {
  while (true) {
    // The earliest event; at equal times a character ends before another
    // starts (back to back is not a collision).
    absl::Duration best = absl::InfiniteDuration();
    int best_index = -1;
    bool best_is_end = false;
    for (size_t i = 0; i < endpoints_.size(); ++i) {
      const Endpoint& ep = endpoints_[i];
      if (ep.transmitting) {
        if (ep.current.end < best || (ep.current.end == best && !best_is_end)) {
          best = ep.current.end;
          best_index = static_cast<int>(i);
          best_is_end = true;
        }
      } else if (ep.pending_head < ep.pending.size()) {
        const absl::Duration start =
            std::max(ep.pending[ep.pending_head].ready, ep.free_at);
        if (start < best) {
          best = start;
          best_index = static_cast<int>(i);
          best_is_end = false;
        }
      }
    }
    if (best_index < 0 || best > now) break;
    Endpoint& ep = endpoints_[best_index];
    if (best_is_end) {
      const uint8_t on_line = ep.current.on_line;
      if (!ep.current.dropped) {
        for (size_t j = 0; j < endpoints_.size(); ++j) {
          if (static_cast<int>(j) == best_index || endpoints_[j].cut_off) {
            continue;
          }
          if (SpeedMatches(static_cast<int>(j), best, /*refresh=*/false)) {
            out[j].push_back(on_line);
          } else {
            out[j].push_back(Garble(on_line));
            ++stats_.speed_mismatches;
          }
        }
      }
      ep.transmitting = false;
      ep.free_at = ep.current.end;
    } else {
      StartCharacter(best_index, best);
    }
  }
  // Compact the transmit queues once in a while.
  for (Endpoint& ep : endpoints_) {
    if (ep.pending_head > 0 && ep.pending_head == ep.pending.size()) {
      ep.pending.clear();
      ep.pending_head = 0;
    } else if (ep.pending_head > 4096) {
      ep.pending.erase(ep.pending.begin(),
                       ep.pending.begin() + ep.pending_head);
      ep.pending_head = 0;
    }
  }
}

void VirtualBus::StartCharacter(int index, absl::Duration at) {
  Endpoint& ep = endpoints_[index];
  const uint8_t byte = ep.pending[ep.pending_head++].byte;
  CapturedChar c{at, at + line_.CharacterTime(), index, byte, byte};
  for (auto it = rules_.begin(); it != rules_.end(); ++it) {
    if (it->from != kAnyEndpoint && it->from != index) continue;
    if (it->kind == FaultRule::Kind::kDrop) {
      c.dropped = true;
    } else {
      c.corrupted = true;
      c.on_line ^= it->mask;
    }
    if (--it->remaining == 0) rules_.erase(it);
    break;
  }
  if (!c.dropped && drop_probability_ > 0 && Random() < drop_probability_) {
    c.dropped = true;
  }
  if (!c.dropped && !c.corrupted && corrupt_probability_ > 0 &&
      Random() < corrupt_probability_) {
    c.corrupted = true;
    c.on_line ^= static_cast<uint8_t>(1u << static_cast<int>(Random() * 8));
  }
  // Collision with every character still on the wire.
  for (size_t j = 0; j < endpoints_.size(); ++j) {
    Endpoint& other = endpoints_[j];
    if (static_cast<int>(j) == index || !other.transmitting ||
        other.current.end <= at) {
      continue;
    }
    other.current.on_line &= byte;
    if (CapturedChar* o = CaptureAt(other.current.capture_index)) {
      if (!o->collision) ++stats_.collisions;
      o->collision = true;
      o->on_line = other.current.on_line;
    }
    c.on_line &= other.current.sent;
    if (!c.collision) ++stats_.collisions;
    c.collision = true;
  }
  if (!SpeedMatches(index, at, /*refresh=*/false)) {
    c.speed_mismatch = true;
    c.on_line = Garble(c.on_line);
    ++stats_.speed_mismatches;
  }
  if (c.dropped) ++stats_.dropped;
  if (c.corrupted) ++stats_.corrupted;
  ++stats_.characters;
  AppendCapture(c);
  ep.current = {capture_base_ + capture_.size() - 1,
                c.start,
                c.end,
                c.sent,
                c.on_line,
                c.dropped};
  ep.transmitting = true;
}

}  // namespace ews::lab

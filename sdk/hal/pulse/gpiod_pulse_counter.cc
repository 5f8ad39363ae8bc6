#include "sdk/hal/pulse/gpiod_pulse_counter.h"

#include <gpiod.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "sdk/base/log.h"
#include "sdk/hal/internal/errno_status.h"

namespace ews::hal {
namespace internal {

GpioEventPump::GpioEventPump(std::vector<int> fds,
                             std::vector<PulseChannelConfig> channels)
    : fds_(std::move(fds)),
      counts_(new std::atomic<uint64_t>[channels.size()]) {
  for (size_t i = 0; i < channels.size(); ++i) {
    debouncers_.emplace_back(channels[i]);
    counts_[i] = 0;
  }
}

GpioEventPump::~GpioEventPump() { Stop(); }

absl::Status GpioEventPump::Start() {
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) return ErrnoToStatus(errno, "eventfd");
  thread_ = std::thread([this] { Run(); });
  return absl::OkStatus();
}

void GpioEventPump::Stop() {
  if (!thread_.joinable()) return;
  const uint64_t one = 1;
  (void)!write(stop_fd_, &one, sizeof one);
  thread_.join();
  close(stop_fd_);
  stop_fd_ = -1;
}

uint64_t GpioEventPump::count(int channel) const {
  return counts_[channel].load();
}

void GpioEventPump::Run() {
  std::vector<pollfd> fds(fds_.size() + 1);
  fds[0] = {stop_fd_, POLLIN, 0};
  for (size_t i = 0; i < fds_.size(); ++i) fds[i + 1] = {fds_[i], POLLIN, 0};
  gpiod_line_event events[16];
  while (true) {
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      ++errors_;
      return;
    }
    if (fds[0].revents != 0) return;
    for (size_t i = 0; i < fds_.size(); ++i) {
      pollfd& pfd = fds[i + 1];
      if (pfd.revents == 0) continue;
      if ((pfd.revents & POLLIN) == 0) {
        // Hang-up or error: stop watching this line.
        ++errors_;
        pfd.fd = -1;
        continue;
      }
      const int n = gpiod_line_event_read_fd_multiple(fds_[i], events, 16);
      if (n < 0) {
        ++errors_;
        continue;
      }
      for (int k = 0; k < n; ++k) {
        const absl::Duration at = absl::DurationFromTimespec(events[k].ts);
        const bool rising =
            events[k].event_type == GPIOD_LINE_EVENT_RISING_EDGE;
        if (debouncers_[i].OnEdge(at, rising)) ++counts_[i];
      }
    }
  }
}

}  // namespace internal

GpiodPulseCounter::~GpiodPulseCounter() { Release(); }

void GpiodPulseCounter::Release() {
  if (pump_ != nullptr) {
    pump_->Stop();
    final_counts_.clear();
    for (size_t i = 0; i < lines_.size(); ++i) {
      final_counts_.push_back(pump_->count(static_cast<int>(i)));
    }
    pump_.reset();
  }
  for (gpiod_line* line : lines_) gpiod_line_release(line);
  lines_.clear();
  if (chip_ != nullptr) gpiod_chip_close(chip_);
  chip_ = nullptr;
}

absl::Status GpiodPulseCounter::DoStart(
    absl::Span<const PulseChannelConfig> channels) {
  chip_ = gpiod_chip_open(options_.chip_path.c_str());
  if (chip_ == nullptr) {
    return internal::ErrnoToStatus(
        errno, absl::StrCat("open GPIO chip ", options_.chip_path));
  }
  std::vector<int> fds;
  for (const PulseChannelConfig& channel : channels) {
    gpiod_line* line = gpiod_chip_get_line(chip_, channel.line);
    if (line == nullptr) {
      const int error = errno;
      Release();
      return absl::NotFoundError(absl::StrCat(
          "GPIO line ", channel.line, " on ", options_.chip_path, ": ",
          internal::ErrnoToStatus(error, "get line").message()));
    }
    const int flags =
        options_.bias_pull_up ? GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP : 0;
    if (gpiod_line_request_both_edges_events_flags(
            line, options_.consumer.c_str(), flags) != 0) {
      const int error = errno;
      Release();
      return internal::ErrnoToStatus(
          error, absl::StrCat("request GPIO line ", channel.line, " on ",
                              options_.chip_path));
    }
    lines_.push_back(line);
    fds.push_back(gpiod_line_event_get_fd(line));
  }
  pump_ = std::make_unique<internal::GpioEventPump>(
      std::move(fds),
      std::vector<PulseChannelConfig>(channels.begin(), channels.end()));
  if (absl::Status s = pump_->Start(); !s.ok()) {
    Release();
    return s;
  }
  EWS_LOG(INFO) << "counting pulses on " << channels.size() << " lines of "
                << options_.chip_path;
  return absl::OkStatus();
}

absl::Status GpiodPulseCounter::DoStop() {
  Release();
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> GpiodPulseCounter::DoRawCount(int channel) const {
  if (pump_ != nullptr) return pump_->count(channel);
  if (channel < static_cast<int>(final_counts_.size())) {
    return final_counts_[channel];
  }
  return uint64_t{0};
}

}  // namespace ews::hal

// GpiodPulseCounter: the Linux backend of ews::hal::PulseCounter, on the GPIO
// character device (/dev/gpiochipN) through Debian's libgpiod 1.6.
//
// Each channel's line is requested for both edge events (so releases feed
// the debouncer's lockout); one thread waits on all event fds and counts the
// edges that pass PulseDebouncer, using the kernel's event timestamps (only
// their differences matter). libgpiod 1.6 has no hardware debounce: it is
// done in software here.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "sdk/hal/pulse/pulse_counter.h"

struct gpiod_chip;
struct gpiod_line;

namespace ews::hal {

namespace internal {

// Counts debounced edges read (as libgpiod line events) from event fds on a
// thread. The fd-level half of GpiodPulseCounter; tests feed it pipes
// carrying struct gpioevent_data.
class GpioEventPump {
 public:
  // `fds[i]` carries the events of `channels[i]`; the fds stay owned by the
  // caller and must stay open until Stop().
  GpioEventPump(std::vector<int> fds, std::vector<PulseChannelConfig> channels);
  ~GpioEventPump();  // Stop()s

  // Internal: eventfd or thread creation failed.
  absl::Status Start();
  void Stop();
  uint64_t count(int channel) const;
  // Read errors seen (the channel keeps running).
  uint64_t errors() const { return errors_.load(); }

 private:
  void Run();

  const std::vector<int> fds_;
  std::vector<PulseDebouncer> debouncers_;  // thread only
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<uint64_t> errors_{0};
  int stop_fd_ = -1;
  std::thread thread_;
};

}  // namespace internal

class GpiodPulseCounter final : public PulseCounter {
 public:
  struct Options {
    std::string chip_path = "/dev/gpiochip0";
    std::string consumer = "ews-pulse";  // shown by gpioinfo
    bool bias_pull_up = false;  // if the board has no external pull-ups
  };

  explicit GpiodPulseCounter(Options options) : options_(std::move(options)) {}
  ~GpiodPulseCounter() override;

 private:
  // NotFound: no chip / no such line offset. PermissionDenied. Unavailable:
  // a line is busy (EBUSY). FailedPrecondition: not a GPIO chip.
  absl::Status DoStart(absl::Span<const PulseChannelConfig> channels) override;
  absl::Status DoStop() override;
  absl::StatusOr<uint64_t> DoRawCount(int channel) const override;
  void Release();

  const Options options_;
  gpiod_chip* chip_ = nullptr;
  std::vector<gpiod_line*> lines_;
  std::unique_ptr<internal::GpioEventPump> pump_;
  std::vector<uint64_t> final_counts_;  // after Stop()
};

}  // namespace ews::hal

// LedIndicators: the behaviour of the five indicators on top of ews::hal::Leds.
//
//   Power  on from Start() to Stop()
//   Rx/Tx  blink on RS485 traffic: OnRx()/OnTx() (e.g. from
//          SerialPort::SetTrafficListener)
//   Link   SetLinkUp(up)
//   Act    blink on Ethernet traffic: OnNetworkTraffic()
//
// A blink is `blink_on` lit then at least `blink_off` dark, so continuous
// traffic shows as steady blinking, and a single byte as one visible flash.
// The traffic callbacks only set a flag (cheap, from any thread); Tick(),
// called every ~10 ms by the owner's loop, switches the LEDs on the injected
// clock's monotonic time. LED failures are not fatal: Tick() returns the
// first error, counts it and carries on with the other LEDs.
#pragma once

#include <array>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"
#include "sdk/hal/led/leds.h"

namespace ews::hal {

class LedIndicators {
 public:
  struct Options {
    absl::Duration blink_on = absl::Milliseconds(50);
    absl::Duration blink_off = absl::Milliseconds(50);
  };

  // `leds` and `clock` are not owned.
  LedIndicators(Leds* leds, Clock* clock, Options options);
  LedIndicators(Leds* leds, Clock* clock)
      : LedIndicators(leds, clock, Options()) {}

  // Power on, all others off. Returns the first LED error.
  absl::Status Start();
  // Everything off.
  absl::Status Stop();

  void OnRx();
  void OnTx();
  void OnNetworkTraffic();
  void SetLinkUp(bool up);

  absl::Status Tick();
  uint64_t errors() const;

 private:
  enum class Phase { kIdle, kOn, kOff };
  struct Blink {
    Phase phase = Phase::kIdle;
    absl::Duration until;
    bool pending = false;
  };

  void Request(Led led);
  // Sets `led`; on failure counts, logs once and keeps the first error.
  bool Switch(Led led, bool on, absl::Status& first_error)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  Leds* const leds_;
  Clock* const clock_;
  const Options options_;
  mutable absl::Mutex mutex_;
  bool running_ ABSL_GUARDED_BY(mutex_) = false;
  std::array<Blink, kLedCount> blinks_ ABSL_GUARDED_BY(mutex_);
  bool link_wanted_ ABSL_GUARDED_BY(mutex_) = false;
  bool link_shown_ ABSL_GUARDED_BY(mutex_) = false;
  uint64_t errors_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace ews::hal

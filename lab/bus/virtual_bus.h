// ews::lab::VirtualBus: a simulated multi-drop, half-duplex RS485 line with N
// pty endpoints. A device opens an endpoint's path (/dev/pts/N) exactly as it
// would open /dev/ttyS1, e.g. with ews::hal::TermiosSerialPort.
//
// Line model (one delivery thread, real time):
//   * Every byte written by one endpoint reaches all others, and not the
//     sender (a half-duplex transceiver does not hear itself).
//   * Each endpoint has a transmitter that sends its bytes back to back, one
//     character every CharacterTime() of the line's configured settings (not
//     the pty's, which cannot hold parity); a receiver gets a character when
//     its stop bit ends. A 100-byte frame at 9600 8E1 takes 100*11/9600 s.
//   * Two transmitters whose characters overlap in time collide: every
//     overlapping character reaches the receivers garbled (the bitwise AND of
//     the bytes on the wire, as dominant zeros would), and is flagged.
//   * Faults on demand: drop or corrupt the next N characters (or a random
//     fraction), add latency before an endpoint's bytes reach the line, cut an
//     endpoint off (it neither sends nor receives).
//   * Capture: every character with its line start/end time, sender, the byte
//     sent, the byte receivers got, and what happened to it.
//
// Timing needs a clock that runs in real time (the default SystemClock): the
// devices on the ptys do.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"
#include "sdk/hal/serial/serial_port.h"

namespace ews::lab {

constexpr int kAnyEndpoint = -1;

struct BusOptions {
  int endpoints = 2;  // 1..64
  hal::SerialSettings line;
  // If set, an existing directory where the bus creates symlinks ep0, ep1, ...
  // to the endpoints' pty paths (stable names for scripts and containers).
  std::string link_dir;
  // Real-time clock (not owned); nullptr means ews::SystemClock::Get().
  Clock* clock = nullptr;
  // Characters kept in the capture; older ones are discarded.
  size_t capture_limit = 1 << 20;
  // Run the delivery thread under SCHED_FIFO (best effort: ignored without
  // the privilege) with 1 ns timer slack, so character timing holds on a
  // loaded machine.
  bool realtime_priority = true;
  // Compare each endpoint's pty speed (which ptys keep) with the line's: a
  // device at the wrong baud rate sends and receives garbage, as on a real
  // line. Parity cannot be compared (ptys clear it).
  bool check_speeds = true;
  // Seed of the random faults (SetDropProbability / SetCorruptProbability).
  uint32_t seed = 1;
};

struct CapturedChar {
  absl::Duration start;  // line time since the bus started
  absl::Duration end;    // when receivers got it
  int from;
  uint8_t sent;                 // what the sender wrote
  uint8_t on_line;              // what receivers got
  bool dropped = false;         // fault: nobody received it
  bool corrupted = false;       // fault: on_line was altered
  bool collision = false;       // overlapped another endpoint's character
  bool cut_off = false;         // sender was cut off: never reached the line
  bool speed_mismatch = false;  // sender's baud rate differs from the line's
};

// Consecutive characters from one sender with less than a gap between them.
struct CapturedFrame {
  int from;
  absl::Duration start;        // start of the first character
  absl::Duration end;          // end of the last character
  std::vector<uint8_t> bytes;  // as received (on_line; dropped ones omitted)
  std::vector<uint8_t> sent;   // as written by the sender
  bool damaged = false;        // any dropped, corrupted or collided character
};

struct BusStats {
  uint64_t characters = 0;  // reached the line
  uint64_t collisions = 0;  // characters garbled by a collision
  uint64_t dropped = 0;
  uint64_t corrupted = 0;
  uint64_t cut_off = 0;    // written by a cut-off endpoint
  uint64_t overflows = 0;  // bytes lost because a receiver's pty was full
  uint64_t speed_mismatches = 0;  // characters garbled by a wrong baud rate
                                  // (sent or received)
};

class VirtualBus {
 public:
  // Creates the ptys and starts the delivery thread.
  // InvalidArgument: bad options. Internal: no ptys. NotFound: no link_dir.
  static absl::StatusOr<std::unique_ptr<VirtualBus>> Start(
      const BusOptions& options);

  // Stops the thread, removes the symlinks and closes the ptys.
  ~VirtualBus();
  VirtualBus(const VirtualBus&) = delete;
  VirtualBus& operator=(const VirtualBus&) = delete;

  int endpoint_count() const { return static_cast<int>(endpoints_.size()); }
  // "/dev/pts/N"; the endpoint must be in range.
  const std::string& endpoint_path(int endpoint) const;

  hal::SerialSettings line_settings() const;
  // Applies to characters that start after the call. InvalidArgument.
  absl::Status SetLineSettings(const hal::SerialSettings& settings);

  // Faults. `from` selects the sending endpoint (kAnyEndpoint: any).
  // InvalidArgument for an endpoint out of range or a bad value.
  absl::Status DropNext(int count, int from = kAnyEndpoint);
  absl::Status CorruptNext(int count, uint8_t xor_mask = 0x01,
                           int from = kAnyEndpoint);
  absl::Status SetDropProbability(double probability);
  absl::Status SetCorruptProbability(double probability);
  // Delay between an endpoint writing a byte and the byte reaching the line.
  absl::Status SetLatency(absl::Duration latency, int from = kAnyEndpoint);
  absl::Status SetCutOff(int endpoint, bool cut_off);
  void ClearFaults();

  // Capture.
  std::vector<CapturedChar> Capture() const;
  // Frames split at silences of at least `gap` (default: 3.5 characters of
  // the current line settings) or at a change of sender.
  std::vector<CapturedFrame> CaptureFrames(
      absl::Duration gap = absl::InfiniteDuration()) const;
  void ClearCapture();
  // Waits until the capture holds at least `count` characters (including
  // dropped / cut-off ones). False on timeout.
  bool WaitForCapture(size_t count, absl::Duration timeout) const;
  // One line per frame: "+1.234567s ep0 11 03 00 04 00 02 87 5b [flags]".
  std::string FormatCapture() const;

  BusStats stats() const;

 private:
  struct InByte {
    absl::Duration ready;  // may reach the line from this time
    uint8_t byte;
  };
  struct InFlight {
    size_t capture_index;  // in capture_ (absolute, see capture_base_)
    absl::Duration start;
    absl::Duration end;
    uint8_t sent;
    uint8_t on_line;  // kept here too: the capture may be cleared meanwhile
    bool dropped;
  };
  struct Endpoint {
    std::string path;
    std::string link;  // symlink created in link_dir, if any
    int master = -1;
    int slave = -1;               // kept open: the master never sees a hang-up
    std::vector<InByte> pending;  // FIFO (front at pending_head)
    size_t pending_head = 0;
    bool transmitting = false;
    InFlight current;
    absl::Duration free_at;  // end of its last character
    absl::Duration latency = absl::ZeroDuration();
    bool cut_off = false;
    int pty_baud = 0;  // last read from the pty; 0 = unknown
    absl::Duration speed_checked_at = -absl::InfiniteDuration();
  };
  struct FaultRule {
    enum class Kind { kDrop, kCorrupt } kind;
    int remaining;
    int from;
    uint8_t mask;
  };

  explicit VirtualBus(const BusOptions& options);
  absl::Status Init();
  void Run();
  // Moves bytes from the masters into the transmitters' queues.
  void ReadInputs(absl::Duration now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Runs the line up to `now`; fills `out` with bytes per receiver.
  void Advance(absl::Duration now, std::vector<std::vector<uint8_t>>& out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void StartCharacter(int index, absl::Duration at)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::Duration NextEvent() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Whether the endpoint's pty runs at the line's baud rate (re-read at most
  // every 20 ms, or now if `refresh`).
  bool SpeedMatches(int index, absl::Duration now, bool refresh)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // The record of an in-flight character, or null if it was trimmed or
  // cleared from the capture.
  CapturedChar* CaptureAt(size_t absolute_index)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void AppendCapture(const CapturedChar& c)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  double Random() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::Status CheckEndpoint(int endpoint, bool allow_any) const;
  void Wake();

  const BusOptions options_;
  Clock* const clock_;
  absl::Duration epoch_;  // clock's monotonic time at start
  std::vector<Endpoint> endpoints_;
  int wake_fd_ = -1;  // eventfd
  std::thread thread_;

  mutable absl::Mutex mutex_;
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;
  hal::SerialSettings line_ ABSL_GUARDED_BY(mutex_);
  std::vector<FaultRule> rules_ ABSL_GUARDED_BY(mutex_);
  double drop_probability_ ABSL_GUARDED_BY(mutex_) = 0;
  double corrupt_probability_ ABSL_GUARDED_BY(mutex_) = 0;
  absl::Duration global_latency_ ABSL_GUARDED_BY(mutex_);
  uint64_t random_state_ ABSL_GUARDED_BY(mutex_);
  std::vector<CapturedChar> capture_ ABSL_GUARDED_BY(mutex_);
  size_t capture_base_ ABSL_GUARDED_BY(mutex_) = 0;  // absolute index of [0]
  BusStats stats_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::lab

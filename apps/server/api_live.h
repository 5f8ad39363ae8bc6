// Live values over a WebSocket (GET /api/v1/live): each poll's new values and
// each device's state changes (online / absent / misconfigured), pushed to the
// logged-in clients and filtered per role. docs/api.md documents the messages.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/acquisition/poller.h"
#include "sdk/acquisition/pulse_meters.h"
#include "sdk/devices/profile.pb.h"
#include "sdk/http/https_server.h"
#include "sdk/security/session/session_manager.h"

namespace ews::server {

class LiveApi {
 public:
  // The session of an upgrade request, or the answer refusing it
  // (SessionApi::Authorize).
  using Authorizer =
      std::function<std::variant<security::SessionInfo, http::Response>(
          const http::Request&)>;

  // At most `max_clients` WebSockets at once (each holds a worker thread);
  // each may have `max_queued` messages waiting before it counts as too slow
  // and is dropped.
  LiveApi(Authorizer authorize, size_t max_clients = 32,
          size_t max_queued = 256);

  // For HttpsServer::WebSocketRoute("/api/v1/live", ...).
  http::WebSocketHandler Handler();

  // One poll of a device (FieldBus::SetPollListener). Never blocks on a
  // client.
  void OnPoll(const acquisition::PollResult& result,
              const devices::v1::Profile& profile);
  // One minute's sample of a pulse counter (PulseInputs::SetSampleListener):
  // its index and rate as values, the counter online.
  void OnPulse(const std::string& counter_id,
               const acquisition::PulseSample& sample);

  // Polls a device faster for a while (FieldBus::Watch): what a client's
  // {"type":"watch","device":ID} asks, for a device its role may see.
  // The watcher polls it every kWatchPeriod for kWatchDuration; a page
  // showing the device asks again before that runs out.
  static constexpr absl::Duration kWatchPeriod = absl::Seconds(2);
  static constexpr absl::Duration kWatchDuration = absl::Seconds(60);
  using Watcher = std::function<absl::Status(const std::string& device)>;
  void SetWatcher(Watcher watcher);

  size_t clients() const;

  // "online", "absent" (no answer: timeout, unreachable) or "misconfigured"
  // (answers, but not as the profile expects: exceptions, decoding errors).
  static const char* StateOf(const absl::Status& status);

 private:
  struct Client {
    std::shared_ptr<http::WebSocket> socket;
    security::Role role;
  };
  struct DeviceState {
    devices::v1::Family family;
    std::string state;
    std::string message;  // the state's JSON message
  };

  void Publish(const acquisition::PollResult& result,
               devices::v1::Family family);
  std::optional<http::Response> Accept(const http::Request& request);
  void Open(std::shared_ptr<http::WebSocket> socket);
  void Closed(http::WebSocket& socket);
  // A client's message: {"type":"watch","device":ID}.
  void Received(http::WebSocket& socket, absl::string_view text);
  // Sends `message` to every client whose role may see a device of `family`.
  void Broadcast(devices::v1::Family family, const std::string& message)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const Authorizer authorize_;
  const size_t max_clients_;
  const size_t max_queued_;
  mutable absl::Mutex mutex_;
  std::vector<Client> clients_ ABSL_GUARDED_BY(mutex_);
  std::map<std::string, DeviceState> states_ ABSL_GUARDED_BY(mutex_);
  Watcher watcher_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::server

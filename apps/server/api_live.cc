#include "apps/server/api_live.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "apps/server/api_common.h"
#include "apps/server/pulse_inputs.h"
#include "sdk/base/log.h"
#include "sdk/security/roles/permissions.h"

namespace ews::server {
namespace {

// Whether `role` may see live data of a device of `family`: everything with
// view_live; EV charging stations also with view_ev_chargers (greenUp).
bool MaySee(security::Role role, devices::v1::Family family) {
  if (security::HasPermission(role, security::Permission::kViewLive)) {
    return true;
  }
  return family == devices::v1::FAMILY_EV_CHARGER &&
         security::HasPermission(role, security::Permission::kViewEvChargers);
}

}  // namespace

const char* LiveApi::StateOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return "online";
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kNotFound:
      return "absent";
    default:
      return "misconfigured";
  }
}

LiveApi::LiveApi(Authorizer authorize, size_t max_clients, size_t max_queued)
    : authorize_(std::move(authorize)),
      max_clients_(max_clients),
      max_queued_(max_queued) {}

http::WebSocketHandler LiveApi::Handler() {
  http::WebSocketHandler handler;
  handler.accept = [this](const http::Request& request) {
    return Accept(request);
  };
  handler.on_open = [this](std::shared_ptr<http::WebSocket> socket) {
    Open(std::move(socket));
  };
  handler.on_close = [this](http::WebSocket& socket) { Closed(socket); };
  handler.max_queued = max_queued_;
  return handler;
}

std::optional<http::Response> LiveApi::Accept(const http::Request& request) {
  // Browsers always send Origin with a WebSocket: another site's page must
  // not ride on the user's cookie (cross-site WebSocket hijacking).
  auto origin = request.headers.find("origin");
  auto host = request.headers.find("host");
  if (origin != request.headers.end() &&
      (host == request.headers.end() ||
       origin->second != "https://" + host->second)) {
    return ApiError(403, "bad_origin",
                    "the WebSocket must be opened from this device's pages");
  }
  std::variant<security::SessionInfo, http::Response> session =
      authorize_(request);
  if (auto* refusal = std::get_if<http::Response>(&session)) return *refusal;
  absl::MutexLock lock(&mutex_);
  if (clients_.size() >= max_clients_) {
    return ApiError(
        503, "too_many_clients",
        absl::StrCat("at most ", max_clients_, " live connections at once"));
  }
  return std::nullopt;
}

void LiveApi::Open(std::shared_ptr<http::WebSocket> socket) {
  std::variant<security::SessionInfo, http::Response> session =
      authorize_(socket->request());
  auto* info = std::get_if<security::SessionInfo>(&session);
  if (info == nullptr) {  // logged out between upgrade and open
    socket->Close(1008, "log in first");
    return;
  }
  absl::MutexLock lock(&mutex_);
  (void)socket->Send(absl::StrCat(R"({"type":"hello","role":")",
                                  security::RoleName(info->role), R"("})"));
  // The current state of every device this role may see, then changes.
  for (const auto& [device, state] : states_) {
    if (MaySee(info->role, state.family)) (void)socket->Send(state.message);
  }
  clients_.push_back({std::move(socket), info->role});
}

void LiveApi::Closed(http::WebSocket& socket) {
  absl::MutexLock lock(&mutex_);
  clients_.erase(std::remove_if(clients_.begin(), clients_.end(),
                                [&socket](const Client& client) {
                                  return client.socket.get() == &socket;
                                }),
                 clients_.end());
}

void LiveApi::Broadcast(devices::v1::Family family,
                        const std::string& message) {
  for (auto it = clients_.begin(); it != clients_.end();) {
    if (!MaySee(it->role, family)) {
      ++it;
      continue;
    }
    if (!it->socket->Send(message).ok()) {
      it = clients_.erase(it);  // dropped (too slow) or closed
    } else {
      ++it;
    }
  }
}

size_t LiveApi::clients() const {
  absl::MutexLock lock(&mutex_);
  return clients_.size();
}

void LiveApi::OnPoll(const acquisition::PollResult& result,
                     const devices::v1::Profile& profile) {
  Publish(result, profile.family());
}

void LiveApi::OnPulse(const std::string& counter_id,
                      const acquisition::PulseSample& sample) {
  acquisition::PollResult result;
  result.device = counter_id;
  result.time = sample.time;
  acquisition::Sample index;
  index.quantity_id = "index";
  index.value = sample.index;
  index.unit = sample.unit;
  acquisition::Sample rate;
  rate.quantity_id = "rate";
  rate.value = sample.rate_per_hour;
  rate.unit = PulseRateUnit(sample.unit);
  result.samples = {index, rate};
  Publish(result, devices::v1::FAMILY_UNSPECIFIED);  // view_live only
}

void LiveApi::Publish(const acquisition::PollResult& result,
                      devices::v1::Family family) {
  const std::string time = IsoUtc(result.time);
  const char* state = StateOf(result.status);
  std::string state_message = absl::StrCat(
      R"({"type":"state","device":)", JsonString(result.device),
      R"(,"state":")", state, R"(","time":")", time, R"(","problem":)",
      result.status.ok() ? "null" : JsonString(result.status.message()), "}");
  std::string values;
  if (result.status.ok()) {
    for (const acquisition::Sample& sample : result.samples) {
      absl::StrAppend(&values, values.empty() ? "" : ",", R"({"quantity":)",
                      JsonString(sample.quantity_id), R"(,"value":)",
                      JsonNumber(sample.value), R"(,"unit":)",
                      JsonString(sample.unit), "}");
    }
  }
  absl::MutexLock lock(&mutex_);
  DeviceState& known = states_[result.device];
  known.family = family;
  if (known.state != state) {
    known.state = state;
    known.message = state_message;
    Broadcast(family, state_message);
  }
  if (result.status.ok()) {
    Broadcast(family, absl::StrCat(R"({"type":"values","device":)",
                                   JsonString(result.device), R"(,"time":")",
                                   time, R"(","values":[)", values, "]}"));
  }
}

}  // namespace ews::server

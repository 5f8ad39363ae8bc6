#include "apps/server/api_live.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "apps/server/api_common.h"
#include "apps/server/api_live.pb.h"
#include "apps/server/pulse_inputs.h"
#include "sdk/base/log.h"
#include "sdk/http/json.h"
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
  handler.on_message = [this](http::WebSocket& socket, absl::string_view text) {
    Received(socket, text);
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
  http::JsonWriter hello;
  hello.BeginObject()
      .Key("type")
      .String("hello")
      .Key("role")
      .String(security::RoleName(info->role))
      .EndObject();
  absl::MutexLock lock(&mutex_);
  (void)socket->Send(hello.Take());
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

void LiveApi::SetWatcher(Watcher watcher) {
  absl::MutexLock lock(&mutex_);
  watcher_ = std::move(watcher);
}

void LiveApi::Received(http::WebSocket& socket, absl::string_view text) {
  auto reply_error = [&socket](absl::string_view device,
                               absl::string_view message) {
    http::JsonWriter json;
    json.BeginObject().Key("type").String("error");
    if (!device.empty()) json.Key("device").String(device);
    json.Key("message").String(message).EndObject();
    (void)socket.Send(json.Take());
  };
  v1::LiveRequest request;
  if (ParseJsonBody(std::string(text), &request).has_value() ||
      request.type() != "watch" || request.device().empty()) {
    reply_error("", "a live message is {\"type\":\"watch\",\"device\":ID}");
    return;
  }
  Watcher watch;
  {
    absl::MutexLock lock(&mutex_);
    auto client = std::find_if(
        clients_.begin(), clients_.end(),
        [&socket](const Client& c) { return c.socket.get() == &socket; });
    auto state = states_.find(request.device());
    // A device the role may not see is as unknown as a missing one.
    if (client == clients_.end() || state == states_.end() ||
        !MaySee(client->role, state->second.family)) {
      reply_error(request.device(),
                  absl::StrCat("no device \"", request.device(), "\""));
      return;
    }
    watch = watcher_;
  }
  absl::Status watching =
      watch ? watch(request.device())
            : absl::UnavailableError("live polling is not available");
  if (!watching.ok()) {
    reply_error(request.device(), watching.message());
    return;
  }
  http::JsonWriter json;
  json.BeginObject()
      .Key("type")
      .String("watching")
      .Key("device")
      .String(request.device())
      .Key("period_s")
      .Number(absl::ToDoubleSeconds(kWatchPeriod))
      .Key("for_s")
      .Number(absl::ToDoubleSeconds(kWatchDuration))
      .EndObject();
  (void)socket.Send(json.Take());
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
  const char* state = StateOf(result.status);
  std::string values;
  if (result.status.ok()) {
    http::JsonWriter json;
    json.BeginObject()
        .Key("type")
        .String("values")
        .Key("device")
        .String(result.device)
        .Key("time")
        .Time(result.time)
        .Key("values")
        .BeginArray();
    for (const acquisition::Sample& sample : result.samples) {
      json.BeginObject()
          .Key("quantity")
          .String(sample.quantity_id)
          .Key("value")
          .Number(sample.value, kApiDigits)
          .Key("unit")
          .String(sample.unit)
          .EndObject();
    }
    json.EndArray().EndObject();
    values = json.Take();
  }
  absl::MutexLock lock(&mutex_);
  DeviceState& known = states_[result.device];
  known.family = family;
  if (known.state != state) {  // only a change is told, so only then written
    http::JsonWriter json;
    json.BeginObject()
        .Key("type")
        .String("state")
        .Key("device")
        .String(result.device)
        .Key("state")
        .String(state)
        .Key("time")
        .Time(result.time)
        .Key("problem");
    if (result.status.ok()) {
      json.Null();
    } else {
      json.String(result.status.message());
    }
    json.EndObject();
    known.state = state;
    known.message = json.Take();
    Broadcast(family, known.message);
  }
  if (!values.empty()) Broadcast(family, values);
}

}  // namespace ews::server

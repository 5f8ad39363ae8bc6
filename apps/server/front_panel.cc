#include "apps/server/front_panel.h"

#include <utility>

#include "sdk/base/log.h"
#include "sdk/http/json.h"

namespace ews::server {

FrontPanel::FrontPanel(Clock& clock, const std::string& net_interface,
                       BoardLeds leds)
    : leds_(std::move(leds.leds)),
      simulated_(leds.simulated),
      indicators_(leds_.get(), &clock),
      net_(&indicators_, {"/sys/class/net", net_interface}) {
  absl::Status started = indicators_.Start();
  if (!started.ok()) EWS_LOG(WARNING) << "front panel: " << started;
  thread_ = std::thread([this] { Run(); });
}

FrontPanel::~FrontPanel() {
  stop_ = true;
  thread_.join();
  (void)indicators_.Stop();
}

hal::SerialPort::TrafficListener FrontPanel::TrafficListener() {
  return [this](hal::TrafficDirection direction, size_t) {
    if (direction == hal::TrafficDirection::kReceive) {
      indicators_.OnRx();
    } else {
      indicators_.OnTx();
    }
  };
}

void FrontPanel::Run() {
  // Blinks need ~10 ms steps; the network counters are read ten times a second.
  for (int tick = 0; !stop_; ++tick) {
    (void)indicators_.Tick();  // failures are counted and logged once inside
    if (tick % 10 == 0) (void)net_.Poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string FrontPanel::Json() {
  http::JsonWriter json;
  json.BeginObject()
      .Key("hardware")
      .String(simulated_ ? "simulated" : "sysfs")
      .Key("leds")
      .BeginArray();
  for (hal::Led led : hal::kAllLeds) {
    absl::StatusOr<bool> on = leds_->Get(led);
    json.BeginObject()
        .Key("name")
        .String(hal::LedName(led))
        .Key("on")
        .Bool(on.ok() && *on);
    if (simulated_ != nullptr) {
      json.Key("blinks").Int(simulated_->TurnOns(led));
    }
    json.EndObject();
  }
  return json.EndArray().EndObject().Take();
}

}  // namespace ews::server

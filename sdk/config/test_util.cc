#include "sdk/config/test_util.h"

#include <cstdlib>
#include <iostream>

#include "google/protobuf/text_format.h"
#include "sdk/config/defaults.h"
#include "sdk/security/credentials.h"

namespace ews::config::testing {
namespace {

constexpr char kRichAdditions[] = R"pb(
  ip_gateways {
    id: "gw1"
    name: "Roof gateway"
    host: "192.168.1.20"
    port: 502
    protocol: GATEWAY_PROTOCOL_MODBUS_TCP
    response_timeout_ms: 1000
  }
  modbus_devices {
    id: "main"
    name: "Main meter"
    location: "Main board"
    profile: "legrand/emdx3-max"
    address: 1
    rs485 {}
  }
  modbus_devices {
    id: "hvac"
    name: "HVAC"
    profile: "legrand/emdx3"
    address: 2
    rs485 {}
    poll_interval_s: 10
  }
  modbus_devices {
    id: "pv"
    name: "PV inverter"
    profile: "generic/sunspec"
    address: 1
    ip_gateway { gateway_id: "gw1" }
  }
  pulse_counters {
    id: "water"
    name: "Water"
    input: 1
    kind: PULSE_KIND_WATER
    quantity_per_pulse: 10
    unit: PULSE_UNIT_LITRE
  }
  pulse_counters {
    id: "gas"
    name: "Gas"
    input: 2
    kind: PULSE_KIND_GAS
    quantity_per_pulse: 0.01
    unit: PULSE_UNIT_CUBIC_METRE
    min_pulse_width_ms: 50
  }
  consumption_tree {
    boards {
      id: "main"
      name: "Main board"
      groups {
        id: "lighting"
        name: "Lighting"
        members { modbus { device_id: "main" quantity_id: "Ea+" } }
      }
      groups {
        id: "utilities"
        name: "Utilities"
        members { pulse_counter_id: "water" }
        members { pulse_counter_id: "gas" }
      }
    }
    boards {
      id: "annex"
      name: "Annex board"
      parent_board_id: "main"
      groups {
        id: "hvac"
        name: "HVAC"
        members { modbus { device_id: "hvac" quantity_id: "Ea+" } }
        members { modbus { device_id: "pv" quantity_id: "Ea-" } }
      }
    }
  }
  tariffs {
    id: "electricity"
    name: "Electricity"
    quantity: TARIFF_QUANTITY_ELECTRICITY
    currency: "EUR"
    bands {
      name: "peak"
      weekday_mask: 31
      start_minute: 360
      end_minute: 1320
      price_per_unit: 0.27
    }
    bands {
      name: "off-peak"
      weekday_mask: 127
      start_minute: 1320
      end_minute: 360
      price_per_unit: 0.2
    }
    bands {
      name: "weekend"
      weekday_mask: 96
      start_minute: 360
      end_minute: 1320
      price_per_unit: 0.2
    }
  }
  reports {
    email {
      from_address: "ews@example.com"
      smtp { host: "smtp.example.com" username: "ews" password: "smtp-secret" }
    }
    list {
      name: "daily-site"
      enabled: true
      period: PERIOD_DAILY
      send_at_minute: 360
      language: REPORT_LANGUAGE_FRENCH
      devices: "main"
      devices: "water"
      recipients: "energy@example.com"
    }
  }
)pb";

v1::DeviceConfig MustFactory() {
  DefaultConfigOptions options;
  options.model_size = v1::MODEL_32;
  options.serial = "EWS-TEST-1";
  options.hash_iterations = security::kMinIterations;
  absl::StatusOr<v1::DeviceConfig> config = DefaultConfig(options);
  if (!config.ok()) {
    std::cerr << "DefaultConfig failed: " << config.status() << "\n";
    std::abort();
  }
  return *config;
}

}  // namespace

const v1::DeviceConfig& FactoryConfig() {
  static const v1::DeviceConfig* const config =
      new v1::DeviceConfig(MustFactory());
  return *config;
}

const v1::DeviceConfig& RichConfig() {
  static const v1::DeviceConfig* const config = [] {
    auto* c = new v1::DeviceConfig(FactoryConfig());
    v1::DeviceConfig additions;
    if (!google::protobuf::TextFormat::ParseFromString(kRichAdditions,
                                                       &additions)) {
      std::cerr << "kRichAdditions does not parse\n";
      std::abort();
    }
    c->MergeFrom(additions);
    return c;
  }();
  return *config;
}

}  // namespace ews::config::testing

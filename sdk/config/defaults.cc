#include "sdk/config/defaults.h"

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/text_format.h"
#include "sdk/base/status_macros.h"
#include "sdk/config/users.h"
#include "sdk/config/validate.h"

namespace ews::config {

const char kFactoryConfigText[] = R"pb(
  schema_version: 1
  site { name: "EWS" }
  network {
    hostname: "ews"
    static_ipv4 {
      address: "192.168.1.100"
      netmask: "255.255.255.0"
      gateway: "192.168.1.1"
    }
    dns_servers: "192.168.1.1"
    ntp_servers: "pool.ntp.org"
    time_zone: "UTC"
  }
  web {
    https_port: 443
    http_redirect_port: 80
    bind_address: "0.0.0.0"
    session_timeout_s: 900
  }
  rs485 {
    device: "/dev/ttyRS485"
    baud_rate: 19200
    parity: PARITY_EVEN
    stop_bits: STOP_BITS_ONE
    response_timeout_ms: 300
    inter_frame_delay_ms: 0
    retries: 1
    absent_after_misses: 3
    absent_probe_interval_s: 10
  }
  modbus_tcp_server {
    enabled: true
    port: 502
    max_connections: 64
    idle_timeout_s: 60
    bind_address: "0.0.0.0"
    request_timeout_ms: 1000
    broadcast_reply: false
  }
  data_access {
    ftp {
      enabled: false
      port: 21
      passive_port_min: 50000
      passive_port_max: 50019
      allow_plain_ftp: false
      max_connections: 8
      idle_timeout_s: 300
      transfer_timeout_s: 1800
    }
    webdav_enabled: true
  }
  storage {
    minute_tier_days: 60
    hour_tier_days: 1095
    non_counter_budget_bytes: 268435456
  }
  reports {
    email { smtp { port: 587 tls_mode: TLS_MODE_STARTTLS } }
    ftp {
      protocol: FTP_PROTOCOL_FTP
      port: 21
      tls_mode: TLS_MODE_STARTTLS
      remote_directory: "/"
    }
    network_drive { protocol: SHARE_PROTOCOL_WEBDAV }
  }
)pb";

v1::DeviceConfig FactorySettingsWithoutUsers() {
  v1::DeviceConfig config;
  // The text is a compile-time constant covered by defaults_test; a parse
  // failure is a programming error.
  if (!google::protobuf::TextFormat::ParseFromString(kFactoryConfigText,
                                                     &config)) {
    config.Clear();
  }
  return config;
}

absl::StatusOr<v1::DeviceConfig> DefaultConfig(
    const DefaultConfigOptions& options) {
  if (options.model_size == v1::MODEL_SIZE_UNSPECIFIED ||
      !v1::ModelSize_IsValid(options.model_size)) {
    return absl::InvalidArgumentError(
        "model_size must be MODEL_10 or MODEL_32");
  }
  v1::DeviceConfig config = FactorySettingsWithoutUsers();
  if (config.schema_version() != kSchemaVersion) {
    return absl::InternalError("factory configuration text does not parse");
  }
  config.set_model_size(options.model_size);
  config.mutable_site()->set_serial(options.serial);
  for (const FactoryCode& code : kFactoryCodes) {
    EWS_ASSIGN_OR_RETURN(
        *config.add_users(),
        MakeUser(code.role, code.pin, code.puk, options.hash_iterations));
  }
  EWS_RETURN_IF_ERROR(Validate(config));
  return config;
}

bool HasFactoryCodes(const v1::DeviceConfig& config, v1::Role role) {
  for (const FactoryCode& code : kFactoryCodes) {
    if (code.role != role) continue;
    return CheckPin(config, role, code.pin) || CheckPuk(config, role, code.puk);
  }
  return false;
}

}  // namespace ews::config

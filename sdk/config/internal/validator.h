// The configuration validator, shared by the validate_*.cc files: one file
// per configuration section (network and web; field bus; consumption tree and
// tariffs; users, storage and reports). Not part of the public API: use
// FindErrors() / Validate() from sdk/config/validate.h.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "sdk/config/config.pb.h"
#include "sdk/config/internal/string_checks.h"
#include "sdk/config/validate.h"

namespace ews::config::internal {

inline constexpr int kMaxNameChars = 64;
inline constexpr int kMaxLocationChars = 128;
inline constexpr int kMaxReports = 20;

class Validator {
 public:
  explicit Validator(const v1::DeviceConfig& config) : config_(config) {}

  std::vector<FieldError> Run() && {
    CheckSchemaVersion();
    CheckSite();
    CheckModelSize();
    CheckNetwork();
    CheckWeb();
    CheckRs485();
    CheckModbusTcpServer();
    CheckIpGateways();
    CheckGatewayRoutes();
    CheckModbusDevices();
    CheckPulseCounters();
    CheckCapacity();
    CheckConsumptionTree();
    CheckTariffs();
    CheckUsers();
    CheckStorage();
    CheckDataAccess();
    CheckReports();
    CheckNameResolution();
    return std::move(errors_);
  }

 private:
  // ------------------------------------------------------------ helpers

  template <typename... Args>
  void Error(std::string field, const Args&... message) {
    errors_.push_back({std::move(field), absl::StrCat(message...)});
  }

  // Range check on an unsigned field.
  void Range(const std::string& field, uint64_t value, uint64_t low,
             uint64_t high, absl::string_view unit = "") {
    if (value < low || value > high) {
      Error(field, value, unit, " is outside ", low, "..", high, unit);
    }
  }

  void Port(const std::string& field, uint32_t port) {
    Range(field, port, 1, 65535);
  }

  // A printable display string of 1..max_chars (or 0..max_chars).
  void Text(const std::string& field, absl::string_view value, int max_chars,
            bool required) {
    if (value.empty()) {
      if (required) Error(field, "must not be empty");
      return;
    }
    if (HasControlChars(value)) {
      Error(field, Quote(value), " contains control characters");
    } else if (CodePoints(value) > max_chars) {
      Error(field, "is ", CodePoints(value), " characters long, at most ",
            max_chars, " allowed");
    }
  }

  void Name(const std::string& field, absl::string_view value) {
    Text(field, value, kMaxNameChars, /*required=*/true);
  }

  void Id(const std::string& field, absl::string_view value) {
    if (!IsId(value)) {
      Error(field, Quote(value), " is not an id (1..", kMaxIdChars,
            " of [a-z0-9_-], starting with a letter or digit)");
    }
  }

  // `value` must be a named value of the enum other than 0.
  template <typename IsValid, typename NameOf>
  void Enum(const std::string& field, int value, IsValid is_valid,
            NameOf name_of) {
    if (value == 0) {
      Error(field, "must be set (", name_of(value), " is not a valid choice)");
    } else if (!is_valid(value)) {
      Error(field, value, " is not a known value");
    }
  }

  // For disabled sections: 0 is fine, unknown values are not.
  template <typename IsValid>
  void EnumOrUnset(const std::string& field, int value, IsValid is_valid) {
    if (!is_valid(value)) Error(field, value, " is not a known value");
  }

  void Host(const std::string& field, absl::string_view value) {
    if (value.empty()) {
      Error(field, "must not be empty");
    } else if (!IsHost(value)) {
      Error(field, Quote(value), " is not a host name or IP address");
    }
  }

  // ----------------------------------------------------------- sections

  // identity and capacity (validate.cc)
  void CheckSchemaVersion();
  void CheckSite();
  void CheckModelSize();
  void CheckCapacity();

  // network and web (validate_network.cc)
  void CheckNetwork();
  void CheckStaticIpv4(const v1::StaticIpv4& ip);
  void CheckWeb();
  // An IP literal; with a static address an IPv4 one must be 0.0.0.0,
  // loopback or the box's own address.
  void BindAddress(const std::string& field, const std::string& address);
  // With a static address and no DNS server, host names cannot resolve.
  void CheckNameResolution();

  // field bus (validate_field_bus.cc)
  void CheckRs485();
  // 0 = the default, else in range (rs485 and ip_gateways[]).
  void AbsentUnits(const std::string& at, uint32_t misses,
                   uint32_t probe_interval_s);
  void CheckModbusTcpServer();
  // Needs gateway_ids_ (CheckIpGateways).
  void CheckGatewayRoutes();
  void CheckIpGateways();
  // Ids and names are shared by Modbus devices and pulse counters.
  void ClaimIdAndName(const std::string& at, absl::string_view id,
                      absl::string_view name);
  void CheckModbusDevices();
  void CheckPulseCounters();

  // consumption tree and tariffs (validate_consumption.cc)
  void CheckConsumptionTree();
  void CheckMember(const std::string& at, const v1::MeterRef& ref,
                   std::map<std::string, std::string>& counted);
  void CheckTariffs();
  void CheckBand(const std::string& at, int index, const v1::TimeBand& band,
                 std::vector<int>& owner);

  // users, storage and reports (validate_users_reports.cc)
  void CheckHashedCode(const std::string& at, const v1::HashedCode& code);
  void CheckUsers();
  void CheckStorage();
  void CheckDataAccess();
  void CheckCredentials(const std::string& at, absl::string_view username,
                        absl::string_view password);
  void CheckReports();
  void CheckLegacyReports();
  void CheckReport(const std::string& at, const v1::Report& report,
                   std::map<std::string, int>& names);
  void CheckEmailServer();
  void CheckFtpServer();
  void CheckNetworkDrive();
  void CheckShareUrl(const v1::NetworkDrive& drive);
  // Whether an enabled report e-mails / deposits on the FTP server / on the
  // network drive (the server's settings are then checked fully).
  bool ReportsUse(bool (*uses)(const v1::Report&)) const;
  bool ReportsUseEmail() const;
  bool ReportsUseFtp() const;
  bool ReportsUseNetworkDrive() const;

  const v1::DeviceConfig& config_;
  std::vector<FieldError> errors_;
  std::map<std::string, int> gateway_ids_;
  std::map<std::string, int> gateway_endpoints_;
  std::map<std::string, std::string> meter_ids_;
  std::map<std::string, std::string> meter_names_;
};

}  // namespace ews::config::internal

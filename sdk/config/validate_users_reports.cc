// Validation of the users, the storage tiers, data access (the FTP server) and
// the reports (the list of reports; the e-mail, FTP and network drive servers
// they use).
#include <cmath>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "sdk/config/internal/validator.h"
#include "sdk/security/credentials.h"

namespace ews::config::internal {

void Validator::CheckHashedCode(const std::string& at,
                                const v1::HashedCode& code) {
  Enum(at + ".algorithm", code.algorithm(), v1::HashAlgorithm_IsValid,
       [](int v) { return v1::HashAlgorithm_Name(v); });
  Range(at + ".iterations", code.iterations(), security::kMinIterations,
        security::kMaxIterations);
  if (code.salt().size() < security::kSaltBytes) {
    Error(at + ".salt", "is ", code.salt().size(), " bytes, at least ",
          security::kSaltBytes, " needed");
  }
  if (code.hash().size() != security::kHashBytes) {
    Error(at + ".hash", "is ", code.hash().size(), " bytes, ",
          security::kHashBytes, " expected");
  }
}

void Validator::CheckUsers() {
  std::map<int, int> roles;
  for (int i = 0; i < config_.users_size(); ++i) {
    const v1::User& user = config_.users(i);
    std::string at = absl::StrCat("users[", i, "]");
    Enum(at + ".role", user.role(), v1::Role_IsValid,
         [](int v) { return v1::Role_Name(v); });
    if (user.role() != v1::ROLE_UNSPECIFIED) {
      auto [it, inserted] = roles.emplace(user.role(), i);
      if (!inserted) {
        Error(at + ".role",
              v1::Role_IsValid(user.role()) ? v1::Role_Name(user.role())
                                            : absl::StrCat(user.role()),
              " is also users[", it->second, "].role");
      }
    }
    if (!user.has_pin()) {
      Error(at + ".pin", "must be set (a hashed 5-digit code)");
    } else {
      CheckHashedCode(at + ".pin", user.pin());
    }
    if (!user.has_puk()) {
      Error(at + ".puk", "must be set (a hashed 14-digit code)");
    } else {
      CheckHashedCode(at + ".puk", user.puk());
    }
  }
  for (v1::Role role : {v1::ROLE_ADMINISTRATOR, v1::ROLE_GREENUP,
                        v1::ROLE_INSTALLER, v1::ROLE_USER}) {
    if (roles.count(role) == 0) {
      Error("users", "no user has role ", v1::Role_Name(role),
            " (exactly one user per role)");
    }
  }
}

void Validator::CheckStorage() {
  const v1::Storage& s = config_.storage();
  Range("storage.minute_tier_days", s.minute_tier_days(), 1, 3650, " days");
  if (s.hour_tier_days() < s.minute_tier_days() || s.hour_tier_days() > 36500) {
    Error("storage.hour_tier_days", s.hour_tier_days(),
          " days is outside storage.minute_tier_days (", s.minute_tier_days(),
          ")..36500");
  }
  Range("storage.non_counter_budget_bytes", s.non_counter_budget_bytes(),
        uint64_t{1} << 20, uint64_t{1} << 40, " bytes");
  if (s.commit_interval_s() != 0) {
    Range("storage.commit_interval_s", s.commit_interval_s(), 10, 3600, " s");
  }
}

void Validator::CheckDataAccess() {
  // Absent in files written before it existed: the server uses the factory
  // values (off).
  if (!config_.has_data_access()) return;
  const v1::FtpServer& ftp = config_.data_access().ftp();
  Range("data_access.ftp.port", ftp.port(), 1, 65535);
  Range("data_access.ftp.passive_port_min", ftp.passive_port_min(), 1024,
        65535);
  Range("data_access.ftp.passive_port_max", ftp.passive_port_max(), 1024,
        65535);
  if (ftp.passive_port_max() < ftp.passive_port_min() ||
      ftp.passive_port_max() - ftp.passive_port_min() >= 1000) {
    Error("data_access.ftp.passive_port_max", ftp.passive_port_max(),
          " must be within passive_port_min (", ftp.passive_port_min(),
          ") .. passive_port_min + 999");
  } else if (ftp.port() >= ftp.passive_port_min() &&
             ftp.port() <= ftp.passive_port_max()) {
    Error("data_access.ftp.port", ftp.port(),
          " is inside the passive port range");
  }
  if (ftp.enabled() && (ftp.port() == config_.web().https_port() ||
                        ftp.port() == config_.web().http_redirect_port() ||
                        (config_.modbus_tcp_server().enabled() &&
                         ftp.port() == config_.modbus_tcp_server().port()))) {
    Error("data_access.ftp.port", ftp.port(),
          " is already used by HTTPS, the HTTP redirect or Modbus TCP");
  }
  Range("data_access.ftp.max_connections", ftp.max_connections(), 1, 64);
  Range("data_access.ftp.idle_timeout_s", ftp.idle_timeout_s(), 10, 3600, " s");
  Range("data_access.ftp.transfer_timeout_s", ftp.transfer_timeout_s(), 10,
        86400, " s");
}

void Validator::CheckCredentials(const std::string& at,
                                 absl::string_view username,
                                 absl::string_view password) {
  Text(at + ".username", username, 128, /*required=*/false);
  if (HasControlChars(password) || password.size() > 128) {
    Error(at + ".password",
          "must be at most 128 bytes without control characters");
  } else if (!password.empty() && username.empty()) {
    Error(at + ".password", "is set but " + at + ".username is empty");
  }
}

bool Validator::ReportsUse(bool (*uses)(const v1::Report&)) const {
  for (const v1::Report& report : config_.reports().list()) {
    if (report.enabled() && uses(report)) return true;
  }
  return false;
}

bool Validator::ReportsUseEmail() const {
  return ReportsUse(
      [](const v1::Report& r) { return r.recipients_size() > 0; });
}

bool Validator::ReportsUseFtp() const {
  return ReportsUse([](const v1::Report& r) { return r.deposit_ftp(); });
}

bool Validator::ReportsUseNetworkDrive() const {
  return ReportsUse(
      [](const v1::Report& r) { return r.deposit_network_drive(); });
}

void Validator::CheckReports() {
  const v1::Reports& reports = config_.reports();
  CheckLegacyReports();
  if (reports.list_size() > kMaxReports) {
    Error("reports.list", reports.list_size(), " reports, at most ",
          kMaxReports, " allowed");
  }
  std::map<std::string, int> names;
  for (int i = 0; i < reports.list_size(); ++i) {
    CheckReport(absl::StrCat("reports.list[", i, "]"), reports.list(i), names);
  }
  CheckEmailServer();
  CheckFtpServer();
  CheckNetworkDrive();
}

void Validator::CheckLegacyReports() {
  // FromText()/FromJson() move these into `list`; a configuration built in
  // code must not set them.
  const v1::Reports& reports = config_.reports();
  const std::string moved = "moved to reports.list (must be unset)";
  const v1::EmailReports& email = reports.email();
  if (email.enabled()) Error("reports.email.enabled", moved);
  if (email.recipients_size() > 0) Error("reports.email.recipients", moved);
  if (email.period() != 0) Error("reports.email.period", moved);
  if (email.send_at_minute() != 0) {
    Error("reports.email.send_at_minute", moved);
  }
  if (reports.ftp().enabled()) Error("reports.ftp.enabled", moved);
  if (reports.ftp().period() != 0) Error("reports.ftp.period", moved);
  if (reports.network_drive().enabled()) {
    Error("reports.network_drive.enabled", moved);
  }
  if (reports.network_drive().period() != 0) {
    Error("reports.network_drive.period", moved);
  }
}

void Validator::CheckReport(const std::string& at, const v1::Report& report,
                            std::map<std::string, int>& names) {
  Id(at + ".name", report.name());
  if (!report.name().empty()) {
    auto [it, inserted] = names.emplace(report.name(), 0);
    if (!inserted) {
      Error(at + ".name", Quote(report.name()),
            " is the name of another report");
    }
  }
  Range(at + ".send_at_minute", report.send_at_minute(), 0, 1439);
  if (!report.enabled()) {
    EnumOrUnset(at + ".period", report.period(), v1::Period_IsValid);
    EnumOrUnset(at + ".language", report.language(),
                v1::ReportLanguage_IsValid);
    return;
  }
  Enum(at + ".period", report.period(), v1::Period_IsValid,
       [](int v) { return v1::Period_Name(v); });
  if (report.period() == v1::PERIOD_HOURLY) {
    Error(at + ".period",
          "PERIOD_HOURLY is not offered for reports (DAILY, WEEKLY or "
          "MONTHLY)");
  }
  Enum(at + ".language", report.language(), v1::ReportLanguage_IsValid,
       [](int v) { return v1::ReportLanguage_Name(v); });
  std::set<std::string> devices;
  for (int i = 0; i < report.devices_size(); ++i) {
    const std::string& id = report.devices(i);
    const std::string field = absl::StrCat(at, ".devices[", i, "]");
    if (meter_ids_.count(id) == 0) {
      Error(field, Quote(id),
            " is not the id of a Modbus device or pulse counter");
    } else if (!devices.insert(id).second) {
      Error(field, Quote(id), " is listed twice");
    }
  }
  if (report.recipients_size() > 10) {
    Error(at + ".recipients", report.recipients_size(),
          " recipients given, at most 10");
  }
  for (int i = 0; i < report.recipients_size(); ++i) {
    if (!IsEmail(report.recipients(i))) {
      Error(absl::StrCat(at, ".recipients[", i, "]"),
            Quote(report.recipients(i)), " is not an e-mail address");
    }
  }
  if (report.recipients_size() == 0 && !report.deposit_ftp() &&
      !report.deposit_network_drive()) {
    Error(at + ".recipients",
          "no recipient and no deposit: the report would go nowhere");
  }
}

void Validator::CheckEmailServer() {
  const v1::EmailReports& email = config_.reports().email();
  if (!ReportsUseEmail()) {
    EnumOrUnset("reports.email.smtp.tls_mode", email.smtp().tls_mode(),
                v1::TlsMode_IsValid);
    return;
  }
  Host("reports.email.smtp.host", email.smtp().host());
  Port("reports.email.smtp.port", email.smtp().port());
  Enum("reports.email.smtp.tls_mode", email.smtp().tls_mode(),
       v1::TlsMode_IsValid, [](int v) { return v1::TlsMode_Name(v); });
  CheckCredentials("reports.email.smtp", email.smtp().username(),
                   email.smtp().password());
  if (!IsEmail(email.from_address())) {
    Error("reports.email.from_address", Quote(email.from_address()),
          " is not an e-mail address");
  }
}

void Validator::CheckFtpServer() {
  const v1::FtpExport& ftp = config_.reports().ftp();
  if (!ReportsUseFtp()) {
    EnumOrUnset("reports.ftp.protocol", ftp.protocol(),
                v1::FtpProtocol_IsValid);
    EnumOrUnset("reports.ftp.tls_mode", ftp.tls_mode(), v1::TlsMode_IsValid);
    return;
  }
  Enum("reports.ftp.protocol", ftp.protocol(), v1::FtpProtocol_IsValid,
       [](int v) { return v1::FtpProtocol_Name(v); });
  Host("reports.ftp.host", ftp.host());
  Port("reports.ftp.port", ftp.port());
  Enum("reports.ftp.tls_mode", ftp.tls_mode(), v1::TlsMode_IsValid,
       [](int v) { return v1::TlsMode_Name(v); });
  if (ftp.protocol() == v1::FTP_PROTOCOL_SFTP &&
      ftp.tls_mode() != v1::TLS_MODE_NONE &&
      ftp.tls_mode() != v1::TLS_MODE_UNSPECIFIED) {
    Error("reports.ftp.tls_mode",
          "must be TLS_MODE_NONE with FTP_PROTOCOL_SFTP (SSH encrypts)");
  }
  CheckCredentials("reports.ftp", ftp.username(), ftp.password());
  if (!IsAbsolutePath(ftp.remote_directory())) {
    Error("reports.ftp.remote_directory", Quote(ftp.remote_directory()),
          " is not an absolute path without \"..\"");
  }
}

void Validator::CheckNetworkDrive() {
  const v1::NetworkDrive& drive = config_.reports().network_drive();
  if (!ReportsUseNetworkDrive()) {
    EnumOrUnset("reports.network_drive.protocol", drive.protocol(),
                v1::ShareProtocol_IsValid);
    return;
  }
  Enum("reports.network_drive.protocol", drive.protocol(),
       v1::ShareProtocol_IsValid,
       [](int v) { return v1::ShareProtocol_Name(v); });
  CheckShareUrl(drive);
  CheckCredentials("reports.network_drive", drive.username(), drive.password());
  if (!drive.domain().empty()) {
    if (drive.protocol() != v1::SHARE_PROTOCOL_SMB) {
      Error("reports.network_drive.domain", "is only used with SMB");
    } else {
      Text("reports.network_drive.domain", drive.domain(), 64,
           /*required=*/false);
    }
  }
  if (!drive.remote_directory().empty() &&
      !IsRelativePath(drive.remote_directory())) {
    Error("reports.network_drive.remote_directory",
          Quote(drive.remote_directory()),
          " is not a relative path inside the share (no leading '/', "
          "no \"..\")");
  }
}

void Validator::CheckShareUrl(const v1::NetworkDrive& drive) {
  const std::string field = "reports.network_drive.url";
  absl::string_view url = drive.url();
  if (drive.protocol() == v1::SHARE_PROTOCOL_SMB) {
    // //server/share[/path]
    std::vector<absl::string_view> parts = absl::StrSplit(url, '/');
    if (!absl::StartsWith(url, "//") || parts.size() < 4 || !IsHost(parts[2]) ||
        parts[3].empty() || HasControlChars(url)) {
      Error(field, Quote(url), " is not an SMB share (\"//server/share\")");
    }
  } else if (drive.protocol() == v1::SHARE_PROTOCOL_WEBDAV) {
    absl::string_view rest = url;
    if (!absl::ConsumePrefix(&rest, "https://") &&
        !absl::ConsumePrefix(&rest, "http://")) {
      Error(field, Quote(url),
            " is not a WebDAV URL (\"https://server/path\")");
      return;
    }
    absl::string_view authority = rest.substr(0, rest.find('/'));
    absl::string_view host = authority;
    size_t colon = authority.rfind(':');
    if (colon != absl::string_view::npos && !absl::StartsWith(authority, "[")) {
      host = authority.substr(0, colon);
      int port = 0;
      if (!absl::SimpleAtoi(authority.substr(colon + 1), &port) || port < 1 ||
          port > 65535) {
        Error(field, Quote(url), " has a bad port");
        return;
      }
    }
    if (!IsHost(host) || HasControlChars(url)) {
      Error(field, Quote(url),
            " is not a WebDAV URL (\"https://server/path\")");
    }
  }
}

}  // namespace ews::config::internal

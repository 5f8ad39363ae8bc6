#include "apps/server/api_system.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "apps/server/api_common.h"
#include "apps/server/api_system.pb.h"
#include "sdk/base/files.h"
#include "sdk/http/json.h"
#include "sdk/security/tls/certificate.h"

namespace ews::server {
namespace {

constexpr size_t kMaxPemBytes = 64 * 1024;

std::string Iso(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

const char* SourceName(hal::TimeKeeper::Source source) {
  switch (source) {
    case hal::TimeKeeper::Source::kRtc:
      return "rtc";
    case hal::TimeKeeper::Source::kNtp:
      return "ntp";
    case hal::TimeKeeper::Source::kUser:
      return "user";
  }
  return "rtc";
}

// A problem in words, null when there is none.
void WriteStatus(const absl::Status& status, http::JsonWriter& json) {
  if (status.ok()) {
    json.Null();
  } else {
    json.String(status.ToString());
  }
}

void WriteCertificate(const security::CertificateInfo& info,
                      http::JsonWriter& json) {
  json.BeginObject()
      .Key("subject")
      .String(info.subject)
      .Key("sha256_fingerprint")
      .String(info.sha256_fingerprint)
      .Key("not_before")
      .Time(info.not_before)
      .Key("not_after")
      .Time(info.not_after)
      .Key("key_type")
      .String(info.key_type)
      .EndObject();
}

// A sysfs attribute of a network interface, trimmed ("" when unreadable).
std::string NetAttribute(const std::string& interface,
                         const std::string& name) {
  absl::StatusOr<std::string> text =
      ReadFileToString("/sys/class/net/" + interface + "/" + name, 256);
  return text.ok() ? std::string(absl::StripAsciiWhitespace(*text)) : "";
}

}  // namespace

void RecentLogSink::Write(const log::Entry& entry) {
  if (next_ != nullptr) next_->Write(entry);
  Line line{Iso(clock_.WallNow()), entry.level,
            absl::StrCat(entry.file, ":", entry.line), entry.message};
  absl::MutexLock lock(&mutex_);
  lines_.push_back(std::move(line));
  while (lines_.size() > capacity_) lines_.pop_front();
}

std::vector<RecentLogSink::Line> RecentLogSink::Recent(
    size_t limit, log::Level at_least) const {
  std::vector<Line> out;
  absl::MutexLock lock(&mutex_);
  for (auto it = lines_.rbegin(); it != lines_.rend() && out.size() < limit;
       ++it) {
    if (it->level >= at_least) out.push_back(*it);
  }
  return {out.rbegin(), out.rend()};
}

SystemApi::SystemApi(SystemApiOptions options, Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

std::vector<ApiRoute> SystemApi::Routes() const {
  auto bind = [this](auto method) { return BindRoute(this, method); };
  return {
      {"GET", "/api/v1/system/version", bind(&SystemApi::Version)},
      {"GET", "/api/v1/system/time", bind(&SystemApi::GetTime)},
      {"PUT", "/api/v1/system/time", bind(&SystemApi::SetTime)},
      {"GET", "/api/v1/system/ntp", bind(&SystemApi::Ntp)},
      {"GET", "/api/v1/system/network", bind(&SystemApi::Network)},
      {"GET", "/api/v1/system/logs", bind(&SystemApi::Logs)},
      {"POST", "/api/v1/system/restart", bind(&SystemApi::Restart)},
      {"GET", "/api/v1/system/certificate", bind(&SystemApi::Certificate)},
      {"PUT", "/api/v1/system/certificate",
       bind(&SystemApi::UploadCertificate)},
      {"GET", "/api/v1/system/ca-certificate", bind(&SystemApi::CaCertificate)},
  };
}

http::Response SystemApi::Version(const http::Request&) const {
  http::JsonWriter json;
  json.BeginObject()
      .Key("version")
      .String(options_.version)
      .Key("model_size")
      .Raw(options_.model_size)  // 10, 32 or null
      .Key("api")
      .String("v1")
      .EndObject();
  return http::Response::Json(200, json.Take());
}

http::Response SystemApi::GetTime(const http::Request&) const {
  const absl::TimeZone zone = options_.time_zone;
  const absl::Time now = clock_.WallNow();
  const bool valid =
      options_.keeper != nullptr && options_.keeper->time_valid();
  // The battery is suspect when the RTC had no valid time at start, even if
  // the time has been set since: the next power cut loses it again.
  const bool battery_warning = !options_.rtc_problem.ok();
  http::JsonWriter json;
  json.BeginObject()
      .Key("time")
      .Time(now)
      .Key("local")
      .String(IsoLocal(now, zone))
      .Key("time_zone")
      .String(zone.name())
      .Key("valid")
      .Bool(valid)
      .Key("source")
      .String(options_.keeper != nullptr
                  ? SourceName(options_.keeper->last_source())
                  : "none")
      .Key("rtc")
      .BeginObject()
      .Key("kind")
      .String(options_.rtc_kind)
      .Key("battery_warning")
      .Bool(battery_warning)
      .Key("problem");
  WriteStatus(options_.rtc_problem, json);
  json.EndObject().EndObject();
  return http::Response::Json(200, json.Take());
}

http::Response SystemApi::SetTime(const http::Request& request) const {
  v1::SetTimeRequest body;
  if (auto error = ParseJsonBody(request.body, &body)) return *error;
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, body.time(), &time, &error)) {
    return ApiError(400, "invalid_argument",
                    "time must be RFC 3339, e.g. 2026-12-07T12:00:00Z");
  }
  if (options_.keeper == nullptr) {
    return ApiError(409, "no_rtc", "the device has no clock to set");
  }
  const absl::Time before = clock_.WallNow();
  absl::Status set =
      options_.keeper->SetTime(time, hal::TimeKeeper::Source::kUser);
  if (!set.ok() && !options_.keeper->time_valid()) return ApiError(set);
  EWS_LOG(WARNING)
      << "time set by hand from "
      << absl::FormatTime(absl::RFC3339_sec, before, absl::UTCTimeZone())
      << " to "
      << absl::FormatTime(absl::RFC3339_sec, time, absl::UTCTimeZone())
      << (set.ok() ? "" : absl::StrCat(" (RTC: ", set.ToString(), ")"));
  http::JsonWriter json;
  json.BeginObject()
      .Key("time")
      .Time(clock_.WallNow())
      .Key("previous")
      .Time(before)
      .Key("rtc_written")
      .Bool(set.ok())
      .EndObject();
  return http::Response::Json(200, json.Take());
}

http::Response SystemApi::Ntp(const http::Request&) const {
  http::JsonWriter json;
  json.BeginObject();
  if (options_.ntp == nullptr) {
    json.Key("enabled")
        .Bool(false)
        .Key("reason")
        .String(options_.ntp_disabled_reason)
        .Key("servers")
        .BeginArray()
        .EndArray()
        .EndObject();
    return http::Response::Json(200, json.Take());
  }
  const ntp::NtpStatus status = options_.ntp->Status();
  json.Key("enabled").Bool(true).Key("servers").BeginArray();
  for (const ntp::NtpServerStatus& server : status.servers) {
    json.BeginObject()
        .Key("server")
        .String(server.server)
        .Key("reach")
        .Int(server.reach)
        .Key("dropped")
        .Bool(server.dropped)
        .Key("last_result");
    WriteStatus(server.last_result, json);
    json.Key("offset_ms");
    if (server.last_sample.has_value()) {
      json.Number(absl::ToDoubleMilliseconds(server.last_sample->offset),
                  kApiDigits)
          .Key("delay_ms")
          .Number(absl::ToDoubleMilliseconds(server.last_sample->delay),
                  kApiDigits);
    } else {
      json.Null().Key("delay_ms").Null();
    }
    json.EndObject();
  }
  json.EndArray().Key("last_round");
  if (status.last_round.ok()) {
    json.String("ok");
  } else {
    WriteStatus(status.last_round, json);
  }
  json.Key("last_sync");
  if (status.last_sync.has_value()) {
    json.Time(*status.last_sync);
  } else {
    json.Null();
  }
  json.Key("last_offset_ms")
      .Number(absl::ToDoubleMilliseconds(status.last_offset), kApiDigits)
      .Key("last_round_stepped")
      .Bool(status.last_round_stepped)
      .Key("poll_interval_s")
      .Int(absl::ToInt64Seconds(status.poll_interval))
      .EndObject();
  return http::Response::Json(200, json.Take());
}

namespace {

struct NetworkInterface {
  bool up = false;
  bool running = false;
  bool loopback = false;
  std::vector<std::string> addresses;  // "192.168.1.10/24", "fe80::1/64"
};

// The number of bits set in the netmask of `a` (an IPv4 or IPv6 address);
// 0 when it has none.
int PrefixLength(const ifaddrs& a) {
  if (a.ifa_netmask == nullptr) return 0;
  const auto* bytes =
      a.ifa_addr->sa_family == AF_INET
          ? reinterpret_cast<const unsigned char*>(
                &reinterpret_cast<sockaddr_in*>(a.ifa_netmask)->sin_addr)
          : reinterpret_cast<const unsigned char*>(
                &reinterpret_cast<sockaddr_in6*>(a.ifa_netmask)->sin6_addr);
  const int size = a.ifa_addr->sa_family == AF_INET ? 4 : 16;
  int prefix = 0;
  for (int i = 0; i < size; ++i) prefix += __builtin_popcount(bytes[i]);
  return prefix;
}

// "<numeric address>/<prefix>" of an IPv4 or IPv6 entry; "" for other
// families and addresses getnameinfo() cannot print.
std::string AddressWithPrefix(const ifaddrs& a) {
  if (a.ifa_addr == nullptr ||
      (a.ifa_addr->sa_family != AF_INET && a.ifa_addr->sa_family != AF_INET6)) {
    return "";
  }
  const socklen_t length = a.ifa_addr->sa_family == AF_INET
                               ? sizeof(sockaddr_in)
                               : sizeof(sockaddr_in6);
  char host[NI_MAXHOST];
  if (getnameinfo(a.ifa_addr, length, host, sizeof host, nullptr, 0,
                  NI_NUMERICHOST) != 0) {
    return "";
  }
  return absl::StrCat(host, "/", PrefixLength(a));
}

// The host's interfaces by name, with their flags and addresses; nullopt
// when getifaddrs() fails.
std::optional<std::map<std::string, NetworkInterface>> ListInterfaces() {
  ifaddrs* addresses = nullptr;
  if (getifaddrs(&addresses) != 0) return std::nullopt;
  std::map<std::string, NetworkInterface> interfaces;
  for (ifaddrs* a = addresses; a != nullptr; a = a->ifa_next) {
    NetworkInterface& interface = interfaces[a->ifa_name];
    interface.up = (a->ifa_flags & IFF_UP) != 0;
    interface.running = (a->ifa_flags & IFF_RUNNING) != 0;
    interface.loopback = (a->ifa_flags & IFF_LOOPBACK) != 0;
    std::string address = AddressWithPrefix(*a);
    if (!address.empty()) interface.addresses.push_back(std::move(address));
  }
  freeifaddrs(addresses);
  return interfaces;
}

// One interface, with its MAC address and link speed from sysfs (null when
// the kernel reports none).
void WriteInterface(const std::string& name, const NetworkInterface& interface,
                    http::JsonWriter& json) {
  json.BeginObject()
      .Key("name")
      .String(name)
      .Key("up")
      .Bool(interface.up)
      .Key("running")
      .Bool(interface.running)
      .Key("loopback")
      .Bool(interface.loopback)
      .Key("mac");
  const std::string mac = NetAttribute(name, "address");
  if (mac.empty()) {
    json.Null();
  } else {
    json.String(mac);
  }
  json.Key("speed_mbps");
  int64_t mbps = 0;
  if (absl::SimpleAtoi(NetAttribute(name, "speed"), &mbps) && mbps > 0) {
    json.Int(mbps);
  } else {
    json.Null();
  }
  json.Key("addresses").BeginArray();
  for (const std::string& address : interface.addresses) json.String(address);
  json.EndArray().EndObject();
}

}  // namespace

http::Response SystemApi::Network(const http::Request&) const {
  std::optional<std::map<std::string, NetworkInterface>> interfaces =
      ListInterfaces();
  if (!interfaces) {
    return ApiError(500, "internal", "cannot list the network interfaces");
  }
  char hostname[256] = "";
  gethostname(hostname, sizeof hostname - 1);
  http::JsonWriter json;
  json.BeginObject()
      .Key("hostname")
      .String(hostname)
      .Key("interfaces")
      .BeginArray();
  for (const auto& [name, interface] : *interfaces) {
    WriteInterface(name, interface, json);
  }
  json.EndArray().EndObject();
  return http::Response::Json(200, json.Take());
}

http::Response SystemApi::Logs(const http::Request& request) const {
  absl::StatusOr<std::map<std::string, std::string>> params =
      ParseQuery(request.query);
  if (!params.ok()) return ApiError(params.status());
  absl::Status known = OnlyParams(*params, {"limit", "level"});
  if (!known.ok()) return ApiError(known);
  int limit = 200;
  if (std::optional<std::string> text = Param(*params, "limit")) {
    if (!absl::SimpleAtoi(*text, &limit) || limit < 1 || limit > 1000) {
      return ApiError(400, "invalid_argument", "limit must be 1..1000");
    }
  }
  log::Level level = log::Level::kDebug;
  if (std::optional<std::string> name = Param(*params, "level")) {
    bool found = false;
    for (log::Level l : {log::Level::kDebug, log::Level::kInfo,
                         log::Level::kWarning, log::Level::kError}) {
      if (*name == log::LevelName(l)) {
        level = l;
        found = true;
      }
    }
    if (!found) {
      return ApiError(400, "invalid_argument",
                      "level must be DEBUG, INFO, WARNING or ERROR");
    }
  }
  http::JsonWriter json;
  json.BeginObject().Key("lines").BeginArray();
  if (options_.logs != nullptr) {
    for (const RecentLogSink::Line& line :
         options_.logs->Recent(static_cast<size_t>(limit), level)) {
      json.BeginObject()
          .Key("time")
          .String(line.time)
          .Key("level")
          .String(log::LevelName(line.level))
          .Key("where")
          .String(line.where)
          .Key("message")
          .String(line.message)
          .EndObject();
    }
  }
  json.EndArray().EndObject();
  return http::Response::Json(200, json.Take());
}

http::Response SystemApi::Restart(const http::Request& request) const {
  if (!request.body.empty() && request.body != "{}") {
    return ApiError(400, "invalid_argument", "restart takes no body (or {})");
  }
  if (!options_.request_restart) {
    return ApiError(409, "failed_precondition", "restart is not available");
  }
  http::Response response =
      http::Response::Json(202, R"({"status":"restarting"})");
  response.after_sent = [restart = options_.request_restart] {
    restart("asked for through the API");
  };
  return response;
}

http::Response SystemApi::Certificate(const http::Request&) const {
  const std::string site = options_.tls_directory + "/site.pem";
  http::JsonWriter json;
  json.BeginObject().Key("in_use");
  WriteCertificate(options_.certificate_in_use, json);
  json.Key("site_certificate_in_use")
      .Bool(options_.site_certificate_in_use)
      .Key("ca");
  if (options_.ca.has_value()) {
    WriteCertificate(*options_.ca, json);
  } else {
    json.Null();
  }
  json.Key("site_uploaded").Bool(access(site.c_str(), F_OK) == 0).EndObject();
  return http::Response::Json(200, json.Take());
}

http::Response SystemApi::UploadCertificate(
    const http::Request& request) const {
  v1::CertificateUpload body;
  if (auto error = ParseJsonBody(request.body, &body)) return *error;
  absl::StatusOr<security::CertificateInfo> installed =
      security::InstallSiteCertificate(options_.tls_directory,
                                       body.certificate(), body.private_key(),
                                       options_.identity, clock_);
  if (!installed.ok()) {
    return ApiError(400, "bad_certificate", installed.status().message());
  }
  EWS_LOG(WARNING) << "site certificate " << installed->subject
                   << " installed, SHA-256 " << installed->sha256_fingerprint
                   << ": restarting to serve it";
  const bool restarting = static_cast<bool>(options_.request_restart);
  http::JsonWriter json;
  json.BeginObject()
      .Key("status")
      .String("installed")
      .Key("subject")
      .String(installed->subject)
      .Key("sha256_fingerprint")
      .String(installed->sha256_fingerprint)
      .Key("not_after")
      .Time(installed->not_after)
      .Key("restarting")
      .Bool(restarting)
      .EndObject();
  http::Response response = http::Response::Json(200, json.Take());
  if (restarting) {
    response.after_sent = [restart = options_.request_restart] {
      restart("new site certificate");
    };
  }
  return response;
}

http::Response SystemApi::CaCertificate(const http::Request&) const {
  absl::StatusOr<std::string> pem =
      ReadFileToString(options_.tls_directory + "/ca.pem", kMaxPemBytes);
  if (!pem.ok()) {
    return ApiError(404, "not_found", "the device has no CA certificate");
  }
  http::Response response;
  response.content_type = "application/x-pem-file";
  response.body = *std::move(pem);
  response.headers.emplace_back("Content-Disposition",
                                "attachment; filename=\"ews-device-ca.pem\"");
  return response;
}

}  // namespace ews::server

#include "apps/server/data_access.h"

#include <openssl/sha.h>

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/http/json.h"

namespace ews::server {
namespace {

constexpr char kDavPrefix[] = "/dav";
constexpr char kFilesPrefix[] = "/api/v1/files";

// "administrator", "Installer", "GREENUP" ... -> the role.
std::optional<security::Role> RoleForUser(absl::string_view user) {
  for (security::Role role : security::kAllRoles) {
    if (absl::EqualsIgnoreCase(user, security::RoleName(role))) return role;
  }
  return std::nullopt;
}

void Answer(
    http::ResponseWriter& writer, int status, absl::string_view text,
    const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  (void)writer.Whole(status, "text/plain; charset=utf-8",
                     absl::StrCat(text, "\n"), headers);
}

std::string Sha256Hex(absl::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const uint8_t*>(text.data()), text.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

}  // namespace

DataAccess::DataAccess(const config::v1::DeviceConfig& config,
                       const DataAccessOptions& options,
                       const storage::Store* store, absl::TimeZone time_zone,
                       Clock& clock, SessionApi& sessions)
    : config_(config), options_(options), clock_(clock), sessions_(sessions) {
  if (store != nullptr) {
    view_ = std::make_unique<files::FileView>(store, clock, time_zone);
    dav_ = std::make_unique<webdav::WebDavHandler>(view_.get(), kDavPrefix);
  }
}

DataAccess::~DataAccess() {
  if (ftp_ != nullptr) ftp_->Stop();
}

absl::StatusOr<std::unique_ptr<DataAccess>> DataAccess::Start(
    const config::v1::DeviceConfig& config, const DataAccessOptions& options,
    const storage::Store* store, absl::TimeZone time_zone, Clock& clock,
    SessionApi& sessions, http::HttpsServer& https) {
  std::unique_ptr<DataAccess> access(
      new DataAccess(config, options, store, time_zone, clock, sessions));
  if (access->view_ == nullptr) {
    EWS_LOG(WARNING) << "no history: FTP, WebDAV and file downloads are off";
    return access;
  }
  DataAccess* self = access.get();
  https.RoutePrefix(kFilesPrefix, [self](const http::Request& request,
                                         http::ResponseWriter& writer) {
    self->ServeDownload(request, writer);
  });
  const config::v1::DataAccess& configured = config.data_access();
  // Absent in a configuration from before data_access existed: WebDAV on.
  if (!config.has_data_access() || configured.webdav_enabled()) {
    https.RoutePrefix(kDavPrefix, [self](const http::Request& request,
                                         http::ResponseWriter& writer) {
      self->ServeDav(request, writer);
    });
  }

  const config::v1::FtpServer& ftp = configured.ftp();
  if (options.ftp_port == -1 ||
      (options.ftp_port == -2 &&
       !(config.has_data_access() && ftp.enabled()))) {
    return access;
  }
  ftp::FtpServerOptions ftp_options;
  ftp_options.bind_address = options.bind_address;
  ftp_options.certificate_path = options.certificate_path;
  ftp_options.clock = &clock;
  if (options.ftp_port >= 0) {
    ftp_options.port = options.ftp_port;
    ftp_options.require_tls = !ftp.allow_plain_ftp();
  } else {
    ftp_options.port = static_cast<int>(ftp.port());
    ftp_options.passive_port_min = static_cast<int>(ftp.passive_port_min());
    ftp_options.passive_port_max = static_cast<int>(ftp.passive_port_max());
    ftp_options.require_tls = !ftp.allow_plain_ftp();
    ftp_options.max_connections = static_cast<int>(ftp.max_connections());
    ftp_options.idle_timeout = absl::Seconds(ftp.idle_timeout_s());
    ftp_options.transfer_timeout = absl::Seconds(ftp.transfer_timeout_s());
  }
  ftp::FtpHooks hooks;
  hooks.login = [self](absl::string_view user, absl::string_view pin,
                       absl::string_view address) {
    return self->FtpLogin(user, pin, address);
  };
  hooks.event = [self](const ftp::FtpEvent& event) {
    switch (event.kind) {
      case ftp::FtpEvent::Kind::kLogin:
        return self->Audit(event.user, event.client_address, "ftp.login", "ok",
                           "");
      case ftp::FtpEvent::Kind::kLoginFailed:
        return self->Audit(event.user, event.client_address, "ftp.login",
                           "denied", event.detail);
      case ftp::FtpEvent::Kind::kRead:
        return self->Audit(
            event.user, event.client_address, "files.read", "ok",
            absl::StrCat("ftp ", event.path, ": ", event.detail));
      case ftp::FtpEvent::Kind::kReadFailed:
        return self->Audit(event.user, event.client_address, "files.read",
                           absl::StrCat("failed: ", event.detail),
                           absl::StrCat("ftp ", event.path));
    }
  };
  EWS_ASSIGN_OR_RETURN(access->ftp_,
                       ftp::FtpServer::Start(ftp_options, access->view_.get(),
                                             std::move(hooks)));
  return access;
}

files::FileAccess DataAccess::AccessFor(security::Role role) const {
  files::FileAccess access;
  const bool all =
      security::HasPermission(role, security::Permission::kExportCsv);
  const bool chargers =
      security::HasPermission(role, security::Permission::kViewEvChargers);
  const std::set<std::string>* ev = &options_.ev_charger_ids;
  access.device = [all, chargers, ev](absl::string_view id) {
    return all || (chargers && ev->count(std::string(id)) > 0);
  };
  access.site = all;
  return access;
}

void DataAccess::Audit(absl::string_view actor, absl::string_view address,
                       absl::string_view action, absl::string_view outcome,
                       std::string detail) {
  security::AuditEntry entry;
  entry.actor = std::string(actor);
  entry.client_address = std::string(address);
  entry.action = std::string(action);
  entry.outcome = std::string(outcome);
  entry.detail = std::move(detail);
  absl::StatusOr<uint64_t> appended =
      sessions_.audit().Append(std::move(entry));
  if (!appended.ok()) EWS_LOG(ERROR) << "audit: " << appended.status();
}

absl::StatusOr<files::FileAccess> DataAccess::FtpLogin(
    absl::string_view user, absl::string_view pin, absl::string_view address) {
  std::optional<security::Role> role = RoleForUser(user);
  if (!role.has_value()) {
    return absl::UnauthenticatedError("unknown user or wrong PIN");
  }
  EWS_ASSIGN_OR_RETURN(security::LoginResult login,
                       sessions_.authenticator().Login(*role, pin, address));
  if (login.must_change_codes()) {
    return absl::FailedPreconditionError(
        "change the factory codes on the web pages first");
  }
  return AccessFor(*role);
}

std::optional<security::Role> DataAccess::DavRole(
    const http::Request& request, http::ResponseWriter& writer) {
  // The session cookie first (a browser that is logged in). PROPFIND and the
  // other read methods change nothing: checked like a GET (no CSRF token).
  absl::StatusOr<security::SessionInfo> session =
      sessions_.CheckSession(request, "GET");
  if (session.ok()) {
    if (session->must_change_codes) {
      Answer(writer, 403,
             "change the factory or administrator-set codes first");
      return std::nullopt;
    }
    return session->role;
  }
  auto header = request.headers.find("authorization");
  const std::vector<std::pair<std::string, std::string>> challenge = {
      {"WWW-Authenticate", "Basic realm=\"EWS\", charset=\"UTF-8\""}};
  absl::string_view credentials;
  if (header != request.headers.end()) credentials = header->second;
  std::string decoded;
  if (!absl::ConsumePrefix(&credentials, "Basic ") ||
      !absl::Base64Unescape(absl::StripAsciiWhitespace(credentials),
                            &decoded) ||
      decoded.find(':') == std::string::npos) {
    Answer(writer, 401,
           "log in with your user type (administrator, installer, greenUp, "
           "user) and PIN",
           challenge);
    return std::nullopt;
  }
  const std::string user = decoded.substr(0, decoded.find(':'));
  const std::string pin = decoded.substr(decoded.find(':') + 1);
  // Keyed by the credentials alone: a client on another address that knows
  // the PIN gains nothing by skipping a check; wrong PINs are never kept.
  const std::string key = Sha256Hex(decoded);
  const absl::Time now = clock_.WallNow();
  {
    absl::MutexLock lock(&basic_mutex_);
    auto remembered = basic_cache_.find(key);
    if (remembered != basic_cache_.end()) {
      if (remembered->second.until > now) return remembered->second.role;
      basic_cache_.erase(remembered);
    }
  }
  std::optional<security::Role> role = RoleForUser(user);
  absl::Status refused =
      absl::UnauthenticatedError("unknown user or wrong PIN");
  if (role.has_value()) {
    absl::StatusOr<security::LoginResult> login =
        sessions_.authenticator().Login(*role, pin, request.remote_address);
    if (login.ok() && login->must_change_codes()) {
      refused = absl::FailedPreconditionError(
          "change the factory codes on the web pages first");
    } else if (!login.ok()) {
      refused = login.status();
    } else {
      refused = absl::OkStatus();
    }
  }
  if (!refused.ok()) {
    Audit(user, request.remote_address, "dav.login", "denied",
          std::string(refused.message()));
    Answer(writer,
           absl::IsResourceExhausted(refused)    ? 429
           : absl::IsFailedPrecondition(refused) ? 403
                                                 : 401,
           refused.message(), challenge);
    return std::nullopt;
  }
  Audit(security::RoleName(*role), request.remote_address, "dav.login", "ok",
        "");
  absl::MutexLock lock(&basic_mutex_);
  if (basic_cache_.size() >= 64) basic_cache_.clear();  // bounded
  basic_cache_[key] = {*role, now + options_.basic_auth_cache};
  return role;
}

void DataAccess::ServeDav(const http::Request& request,
                          http::ResponseWriter& writer) {
  if (request.path != kDavPrefix && !absl::StartsWith(request.path, "/dav/")) {
    return Answer(writer, 404, "not found");
  }
  std::optional<security::Role> role = DavRole(request, writer);
  if (!role.has_value()) return;
  const std::string actor(security::RoleName(*role));
  dav_->Serve(
      request, AccessFor(*role), writer,
      [&](const std::string& path, const absl::Status& status, uint64_t bytes) {
        Audit(actor, request.remote_address, "files.read",
              status.ok() ? "ok" : absl::StrCat("failed: ", status.message()),
              absl::StrCat("webdav ", path, ": ", bytes, " bytes"));
      });
}

void DataAccess::ServeDownload(const http::Request& request,
                               http::ResponseWriter& writer) {
  absl::StatusOr<security::RouteAccess> route =
      security::LookupRoute(request.method, request.path);
  if (!route.ok()) {
    const int status = absl::IsFailedPrecondition(route.status()) ? 405
                       : absl::IsInvalidArgument(route.status())  ? 400
                                                                  : 404;
    return Answer(writer, status, route.status().message());
  }
  absl::StatusOr<security::SessionInfo> session =
      sessions_.CheckSession(request, request.method);
  std::optional<security::Principal> principal;
  if (session.ok()) {
    principal = security::Principal{session->role, session->must_change_codes};
  }
  switch (security::Authorize(*route, principal)) {
    case security::Decision::kAllow:
      break;
    case security::Decision::kUnauthenticated:
      return Answer(writer, 401, "log in first");
    default:
      return Answer(writer, 403, "not allowed");
  }
  const files::FileAccess access = AccessFor(session->role);
  absl::string_view rest = request.path;
  absl::ConsumePrefix(&rest, kFilesPrefix);
  const std::string path = rest.empty() ? "/" : std::string(rest);
  absl::StatusOr<files::FileEntry> entry = view_->Stat(path, access);
  if (!entry.ok()) {
    return Answer(writer, absl::IsNotFound(entry.status()) ? 404 : 400,
                  entry.status().message());
  }
  const std::string actor(security::RoleName(session->role));
  if (entry->is_directory) {
    absl::StatusOr<std::vector<files::FileEntry>> entries =
        view_->List(path, access);
    if (!entries.ok()) return Answer(writer, 500, entries.status().message());
    http::JsonWriter json;
    json.BeginObject().Key("path").String(path).Key("entries").BeginArray();
    for (const files::FileEntry& child : *entries) {
      json.BeginObject()
          .Key("name")
          .String(child.name)
          .Key("directory")
          .Bool(child.is_directory)
          .Key("size")
          .Int(child.size)
          .Key("modified")
          .Time(child.modified)
          .EndObject();
    }
    json.EndArray().EndObject();
    (void)writer.Whole(200, "application/json", json.Take());
    return;
  }
  if (!writer
           .Head(200, "text/csv; charset=utf-8", entry->size,
                 {{"Content-Disposition",
                   absl::StrCat("attachment; filename=\"", entry->name, "\"")}})
           .ok()) {
    return;
  }
  uint64_t sent = 0;
  absl::Status read =
      view_->Read(path, access, 0, files::kToEnd, [&](absl::string_view bytes) {
        sent += bytes.size();
        return writer.Body(bytes);
      });
  Audit(actor, request.remote_address, "files.read",
        read.ok() ? "ok" : absl::StrCat("failed: ", read.message()),
        absl::StrCat("web ", path, ": ", sent, " bytes"));
}

}  // namespace ews::server

// Getting the history out as files (docs/data-access.md): one FileView of the
// store served three ways, to the same users with the same lockout as the
// web pages:
//   - FTP/FTPS on its own port (sdk/ftp), when data_access.ftp.enabled;
//   - WebDAV at /dav/ on the HTTPS port (sdk/webdav), HTTP Basic with user
//     type + PIN or the session cookie;
//   - GET /api/v1/files/<path> with the session cookie (the web download;
//     a directory answers a JSON listing).
// Every login and file read goes to the audit log ("ftp.login",
// "dav.login", "files.read" with the way in).
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "apps/server/api_session.h"
#include "sdk/base/clock.h"
#include "sdk/config/config.pb.h"
#include "sdk/export/file_view.h"
#include "sdk/ftp/ftp_server.h"
#include "sdk/http/https_server.h"
#include "sdk/storage/store.h"
#include "sdk/webdav/webdav_handler.h"

namespace ews::server {

struct DataAccessOptions {
  std::string bind_address;
  std::string certificate_path;  // the HTTPS PEM (key + chain)
  // -2: as configured; -1: FTP off; >= 0: FTP on at this port (0: any) with
  // any free passive port, for this run only (tests, the demo).
  int ftp_port = -2;
  // How long a correct HTTP Basic credential is remembered (as a SHA-256) (so a
  // WebDAV client's many requests cost one PIN check and do not hit the rate
  // limits). A blocked user or changed code takes effect after this.
  absl::Duration basic_auth_cache = absl::Minutes(2);
  // The configured devices that are EV charging stations (greenUp sees
  // these).
  std::set<std::string> ev_charger_ids;
};

class DataAccess {
 public:
  // `store` may be null (no history: empty tree). Everything passed must
  // outlive the object. Errors: those of FtpServer::Start.
  static absl::StatusOr<std::unique_ptr<DataAccess>> Start(
      const config::v1::DeviceConfig& config, const DataAccessOptions& options,
      const storage::Store* store, absl::TimeZone time_zone, Clock& clock,
      SessionApi& sessions, http::HttpsServer& https);
  ~DataAccess();

  int ftp_port() const { return ftp_ == nullptr ? -1 : ftp_->port(); }

  // What `role` sees: the devices' folders when it may export CSV (all
  // devices and the site), EV charging stations when it may see them.
  files::FileAccess AccessFor(security::Role role) const;

 private:
  DataAccess(const config::v1::DeviceConfig& config,
             const DataAccessOptions& options, const storage::Store* store,
             absl::TimeZone time_zone, Clock& clock, SessionApi& sessions);
  void ServeDav(const http::Request& request, http::ResponseWriter& writer);
  void ServeDownload(const http::Request& request,
                     http::ResponseWriter& writer);
  // The role of a request's session cookie or Basic credentials; nullopt
  // after answering 401/403 itself.
  std::optional<security::Role> DavRole(const http::Request& request,
                                        http::ResponseWriter& writer);
  absl::StatusOr<files::FileAccess> FtpLogin(absl::string_view user,
                                             absl::string_view pin,
                                             absl::string_view address);
  void Audit(absl::string_view actor, absl::string_view address,
             absl::string_view action, absl::string_view outcome,
             std::string detail);

  const config::v1::DeviceConfig& config_;
  const DataAccessOptions options_;
  Clock& clock_;
  SessionApi& sessions_;
  std::unique_ptr<files::FileView> view_;
  std::unique_ptr<webdav::WebDavHandler> dav_;
  std::unique_ptr<ftp::FtpServer> ftp_;

  struct Remembered {
    security::Role role;
    absl::Time until;
  };
  absl::Mutex basic_mutex_;
  absl::flat_hash_map<std::string, Remembered> basic_cache_
      ABSL_GUARDED_BY(basic_mutex_);
};

}  // namespace ews::server

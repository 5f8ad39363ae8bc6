// A read-only FTP server for the history files (sdk/export/file_view.h):
// explicit TLS on BoringSSL (AUTH TLS, PBSZ, PROT P, TLS on data connections),
// passive mode only (PASV, EPSV) on a configurable port range, LIST (ls -l
// format), NLST, MLSD/MLST, SIZE, MDTM, REST + RETR, TYPE A/I, FEAT, OPTS
// UTF8. Every write command is refused with 550; active mode (PORT/EPRT)
// with 502.
//
//   FtpServerOptions options;  // port, passive range, TLS, limits
//   EWS_ASSIGN_OR_RETURN(auto ftp, FtpServer::Start(options, view, hooks));
//
// Who may log in and what they see is the caller's: `hooks.login` checks the
// user name and password (EWS: user type + PIN through the Authenticator,
// with its lockout) and returns the FileAccess of that user. `hooks.event`
// receives logins and file reads for the audit log.
//
// Limits: at most `max_connections` control connections (more get 421 and
// are closed), an idle control connection is closed after `idle_timeout`, a
// data connection must be opened within `data_connect_timeout` and a
// transfer finish within `transfer_timeout`; a command line over 1 KiB
// closes the connection. Memory per connection: the line buffer, one TLS
// state per channel, and the exporter's 64 KiB chunk.
//
// Threads: one accepts, one per control connection.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/export/file_view.h"

namespace ews::ftp {

struct FtpServerOptions {
  std::string bind_address = "127.0.0.1";
  int port = 21;  // 0: any free port (read it back with port())
  // Passive data ports [min, max]; both 0: any free port.
  int passive_port_min = 0;
  int passive_port_max = 0;
  // PEM file with the private key and certificate chain (the HTTPS one).
  // Empty: no TLS (then require_tls must be false).
  std::string certificate_path;
  // Refuse USER/PASS and transfers until the control and data connections
  // are protected (AUTH TLS, PROT P).
  bool require_tls = true;
  int max_connections = 8;
  absl::Duration idle_timeout = absl::Minutes(5);
  absl::Duration data_connect_timeout = absl::Seconds(30);
  absl::Duration transfer_timeout = absl::Minutes(30);
  // Wall time (MDTM, listings' dates).
  const Clock* clock = &SystemClock::Get();
};

struct FtpEvent {
  enum class Kind { kLogin, kLoginFailed, kRead, kReadFailed };
  Kind kind;
  std::string user;  // as given in USER
  std::string client_address;
  std::string path;    // kRead*
  std::string detail;  // bytes sent, or why it failed
};

struct FtpHooks {
  // The user's view of the files, or an error whose message is shown to
  // the client (Unauthenticated: wrong code; FailedPrecondition: blocked;
  // ResourceExhausted: too many attempts).
  std::function<absl::StatusOr<files::FileAccess>(
      absl::string_view user, absl::string_view password,
      absl::string_view client_address)>
      login;
  std::function<void(const FtpEvent&)> event;  // may be empty
};

class FtpServer {
 public:
  // Starts listening. `view` must outlive the server. Errors:
  // InvalidArgument (options, no login hook, TLS required without a
  // certificate), FailedPrecondition (port in use, certificate unusable).
  static absl::StatusOr<std::unique_ptr<FtpServer>> Start(
      const FtpServerOptions& options, const files::FileView* view,
      FtpHooks hooks);
  ~FtpServer();
  FtpServer(const FtpServer&) = delete;
  FtpServer& operator=(const FtpServer&) = delete;

  int port() const { return port_; }
  int active_connections() const { return active_.load(); }

  // Closes the listener and every connection, and waits for their threads.
  // Idempotent.
  void Stop();

  class Session;

 private:
  FtpServer(const FtpServerOptions& options, const files::FileView* view,
            FtpHooks hooks);
  void AcceptLoop();
  void Serve(int fd);

  const FtpServerOptions options_;
  const files::FileView* const view_;
  const FtpHooks hooks_;
  void* tls_context_ = nullptr;  // SSL_CTX*, kept out of this header
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> active_{0};
  std::thread acceptor_;
  absl::Mutex mutex_;
  absl::flat_hash_set<int> open_fds_ ABSL_GUARDED_BY(mutex_);
  int threads_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace ews::ftp

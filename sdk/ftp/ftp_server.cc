#include "sdk/ftp/ftp_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/base/tcp_listener.h"
#include "sdk/ftp/internal/channel.h"
#include "sdk/ftp/internal/listing.h"
#include "sdk/security/tls/internal/server_context.h"

namespace ews::ftp {
namespace {

using internal::AddressOf;
using internal::Channel;
using internal::ListFormat;
using internal::SetTimeouts;

constexpr size_t kMaxLine = 1024;
constexpr char kReadOnly[] = "550 Read-only file system.";

}  // namespace

// One control connection.
class FtpServer::Session {
 public:
  Session(FtpServer& server, int fd, std::string client, sockaddr_storage local)
      : server_(server),
        control_(fd),
        client_(std::move(client)),
        local_(local) {}
  ~Session() { CloseData(); }

  void Run() {
    SetTimeouts(control_.fd(), server_.options_.idle_timeout,
                server_.options_.idle_timeout);
    if (!Reply("220 EWS FTP server ready (read-only).").ok()) return;
    std::string line;
    while (!server_.stopping_) {
      absl::StatusOr<bool> got = ReadLine(&line);
      if (!got.ok()) {
        if (absl::IsDeadlineExceeded(got.status())) {
          (void)Reply("421 Idle timeout, closing the connection.");
        } else if (absl::IsResourceExhausted(got.status())) {
          (void)Reply("500 Command line too long, closing the connection.");
        }
        return;
      }
      if (!*got) return;
      if (!Handle(line)) return;
    }
    (void)Reply("421 Server shutting down.");
  }

 private:
  absl::Status Reply(absl::string_view text) {
    return control_.Write(absl::StrCat(text, "\r\n"));
  }

  // One CRLF- (or LF-) terminated line, at most kMaxLine bytes. false at the
  // end of the stream.
  absl::StatusOr<bool> ReadLine(std::string* line) {
    while (true) {
      const size_t end = pending_.find('\n');
      if (end != std::string::npos) {
        *line = pending_.substr(0, end);
        pending_.erase(0, end + 1);
        if (!line->empty() && line->back() == '\r') line->pop_back();
        return true;
      }
      if (pending_.size() > kMaxLine) {
        return absl::ResourceExhaustedError("line too long");
      }
      char buffer[512];
      EWS_ASSIGN_OR_RETURN(size_t n, control_.Read(buffer, sizeof buffer));
      if (n == 0) return false;
      pending_.append(buffer, n);
    }
  }

  // The absolute path for a command's argument, resolved against the
  // working directory; "" when it is malformed (.., %, ...).
  std::string Resolve(absl::string_view argument) const {
    std::string path = argument.empty()     ? cwd_
                       : argument[0] == '/' ? std::string(argument)
                       : cwd_ == "/"        ? absl::StrCat("/", argument)
                                            : absl::StrCat(cwd_, "/", argument);
    if (!files::SplitPath(path).ok()) return "";
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    return path;
  }

  void Emit(FtpEvent::Kind kind, std::string path, std::string detail) {
    if (server_.hooks_.event) {
      server_.hooks_.event(
          {kind, user_, client_, std::move(path), std::move(detail)});
    }
  }

  // false: close the connection.
  bool Handle(const std::string& line) {
    const size_t space = line.find(' ');
    const std::string verb = absl::AsciiStrToUpper(line.substr(0, space));
    const std::string argument =
        space == std::string::npos ? "" : line.substr(space + 1);
    const FtpServerOptions& options = server_.options_;

    if (verb == "QUIT") {
      (void)Reply("221 Goodbye.");
      return false;
    }
    if (verb == "NOOP") return Reply("200 OK.").ok();
    if (verb == "SYST") return Reply("215 UNIX Type: L8").ok();
    if (verb == "FEAT") {
      std::string features = "211-Features:\r\n";
      if (server_.tls_context_ != nullptr) {
        absl::StrAppend(&features, " AUTH TLS\r\n PBSZ\r\n PROT\r\n");
      }
      absl::StrAppend(&features,
                      " EPSV\r\n PASV\r\n SIZE\r\n MDTM\r\n REST STREAM\r\n"
                      " MLST type*;size*;modify*;perm*;\r\n UTF8\r\n TVFS\r\n"
                      "211 End");
      return Reply(features).ok();
    }
    if (verb == "OPTS") {
      const std::string option = absl::AsciiStrToUpper(argument);
      if (absl::StartsWith(option, "UTF8") ||
          absl::StartsWith(option, "MLST")) {
        return Reply("200 OK.").ok();
      }
      return Reply("501 Unknown option.").ok();
    }
    if (verb == "AUTH") {
      const std::string mechanism = absl::AsciiStrToUpper(argument);
      if (server_.tls_context_ == nullptr) {
        return Reply("502 TLS is not configured.").ok();
      }
      if (control_.tls()) return Reply("503 Already on TLS.").ok();
      if (mechanism != "TLS" && mechanism != "SSL" && mechanism != "TLS-C") {
        return Reply("504 Unknown mechanism.").ok();
      }
      if (!Reply("234 Proceed with the TLS handshake.").ok()) return false;
      if (!pending_.empty()) return false;  // plaintext after AUTH: injection
      absl::Status started =
          control_.StartTls(static_cast<SSL_CTX*>(server_.tls_context_));
      if (!started.ok()) {
        EWS_LOG(WARNING) << "ftp " << client_ << ": " << started;
        return false;
      }
      return true;
    }
    if (verb == "PBSZ") {
      if (!control_.tls()) return Reply("503 AUTH TLS first.").ok();
      return Reply("200 PBSZ=0").ok();
    }
    if (verb == "PROT") {
      if (!control_.tls()) return Reply("503 AUTH TLS first.").ok();
      const std::string level = absl::AsciiStrToUpper(argument);
      if (level == "P") {
        protect_data_ = true;
        return Reply("200 Data connections are protected.").ok();
      }
      if (level == "C" && !options.require_tls) {
        protect_data_ = false;
        return Reply("200 Data connections are clear.").ok();
      }
      return Reply("534 Only PROT P is allowed.").ok();
    }
    if (verb == "USER") {
      if (options.require_tls && !control_.tls()) {
        return Reply("530 TLS required: use AUTH TLS (FTPS).").ok();
      }
      user_ = argument;
      access_.reset();
      return Reply("331 Enter the PIN of this user type as the password.").ok();
    }
    if (verb == "PASS") {
      if (options.require_tls && !control_.tls()) {
        return Reply("530 TLS required: use AUTH TLS (FTPS).").ok();
      }
      if (user_.empty()) return Reply("503 USER first.").ok();
      absl::StatusOr<files::FileAccess> access =
          server_.hooks_.login(user_, argument, client_);
      if (!access.ok()) {
        Emit(FtpEvent::Kind::kLoginFailed, "",
             std::string(access.status().message()));
        ++failed_logins_;
        if (!Reply(
                 absl::StrCat("530 Login incorrect: ",
                              absl::StrReplaceAll(access.status().message(),
                                                  {{"\r", " "}, {"\n", " "}})))
                 .ok() ||
            failed_logins_ >= 3) {
          return false;  // three wrong attempts on one connection: hang up
        }
        return true;
      }
      access_ = *std::move(access);
      Emit(FtpEvent::Kind::kLogin, "", "");
      return Reply("230 Logged in (read-only).").ok();
    }
    if (!access_.has_value()) return Reply("530 Log in first.").ok();

    // Logged in.
    if (verb == "PWD" || verb == "XPWD") {
      return Reply(absl::StrCat("257 \"", cwd_, "\" is the current directory."))
          .ok();
    }
    if (verb == "CWD" || verb == "XCWD" || verb == "CDUP" || verb == "XCUP") {
      std::string path;
      if (verb == "CDUP" || verb == "XCUP" || argument == "..") {
        path = cwd_.substr(0, cwd_.rfind('/'));
        if (path.empty()) path = "/";
      } else {
        path = Resolve(argument);
      }
      absl::StatusOr<files::FileEntry> entry =
          path.empty() ? absl::InvalidArgumentError("bad path")
                       : server_.view_->Stat(path, *access_);
      if (!entry.ok() || !entry->is_directory) {
        return Reply("550 No such directory.").ok();
      }
      cwd_ = path;
      return Reply("250 OK.").ok();
    }
    if (verb == "TYPE") {
      const std::string type = absl::AsciiStrToUpper(argument);
      if (type == "I" || type == "L 8" || type == "A" || type == "A N") {
        return Reply(absl::StrCat("200 Type set to ", type.substr(0, 1), "."))
            .ok();
      }
      return Reply("504 Type not supported.").ok();
    }
    if (verb == "MODE") {
      return Reply(absl::AsciiStrToUpper(argument) == "S"
                       ? "200 Stream mode."
                       : "504 Only stream mode.")
          .ok();
    }
    if (verb == "STRU") {
      return Reply(absl::AsciiStrToUpper(argument) == "F"
                       ? "200 File structure."
                       : "504 Only file structure.")
          .ok();
    }
    if (verb == "PASV" || verb == "EPSV") return Passive(verb, argument);
    if (verb == "PORT" || verb == "EPRT") {
      return Reply("502 Active mode is not supported: use passive mode.").ok();
    }
    if (verb == "REST") {
      uint64_t offset = 0;
      if (!absl::SimpleAtoi(argument, &offset)) {
        return Reply("501 REST needs a byte offset.").ok();
      }
      restart_ = offset;
      return Reply(absl::StrCat("350 Restarting at ", offset, ".")).ok();
    }
    if (verb == "SIZE" || verb == "MDTM" || verb == "MLST") {
      const std::string path = Resolve(argument);
      absl::StatusOr<files::FileEntry> entry =
          path.empty() ? absl::InvalidArgumentError("bad path")
                       : server_.view_->Stat(path, *access_);
      if (!entry.ok()) return Reply("550 No such file.").ok();
      if (verb == "MLST") {
        return Reply(absl::StrCat("250-Listing ", path, "\r\n ",
                                  internal::Facts(*entry), path,
                                  "\r\n250 End."))
            .ok();
      }
      if (entry->is_directory) return Reply("550 Not a plain file.").ok();
      if (verb == "SIZE") return Reply(absl::StrCat("213 ", entry->size)).ok();
      return Reply(absl::StrCat("213 ", internal::MachineTime(entry->modified)))
          .ok();
    }
    if (verb == "LIST" || verb == "NLST" || verb == "MLSD") {
      return List(verb, argument);
    }
    if (verb == "RETR") return Retrieve(argument);
    if (verb == "ABOR") return Reply("226 Nothing to abort.").ok();
    if (verb == "HELP") return Reply("214 See FEAT.").ok();
    if (verb == "STOR" || verb == "STOU" || verb == "APPE" || verb == "DELE" ||
        verb == "MKD" || verb == "XMKD" || verb == "RMD" || verb == "XRMD" ||
        verb == "RNFR" || verb == "RNTO" || verb == "SITE" || verb == "ALLO" ||
        verb == "MFMT" || verb == "MFF") {
      CloseData();
      return Reply(kReadOnly).ok();
    }
    return Reply("502 Command not implemented.").ok();
  }

  bool Passive(const std::string& verb, const std::string& argument) {
    if (verb == "EPSV" && absl::AsciiStrToUpper(argument) == "ALL") {
      return Reply("200 EPSV ALL accepted.").ok();
    }
    if (verb == "PASV" && local_.ss_family != AF_INET) {
      return Reply("522 Use EPSV on IPv6.").ok();
    }
    CloseData();
    sockaddr_storage local = local_;
    absl::StatusOr<std::pair<int, int>> listener =
        internal::ListenInRange(local, server_.options_.passive_port_min,
                                server_.options_.passive_port_max);
    if (!listener.ok()) {
      return Reply("425 No passive port free, try again later.").ok();
    }
    passive_fd_ = listener->first;
    const int port = listener->second;
    if (verb == "EPSV") {
      return Reply(absl::StrCat("229 Entering Extended Passive Mode (|||", port,
                                "|)"))
          .ok();
    }
    std::string address = AddressOf(local_);
    absl::StrReplaceAll({{".", ","}}, &address);
    return Reply(absl::StrCat("227 Entering Passive Mode (", address, ",",
                              port / 256, ",", port % 256, ")."))
        .ok();
  }

  void CloseData() {
    if (passive_fd_ >= 0) close(passive_fd_);
    passive_fd_ = -1;
  }

  // Accepts the data connection (from the control connection's address
  // only). 425 on failure.
  absl::StatusOr<std::unique_ptr<Channel>> OpenData() {
    if (passive_fd_ < 0) {
      return absl::FailedPreconditionError("425 Use PASV or EPSV first.");
    }
    if (server_.options_.require_tls && !protect_data_) {
      CloseData();
      return absl::FailedPreconditionError(
          "521 Data connections must be protected: PBSZ 0, PROT P.");
    }
    pollfd waiting{passive_fd_, POLLIN, 0};
    const int ready = poll(&waiting, 1,
                           static_cast<int>(absl::ToInt64Milliseconds(
                               server_.options_.data_connect_timeout)));
    if (ready <= 0) {
      CloseData();
      return absl::DeadlineExceededError("425 No data connection.");
    }
    sockaddr_storage peer{};
    socklen_t length = sizeof peer;
    const int fd = accept4(passive_fd_, reinterpret_cast<sockaddr*>(&peer),
                           &length, SOCK_CLOEXEC);
    CloseData();
    if (fd < 0) return absl::UnavailableError("425 No data connection.");
    auto channel = std::make_unique<Channel>(fd);
    if (AddressOf(peer) != client_) {
      return absl::PermissionDeniedError(
          "425 Data connection from another address.");
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    SetTimeouts(fd, server_.options_.idle_timeout,
                server_.options_.idle_timeout);
    return channel;
  }

  bool ReplyStatus(const absl::Status& status) {
    return Reply(status.message()).ok();
  }

  // After the 150 reply (clients such as ftplib start the handshake only
  // once they have it): TLS on the data connection when PROT P.
  absl::Status ProtectData(Channel& data) {
    if (!protect_data_) return absl::OkStatus();
    return data.StartTls(static_cast<SSL_CTX*>(server_.tls_context_));
  }

  bool List(const std::string& verb, std::string argument) {
    // "LIST -la": options are ignored.
    while (absl::StartsWith(argument, "-")) {
      const size_t space = argument.find(' ');
      argument = space == std::string::npos ? "" : argument.substr(space + 1);
    }
    const std::string path = Resolve(argument);
    std::vector<files::FileEntry> entries;
    absl::StatusOr<files::FileEntry> self =
        path.empty() ? absl::InvalidArgumentError("bad path")
                     : server_.view_->Stat(path, *access_);
    if (!self.ok()) {
      CloseData();
      return Reply("550 No such file or directory.").ok();
    }
    if (self->is_directory) {
      absl::StatusOr<std::vector<files::FileEntry>> listed =
          server_.view_->List(path, *access_);
      if (!listed.ok()) {
        CloseData();
        return Reply("451 Cannot list the directory.").ok();
      }
      entries = *std::move(listed);
    } else if (verb == "MLSD") {
      CloseData();
      return Reply("501 Not a directory.").ok();
    } else {
      entries.push_back(*self);
    }
    absl::StatusOr<std::unique_ptr<Channel>> data = OpenData();
    if (!data.ok()) return ReplyStatus(data.status());
    if (!Reply("150 Here comes the listing.").ok()) return false;
    if (!ProtectData(**data).ok()) {
      return Reply("425 TLS on the data connection failed.").ok();
    }
    const absl::Time now = server_.options_.clock->WallNow();
    const ListFormat format = verb == "NLST"   ? ListFormat::kNames
                              : verb == "MLSD" ? ListFormat::kFacts
                                               : ListFormat::kList;
    std::string out;
    for (const files::FileEntry& entry : entries) {
      absl::StrAppend(&out, internal::ListingLine(format, entry, now));
      if (out.size() >= 16384) {
        if (!(*data)->Write(out).ok()) break;
        out.clear();
      }
    }
    absl::Status sent = (*data)->Write(out);
    (*data)->Close();
    data->reset();
    return Reply(sent.ok() ? "226 Listing sent." : "426 Listing aborted.").ok();
  }

  bool Retrieve(const std::string& argument) {
    const uint64_t offset = restart_;
    restart_ = 0;
    const std::string path = Resolve(argument);
    absl::StatusOr<files::FileEntry> entry =
        path.empty() ? absl::InvalidArgumentError("bad path")
                     : server_.view_->Stat(path, *access_);
    if (!entry.ok() || entry->is_directory) {
      CloseData();
      Emit(FtpEvent::Kind::kReadFailed, path.empty() ? argument : path,
           "no such file");
      return Reply("550 No such file.").ok();
    }
    absl::StatusOr<std::unique_ptr<Channel>> data = OpenData();
    if (!data.ok()) return ReplyStatus(data.status());
    if (!Reply(absl::StrCat("150 Opening data connection for ", path, " (",
                            entry->size, " bytes)."))
             .ok()) {
      return false;
    }
    if (!ProtectData(**data).ok()) {
      Emit(FtpEvent::Kind::kReadFailed, path, "TLS on the data connection");
      return Reply("425 TLS on the data connection failed.").ok();
    }
    const absl::Time deadline =
        server_.options_.clock->WallNow() + server_.options_.transfer_timeout;
    uint64_t sent = 0;
    absl::Status status = server_.view_->Read(
        path, *access_, offset, files::kToEnd,
        [&](absl::string_view bytes) -> absl::Status {
          if (server_.stopping_) return absl::CancelledError("shutting down");
          if (server_.options_.clock->WallNow() > deadline) {
            return absl::DeadlineExceededError("transfer time limit");
          }
          EWS_RETURN_IF_ERROR((*data)->Write(bytes));
          sent += bytes.size();
          return absl::OkStatus();
        });
    if (status.ok()) (*data)->Close();
    data->reset();
    Emit(status.ok() ? FtpEvent::Kind::kRead : FtpEvent::Kind::kReadFailed,
         path,
         status.ok() ? absl::StrCat(sent, " bytes from offset ", offset)
                     : std::string(status.message()));
    return Reply(status.ok()
                     ? "226 Transfer complete."
                     : absl::StrCat("426 Transfer aborted: ", status.message()))
        .ok();
  }

  FtpServer& server_;
  Channel control_;
  const std::string client_;
  const sockaddr_storage local_;
  std::string pending_;
  std::string user_;
  std::optional<files::FileAccess> access_;
  std::string cwd_ = "/";
  bool protect_data_ = false;
  uint64_t restart_ = 0;
  int passive_fd_ = -1;
  int failed_logins_ = 0;
};

FtpServer::FtpServer(const FtpServerOptions& options,
                     const files::FileView* view, FtpHooks hooks)
    : options_(options), view_(view), hooks_(std::move(hooks)) {}

FtpServer::~FtpServer() {
  Stop();
  if (tls_context_ != nullptr)
    SSL_CTX_free(static_cast<SSL_CTX*>(tls_context_));
}

absl::StatusOr<std::unique_ptr<FtpServer>> FtpServer::Start(
    const FtpServerOptions& options, const files::FileView* view,
    FtpHooks hooks) {
  if (view == nullptr || !hooks.login || options.clock == nullptr) {
    return absl::InvalidArgumentError(
        "FTP needs a file view, a login hook and a clock");
  }
  if (options.port < 0 || options.port > 65535 ||
      options.passive_port_min < 0 || options.passive_port_max > 65535 ||
      options.passive_port_min > options.passive_port_max ||
      (options.passive_port_min == 0) != (options.passive_port_max == 0)) {
    return absl::InvalidArgumentError(
        "FTP: port or passive range out of range");
  }
  if (options.max_connections < 1 || options.max_connections > 256) {
    return absl::InvalidArgumentError("FTP: max_connections must be 1..256");
  }
  if (options.require_tls && options.certificate_path.empty()) {
    return absl::InvalidArgumentError("FTP: TLS required but no certificate");
  }
  std::unique_ptr<FtpServer> server(
      new FtpServer(options, view, std::move(hooks)));
  if (!options.certificate_path.empty()) {
    absl::StatusOr<bssl::UniquePtr<SSL_CTX>> context =
        security::internal::NewServerContext(options.certificate_path);
    if (!context.ok()) {
      return absl::Status(context.status().code(),
                          absl::StrCat("FTP: ", context.status().message()));
    }
    // Data connections resume the control connection's session (clients
    // such as GnuTLS-based lftp offer it).
    SSL_CTX_set_session_cache_mode(context->get(), SSL_SESS_CACHE_SERVER);
    static const unsigned char kContextId[] = "ews-ftp";
    SSL_CTX_set_session_id_context(context->get(), kContextId,
                                   sizeof kContextId - 1);
    server->tls_context_ = context->release();
  }

  absl::StatusOr<TcpListener> listener =
      ListenTcp(options.bind_address, options.port, 16);
  if (!listener.ok()) {
    // A bad address is the caller's; a port in use or a missing address is
    // the host's state.
    return absl::Status(absl::IsInvalidArgument(listener.status())
                            ? absl::StatusCode::kInvalidArgument
                            : absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("FTP: ", listener.status().message()));
  }
  server->listen_fd_ = listener->fd;
  server->port_ = listener->port;
  server->acceptor_ = std::thread([s = server.get()] { s->AcceptLoop(); });
  EWS_LOG(INFO) << "FTP on " << options.bind_address << ":" << server->port_
                << (options.require_tls ? " (TLS required)"
                                        : " (plain FTP allowed)");
  return server;
}

void FtpServer::AcceptLoop() {
  while (!stopping_) {
    pollfd waiting{listen_fd_, POLLIN, 0};
    if (poll(&waiting, 1, 200) <= 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (active_.load() >= options_.max_connections) {
      static constexpr char kBusy[] =
          "421 Too many connections, try later.\r\n";
      (void)send(fd, kBusy, sizeof kBusy - 1, MSG_NOSIGNAL);
      close(fd);
      continue;
    }
    ++active_;
    {
      absl::MutexLock lock(&mutex_);
      open_fds_.insert(fd);
      ++threads_;
    }
    std::thread([this, fd] { Serve(fd); }).detach();
  }
}

void FtpServer::Serve(int fd) {
  sockaddr_storage peer{};
  sockaddr_storage local{};
  socklen_t length = sizeof peer;
  getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length);
  length = sizeof local;
  getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length);
  {
    Session session(*this, fd, AddressOf(peer), local);
    session.Run();
    absl::MutexLock lock(&mutex_);
    open_fds_.erase(fd);
  }  // closes fd
  --active_;
  absl::MutexLock lock(&mutex_);
  --threads_;
}

void FtpServer::Stop() {
  if (stopping_.exchange(true)) return;
  if (acceptor_.joinable()) acceptor_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  listen_fd_ = -1;
  absl::MutexLock lock(&mutex_);
  for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
  mutex_.Await(absl::Condition(
      +[](int* threads) { return *threads == 0; }, &threads_));
}

}  // namespace ews::ftp

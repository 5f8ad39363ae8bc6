// The FTP server's limits and refusals, spoken to over loopback sockets
// (the real clients — curl, lftp, ftplib — are in
// apps/server/data_access_e2e_test.sh).
#include "sdk/ftp/ftp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/loopback.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/security/tls/certificate.h"

namespace ews::ftp {
namespace {

using ::ews::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A TLS client context that accepts the test's self-signed certificate.
SSL_CTX* ClientContext() {
  static SSL_CTX* const context = SSL_CTX_new(TLS_client_method());
  return context;
}

// A control connection: sends lines, reads (multi-line) replies; plain
// until StartTls().
class Client {
 public:
  explicit Client(int port) {
    auto fd = ConnectToLoopback(port, absl::Seconds(5));
    fd_ = fd.ok() ? *fd : -1;
  }
  ~Client() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) close(fd_);
  }
  // The client side of the handshake after "234" (AUTH TLS).
  bool StartTls() {
    ssl_ = SSL_new(ClientContext());
    return ssl_ != nullptr && SSL_set_fd(ssl_, fd_) == 1 &&
           SSL_connect(ssl_) == 1;
  }
  void Send(const std::string& text) {
    if (ssl_ != nullptr) {
      (void)SSL_write(ssl_, text.data(), static_cast<int>(text.size()));
    } else {
      (void)send(fd_, text.data(), text.size(), MSG_NOSIGNAL);
    }
  }
  // One reply ("" when the server closed the connection).
  std::string Reply() {
    std::string reply;
    while (true) {
      std::string line;
      char c;
      while ((ssl_ != nullptr ? SSL_read(ssl_, &c, 1)
                              : static_cast<int>(recv(fd_, &c, 1, 0))) == 1) {
        line += c;
        if (c == '\n') break;
      }
      if (line.empty()) return reply;
      reply += line;
      if (line.size() >= 4 && line[3] == ' ' && isdigit(line[0])) {
        return reply;
      }
    }
  }
  std::string Command(const std::string& command) {
    Send(command + "\r\n");
    return Reply();
  }
  // PASV's port.
  int Passive() {
    const std::string reply = Command("PASV");
    std::vector<std::string> parts =
        absl::StrSplit(reply.substr(reply.find('(') + 1), ',');
    int high = 0;
    int low = 0;
    if (parts.size() < 6 || !absl::SimpleAtoi(parts[4], &high)) return -1;
    (void)absl::SimpleAtoi(parts[5].substr(0, parts[5].find(')')), &low);
    return high * 256 + low;
  }

 private:
  int fd_ = -1;
  SSL* ssl_ = nullptr;
};

// Connects from `source` (a 127.0.0.x address) to 127.0.0.1:`port`.
int ConnectFrom(const char* source, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, source, &local.sin_addr);
  bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

std::string ReadAll(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = recv(fd, buffer, sizeof buffer, 0)) > 0) out.append(buffer, n);
  close(fd);
  return out;
}

// A protected data connection (PROT P): the handshake, then every byte; ""
// when the handshake fails.
std::string ReadAllTls(int fd) {
  SSL* ssl = SSL_new(ClientContext());
  std::string out;
  if (SSL_set_fd(ssl, fd) == 1 && SSL_connect(ssl) == 1) {
    char buffer[4096];
    int n;
    while ((n = SSL_read(ssl, buffer, sizeof buffer)) > 0)
      out.append(buffer, n);
  }
  SSL_free(ssl);
  close(fd);
  return out;
}

class FtpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StoreOptions options;
    options.path = absl::StrCat(
        std::getenv("TEST_TMPDIR"), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".db");
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::remove((options.path + suffix).c_str());
    }
    auto store = storage::Store::Open(options, &clock_, absl::UTCTimeZone());
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
    auto id = store_->RegisterSeries(
        {"meter-1", "ea_import", storage::SeriesKind::kCounter, "kWh", 0.001});
    ASSERT_THAT(id, IsOk());
    for (int i = 0; i < 600; ++i) {
      ASSERT_THAT(store_->Append(*id, clock_.WallNow(), 1000 + i), IsOk());
      clock_.Advance(absl::Minutes(1));
    }
    ASSERT_THAT(store_->Flush(), IsOk());
    clock_.Advance(absl::Hours(1));
    ASSERT_THAT(store_->Consolidate(), IsOk());
    view_ = std::make_unique<files::FileView>(store_.get(), clock_,
                                              absl::UTCTimeZone());
    options_.port = 0;
    options_.require_tls = false;
    options_.clock = &SystemClock::Get();
  }

  void Start() {
    FtpHooks hooks;
    hooks.login = [](absl::string_view user, absl::string_view password,
                     absl::string_view) -> absl::StatusOr<files::FileAccess> {
      if (user == "user" && password == "24680") {
        return files::FileAccess{[](absl::string_view) { return true; }, true};
      }
      return absl::UnauthenticatedError("wrong PIN");
    };
    hooks.event = [this](const FtpEvent& event) {
      events_.push_back(static_cast<int>(event.kind));
    };
    auto server = FtpServer::Start(options_, view_.get(), std::move(hooks));
    ASSERT_THAT(server, IsOk());
    server_ = *std::move(server);
  }

  // TLS required, with a fresh self-signed certificate.
  void UseTls() {
    options_.require_tls = true;
    options_.certificate_path =
        absl::StrCat(std::getenv("TEST_TMPDIR"), "/ftp-server.pem");
    ASSERT_THAT(security::EnsureSelfSignedCertificate(
                    options_.certificate_path, security::CertificateRequest(),
                    SystemClock::Get()),
                IsOk());
  }

  // A file's bytes as the view gives them.
  std::string ViewBytes(const std::string& path) {
    std::string out;
    EXPECT_THAT(
        view_->Read(path, {[](absl::string_view) { return true; }, true}, 0,
                    files::kToEnd,
                    [&out](absl::string_view bytes) {
                      out.append(bytes.data(), bytes.size());
                      return absl::OkStatus();
                    }),
        IsOk());
    return out;
  }

  std::unique_ptr<Client> LoggedIn() {
    auto client = std::make_unique<Client>(server_->port());
    EXPECT_THAT(client->Reply(), StartsWith("220"));
    EXPECT_THAT(client->Command("USER user"), StartsWith("331"));
    EXPECT_THAT(client->Command("PASS 24680"), StartsWith("230"));
    return client;
  }

  SimulatedClock clock_{absl::FromUnixSeconds(1767225600)};
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<files::FileView> view_;
  FtpServerOptions options_;
  std::vector<int> events_;
  std::unique_ptr<FtpServer> server_;
};

TEST_F(FtpServerTest, RefusesEverythingBeforeLoginAndWritesAfter) {
  Start();
  Client client(server_->port());
  EXPECT_THAT(client.Reply(), StartsWith("220"));
  EXPECT_THAT(client.Command("LIST"), StartsWith("530"));
  EXPECT_THAT(client.Command("RETR /meter-1/meter-1_2026.csv"),
              StartsWith("530"));
  EXPECT_THAT(client.Command("USER user"), StartsWith("331"));
  EXPECT_THAT(client.Command("PASS 11111"), StartsWith("530"));
  EXPECT_THAT(client.Command("PASS 24680"), StartsWith("230"));
  for (const char* write :
       {"STOR x", "APPE x", "DELE /meter-1/meter-1_2026.csv", "MKD /x",
        "RMD /meter-1", "RNFR /meter-1", "SITE CHMOD 777 /",
        "MFMT 20260101 x"}) {
    EXPECT_THAT(client.Command(write), StartsWith("550")) << write;
  }
  EXPECT_THAT(client.Command("PORT 127,0,0,1,4,1"), StartsWith("502"));
  EXPECT_THAT(client.Command("EPRT |1|127.0.0.1|1025|"), StartsWith("502"));
  EXPECT_THAT(client.Command("AUTH TLS"), StartsWith("502"));  // no cert
  EXPECT_THAT(client.Command("XYZZY"), StartsWith("502"));
  EXPECT_THAT(client.Command("QUIT"), StartsWith("221"));
}

TEST_F(FtpServerTest, PathTraversalIsRefused) {
  Start();
  auto client = LoggedIn();
  EXPECT_THAT(client->Command("SIZE /meter-1/meter-1_2026.csv"),
              StartsWith("213 "));
  for (const char* path :
       {"/../etc/passwd", "../../etc/passwd", "/meter-1/../../etc",
        "/%2e%2e/etc", "/etc/passwd", "//meter-1", "/meter-1\\..\\x"}) {
    EXPECT_THAT(client->Command(absl::StrCat("SIZE ", path)), StartsWith("550"))
        << path;
    EXPECT_THAT(client->Command(absl::StrCat("CWD ", path)), StartsWith("550"))
        << path;
  }
  EXPECT_THAT(client->Command("CWD meter-1"), StartsWith("250"));
  EXPECT_THAT(client->Command("PWD"), HasSubstr("\"/meter-1\""));
  EXPECT_THAT(client->Command("CWD .."), StartsWith("250"));
  EXPECT_THAT(client->Command("CWD .."), StartsWith("250"));  // stays at /
  EXPECT_THAT(client->Command("PWD"), HasSubstr("\"/\""));
}

TEST_F(FtpServerTest, DownloadResumeAndDataFromAnotherAddress) {
  Start();
  auto client = LoggedIn();
  const std::string path = "/meter-1/meter-1_2026-01-01.csv";
  int port = client->Passive();
  ASSERT_GT(port, 0);
  const int data = ConnectFrom("127.0.0.1", port);
  EXPECT_THAT(client->Command("RETR " + path), StartsWith("150"));
  const std::string whole = ReadAll(data);
  EXPECT_THAT(client->Reply(), StartsWith("226"));
  EXPECT_THAT(client->Command("SIZE " + path),
              absl::StrCat("213 ", whole.size(), "\r\n"));

  EXPECT_THAT(client->Command("REST 100"), StartsWith("350"));
  port = client->Passive();
  const int rest = ConnectFrom("127.0.0.1", port);
  EXPECT_THAT(client->Command("RETR " + path), StartsWith("150"));
  EXPECT_EQ(ReadAll(rest), whole.substr(100));
  EXPECT_THAT(client->Reply(), StartsWith("226"));

  // A data connection from another address is not the client's: refused.
  port = client->Passive();
  const int thief = ConnectFrom("127.0.0.2", port);
  ASSERT_GE(thief, 0);
  EXPECT_THAT(client->Command("RETR " + path), StartsWith("425"));
  EXPECT_EQ(ReadAll(thief), "");
}

TEST_F(FtpServerTest, LimitsConnectionsIdleTimeAndLineLength) {
  options_.max_connections = 2;
  options_.idle_timeout = absl::Milliseconds(300);
  Start();
  Client first(server_->port());
  Client second(server_->port());
  EXPECT_THAT(first.Reply(), StartsWith("220"));
  EXPECT_THAT(second.Reply(), StartsWith("220"));
  Client third(server_->port());
  EXPECT_THAT(third.Reply(), StartsWith("421 Too many connections"));
  // Idle: the server says so and closes.
  EXPECT_THAT(first.Reply(), StartsWith("421 Idle timeout"));
  EXPECT_EQ(first.Reply(), "");
  EXPECT_THAT(second.Reply(), StartsWith("421 Idle timeout"));
  // A command line over 1 KiB ends the connection.
  Client flood(server_->port());
  EXPECT_THAT(flood.Reply(), StartsWith("220"));
  flood.Send(std::string(4000, 'A'));
  EXPECT_THAT(flood.Reply(), StartsWith("500 Command line too long"));
  EXPECT_EQ(flood.Reply(), "");
}

TEST_F(FtpServerTest, LimitsDataConnectionWaitAndTransferTime) {
  options_.data_connect_timeout = absl::Milliseconds(200);
  options_.transfer_timeout = absl::Nanoseconds(1);
  Start();
  auto client = LoggedIn();
  const std::string path = "/meter-1/meter-1_2026-01-01.csv";
  ASSERT_GT(client->Passive(), 0);
  EXPECT_THAT(client->Command("RETR " + path), StartsWith("425"));
  const int data = ConnectFrom("127.0.0.1", client->Passive());
  EXPECT_THAT(client->Command("RETR " + path), StartsWith("150"));
  EXPECT_THAT(client->Reply(),
              StartsWith("426 Transfer aborted: transfer time"));
  close(data);
}

TEST_F(FtpServerTest, TlsRequiredRefusesPlainLogins) {
  UseTls();
  Start();
  Client client(server_->port());
  EXPECT_THAT(client.Reply(), StartsWith("220"));
  EXPECT_THAT(client.Command("FEAT"), HasSubstr(" AUTH TLS\r\n"));
  EXPECT_THAT(client.Command("USER user"), StartsWith("530 TLS required"));
  EXPECT_THAT(client.Command("PASS 24680"), StartsWith("530 TLS required"));
  EXPECT_THAT(client.Command("PROT P"), StartsWith("503"));
}

TEST_F(FtpServerTest, FtpsProtectsTheControlAndDataConnections) {
  UseTls();
  Start();
  Client client(server_->port());
  EXPECT_THAT(client.Reply(), StartsWith("220"));
  EXPECT_THAT(client.Command("AUTH TLS"), StartsWith("234"));
  ASSERT_TRUE(client.StartTls());
  EXPECT_THAT(client.Command("USER user"), StartsWith("331"));
  EXPECT_THAT(client.Command("PASS 24680"), StartsWith("230"));
  const std::string path = "/meter-1/meter-1_2026-01-01.csv";
  // Without PROT P the data connection would be clear: refused.
  ASSERT_GT(client.Passive(), 0);
  EXPECT_THAT(client.Command("RETR " + path), StartsWith("521"));

  EXPECT_THAT(client.Command("PBSZ 0"), StartsWith("200"));
  EXPECT_THAT(client.Command("PROT C"), StartsWith("534"));
  EXPECT_THAT(client.Command("PROT P"), StartsWith("200"));
  const int data = ConnectFrom("127.0.0.1", client.Passive());
  ASSERT_GE(data, 0);
  EXPECT_THAT(client.Command("RETR " + path), StartsWith("150"));
  const std::string bytes = ReadAllTls(data);
  EXPECT_THAT(client.Reply(), StartsWith("226"));
  EXPECT_GT(bytes.size(), 1000u);
  EXPECT_EQ(bytes, ViewBytes(path));
}

TEST_F(FtpServerTest, PlaintextAfterAuthTlsClosesTheConnection) {
  UseTls();
  Start();
  Client client(server_->port());
  EXPECT_THAT(client.Reply(), StartsWith("220"));
  // A command injected behind AUTH TLS, before the handshake: the server
  // hangs up rather than run it as if it had come over TLS.
  client.Send("AUTH TLS\r\nUSER user\r\n");
  EXPECT_THAT(client.Reply(), StartsWith("234"));
  EXPECT_FALSE(client.StartTls());
}

TEST_F(FtpServerTest, ThreeWrongCodesOnOneConnectionHangUp) {
  Start();
  Client client(server_->port());
  EXPECT_THAT(client.Reply(), StartsWith("220"));
  EXPECT_THAT(client.Command("USER user"), StartsWith("331"));
  EXPECT_THAT(client.Command("PASS 1"), StartsWith("530 Login incorrect"));
  EXPECT_THAT(client.Command("PASS 2"), StartsWith("530 Login incorrect"));
  EXPECT_THAT(client.Command("PASS 3"), StartsWith("530 Login incorrect"));
  EXPECT_EQ(client.Command("PASS 24680"), "");
}

TEST_F(FtpServerTest, BadOptionsAreRefused) {
  FtpHooks hooks;
  hooks.login = [](absl::string_view, absl::string_view,
                   absl::string_view) -> absl::StatusOr<files::FileAccess> {
    return files::FileAccess{};
  };
  FtpServerOptions bad = options_;
  bad.require_tls = true;  // no certificate
  EXPECT_FALSE(FtpServer::Start(bad, view_.get(), hooks).ok());
  bad = options_;
  bad.passive_port_min = 2000;
  bad.passive_port_max = 1000;
  EXPECT_FALSE(FtpServer::Start(bad, view_.get(), hooks).ok());
  bad = options_;
  bad.max_connections = 0;
  EXPECT_FALSE(FtpServer::Start(bad, view_.get(), hooks).ok());
  EXPECT_FALSE(FtpServer::Start(options_, view_.get(), FtpHooks()).ok());
}

}  // namespace
}  // namespace ews::ftp

// Exercises the HTTPS server with real, independent TLS peers: Debian's
// `openssl s_client` and `curl` (both OpenSSL 3, running as separate processes
// so that OpenSSL never enters this one).
#include "sdk/http/https_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/clock.h"
#include "sdk/base/loopback.h"
#include "sdk/base/status_matchers.h"
#include "sdk/http/json.h"
#include "sdk/security/tls/certificate.h"

namespace ews::http {
namespace {

using ::ews::testing::IsOk;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

// Runs a shell command with a time limit and returns what it printed (stdout +
// stderr).
std::string RunCommand(const std::string& command) {
  std::string output;
  FILE* pipe =
      popen(("timeout 20 " + command + " 2>&1 </dev/null").c_str(), "r");
  if (pipe == nullptr) return "popen failed";
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
    output.append(buffer, n);
  pclose(pipe);
  return output;
}

class HttpsServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    certificate_path_ =
        new std::string(std::string(std::getenv("TEST_TMPDIR")) + "/cert.pem");
    ASSERT_THAT(security::EnsureSelfSignedCertificate(*certificate_path_, {},
                                                      SystemClock::Get()),
                IsOk());
    // One server for the suite: civetweb's shutdown takes about 2 s (its master
    // thread polls with a 1 s timeout), which would dominate the run time if
    // every test started its own.
    ServerOptions options;
    options.https_port = 0;
    options.http_redirect_port = 0;
    options.certificate_path = *certificate_path_;
    options.worker_threads = 4;
    options.max_body_bytes = 1024;
    options.max_header_bytes = 8192;
    // The web UI's files: an HTML page and a hashed asset with its gzip form.
    const std::string root = std::string(std::getenv("TEST_TMPDIR")) + "/web";
    mkdir(root.c_str(), 0755);
    mkdir((root + "/assets").c_str(), 0755);
    std::ofstream(root + "/index.html") << "<!doctype html>page";
    std::ofstream(root + "/assets/app-0123abcd.js") << "console.log(1)";
    RunCommand("gzip -k " + root + "/assets/app-0123abcd.js");
    options.document_root = root;
    auto server = HttpsServer::Start(options);
    ASSERT_THAT(server, IsOk());
    server_ = server->release();
    server_->Route("GET", "/api/v1/ping", [](const Request& request) {
      return Response::Json(200,
                            R"({"pong":")" + JsonEscape(request.query) + "\"}");
    });
    server_->Route("GET", "/api/v1/things/*/name", [](const Request& request) {
      return Response::Json(200,
                            R"({"path":")" + JsonEscape(request.path) + "\"}");
    });
    server_->Route("GET", "/api/v1/big", [](const Request&) {
      Response response;
      response.content_type = "text/plain";
      response.body = std::string(100000, 'b') + "end";
      return response;
    });
    // 2,000 pieces of 1 KB, produced while they are sent.
    server_->Route("GET", "/api/v1/stream", [](const Request& request) {
      Response response;
      response.content_type = "text/csv";
      const bool fail = request.query == "fail";
      response.stream = [fail](const Response::BodyWriter& write) {
        for (int i = 0; i < 2000; ++i) {
          if (fail && i == 10) return absl::DataLossError("broken");
          absl::Status sent = write(absl::StrCat(
              std::string(1019, 'x'), absl::Dec(i, absl::kZeroPad4), "\n"));
          if (!sent.ok()) return sent;
        }
        return absl::OkStatus();
      };
      return response;
    });
    // WebSockets: refused without the header "x-let-in"; on open, either
    // three messages, or (flood) messages until the client counts as slow.
    WebSocketHandler handler;
    handler.max_queued = 8;
    handler.accept = [](const Request& request) -> std::optional<Response> {
      if (request.headers.count("x-let-in") == 0) {
        return Response::Error(401, "no entry");
      }
      return std::nullopt;
    };
    handler.on_open = [](std::shared_ptr<WebSocket> socket) {
      if (socket->request().query == "flood") {
        std::thread([socket] {
          absl::Status sent;
          int count = 0;
          while (sent.ok() && count < 1000000) {
            sent = socket->Send(std::string(1000, 'f'));
            ++count;
          }
          absl::MutexLock lock(&flood_mutex_);
          flood_result_ = sent;
        }).detach();
        return;
      }
      for (int i = 1; i <= 3; ++i) {
        (void)socket->Send(absl::StrCat("message ", i));
      }
    };
    handler.on_message = [](WebSocket& socket, absl::string_view text) {
      (void)socket.Send(absl::StrCat("echo ", text));
    };
    server_->WebSocketRoute("/api/v1/ws", std::move(handler));
    // Streamed prefix routes: a 1 MB body in 1000 chunks, any method; the
    // longer prefix wins.
    server_->RoutePrefix("/stream", [](const Request& request,
                                       ResponseWriter& writer) {
      const std::string chunk(1000, 's');
      if (!writer
               .Head(200, "text/plain", 1000 * 1000,
                     {{"X-Method", request.method}, {"X-Path", request.path}})
               .ok() ||
          request.method == "HEAD") {
        return;
      }
      for (int i = 0; i < 1000; ++i) {
        if (!writer.Body(chunk).ok()) return;
      }
    });
    server_->RoutePrefix(
        "/stream/inner/", [](const Request&, ResponseWriter& writer) {
          (void)writer.Head(207, "application/xml", 4,
                            {{"Cache-Control", "private, max-age=60"}});
          (void)writer.Body("<x/>");
        });
    server_->RoutePrefix(
        "/api/v1/streamed/", [](const Request&, ResponseWriter& writer) {
          (void)writer.Head(200, "text/plain", -1, {});  // unknown length
          (void)writer.Body("until close");
        });
    server_->Route("POST", "/api/v1/echo", [](const Request& request) {
      Response response;
      response.content_type = "text/plain";
      response.body = request.body;
      return response;
    });
  }

  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  std::string SClient(const std::string& flags) {
    return RunCommand(absl::StrCat("openssl s_client -connect 127.0.0.1:",
                                   server_->https_port(), " ", flags));
  }

  std::string Curl(const std::string& flags, const std::string& path) {
    return RunCommand(absl::StrCat("curl -sk -i --max-time 10 ", flags,
                                   " https://127.0.0.1:", server_->https_port(),
                                   path));
  }

  std::string WsClient(const std::string& flags, const std::string& query) {
    return RunCommand(
        absl::StrCat("/usr/bin/python3 tests/lib/ws_client.py wss://127.0.0.1:",
                     server_->https_port(), "/api/v1/ws", query, " ", flags));
  }

  static std::string* certificate_path_;
  static HttpsServer* server_;
  static absl::Mutex flood_mutex_;
  static absl::Status flood_result_ ABSL_GUARDED_BY(flood_mutex_);
};
absl::Mutex HttpsServerTest::flood_mutex_;
absl::Status HttpsServerTest::flood_result_ = absl::UnknownError("not run");

std::string* HttpsServerTest::certificate_path_ = nullptr;
HttpsServer* HttpsServerTest::server_ = nullptr;

TEST_F(HttpsServerTest, ListensOnEphemeralPorts) {
  EXPECT_GT(server_->https_port(), 0);
  EXPECT_GT(server_->http_port(), 0);
  EXPECT_NE(server_->https_port(), server_->http_port());
}

TEST_F(HttpsServerTest, Tls13NegotiatesAes256Gcm) {
  std::string output = SClient("-tls1_3");
  EXPECT_THAT(output, HasSubstr("TLSv1.3"));
  EXPECT_THAT(output, HasSubstr("Cipher is TLS_AES_256_GCM_SHA384"));
}

// The limit docs/tls.md and the README state: no server-side TLS 1.3 suite
// choice in Debian's BoringSSL, so a client preferring AES-128-GCM (as
// Chromium does) gets it.
TEST_F(HttpsServerTest, Tls13FollowsTheClientsPreferredSuite) {
  std::string output = SClient(
      "-tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384");
  EXPECT_THAT(output, HasSubstr("Cipher is TLS_AES_128_GCM_SHA256"));
}

TEST_F(HttpsServerTest, Tls12OffersOnlyEcdheAes256Gcm) {
  std::string output = SClient("-tls1_2");
  EXPECT_THAT(output, HasSubstr("Cipher is ECDHE-ECDSA-AES256-GCM-SHA384"));
  // A TLS 1.2 client that only knows AES-128 or CBC suites gets nothing.
  output = SClient("-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256:AES256-SHA");
  EXPECT_THAT(output, HasSubstr("Cipher is (NONE)"));
  EXPECT_THAT(output, HasSubstr("alert handshake failure"));
}

TEST_F(HttpsServerTest, RefusesTls10AndTls11) {
  // SECLEVEL=0 makes the OpenSSL 3 client willing to try; the refusal must be
  // the server's.
  for (const char* version : {"-tls1", "-tls1_1"}) {
    std::string output =
        SClient(absl::StrCat(version, " -cipher DEFAULT@SECLEVEL=0"));
    EXPECT_THAT(output, HasSubstr("Cipher is (NONE)")) << version;
    EXPECT_THAT(output, HasSubstr("alert protocol version")) << version;
  }
}

TEST_F(HttpsServerTest, NoOpenSslInThisProcess) {
  ASSERT_THAT(SClient("-tls1_3"), HasSubstr("TLSv1.3"));  // TLS has been used
  std::ifstream maps("/proc/self/maps");
  std::string contents((std::istreambuf_iterator<char>(maps)), {});
  EXPECT_THAT(contents, Not(HasSubstr("libssl.so.3")));
  EXPECT_THAT(contents, Not(HasSubstr("libcrypto.so.3")));
  EXPECT_THAT(contents, HasSubstr("android/libssl.so.0"));
}

TEST_F(HttpsServerTest, RoutesJsonWithSecurityHeaders) {
  std::string output = Curl("", "/api/v1/ping?x=1");
  EXPECT_THAT(output, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(output, HasSubstr(R"({"pong":"x=1"})"));
  EXPECT_THAT(output, HasSubstr("Strict-Transport-Security: max-age=63072000; "
                                "includeSubDomains"));
  EXPECT_THAT(output, HasSubstr("X-Content-Type-Options: nosniff"));
  EXPECT_THAT(output, HasSubstr("Content-Type: application/json"));
}

// Every kind of answer carries the hardening headers: the API's own, civetweb's
// static files and error pages, and the plain-HTTP redirect.
TEST_F(HttpsServerTest, SecurityHeadersOnEveryKindOfAnswer) {
  const std::string big_head(12000, 'h');
  const std::string plain_url =
      absl::StrCat("http://127.0.0.1:", server_->http_port(), "/api/v1/ping");
  const std::pair<std::string, std::string> answers[] = {
      {"HTTP/1.1 200", Curl("", "/api/v1/ping")},
      {"HTTP/1.1 200", Curl("", "/index.html")},
      {"HTTP/1.1 404", Curl("", "/api/v1/nothing")},
      {"HTTP/1.1 404", Curl("", "/no-such-file.html")},
      {"HTTP/1.1 405", Curl("-X PUT", "/api/v1/ping")},
      {"HTTP/1.1 413",
       Curl("--data-binary " + std::string(4096, 'x'), "/api/v1/echo")},
      // civetweb refuses a head over max_header_bytes itself, as malformed.
      {" 400 ", Curl("-H 'X-Big: " + big_head + "'", "/api/v1/ping")},
      {"HTTP/1.1 308", RunCommand("curl -s -i --max-time 10 " + plain_url)},
  };
  for (const auto& [status, output] : answers) {
    SCOPED_TRACE(output.substr(0, 600));
    EXPECT_THAT(output, HasSubstr(status));
    EXPECT_THAT(output,
                HasSubstr("Strict-Transport-Security: max-age=63072000; "
                          "includeSubDomains"));
    EXPECT_THAT(output, HasSubstr("X-Content-Type-Options: nosniff"));
    EXPECT_THAT(output, HasSubstr("X-Frame-Options: DENY"));
    EXPECT_THAT(output, HasSubstr("Referrer-Policy: no-referrer"));
    EXPECT_THAT(output,
                HasSubstr("Content-Security-Policy: default-src 'self'; "
                          "script-src 'self'; style-src 'self'; "));
    EXPECT_THAT(output, HasSubstr("frame-ancestors 'none'"));
    EXPECT_THAT(output, Not(HasSubstr("unsafe-inline")));
  }
  // API answers are not cached; the web UI's files say how they are.
  EXPECT_THAT(answers[0].second, HasSubstr("Cache-Control: no-store"));
  EXPECT_THAT(answers[1].second, Not(HasSubstr("no-store")));
}

TEST_F(HttpsServerTest, KeepsConnectionsAliveUnlessAskedToClose) {
  const std::string url =
      absl::StrCat("https://127.0.0.1:", server_->https_port(), "/api/v1/ping");
  std::string output =
      RunCommand(absl::StrCat("curl -sk -v --max-time 10 ", url, " ", url));
  EXPECT_THAT(output, HasSubstr("Connection: keep-alive"));
  EXPECT_THAT(output, ContainsRegex("Re-?using existing connection"));
  EXPECT_THAT(output, Not(HasSubstr("Connection: close")));
  EXPECT_THAT(Curl("-H 'Connection: close'", "/api/v1/ping"),
              HasSubstr("Connection: close"));
  EXPECT_THAT(Curl("--http1.0", "/api/v1/ping"),
              HasSubstr("Connection: close"));
}

TEST_F(HttpsServerTest, LargeAnswersArriveWholeOverTls12And13) {
  for (const char* version : {"--tls-max 1.2", "--tlsv1.3"}) {
    std::string output = Curl(version, "/api/v1/big");
    EXPECT_THAT(output, HasSubstr("Content-Length: 100003")) << version;
    EXPECT_THAT(output, HasSubstr(std::string(1000, 'b') + "end")) << version;
    EXPECT_EQ(output.size() - output.find("\r\n\r\n") - 4, 100003u) << version;
  }
}

TEST_F(HttpsServerTest, StreamedAnswersArriveWholeAndChunked) {
  std::string output = Curl("", "/api/v1/stream");
  EXPECT_THAT(output, HasSubstr("Transfer-Encoding: chunked"));
  EXPECT_THAT(output, HasSubstr("Connection: close"));
  EXPECT_THAT(output, Not(HasSubstr("Content-Length")));
  EXPECT_THAT(output, HasSubstr("Cache-Control: no-store\r\n"));
  EXPECT_EQ(output.size() - output.find("\r\n\r\n") - 4, 2000u * 1024u);
  EXPECT_THAT(output, HasSubstr(std::string(1019, 'x') + "1999\n"));
}

TEST_F(HttpsServerTest, BrokenStreamIsATruncatedTransfer) {
  // curl reports the missing final chunk (exit 18) rather than a whole file.
  std::string output = RunCommand(absl::StrCat(
      "curl -sk --max-time 10 -o /dev/null -w '%{http_code}' "
      "https://127.0.0.1:",
      server_->https_port(), "/api/v1/stream?fail; echo \" exit=$?\""));
  EXPECT_THAT(output, HasSubstr("exit=18"));
  EXPECT_THAT(Curl("", "/api/v1/ping"), HasSubstr("HTTP/1.1 200"));
}

TEST_F(HttpsServerTest, WebSocketSendsQueuedMessagesInOrder) {
  std::string output = WsClient("--header 'X-Let-In: 1' --count 3", "");
  EXPECT_EQ(output, "message 1\nmessage 2\nmessage 3\nDONE\n");
}

TEST_F(HttpsServerTest, WebSocketUpgradeCanBeRefused) {
  EXPECT_THAT(WsClient("--count 1", ""), HasSubstr("REFUSED 401"));
  // The server goes on.
  EXPECT_THAT(Curl("", "/api/v1/ping"), HasSubstr("HTTP/1.1 200"));
}

TEST_F(HttpsServerTest, SlowWebSocketClientIsDroppedNotBuffered) {
  // The client reads nothing for 3 s while the server sends as fast as it
  // can: its queue of 8 fills once the socket buffers are full.
  std::string output =
      WsClient("--header 'X-Let-In: 1' --pause 3 --timeout 20", "?flood");
  EXPECT_THAT(output, HasSubstr("CLOSED 1008 too slow"));
  absl::MutexLock lock(&flood_mutex_);
  EXPECT_TRUE(absl::IsResourceExhausted(flood_result_)) << flood_result_;
}

// Several TLS records per answer would each be a TCP segment of its own, and
// with Nagle's algorithm the second one waits for the client's delayed ACK.
TEST_F(HttpsServerTest, AnswerLeavesInOneTlsRecord) {
  const std::string request_path =
      std::string(std::getenv("TEST_TMPDIR")) + "/request.txt";
  std::ofstream(request_path) << "GET /api/v1/ping?one HTTP/1.1\r\nHost: x\r\n"
                                 "Connection: close\r\n\r\n";
  std::string output = RunCommand(absl::StrCat(
      "sh -c 'openssl s_client -connect 127.0.0.1:", server_->https_port(),
      " -tls1_3 -msg -quiet -ign_eof <", request_path, "'"));
  ASSERT_THAT(output, HasSubstr(R"({"pong":"one"})"));
  // After the handshake's last message: the answer's records and the
  // close_notify alert's.
  const size_t handshake_end = output.rfind("NewSessionTicket");
  ASSERT_NE(handshake_end, std::string::npos) << output;
  const std::string after = output.substr(handshake_end);
  auto count = [&after](const std::string& what) {
    int n = 0;
    for (size_t at = after.find(what); at != std::string::npos;
         at = after.find(what, at + 1)) {
      ++n;
    }
    return n;
  };
  EXPECT_EQ(count("RecordHeader") - count("Alert ["), 1) << output;
}

TEST_F(HttpsServerTest, AcceptedSocketsHaveNoDelay) {
  auto client = ConnectToLoopback(server_->https_port(), absl::Seconds(5));
  ASSERT_THAT(client, IsOk());
  sockaddr_in local{};
  socklen_t length = sizeof local;
  ASSERT_EQ(getsockname(*client, reinterpret_cast<sockaddr*>(&local), &length),
            0);
  // The server's end of this connection is a descriptor of this process:
  // the one whose peer is the client's port. civetweb sets the option just
  // after accept(), so a first look may come before it (0): look again.
  int no_delay = -1;
  for (int attempt = 0; attempt < 100 && no_delay != 1; ++attempt) {
    for (int fd = 0; fd < 4096; ++fd) {
      sockaddr_in peer{};
      socklen_t peer_length = sizeof peer;
      if (fd == *client ||
          getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_length) !=
              0 ||
          peer.sin_family != AF_INET || peer.sin_port != local.sin_port) {
        continue;
      }
      socklen_t option_length = sizeof no_delay;
      ASSERT_EQ(
          getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &no_delay, &option_length),
          0);
    }
    if (no_delay != 1) absl::SleepFor(absl::Milliseconds(20));  // not yet
  }
  close(*client);
  EXPECT_EQ(no_delay, 1);
}

TEST(ResponseTest, ErrorWritesOneObjectWithOptionalExtraMembers) {
  Response plain = Response::Error(404, "gone \"x\"");
  EXPECT_EQ(plain.status, 404);
  EXPECT_EQ(plain.content_type, "application/json");
  EXPECT_EQ(plain.body, R"({"error":{"status":404,"code":"not_found",)"
                        R"("message":"gone \"x\""}})");
  // An empty `more` is the plain form, byte for byte.
  EXPECT_EQ(Response::Error(409, "busy", "m", nullptr).body,
            Response::Error(409, "busy", "m").body);
  Response more =
      Response::Error(502, "device_exception", "refused", [](JsonWriter& json) {
        json.Key("exception_code").Int(4).Key("fields").BeginArray();
        json.String("a").String("b").EndArray();
      });
  EXPECT_EQ(more.status, 502);
  EXPECT_EQ(more.body,
            R"({"error":{"status":502,"code":"device_exception",)"
            R"("message":"refused","exception_code":4,"fields":["a","b"]}})");
}

TEST_F(HttpsServerTest, UnknownPathAndWrongMethodGetJsonErrors) {
  std::string output = Curl("", "/api/v1/nothing");
  EXPECT_THAT(output, HasSubstr("HTTP/1.1 404"));
  EXPECT_THAT(output, HasSubstr(R"({"error":{"status":404,"code":"not_found",)"
                                "\"message\":"));
  output = Curl("-X DELETE", "/api/v1/ping");
  EXPECT_THAT(output, HasSubstr("HTTP/1.1 405"));
  EXPECT_THAT(output, HasSubstr(R"("code":"method_not_allowed")"));
  EXPECT_THAT(output, HasSubstr("Allow: GET"));
}

TEST_F(HttpsServerTest, PatternRoutesMatchOneSegmentPerStar) {
  EXPECT_THAT(Curl("", "/api/v1/things/meter-7/name"),
              HasSubstr(R"({"path":"/api/v1/things/meter-7/name"})"));
  EXPECT_THAT(Curl("", "/api/v1/things/a/b/name"), HasSubstr("HTTP/1.1 404"));
  EXPECT_THAT(Curl("", "/api/v1/things//name"), HasSubstr("HTTP/1.1 404"));
  EXPECT_THAT(Curl("-X POST", "/api/v1/things/x/name"),
              HasSubstr("HTTP/1.1 405"));
}

TEST_F(HttpsServerTest, PrefixRoutesStreamAnyMethodWithHardening) {
  std::string output = Curl("-X PROPFIND", "/stream/a/b.csv");
  EXPECT_THAT(output, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(output, HasSubstr("Content-Length: 1000000"));
  EXPECT_THAT(output, HasSubstr("X-Method: PROPFIND"));
  EXPECT_THAT(output, HasSubstr("X-Path: /stream/a/b.csv"));
  EXPECT_THAT(output, HasSubstr("Strict-Transport-Security: max-age="));
  EXPECT_THAT(output,
              HasSubstr(std::string(1000, 's') + std::string(1000, 's')));
  // Not cached unless the answer says otherwise, as the API's own answers.
  EXPECT_THAT(output, HasSubstr("Cache-Control: no-store\r\n"));
  output =
      RunCommand(absl::StrCat("curl -sk --max-time 10 -o /dev/null -w "
                              "'%{size_download}' https://127.0.0.1:",
                              server_->https_port(), "/stream/x"));
  EXPECT_EQ(output, "1000000");
  output = Curl("-X PROPFIND", "/stream/inner/x");
  EXPECT_THAT(output, HasSubstr("HTTP/1.1 207"));
  EXPECT_THAT(output, HasSubstr("Cache-Control: private, max-age=60\r\n"));
  EXPECT_THAT(output, Not(HasSubstr("no-store")));
  output = Curl("", "/api/v1/streamed/file");
  EXPECT_THAT(output, HasSubstr("Connection: close"));
  EXPECT_THAT(output, HasSubstr("until close"));
  // Exact API routes still work beside the prefix routes.
  EXPECT_THAT(Curl("", "/api/v1/ping?x"), HasSubstr(R"({"pong":"x"})"));
}

TEST_F(HttpsServerTest, BodiesAreCappedAndEchoed) {
  EXPECT_THAT(Curl("--data-binary hello", "/api/v1/echo"),
              HasSubstr("\r\n\r\nhello"));
  std::string big(4096, 'x');
  std::string output = Curl("--data-binary " + big, "/api/v1/echo");
  EXPECT_THAT(output, HasSubstr("HTTP/1.1 413"));
}

TEST_F(HttpsServerTest, OversizedRequestHeadIsRefusedAndServerLivesOn) {
  std::string huge_header(40000, 'a');
  std::string output = Curl("-H 'X-Big: " + huge_header + "'", "/api/v1/ping");
  EXPECT_THAT(output, Not(HasSubstr("HTTP/1.1 200")));
  EXPECT_THAT(Curl("", "/api/v1/ping"), HasSubstr("HTTP/1.1 200"));
}

TEST_F(HttpsServerTest, PlainHttpRedirectsToHttps) {
  std::string output = RunCommand(absl::StrCat(
      "curl -s -i --max-time 10 http://127.0.0.1:", server_->http_port(),
      "/api/v1/ping"));
  EXPECT_THAT(output, HasSubstr("HTTP/1.1 308"));
  EXPECT_THAT(output, HasSubstr(absl::StrCat(
                          "Location: https://127.0.0.1:", server_->https_port(),
                          "/api/v1/ping")));
}

// The per-address cap: connections over it are closed as they are accepted,
// another address is served meanwhile, and closed connections stop counting.
TEST(HttpsServerGuardTest, CapsConnectionsPerClientAddress) {
  const std::string certificate =
      std::string(std::getenv("TEST_TMPDIR")) + "/guard-cert.pem";
  ASSERT_THAT(security::EnsureSelfSignedCertificate(certificate, {},
                                                    SystemClock::Get()),
              IsOk());
  ServerOptions options;
  options.https_port = 0;
  options.http_redirect_port = -1;
  options.certificate_path = certificate;
  options.worker_threads = 8;
  options.max_connections_per_address = 3;
  auto server = HttpsServer::Start(options);
  ASSERT_THAT(server, IsOk());
  (*server)->Route("GET", "/api/v1/ping",
                   [](const Request&) { return Response::Json(200, "{}"); });
  const int port = (*server)->https_port();

  std::vector<int> clients;
  for (int i = 0; i < 6; ++i) {
    auto client = ConnectToLoopback(port, absl::Seconds(5));
    ASSERT_THAT(client, IsOk());
    clients.push_back(*client);
  }
  for (int i = 0; i < 100 && (*server)->refused_connections() < 3; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ((*server)->refused_connections(), 3);
  // The refused ones read end-of-file; the admitted ones wait for a worker's
  // TLS handshake (nothing to read).
  int closed = 0;
  for (int fd : clients) {
    timeval wait{0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
    char byte;
    errno = 0;
    const ssize_t n = recv(fd, &byte, 1, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
      ++closed;
    }
  }
  EXPECT_EQ(closed, 3);

  const std::string url = absl::StrCat(
      "https://127.0.0.1:", port, "/api/v1/ping -o /dev/null -w %{http_code}");
  EXPECT_EQ(RunCommand("curl -sk --max-time 5 --interface 127.0.0.2 " + url),
            "200");
  EXPECT_NE(RunCommand("curl -sk --max-time 5 " + url), "200");
  for (int fd : clients) close(fd);
  std::string after;
  for (int i = 0; i < 50 && after != "200"; ++i) {
    after = RunCommand("curl -sk --max-time 5 " + url);
    if (after != "200") absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(after, "200");
}

TEST_F(HttpsServerTest, ServesTheWebUiWithCacheLifetimesAndCompression) {
  std::string html = Curl("", "/");
  EXPECT_THAT(html, HasSubstr("HTTP/1.1 200"));
  EXPECT_THAT(html, HasSubstr("Content-Type: text/html; charset=utf-8"));
  EXPECT_THAT(html, HasSubstr("Cache-Control: no-cache\r\n"));
  EXPECT_THAT(html, Not(HasSubstr("no-store")));
  EXPECT_THAT(html, HasSubstr("Strict-Transport-Security: max-age="));
  EXPECT_THAT(html, HasSubstr("Content-Security-Policy: default-src 'self'"));
  EXPECT_THAT(html, HasSubstr("\r\n\r\n<!doctype html>page"));

  // curl --compressed asks for gzip (and br), unpacks, and prints the plain
  // text only if the answer really was gzip.
  std::string asset = Curl("--compressed", "/assets/app-0123abcd.js");
  EXPECT_THAT(asset, HasSubstr("Content-Encoding: gzip"));
  EXPECT_THAT(asset, HasSubstr("Cache-Control: public, max-age=31536000, "
                               "immutable"));
  EXPECT_THAT(asset, HasSubstr("\r\n\r\nconsole.log(1)"));
  EXPECT_THAT(Curl("", "/assets/app-0123abcd.js"),
              Not(HasSubstr("Content-Encoding")));

  std::string head = Curl("-I", "/assets/app-0123abcd.js");
  EXPECT_THAT(head, HasSubstr("Content-Length: 14"));
  EXPECT_THAT(head, Not(HasSubstr("console.log")));

  EXPECT_THAT(Curl("", "/nothing.html"), HasSubstr("HTTP/1.1 404"));
  EXPECT_THAT(Curl("--path-as-is", "/../etc/passwd"),
              Not(HasSubstr("HTTP/1.1 200")));
  // The API keeps its own rules beside the files.
  std::string api = Curl("", "/api/v1/ping");
  EXPECT_THAT(api, HasSubstr("Cache-Control: no-store"));
  EXPECT_THAT(Curl("", "/api/v1/nothing"), HasSubstr(R"("status":404)"));
}

TEST(HttpsServerOptionsTest, RejectsBadOptions) {
  ServerOptions options;
  options.https_port = 0;
  EXPECT_FALSE(HttpsServer::Start(options).ok());  // no certificate
  options.certificate_path = "/nonexistent/cert.pem";
  options.https_port = 70000;
  EXPECT_FALSE(HttpsServer::Start(options).ok());
  options.https_port = 0;
  auto started = HttpsServer::Start(options);
  ASSERT_FALSE(started.ok());  // certificate file missing
  EXPECT_THAT(std::string(started.status().message()),
              HasSubstr("cannot start"));
}

}  // namespace
}  // namespace ews::http

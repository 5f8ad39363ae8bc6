// HTTPS server for the device's pages and JSON API, on civetweb with BoringSSL.
//
// What it guarantees, whatever the caller does: TLS 1.2 or 1.3 only,
// AES-256-GCM suites with ECDHE for TLS 1.2, HSTS (two years by default) and
// the usual browser hardening headers on every answer, a bounded number of
// worker threads with request and keep-alive timeouts, a cap on the connections
// one client address may hold (so idle TLS connections from one client cannot
// lock everyone out), a cap on request size, and plain HTTP only as a redirect
// to HTTPS.
//
// Note on TLS 1.3: Debian's BoringSSL offers AES-128-GCM, AES-256-GCM and
// ChaCha20-Poly1305 there and has no server-side way to restrict them; it
// follows the client's order. Clients that put AES-256 first (OpenSSL, curl)
// negotiate TLS_AES_256_GCM_SHA384; clients that prefer AES-128-GCM
// (Chromium) get TLS_AES_128_GCM_SHA256.
//
// Speed: civetweb holds one worker thread per open connection (kept alive or
// not), so `worker_threads` is also how many clients are served at once; the
// rest wait in the accept queue. Sockets have TCP_NODELAY set, and every API
// answer leaves in one write (one TLS record up to 16 KB), so a kept-alive
// connection does not wait on Nagle's algorithm and the client's delayed ACK
// (40 ms a request).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"
#include "sdk/http/connection_guard.h"
#include "sdk/http/json.h"
#include "sdk/http/path_pattern.h"  // PathMatches(), for the routes

namespace ews::http {

struct Request {
  std::string method;          // "GET", "POST", ...
  std::string path;            // decoded path, without the query string
  std::string query;           // raw query string, without '?'
  std::string remote_address;  // client IP
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // A body produced while it is sent, for downloads of any size in constant
  // memory (CSV export): when set, `body` is ignored, the answer goes out with
  // chunked transfer encoding and `Connection: close`, and `stream` is called
  // once with a writer that sends each piece. The writer returns Unavailable
  // once the client has gone; `stream` should then stop. A non-OK return from
  // `stream` ends the answer without its final chunk, so the client sees a
  // truncated transfer rather than a complete-looking file.
  using BodyWriter = std::function<absl::Status(absl::string_view)>;
  std::function<absl::Status(const BodyWriter&)> stream;
  // Runs once the answer has been written (e.g. a restart it announces).
  std::function<void()> after_sent;

  static Response Json(int status, std::string body);
  // {"error":{"status":404,"code":"not_found","message":"..."}}: `code` is
  // stable (clients switch on it; ErrorCode(status) unless given), the
  // message is for people.
  static Response Error(int status, const std::string& message);
  static Response Error(int status, absl::string_view code,
                        absl::string_view message);
  // The same with more members after "message" (an exception code, a list of
  // errors per field), written by `more` into the open error object; an empty
  // `more` adds nothing.
  static Response Error(int status, absl::string_view code,
                        absl::string_view message,
                        const std::function<void(JsonWriter&)>& more);
};

using Handler = std::function<Response(const Request&)>;

// The stable error code of an HTTP status: 400 "invalid_argument", 401
// "unauthenticated", 403 "permission_denied", 404 "not_found", 405
// "method_not_allowed", 409 "failed_precondition", 413 "too_large", 426
// "upgrade_required", 429 "resource_exhausted", 503 "unavailable", other 5xx
// "internal".
const char* ErrorCode(int status);

// One open WebSocket, server side. Messages are queued and sent by a thread of
// the connection's own, so a sender never waits on a slow client; a client
// whose queue is full is dropped (closed with 1008), never buffered without
// bound. Thread-safe.
class WebSocket {
 public:
  ~WebSocket();
  WebSocket(const WebSocket&) = delete;
  WebSocket& operator=(const WebSocket&) = delete;

  // Queues a text message. ResourceExhausted: the queue was full, the client
  // is being dropped; Unavailable: closed.
  absl::Status Send(std::string text);
  // Sends a close frame (after nothing else) and ends the connection.
  void Close(int code, const std::string& reason);
  bool open() const;
  // The upgrade request (path, headers, client address).
  const Request& request() const { return request_; }
  // Messages sent so far (for tests and stats).
  uint64_t sent() const;

 private:
  friend class HttpsServer;
  // The civetweb connection it writes to (defined in https_server.cc, so no
  // civetweb type appears here).
  struct Connection;
  WebSocket(std::unique_ptr<Connection> connection, Request request,
            size_t max_queued);
  void Start();
  void SenderLoop();
  void Closed();  // the connection is gone: stop and join the sender

  const std::unique_ptr<Connection> connection_;
  const Request request_;
  const size_t max_queued_;
  mutable absl::Mutex mutex_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mutex_);
  bool closing_ ABSL_GUARDED_BY(mutex_) = false;  // send the close frame
  bool closed_ ABSL_GUARDED_BY(mutex_) = false;   // the connection is gone
  int close_code_ ABSL_GUARDED_BY(mutex_) = 1000;
  std::string close_reason_ ABSL_GUARDED_BY(mutex_);
  uint64_t sent_ ABSL_GUARDED_BY(mutex_) = 0;
  std::thread sender_;
};

struct WebSocketHandler {
  // On the upgrade request: nullopt accepts it; a Response refuses it (sent
  // as is, e.g. 401 or 403, and the connection closed).
  std::function<std::optional<Response>(const Request&)> accept;
  // The handshake is done: messages may be sent.
  std::function<void(std::shared_ptr<WebSocket>)> on_open;
  // A text message from the client (optional).
  std::function<void(WebSocket&, absl::string_view)> on_message;
  // The connection is gone (after which Send() returns Unavailable).
  std::function<void(WebSocket&)> on_close;
  // Messages queued per client before it counts as too slow.
  size_t max_queued = 256;
};
// A streamed answer (files, WebDAV): the head once, then the body in chunks,
// so a large download never sits in memory.
class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  // Sends the status line, the fixed hardening headers and `headers`, with
  // "Cache-Control: no-store" unless `headers` has a Cache-Control (as the
  // routes' answers).
  // `content_length` is the exact body size (-1: unknown; the connection is
  // then closed after the body). Errors: FailedPrecondition when called
  // twice; Unavailable when the client is gone.
  virtual absl::Status Head(
      int status, const std::string& content_type, int64_t content_length,
      const std::vector<std::pair<std::string, std::string>>& headers) = 0;
  // Unavailable when the client is gone.
  virtual absl::Status Body(absl::string_view bytes) = 0;
  // Head() and Body() for an answer held whole (errors, listings, XML).
  absl::Status Whole(
      int status, const std::string& content_type, absl::string_view body,
      const std::vector<std::pair<std::string, std::string>>& headers = {});
};

// Must call writer.Head() (Body() is optional).
using StreamHandler = std::function<void(const Request&, ResponseWriter&)>;

struct ServerOptions {
  std::string bind_address = "127.0.0.1";
  int https_port = 443;  // 0: any free port (read it back with https_port())
  int http_redirect_port =
      80;  // plain HTTP answering only with a redirect; -1: none
  std::string
      certificate_path;  // PEM with private key and certificate (required)
  // The web UI's files (web/build.mjs's output), served by static_files.h:
  // long-lived hashed assets, revalidated HTML, pre-compressed variants.
  // Empty: none.
  std::string document_root;
  // Connections served at once (one worker thread each, 2..1024). 256: 200
  // idle TLS connections from any number of addresses (or the HTTPS
  // benchmark's 100 kept-alive ones) still leave workers for a login.
  // Measured on ews-server: 128 more workers cost 2.5 MB resident when idle,
  // an open idle TLS connection about 14 kB (docs/tls.md).
  int worker_threads = 256;
  // Longest wait for a request's head and body once a connection is served.
  absl::Duration request_timeout = absl::Seconds(10);
  // Longest idle time between requests on a kept-alive connection, after
  // which its worker is free for another client.
  absl::Duration keep_alive_timeout = absl::Seconds(5);
  // A WebSocket that received nothing for this long is pinged (and closed
  // when the ping cannot be sent), so live clients stay connected while dead
  // ones free their worker.
  absl::Duration websocket_ping_interval = absl::Seconds(30);
  // Connections one client address may hold open at once (each holds a
  // worker); more are closed as they are accepted (connection_guard.h), so a
  // client that opens hundreds of idle connections takes at most this many
  // workers from everyone else. 0: no cap.
  int max_connections_per_address = 16;
  // Bigger request heads get civetweb's 400 ("Malformed message").
  size_t max_header_bytes = 16 * 1024;
  size_t max_body_bytes = 1024 * 1024;  // bigger bodies get 413
  // Wall time for the Date header.
  const Clock* clock = &SystemClock::Get();
  // Two years, Mozilla's recommendation (what TLS grading tools check for).
  absl::Duration hsts_max_age = absl::Seconds(63072000);
};

class HttpsServer {
 public:
  // Starts listening. Errors: InvalidArgument (bad options), FailedPrecondition
  // (port in use, certificate unusable: civetweb's message is included).
  static absl::StatusOr<std::unique_ptr<HttpsServer>> Start(
      const ServerOptions& options);

  ~HttpsServer();
  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  // Routes `method` + exact `path` (e.g. "GET", "/api/v1/health") to `handler`.
  // Other methods on a routed path get 405, unrouted paths under /api/ get 404,
  // both as JSON errors. Routes may be added while serving.
  // `path` is exact, or a pattern whose "*" segments each match one
  // non-empty segment ("/api/v1/devices/*/registers"); an exact route wins
  // over a pattern.
  void Route(const std::string& method, const std::string& path,
             Handler handler);

  // Serves WebSocket upgrades of `path` (an exact path). A plain request to
  // it goes to the Route() of the same path, if any.
  void WebSocketRoute(const std::string& path, WebSocketHandler handler);
  // Every routed (method, path), sorted; a RoutePrefix() route is listed as
  // ("PREFIX", prefix).
  std::vector<std::pair<std::string, std::string>> RegisteredRoutes() const;
  // Routes every method on every path that starts with `prefix` (e.g.
  // "/dav/", "/api/v1/files/") to a streaming handler; the request body is
  // read and bounded as for Route(). Longer prefixes win; prefix routes are
  // looked up before exact ones.
  void RoutePrefix(const std::string& prefix, StreamHandler handler);

  int https_port() const { return https_port_; }
  int http_port() const {
    return http_port_;
  }  // -1 when there is no redirect listener

  // Connections refused so far by the per-address cap.
  int refused_connections() const {
    return guard_ == nullptr ? 0 : guard_->refused();
  }

  // Stops accepting, finishes requests in progress, joins the workers.
  // Idempotent.
  void Stop();

 private:
  explicit HttpsServer(const ServerOptions& options);
  // civetweb's side of the server (defined in https_server.cc, so no
  // civetweb type appears here): its context, and the callbacks it calls
  // with this server as their user data.
  struct Civet;
  struct WebSocketEndpoint {
    HttpsServer* server;
    WebSocketHandler handler;
  };
  // The ports civetweb listens on (the HTTPS one, the redirect one), read
  // back into https_port_ and http_port_ (port 0 asks for any free port).
  void ReadBackPorts();
  Response Dispatch(const Request& request) const;
  // HSTS and the hardening headers as "Name: value" lines, without a final
  // CRLF.
  static std::string SecurityHeaderLines(absl::Duration hsts_max_age);

  const ServerOptions options_;
  const std::string security_headers_;  // SecurityHeaderLines()
  // security_headers_, each line with its CRLF.
  const std::string fixed_headers_;
  std::unique_ptr<ConnectionGuard> guard_;  // null: no per-address cap
  std::unique_ptr<Civet> civet_;            // null once stopped
  int https_port_ = -1;
  int http_port_ = -1;

  std::vector<std::unique_ptr<WebSocketEndpoint>> websocket_endpoints_;
  std::shared_ptr<const StreamHandler> FindPrefixRoute(
      const std::string& path) const;

  // Handlers are shared, so a request takes one out of the lock without
  // copying the function (and whatever it captured).
  mutable absl::Mutex routes_mutex_;
  std::map<std::string, std::shared_ptr<const StreamHandler>> prefix_routes_
      ABSL_GUARDED_BY(routes_mutex_);
  std::map<std::string, std::map<std::string, std::shared_ptr<const Handler>>>
      routes_ ABSL_GUARDED_BY(routes_mutex_);  // path -> method -> handler
};

}  // namespace ews::http

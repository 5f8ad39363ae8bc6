// HTTPS server for the device's pages and JSON API, on civetweb with BoringSSL.
//
// What it guarantees, whatever the caller does: TLS 1.2 or 1.3 only,
// AES-256-GCM suites with ECDHE for TLS 1.2, HSTS (two years by default) and
// the usual browser hardening headers on every answer, a bounded number of
// worker threads with request and keep-alive timeouts (so idle TLS connections
// cannot lock everyone out), a cap on request size, and plain HTTP only as a
// redirect to HTTPS.
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

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"

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

  static Response Json(int status, std::string body);
  // {"error":{"status":404,"message":"..."}} with the message JSON-escaped.
  static Response Error(int status, const std::string& message);
};

using Handler = std::function<Response(const Request&)>;

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
  // Connections served at once (one worker thread each, 2..1024). 128: the
  // 100 kept-alive connections of the HTTPS benchmark (docs/performance.md)
  // plus 28 for everyone else. Debian's civetweb gives a worker a 100 KB
  // stack, about 32 KB of it resident once used; an open TLS connection adds
  // about 40 KB (measured on ews-server, 100 connections: +4 MB).
  int worker_threads = 128;
  // Longest wait for a request's head and body once a connection is served.
  absl::Duration request_timeout = absl::Seconds(10);
  // Longest idle time between requests on a kept-alive connection, after
  // which its worker is free for another client.
  absl::Duration keep_alive_timeout = absl::Seconds(5);
  size_t max_header_bytes = 16 * 1024;  // bigger request heads get 413
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
  void Route(const std::string& method, const std::string& path,
             Handler handler);

  int https_port() const { return https_port_; }
  int http_port() const {
    return http_port_;
  }  // -1 when there is no redirect listener

  // Stops accepting, finishes requests in progress, joins the workers.
  // Idempotent.
  void Stop();

 private:
  // The civetweb side: its context, its callbacks and the writing of answers,
  // defined in https_server.cc so that no civetweb type appears here.
  struct Civet;

  explicit HttpsServer(const ServerOptions& options);
  Response Dispatch(const Request& request) const;
  // The hardening headers as "Name: value" lines, without a final CRLF.
  static std::string HardeningHeaderLines(bool with_cache_control);

  const ServerOptions options_;
  const std::string fixed_headers_;  // HSTS and hardening lines, each with CRLF
  std::unique_ptr<Civet> civet_;
  int https_port_ = -1;
  int http_port_ = -1;

  mutable absl::Mutex routes_mutex_;
  std::map<std::string, std::map<std::string, Handler>> routes_
      ABSL_GUARDED_BY(routes_mutex_);  // path -> method -> handler
};

}  // namespace ews::http

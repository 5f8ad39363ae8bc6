#include "sdk/http/https_server.h"

#include <civetweb.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/http/internal/websocket_connection.h"
#include "sdk/http/json.h"
#include "sdk/http/static_files.h"
#include "sdk/security/tls/internal/server_context.h"

namespace ews::http {
namespace {

// civetweb's ssl_protocol_version 4 = TLS 1.2 and newer.
constexpr char kTls12AndNewer[] = "4";

constexpr char kCacheControl[] = "Cache-Control";

constexpr const char* kHardeningHeaders[][2] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    // No inline script or style, nothing from other origins; the WebSocket
    // is same-origin ('self' covers wss: to this host in CSP level 3).
    {"Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; "
     "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
     "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"},
};

int InitSsl(void* ssl_context, void* /*user_data*/) {
  // civetweb sets SSL_OP_NO_* flags; pin the range in BoringSSL's own terms as
  // well.
  absl::Status policy =
      security::internal::ApplyServerPolicy(static_cast<SSL_CTX*>(ssl_context));
  if (!policy.ok()) {
    EWS_LOG(ERROR) << policy;
    return -1;
  }
  return 0;  // civetweb goes on to load the certificate
}

int LogCivetweb(const mg_connection*, const char* message) {
  EWS_LOG(WARNING) << "civetweb: " << message;
  return 1;
}

// Whether civetweb keeps the connection open after this request, by its own
// rule: a "Connection" header from the client decides; without one, HTTP/1.1
// stays open and HTTP/1.0 closes.
bool KeepsAlive(const mg_connection* connection, const mg_request_info& info) {
  const char* header = mg_get_header(connection, "Connection");
  if (header != nullptr) {
    return absl::StrContains(absl::AsciiStrToLower(header), "keep-alive");
  }
  return info.http_version != nullptr &&
         std::strcmp(info.http_version, "1.1") == 0;
}

// The request line and headers (no body).
Request RequestHead(const mg_request_info& info) {
  Request request;
  request.method = info.request_method ? info.request_method : "";
  request.path = info.local_uri ? info.local_uri : "";
  request.query = info.query_string ? info.query_string : "";
  request.remote_address = info.remote_addr;
  for (int i = 0; i < info.num_headers; ++i) {
    request.headers[absl::AsciiStrToLower(info.http_headers[i].name)] =
        info.http_headers[i].value;
  }
  return request;
}

// The Date header's value, formatted once a second per worker thread (it is
// in every answer).
const std::string& HttpDate(absl::Time now) {
  thread_local int64_t second = std::numeric_limits<int64_t>::min();
  thread_local std::string text;
  const int64_t now_second = absl::ToUnixSeconds(now);
  if (now_second != second) {
    text =
        absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", now, absl::UTCTimeZone());
    second = now_second;
  }
  return text;
}

// The head of every answer the routes give, blank line included: the status
// line, Content-Type (when given), `framing` (Content-Length or
// Transfer-Encoding; empty: the body ends with the connection), the fixed
// hardening headers, `headers`, "Cache-Control: no-store" unless `headers`
// has its own (the device's data is not cached unless the answer says so),
// Date and Connection. `body_room`: bytes to reserve after the head, for a
// body appended to it.
std::string AnswerHead(
    int status, absl::string_view content_type, absl::string_view framing,
    absl::string_view fixed_headers,
    const std::vector<std::pair<std::string, std::string>>& headers,
    absl::Time now, bool keep_alive, size_t body_room = 0) {
  const char* reason = mg_get_response_code_text(nullptr, status);
  std::string head;
  head.reserve(fixed_headers.size() + 256 + body_room);
  absl::StrAppend(&head, "HTTP/1.1 ", status, " ",
                  reason != nullptr ? reason : "", "\r\n");
  if (!content_type.empty()) {
    absl::StrAppend(&head, "Content-Type: ", content_type, "\r\n");
  }
  if (!framing.empty()) absl::StrAppend(&head, framing, "\r\n");
  absl::StrAppend(&head, fixed_headers);
  bool own_cache_control = false;
  for (const auto& [name, value] : headers) {
    absl::StrAppend(&head, name, ": ", value, "\r\n");
    own_cache_control |= absl::EqualsIgnoreCase(name, kCacheControl);
  }
  if (!own_cache_control) {
    absl::StrAppend(&head, kCacheControl, ": no-store\r\n");
  }
  absl::StrAppend(&head, "Date: ", HttpDate(now),
                  "\r\nConnection: ", keep_alive ? "keep-alive" : "close",
                  "\r\n\r\n");
  return head;
}

// Writes one streamed answer on a civetweb connection.
class CivetResponseWriter final : public ResponseWriter {
 public:
  CivetResponseWriter(mg_connection* connection,
                      absl::string_view fixed_headers, const Clock& clock,
                      bool keep_alive)
      : connection_(connection),
        fixed_headers_(fixed_headers),
        clock_(clock),
        keep_alive_(keep_alive) {}

  absl::Status Head(int status, const std::string& content_type,
                    int64_t content_length,
                    const std::vector<std::pair<std::string, std::string>>&
                        headers) override {
    if (status_ != 0) return absl::FailedPreconditionError("head sent twice");
    status_ = status;
    if (content_length < 0) keep_alive_ = false;
    const std::string head = AnswerHead(
        status, content_type,
        content_length >= 0 ? absl::StrCat("Content-Length: ", content_length)
                            : std::string(),
        fixed_headers_, headers, clock_.WallNow(), keep_alive_);
    return Body(head);
  }

  absl::Status Body(absl::string_view bytes) override {
    if (bytes.empty()) return absl::OkStatus();
    if (mg_write(connection_, bytes.data(), bytes.size()) <= 0) {
      return absl::UnavailableError("client gone");
    }
    return absl::OkStatus();
  }

  int status() const { return status_; }

 private:
  mg_connection* const connection_;
  const absl::string_view fixed_headers_;
  const Clock& clock_;
  bool keep_alive_;
  int status_ = 0;
};

absl::Status CheckOptions(const ServerOptions& options) {
  if (options.certificate_path.empty()) {
    return absl::InvalidArgumentError("HTTPS needs a certificate_path");
  }
  if (options.https_port < 0 || options.https_port > 65535 ||
      options.http_redirect_port < -1 || options.http_redirect_port > 65535) {
    return absl::InvalidArgumentError("port out of range");
  }
  if (options.http_redirect_port > 0 &&
      options.http_redirect_port == options.https_port) {
    return absl::InvalidArgumentError(
        "the HTTP redirect port must differ from the HTTPS port");
  }
  if (options.worker_threads < 2 || options.worker_threads > 1024) {
    return absl::InvalidArgumentError("worker_threads must be 2..1024");
  }
  if (options.max_connections_per_address < 0) {
    return absl::InvalidArgumentError(
        "max_connections_per_address must be >= 0");
  }
  if (options.clock == nullptr) {
    return absl::InvalidArgumentError("HTTPS needs a clock");
  }
  return absl::OkStatus();
}

// civetweb's listening_ports: the HTTPS listener first (civetweb redirects
// plain HTTP to the first TLS port), then the plain one if any.
std::string ListeningPorts(const ServerOptions& options) {
  std::string ports =
      absl::StrCat(options.bind_address, ":", options.https_port, "s");
  if (options.http_redirect_port >= 0) {
    // A plain listener: BeginRequest() answers everything on it with a
    // redirect. civetweb's own "r" ports redirect to its authentication_domain,
    // not to the host the client asked for.
    absl::StrAppend(&ports, ",", options.bind_address, ":",
                    options.http_redirect_port);
  }
  return ports;
}

// civetweb's configuration (name, value, ..., nullptr), with the strings it
// points into.
class CivetOptions {
 public:
  CivetOptions(const ServerOptions& options, const std::string& ports,
               const std::string& security_headers)
      : threads_(std::to_string(options.worker_threads)),
        request_timeout_(
            std::to_string(absl::ToInt64Milliseconds(options.request_timeout))),
        keep_alive_timeout_(std::to_string(
            absl::ToInt64Milliseconds(options.keep_alive_timeout))),
        max_request_(std::to_string(options.max_header_bytes)),
        websocket_timeout_(std::to_string(
            absl::ToInt64Milliseconds(options.websocket_ping_interval))) {
    pointers_ = {
        "listening_ports",
        ports.c_str(),
        "ssl_certificate",
        options.certificate_path.c_str(),
        "ssl_protocol_version",
        kTls12AndNewer,
        "ssl_cipher_list",
        security::internal::kServerCipherList,
        "num_threads",
        threads_.c_str(),
        "request_timeout_ms",
        request_timeout_.c_str(),
        "keep_alive_timeout_ms",
        keep_alive_timeout_.c_str(),
        "enable_keep_alive",
        "yes",
        "tcp_nodelay",
        "1",
        "max_request_size",
        max_request_.c_str(),
        // civetweb's own answers (its error pages) carry HSTS and the
        // hardening headers too (civetweb's own HSTS option has no
        // includeSubDomains).
        "additional_header",
        security_headers.c_str(),
        "enable_directory_listing",
        "no",
        "decode_url",
        "yes",
        "websocket_timeout_ms",
        websocket_timeout_.c_str(),
        "enable_websocket_ping_pong",
        "yes",
        nullptr,
    };
  }
  CivetOptions(const CivetOptions&) = delete;
  CivetOptions& operator=(const CivetOptions&) = delete;

  const char** pointers() { return pointers_.data(); }

 private:
  const std::string threads_;
  const std::string request_timeout_;
  const std::string keep_alive_timeout_;
  const std::string max_request_;
  const std::string websocket_timeout_;
  std::vector<const char*> pointers_;
};

}  // namespace

struct HttpsServer::Civet {
  mg_context* context = nullptr;

  // The callbacks civetweb calls; `self` / `data` is the HttpsServer or its
  // WebSocketEndpoint.
  static int RedirectPlainHttp(mg_connection* connection);
  // /api/ to the routes, everything else to the static files.
  static int DispatchRequest(mg_connection* connection, void* self);
  static int WebSocketConnect(const mg_connection* connection, void* data);
  static void WebSocketReady(mg_connection* connection, void* data);
  static int WebSocketData(mg_connection* connection, int flags, char* bytes,
                           size_t length, void* data);
  static void WebSocketClose(const mg_connection* connection, void* data);
  // Writes the answer; `head_only` leaves out the body (HEAD) but keeps its
  // Content-Length. "Cache-Control: no-store" unless the answer sets its own.
  static void Send(const HttpsServer& server, mg_connection* connection,
                   const Response& response, bool keep_alive, bool head_only);
};

Response Response::Json(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

const char* ErrorCode(int status) {
  switch (status) {
    case 400:
      return "invalid_argument";
    case 401:
      return "unauthenticated";
    case 403:
      return "permission_denied";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 409:
      return "failed_precondition";
    case 413:
      return "too_large";
    case 426:
      return "upgrade_required";
    case 429:
      return "resource_exhausted";
    case 503:
      return "unavailable";
    default:
      return status >= 500 ? "internal" : "error";
  }
}

Response Response::Error(int status, const std::string& message) {
  return Error(status, ErrorCode(status), message);
}

Response Response::Error(int status, absl::string_view code,
                         absl::string_view message) {
  return Error(status, code, message, nullptr);
}

Response Response::Error(int status, absl::string_view code,
                         absl::string_view message,
                         const std::function<void(JsonWriter&)>& more) {
  JsonWriter json;
  json.BeginObject()
      .Key("error")
      .BeginObject()
      .Key("status")
      .Int(status)
      .Key("code")
      .String(code)
      .Key("message")
      .String(message);
  if (more) more(json);
  json.EndObject().EndObject();
  return Json(status, json.Take());
}

absl::Status ResponseWriter::Whole(
    int status, const std::string& content_type, absl::string_view body,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  absl::Status head =
      Head(status, content_type, static_cast<int64_t>(body.size()), headers);
  if (!head.ok()) return head;
  return Body(body);
}

HttpsServer::HttpsServer(const ServerOptions& options)
    : options_(options),
      security_headers_(SecurityHeaderLines(options.hsts_max_age)),
      fixed_headers_(absl::StrCat(security_headers_, "\r\n")) {}

std::string HttpsServer::SecurityHeaderLines(absl::Duration hsts_max_age) {
  std::string lines = absl::StrCat(
      "Strict-Transport-Security: max-age=", absl::ToInt64Seconds(hsts_max_age),
      "; includeSubDomains");
  for (const auto& header : kHardeningHeaders) {
    absl::StrAppend(&lines, "\r\n", header[0], ": ", header[1]);
  }
  return lines;
}

// The whole answer goes out in one mg_write, so an answer of up to 16 KB is one
// TLS record and one TCP segment: civetweb's mg_response_header_*() write
// every header line on its own (twelve records for a small JSON answer).
void HttpsServer::Civet::Send(const HttpsServer& server,
                              mg_connection* connection,
                              const Response& response, bool keep_alive,
                              bool head_only) {
  const bool streamed = static_cast<bool>(response.stream);
  if (streamed) keep_alive = false;  // a broken stream must not desync a reuse
  const bool with_body = !head_only && !streamed;
  std::string head = AnswerHead(
      response.status, response.content_type,
      streamed ? std::string("Transfer-Encoding: chunked")
               : absl::StrCat("Content-Length: ", response.body.size()),
      server.fixed_headers_, response.headers, server.options_.clock->WallNow(),
      keep_alive, with_body ? response.body.size() : 0);
  if (with_body) head += response.body;
  if (mg_write(connection, head.data(), head.size()) <= 0 || !streamed ||
      head_only) {
    return;
  }
  const Response::BodyWriter writer =
      [connection](absl::string_view piece) -> absl::Status {
    if (piece.empty()) return absl::OkStatus();  // an empty chunk ends a body
    if (mg_send_chunk(connection, piece.data(),
                      static_cast<unsigned int>(piece.size())) <= 0) {
      return absl::UnavailableError("the client closed the connection");
    }
    return absl::OkStatus();
  };
  const absl::Status streamed_status = response.stream(writer);
  if (streamed_status.ok()) {
    mg_send_chunk(connection, "", 0);
  } else {
    EWS_LOG(WARNING) << "streamed answer ended early: " << streamed_status;
  }
}

HttpsServer::~HttpsServer() { Stop(); }

absl::StatusOr<std::unique_ptr<HttpsServer>> HttpsServer::Start(
    const ServerOptions& options) {
  EWS_RETURN_IF_ERROR(CheckOptions(options));

  static const unsigned features = mg_init_library(MG_FEATURES_TLS);
  if ((features & MG_FEATURES_TLS) == 0 &&
      mg_check_feature(MG_FEATURES_TLS) == 0) {
    return absl::FailedPreconditionError("civetweb was built without TLS");
  }

  std::unique_ptr<HttpsServer> server(new HttpsServer(options));

  const std::string ports = ListeningPorts(options);
  CivetOptions civet_options(options, ports, server->security_headers_);

  mg_callbacks callbacks{};
  callbacks.init_ssl = InitSsl;
  callbacks.log_message = LogCivetweb;
  callbacks.begin_request = &Civet::RedirectPlainHttp;

  char error_text[256] = "";
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = server.get();
  init.configuration_options = civet_options.pointers();
  mg_error_data error{};
  error.text = error_text;
  error.text_buffer_size = sizeof error_text;
  server->civet_ = std::make_unique<Civet>();
  server->civet_->context = mg_start2(&init, &error);
  if (server->civet_->context == nullptr) {
    server->civet_.reset();
    return absl::FailedPreconditionError(
        absl::StrCat("cannot start HTTPS server on ", ports, ": ",
                     error_text[0] != '\0' ? error_text : "unknown error"));
  }

  server->ReadBackPorts();
  if (options.max_connections_per_address > 0) {
    server->guard_ =
        std::make_unique<ConnectionGuard>(options.max_connections_per_address);
    for (int port : {server->https_port_, server->http_port_}) {
      if (port > 0) GuardPort(port, server->guard_.get());
    }
  }
  // One handler for every path (civetweb would otherwise pick between
  // overlapping prefixes by registration order): /api/ goes to the routes, the
  // rest to the web UI's files.
  mg_set_request_handler(server->civet_->context, "/", &Civet::DispatchRequest,
                         server.get());
  EWS_LOG(INFO) << "HTTPS on " << options.bind_address << ":"
                << server->https_port_
                << (server->http_port_ >= 0
                        ? absl::StrCat(", HTTP redirect on port ",
                                       server->http_port_)
                        : std::string());
  return server;
}

void HttpsServer::ReadBackPorts() {
  mg_server_port listening[4];
  int count = mg_get_server_ports(civet_->context, 4, listening);
  for (int i = 0; i < count; ++i) {
    if (listening[i].is_ssl) {
      https_port_ = listening[i].port;
    } else {
      http_port_ = listening[i].port;
    }
  }
}

void HttpsServer::Route(const std::string& method, const std::string& path,
                        Handler handler) {
  auto shared = std::make_shared<const Handler>(std::move(handler));
  absl::MutexLock lock(&routes_mutex_);
  routes_[path][method] = std::move(shared);
}

std::vector<std::pair<std::string, std::string>> HttpsServer::RegisteredRoutes()
    const {
  absl::ReaderMutexLock lock(&routes_mutex_);
  std::vector<std::pair<std::string, std::string>> routes;
  for (const auto& [path, methods] : routes_) {
    for (const auto& method : methods) routes.emplace_back(method.first, path);
  }
  for (const auto& entry : prefix_routes_) {
    routes.emplace_back("PREFIX", entry.first);
  }
  std::sort(routes.begin(), routes.end());
  return routes;
}

void HttpsServer::RoutePrefix(const std::string& prefix,
                              StreamHandler handler) {
  // Every path already reaches DispatchRequest (civetweb's handler on "/").
  auto shared = std::make_shared<const StreamHandler>(std::move(handler));
  absl::MutexLock lock(&routes_mutex_);
  prefix_routes_[prefix] = std::move(shared);
}

std::shared_ptr<const StreamHandler> HttpsServer::FindPrefixRoute(
    const std::string& path) const {
  absl::ReaderMutexLock lock(&routes_mutex_);
  // The longest prefix that matches: walk back from the first key above.
  for (auto it = prefix_routes_.upper_bound(path);
       it != prefix_routes_.begin();) {
    --it;
    if (absl::StartsWith(path, it->first)) return it->second;
  }
  return nullptr;
}

void HttpsServer::Stop() {
  if (civet_ != nullptr) {
    for (int port : {https_port_, http_port_}) {
      if (guard_ != nullptr && port > 0) UnguardPort(port);
    }
    mg_stop(civet_->context);
    civet_.reset();
  }
}

Response HttpsServer::Dispatch(const Request& request) const {
  std::shared_ptr<const Handler> handler;
  {
    absl::ReaderMutexLock lock(&routes_mutex_);
    auto by_path = routes_.find(request.path);
    if (by_path == routes_.end()) {
      // A route with "*" segments (registered in order; the first match wins).
      for (by_path = routes_.begin(); by_path != routes_.end(); ++by_path) {
        if (PathMatches(by_path->first, request.path)) break;
      }
    }
    if (by_path == routes_.end()) {
      return Response::Error(404, "no such API path: " + request.path);
    }
    auto by_method = by_path->second.find(request.method);
    if (by_method == by_path->second.end()) {
      Response response = Response::Error(
          405, request.method + " is not allowed on " + request.path);
      std::string allowed;
      for (const auto& entry : by_path->second) {
        absl::StrAppend(&allowed, allowed.empty() ? "" : ", ", entry.first);
      }
      response.headers.emplace_back("Allow", allowed);
      return response;
    }
    handler = by_method->second;
  }
  return (*handler)(request);
}

int HttpsServer::Civet::RedirectPlainHttp(mg_connection* connection) {
  const mg_request_info* info = mg_get_request_info(connection);
  if (info->is_ssl) return 0;  // civetweb goes on to the handlers
  auto* server =
      static_cast<HttpsServer*>(mg_get_user_data(mg_get_context(connection)));
  // Keep the host the client used, without its port; anything that is not a
  // plain host name or address literal (header injection, garbage) falls back
  // to the bound address.
  std::string host = mg_get_header(connection, "Host") != nullptr
                         ? mg_get_header(connection, "Host")
                         : "";
  if (!host.empty() && host[0] == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  const bool plain = !host.empty() && host.size() <= 253 &&
                     std::all_of(host.begin(), host.end(), [](char c) {
                       return absl::ascii_isalnum(c) || c == '.' || c == '-' ||
                              c == ':' || c == '[' || c == ']';
                     });
  if (!plain) host = server->options_.bind_address;
  std::string location =
      absl::StrCat("https://", host, ":", server->https_port_,
                   info->local_uri ? info->local_uri : "/");
  if (info->query_string != nullptr) {
    absl::StrAppend(&location, "?", info->query_string);
  }
  // Written here rather than with mg_send_http_redirect(), which sends no
  // additional headers.
  const std::string answer =
      absl::StrCat("HTTP/1.1 308 Permanent Redirect\r\nLocation: ", location,
                   "\r\nContent-Length: 0\r\n", server->fixed_headers_,
                   "Cache-Control: no-store\r\n", "Connection: close\r\n\r\n");
  mg_write(connection, answer.data(), answer.size());
  return 308;
}

int HttpsServer::Civet::DispatchRequest(mg_connection* connection, void* self) {
  auto* server = static_cast<HttpsServer*>(self);
  const mg_request_info* info = mg_get_request_info(connection);
  Request request = RequestHead(*info);

  const size_t limit = server->options_.max_body_bytes;
  auto refuse_body = [&] {
    Send(*server, connection,
         Response::Error(413,
                         absl::StrCat("request body over ", limit, " bytes")),
         /*keep_alive=*/false, /*head_only=*/false);
    return 413;
  };
  if (info->content_length > 0 &&
      static_cast<uint64_t>(info->content_length) > limit) {
    return refuse_body();
  }
  char buffer[8192];
  int n;
  while ((n = mg_read(connection, buffer, sizeof buffer)) > 0) {
    request.body.append(buffer, n);
    if (request.body.size() > limit) return refuse_body();
  }

  if (std::shared_ptr<const StreamHandler> stream =
          server->FindPrefixRoute(request.path)) {
    CivetResponseWriter writer(connection, server->fixed_headers_,
                               *server->options_.clock,
                               KeepsAlive(connection, *info));
    (*stream)(request, writer);
    if (writer.status() == 0) {
      Send(*server, connection, Response::Error(500, "no answer"), false,
           /*head_only=*/false);
      return 500;
    }
    return writer.status();
  }
  Response response;
  if (absl::StartsWith(request.path, "/api/")) {
    response = server->Dispatch(request);
  } else if (!server->options_.document_root.empty()) {
    response = ServeStaticFile(server->options_.document_root, request);
  } else {
    response = Response::Error(404, "no web UI installed");
  }
  Send(*server, connection, response, KeepsAlive(connection, *info),
       /*head_only=*/request.method == "HEAD");
  if (response.after_sent) response.after_sent();
  return response.status;
}

}  // namespace ews::http

namespace ews::http {

void HttpsServer::WebSocketRoute(const std::string& path,
                                 WebSocketHandler handler) {
  auto endpoint = std::make_unique<WebSocketEndpoint>(
      WebSocketEndpoint{this, std::move(handler)});
  if (civet_ == nullptr) return;  // stopped
  mg_set_websocket_handler(civet_->context, path.c_str(),
                           &Civet::WebSocketConnect, &Civet::WebSocketReady,
                           &Civet::WebSocketData, &Civet::WebSocketClose,
                           endpoint.get());
  websocket_endpoints_.push_back(std::move(endpoint));
}

// The WebSocket of a connection: a heap-held shared_ptr in civetweb's user
// connection data, from the upgrade request until the connection closes.
namespace {
std::shared_ptr<WebSocket>* SocketOf(const mg_connection* connection) {
  return static_cast<std::shared_ptr<WebSocket>*>(
      mg_get_user_connection_data(connection));
}
}  // namespace

int HttpsServer::Civet::WebSocketConnect(const mg_connection* connection,
                                         void* data) {
  auto* endpoint = static_cast<WebSocketEndpoint*>(data);
  const mg_request_info* info = mg_get_request_info(connection);
  Request request = RequestHead(*info);
  auto* mutable_connection = const_cast<mg_connection*>(connection);
  if (endpoint->handler.accept) {
    std::optional<Response> refusal = endpoint->handler.accept(request);
    if (refusal.has_value()) {
      Send(*endpoint->server, mutable_connection, *refusal,
           /*keep_alive=*/false, /*head_only=*/false);
      return 1;  // no handshake; civetweb closes the connection
    }
  }
  mg_set_user_connection_data(
      connection, new std::shared_ptr<WebSocket>(new WebSocket(
                      std::make_unique<WebSocket::Connection>(
                          WebSocket::Connection{mutable_connection}),
                      std::move(request), endpoint->handler.max_queued)));
  return 0;
}

void HttpsServer::Civet::WebSocketReady(mg_connection* connection, void* data) {
  auto* endpoint = static_cast<WebSocketEndpoint*>(data);
  std::shared_ptr<WebSocket>* socket = SocketOf(connection);
  if (socket == nullptr) return;
  (*socket)->Start();
  if (endpoint->handler.on_open) endpoint->handler.on_open(*socket);
}

int HttpsServer::Civet::WebSocketData(mg_connection* connection, int flags,
                                      char* bytes, size_t length, void* data) {
  auto* endpoint = static_cast<WebSocketEndpoint*>(data);
  const int opcode = flags & 0xf;
  if (opcode == MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE) return 0;
  std::shared_ptr<WebSocket>* socket = SocketOf(connection);
  if (opcode == MG_WEBSOCKET_OPCODE_TEXT && socket != nullptr &&
      endpoint->handler.on_message) {
    endpoint->handler.on_message(**socket, absl::string_view(bytes, length));
  }
  return 1;  // keep the connection
}

void HttpsServer::Civet::WebSocketClose(const mg_connection* connection,
                                        void* data) {
  auto* endpoint = static_cast<WebSocketEndpoint*>(data);
  std::shared_ptr<WebSocket>* socket = SocketOf(connection);
  if (socket == nullptr) return;
  (*socket)->Closed();
  if (endpoint->handler.on_close) endpoint->handler.on_close(**socket);
  delete socket;
  mg_set_user_connection_data(connection, nullptr);
}

}  // namespace ews::http

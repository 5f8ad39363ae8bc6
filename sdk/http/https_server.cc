#include "sdk/http/https_server.h"

#include <civetweb.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/http/json.h"
#include "sdk/http/static_files.h"

namespace ews::http {
namespace {

// ECDHE + AES-256-GCM only (TLS 1.2). The RSA variant serves a site that
// installs an RSA certificate of its own; the generated one is ECDSA P-256.
constexpr char kCipherList[] =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384";

// civetweb's ssl_protocol_version 4 = TLS 1.2 and newer.
constexpr char kTls12AndNewer[] = "4";

constexpr char kCacheControl[] = "Cache-Control";

constexpr const char* kHardeningHeaders[][2] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Referrer-Policy", "no-referrer"},
    {"Content-Security-Policy",
     "default-src 'self'; frame-ancestors 'none'; base-uri 'none'"},
    {kCacheControl, "no-store"},  // unless the answer sets its own
};

int InitSsl(void* ssl_context, void* /*user_data*/) {
  // civetweb sets SSL_OP_NO_* flags; pin the range in BoringSSL's own terms as
  // well.
  auto* context = static_cast<SSL_CTX*>(ssl_context);
  if (!SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) ||
      !SSL_CTX_set_max_proto_version(context, TLS1_3_VERSION) ||
      !SSL_CTX_set_strict_cipher_list(context, kCipherList)) {
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
  if (options.clock == nullptr) {
    return absl::InvalidArgumentError("HTTPS needs a clock");
  }
  return absl::OkStatus();
}

// "address:port" listeners for civetweb.
std::string ListeningPorts(const ServerOptions& options) {
  // HTTPS listener first: civetweb redirects plain HTTP to the first TLS port.
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

// civetweb's configuration as the NULL-terminated name/value list it takes;
// `pointers` points into the strings held here.
struct CivetOptions {
  CivetOptions(const ServerOptions& options, const std::string& ports,
               std::string additional_headers)
      : threads(std::to_string(options.worker_threads)),
        request_timeout(
            std::to_string(absl::ToInt64Milliseconds(options.request_timeout))),
        keep_alive_timeout(std::to_string(
            absl::ToInt64Milliseconds(options.keep_alive_timeout))),
        max_request(std::to_string(options.max_header_bytes)),
        hsts(std::to_string(absl::ToInt64Seconds(options.hsts_max_age))),
        additional_headers(std::move(additional_headers)) {
    pointers = {
        "listening_ports",
        ports.c_str(),
        "ssl_certificate",
        options.certificate_path.c_str(),
        "ssl_protocol_version",
        kTls12AndNewer,
        "ssl_cipher_list",
        kCipherList,
        "strict_transport_security_max_age",
        hsts.c_str(),
        "num_threads",
        threads.c_str(),
        "request_timeout_ms",
        request_timeout.c_str(),
        "keep_alive_timeout_ms",
        keep_alive_timeout.c_str(),
        "enable_keep_alive",
        "yes",
        "tcp_nodelay",
        "1",
        "max_request_size",
        max_request.c_str(),
        "additional_header",
        this->additional_headers.c_str(),
        "enable_directory_listing",
        "no",
        "decode_url",
        "yes",
        nullptr,
    };
  }
  CivetOptions(const CivetOptions&) = delete;
  CivetOptions& operator=(const CivetOptions&) = delete;

  const std::string threads;
  const std::string request_timeout;
  const std::string keep_alive_timeout;
  const std::string max_request;
  const std::string hsts;
  const std::string additional_headers;
  std::vector<const char*> pointers;
};

}  // namespace

struct HttpsServer::Civet {
  // Plain HTTP: a redirect to the same host and path on the HTTPS port.
  static int RedirectPlainHttp(mg_connection* connection);
  // /api/ to the routes, everything else to the static files.
  static int DispatchRequest(mg_connection* connection, void* self);
  // Reads a request's head and body; false (413 sent) if the body is too big.
  static bool ReadRequest(const HttpsServer& server, mg_connection* connection,
                          const mg_request_info& info, Request* request);
  // Writes the answer; `head_only` leaves out the body (HEAD) but keeps its
  // Content-Length. "Cache-Control: no-store" unless the answer sets its own.
  static void Send(const HttpsServer& server, mg_connection* connection,
                   const Response& response, bool keep_alive, bool head_only);
  // Starts civetweb on `ports` for `server`, reads back the bound ports and
  // installs the request handler.
  static absl::Status Launch(HttpsServer* server, const std::string& ports);

  mg_context* context = nullptr;
};

Response Response::Json(int status, std::string body) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

Response Response::Error(int status, const std::string& message) {
  JsonWriter json;
  json.BeginObject()
      .Key("error")
      .BeginObject()
      .Key("status")
      .Int(status)
      .Key("message")
      .String(message)
      .EndObject()
      .EndObject();
  return Json(status, json.Take());
}

HttpsServer::HttpsServer(const ServerOptions& options)
    : options_(options),
      fixed_headers_(absl::StrCat(
          "Strict-Transport-Security: max-age=",
          absl::ToInt64Seconds(options.hsts_max_age), "; includeSubDomains\r\n",
          HardeningHeaderLines(/*with_cache_control=*/false), "\r\n")),
      civet_(std::make_unique<Civet>()) {}

std::string HttpsServer::HardeningHeaderLines(bool with_cache_control) {
  std::string lines;
  for (const auto& header : kHardeningHeaders) {
    if (!with_cache_control && header[0] == kCacheControl) continue;
    absl::StrAppend(&lines, lines.empty() ? "" : "\r\n", header[0], ": ",
                    header[1]);
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
  const char* reason = mg_get_response_code_text(nullptr, response.status);
  std::string head = absl::StrCat("HTTP/1.1 ", response.status, " ",
                                  reason != nullptr ? reason : "",
                                  "\r\nContent-Type: ", response.content_type,
                                  "\r\nContent-Length: ", response.body.size(),
                                  "\r\n", server.fixed_headers_);
  bool own_cache_control = false;
  for (const auto& [name, value] : response.headers) {
    absl::StrAppend(&head, name, ": ", value, "\r\n");
    own_cache_control |= absl::EqualsIgnoreCase(name, kCacheControl);
  }
  if (!own_cache_control) absl::StrAppend(&head, "Cache-Control: no-store\r\n");
  absl::StrAppend(
      &head, "Date: ",
      absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT",
                       server.options_.clock->WallNow(), absl::UTCTimeZone()),
      "\r\nConnection: ", keep_alive ? "keep-alive" : "close", "\r\n\r\n");
  if (!head_only) head += response.body;
  mg_write(connection, head.data(), head.size());
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
  EWS_RETURN_IF_ERROR(Civet::Launch(server.get(), ListeningPorts(options)));
  EWS_LOG(INFO) << "HTTPS on " << options.bind_address << ":"
                << server->https_port_
                << (server->http_port_ >= 0
                        ? absl::StrCat(", HTTP redirect on port ",
                                       server->http_port_)
                        : std::string());
  return server;
}

absl::Status HttpsServer::Civet::Launch(HttpsServer* server,
                                        const std::string& ports) {
  const ServerOptions& options = server->options_;
  // civetweb's own answers (its error pages) carry them too.
  CivetOptions civet_options(
      options, ports, HardeningHeaderLines(/*with_cache_control=*/true));

  mg_callbacks callbacks{};
  callbacks.init_ssl = InitSsl;
  callbacks.log_message = LogCivetweb;
  callbacks.begin_request = &Civet::RedirectPlainHttp;

  char error_text[256] = "";
  mg_init_data init{};
  init.callbacks = &callbacks;
  init.user_data = server;
  init.configuration_options = civet_options.pointers.data();
  mg_error_data error{};
  error.text = error_text;
  error.text_buffer_size = sizeof error_text;
  mg_context* context = mg_start2(&init, &error);
  if (context == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot start HTTPS server on ", ports, ": ",
                     error_text[0] != '\0' ? error_text : "unknown error"));
  }
  server->civet_->context = context;

  mg_server_port listening[4];
  int count = mg_get_server_ports(context, 4, listening);
  for (int i = 0; i < count; ++i) {
    if (listening[i].is_ssl) {
      server->https_port_ = listening[i].port;
    } else {
      server->http_port_ = listening[i].port;
    }
  }
  // One handler for every path (civetweb would otherwise pick between
  // overlapping prefixes by registration order): /api/ goes to the routes, the
  // rest to the web UI's files.
  mg_set_request_handler(context, "/", &Civet::DispatchRequest, server);
  return absl::OkStatus();
}

void HttpsServer::Route(const std::string& method, const std::string& path,
                        Handler handler) {
  absl::MutexLock lock(&routes_mutex_);
  routes_[path][method] = std::move(handler);
}

void HttpsServer::Stop() {
  if (civet_->context != nullptr) {
    mg_stop(civet_->context);
    civet_->context = nullptr;
  }
}

Response HttpsServer::Dispatch(const Request& request) const {
  Handler handler;
  {
    absl::ReaderMutexLock lock(&routes_mutex_);
    auto by_path = routes_.find(request.path);
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
  return handler(request);
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
  mg_send_http_redirect(connection, location.c_str(), 308);
  return 308;
}

bool HttpsServer::Civet::ReadRequest(const HttpsServer& server,
                                     mg_connection* connection,
                                     const mg_request_info& info,
                                     Request* request) {
  request->method = info.request_method ? info.request_method : "";
  request->path = info.local_uri ? info.local_uri : "";
  request->query = info.query_string ? info.query_string : "";
  request->remote_address = info.remote_addr;
  for (int i = 0; i < info.num_headers; ++i) {
    request->headers[absl::AsciiStrToLower(info.http_headers[i].name)] =
        info.http_headers[i].value;
  }

  const size_t limit = server.options_.max_body_bytes;
  auto refuse_body = [&] {
    Send(server, connection,
         Response::Error(413,
                         absl::StrCat("request body over ", limit, " bytes")),
         /*keep_alive=*/false, /*head_only=*/false);
    return false;
  };
  if (info.content_length > 0 &&
      static_cast<uint64_t>(info.content_length) > limit) {
    return refuse_body();
  }
  char buffer[8192];
  int n;
  while ((n = mg_read(connection, buffer, sizeof buffer)) > 0) {
    request->body.append(buffer, n);
    if (request->body.size() > limit) return refuse_body();
  }
  return true;
}

int HttpsServer::Civet::DispatchRequest(mg_connection* connection, void* self) {
  const auto& server = *static_cast<const HttpsServer*>(self);
  const mg_request_info* info = mg_get_request_info(connection);
  Request request;
  if (!ReadRequest(server, connection, *info, &request)) return 413;

  Response response;
  if (absl::StartsWith(request.path, "/api/")) {
    response = server.Dispatch(request);
  } else if (!server.options_.document_root.empty()) {
    response = ServeStaticFile(server.options_.document_root, request);
  } else {
    response = Response::Error(404, "no web UI installed");
  }
  Send(server, connection, response, KeepsAlive(connection, *info),
       /*head_only=*/request.method == "HEAD");
  return response.status;
}

}  // namespace ews::http

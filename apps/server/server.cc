#include "apps/server/server.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "apps/server/version.h"
#include "sdk/base/files.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/config/config_store.h"
#include "sdk/config/defaults.h"
#include "sdk/security/tls/certificate.h"

namespace ews::server {
namespace {

absl::Status MakeDirectory(const std::string& path, mode_t mode) {
  if (mkdir(path.c_str(), mode) == 0 || errno == EEXIST) {
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(
      absl::StrCat("cannot create ", path, ": ", std::strerror(errno)));
}

// The configuration, or the factory one on first start (saved before it is
// used, so that the codes' salts do not change across restarts).
absl::StatusOr<config::v1::DeviceConfig> LoadOrCreateConfig(
    config::ConfigStore& store) {
  absl::StatusOr<config::v1::DeviceConfig> loaded = store.Load();
  if (loaded.ok() || !absl::IsNotFound(loaded.status())) return loaded;
  EWS_LOG(INFO) << "no configuration yet: writing the factory configuration";
  EWS_ASSIGN_OR_RETURN(config::v1::DeviceConfig factory,
                       config::DefaultConfig());
  EWS_RETURN_IF_ERROR(store.Save(factory));
  return factory;
}

absl::StatusOr<std::string> CertificatePath(
    const config::v1::DeviceConfig& config, const std::string& data_dir,
    const Clock& clock) {
  const auto& web = config.web();
  if (!web.tls_certificate_path().empty()) {
    // civetweb wants key and certificate in one file: join the configured pair
    // in the data dir.
    EWS_ASSIGN_OR_RETURN(std::string certificate,
                         ReadFileToString(web.tls_certificate_path(), 1 << 20));
    EWS_ASSIGN_OR_RETURN(std::string pem,
                         ReadFileToString(web.tls_private_key_path(), 1 << 20));
    pem += certificate;
    EWS_ASSIGN_OR_RETURN(security::CertificateInfo info,
                         security::InspectPem(pem));
    const std::string joined = data_dir + "/tls/configured.pem";
    EWS_RETURN_IF_ERROR(WriteFileAtomically(joined, pem, 0600));
    EWS_LOG(INFO) << "TLS certificate " << info.subject << " SHA-256 "
                  << info.sha256_fingerprint;
    return joined;
  }
  security::CertificateRequest request;
  request.common_name = config.network().hostname().empty()
                            ? "ews.local"
                            : config.network().hostname();
  request.alt_names = {request.common_name, "localhost", "127.0.0.1"};
  if (config.network().has_static_ipv4()) {
    request.alt_names.push_back(config.network().static_ipv4().address());
  }
  const std::string path = data_dir + "/tls/server.pem";
  EWS_ASSIGN_OR_RETURN(
      security::CertificateInfo info,
      security::EnsureSelfSignedCertificate(path, request, clock));
  EWS_LOG(INFO) << "TLS certificate " << path << " (" << info.key_type
                << ") SHA-256 " << info.sha256_fingerprint;
  return path;
}

absl::Status WriteReadyFile(const std::string& path, int https_port,
                            int http_port) {
  return WriteFileAtomically(
      path,
      absl::StrCat("https_port=", https_port, "\nhttp_port=", http_port,
                   "\npid=", getpid(), "\n"),
      0644);
}

std::string ModelSizeName(config::v1::ModelSize size) {
  switch (size) {
    case config::v1::MODEL_10:
      return "10";
    case config::v1::MODEL_32:
      return "32";
    default:
      return "null";
  }
}

}  // namespace

EwsServer::EwsServer(const ServerOptions& options, Clock& clock,
                     config::v1::DeviceConfig config)
    : options_(options),
      clock_(clock),
      config_(std::move(config)),
      started_at_(clock.MonotonicNow()) {}

EwsServer::~EwsServer() { Stop(); }

absl::StatusOr<std::unique_ptr<EwsServer>> EwsServer::Start(
    const ServerOptions& options, Clock& clock) {
  EWS_LOG(INFO) << "EWS " << kVersion << " starting, data in "
                << options.data_dir;
  EWS_RETURN_IF_ERROR(MakeDirectory(options.data_dir, 0700));
  EWS_RETURN_IF_ERROR(MakeDirectory(options.data_dir + "/tls", 0700));
  EWS_RETURN_IF_ERROR(MakeDirectory(options.data_dir + "/run", 0700));

  config::ConfigStore store(options.data_dir, clock);
  EWS_ASSIGN_OR_RETURN(config::v1::DeviceConfig config,
                       LoadOrCreateConfig(store));
  EWS_ASSIGN_OR_RETURN(std::string certificate,
                       CertificatePath(config, options.data_dir, clock));

  http::ServerOptions web;
  web.certificate_path = certificate;
  web.document_root = options.web_root;
  web.bind_address = options.bind_address.empty() ? config.web().bind_address()
                                                  : options.bind_address;
  web.https_port = options.https_port >= 0
                       ? options.https_port
                       : static_cast<int>(config.web().https_port());
  if (options.http_redirect_port >= -1) {
    web.http_redirect_port = options.http_redirect_port;
  } else {
    // In the configuration 0 means "no redirect listener".
    web.http_redirect_port = config.web().http_redirect_port() == 0
                                 ? -1
                                 : config.web().http_redirect_port();
  }

  std::unique_ptr<EwsServer> server(
      new EwsServer(options, clock, std::move(config)));
  EWS_ASSIGN_OR_RETURN(server->https_, http::HttpsServer::Start(web));
  server->AddRoutes();
  EWS_RETURN_IF_ERROR(WriteReadyFile(options.data_dir + "/run/ews-server.ready",
                                     server->https_port(),
                                     server->http_port()));
  EWS_LOG(INFO) << "EWS ready: https://" << web.bind_address << ":"
                << server->https_port() << "/ (model "
                << ModelSizeName(server->config_.model_size()) << ")";
  return server;
}

void EwsServer::Stop() {
  if (https_ == nullptr) return;
  https_->Stop();
  https_.reset();
  unlink((options_.data_dir + "/run/ews-server.ready").c_str());
}

void EwsServer::AddRoutes() {
  https_->Route("GET", "/api/v1/health",
                [this](const http::Request&) { return Health(); });
}

http::Response EwsServer::Health() const {
  const int64_t uptime_s =
      absl::ToInt64Seconds(clock_.MonotonicNow() - started_at_);
  return http::Response::Json(
      200, absl::StrFormat(
               R"({"status":"ok","version":"%s","uptime_s":%d,"model_size":%s,)"
               R"("site":"%s","time":"%s"})",
               kVersion, uptime_s, ModelSizeName(config_.model_size()),
               http::JsonEscape(config_.site().name()),
               absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", clock_.WallNow(),
                                absl::UTCTimeZone())));
}

}  // namespace ews::server

#include "apps/server/server.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "apps/server/api_common.h"
#include "apps/server/first_start.h"
#include "apps/server/version.h"
#include "sdk/base/files.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/config/config_store.h"
#include "sdk/config/defaults.h"
#include "sdk/config/validate.h"
#include "sdk/http/json.h"
#include "sdk/security/tls/certificate.h"
#include "sdk/security/tls/device_ca.h"
#include "sdk/storage/disk_space.h"

namespace ews::server {
namespace {

absl::Status MakeDirectory(const std::string& path, mode_t mode) {
  if (mkdir(path.c_str(), mode) == 0 || errno == EEXIST) {
    return absl::OkStatus();
  }
  return ErrnoToStatus(errno, "cannot create " + path);
}

// The configuration, or the factory one on first start (saved before it is
// used, so that the codes' salts do not change across restarts).
absl::StatusOr<config::v1::DeviceConfig> LoadOrCreateConfig(
    config::ConfigStore& store, config::v1::ModelSize model_size,
    bool* created) {
  *created = false;
  absl::StatusOr<config::v1::DeviceConfig> loaded = store.Load();
  if (loaded.ok() || !absl::IsNotFound(loaded.status())) return loaded;
  EWS_LOG(INFO) << "no configuration yet: writing the factory configuration";
  *created = true;
  config::DefaultConfigOptions factory_options;
  factory_options.model_size = model_size;
  EWS_ASSIGN_OR_RETURN(config::v1::DeviceConfig factory,
                       config::DefaultConfig(factory_options));
  EWS_RETURN_IF_ERROR(store.Save(factory));
  return factory;
}

// The names the device's server certificate covers.
security::DeviceIdentity IdentityOf(const config::v1::DeviceConfig& config) {
  security::DeviceIdentity identity;
  identity.host_name = config.network().hostname().empty()
                           ? "ews.local"
                           : config.network().hostname();
  identity.alt_names = {"localhost", "127.0.0.1"};
  if (config.network().has_static_ipv4() &&
      !config.network().static_ipv4().address().empty()) {
    identity.alt_names.push_back(config.network().static_ipv4().address());
  }
  return identity;
}

struct ServedCertificate {
  std::string path;  // key + chain, for civetweb
  security::CertificateInfo info;
  bool site = false;  // the uploaded site certificate
  std::optional<security::CertificateInfo> ca;
};

// The PEM (key + chain) the HTTPS listener serves: the configured pair, or
// the device CA's server certificate (or the uploaded site certificate).
absl::StatusOr<ServedCertificate> CertificatePath(
    const config::v1::DeviceConfig& config, const std::string& data_dir,
    const security::DeviceIdentity& identity, const Clock& clock) {
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
    return ServedCertificate{joined, info, false, std::nullopt};
  }
  EWS_ASSIGN_OR_RETURN(
      security::TlsFiles files,
      security::EnsureDeviceCertificates(data_dir + "/tls", identity, clock));
  return ServedCertificate{files.server_pem_path, files.server,
                           files.site_certificate, files.ca};
}

// The NTP servers of this run (see ServerOptions::ntp_servers); empty = off,
// with the reason in `why`.
std::vector<std::string> NtpServers(const ServerOptions& options,
                                    const config::v1::DeviceConfig& config,
                                    const std::string& bind_address,
                                    std::string* why) {
  if (options.ntp_servers == "off") {
    *why = "turned off for this run (--ntp_servers=off)";
    return {};
  }
  if (options.ntp_servers != "config") {
    return absl::StrSplit(options.ntp_servers, ',', absl::SkipEmpty());
  }
  const bool loopback_only =
      absl::StartsWith(bind_address, "127.") || bind_address == "::1";
  std::vector<std::string> servers;
  for (const std::string& server : config.network().ntp_servers()) {
    const bool loopback_server = absl::StartsWith(server, "127.") ||
                                 absl::StartsWith(server, "[::1]") ||
                                 absl::StartsWith(server, "localhost");
    if (loopback_only && !loopback_server) {
      EWS_LOG(INFO) << "NTP server " << server
                    << " not asked: serving on loopback only (demo or test)";
      continue;
    }
    servers.push_back(server);
  }
  if (servers.empty()) {
    *why = config.network().ntp_servers_size() == 0
               ? "no NTP servers configured"
               : "serving on loopback only: configured servers not asked";
  }
  return servers;
}

absl::Status WriteReadyFile(const std::string& path, int https_port,
                            int http_port, int modbus_port, int ftp_port) {
  return WriteFileAtomically(
      path,
      absl::StrCat("https_port=", https_port, "\nhttp_port=", http_port,
                   "\nmodbus_port=", modbus_port, "\nftp_port=", ftp_port,
                   "\npid=", getpid(), "\n"),
      0644);
}

// The configured time zone, UTC when it is not set or unknown (logged): what
// history days, charts, reports and file names follow.
absl::TimeZone SiteTimeZone(const config::v1::DeviceConfig& config) {
  absl::TimeZone zone = absl::UTCTimeZone();
  const std::string& name = config.network().time_zone();
  if (!name.empty() && !absl::LoadTimeZone(name, &zone)) {
    EWS_LOG(ERROR) << "unknown time zone \"" << name
                   << "\": history days follow UTC";
    return absl::UTCTimeZone();
  }
  return zone;
}

// The configured retention of the history: the counters' minute and hour
// tiers and the budget of everything else.
void SetRetention(const config::v1::Storage& storage,
                  storage::StoreOptions& options) {
  options.counter_retention.minute =
      absl::Hours(24) * storage.minute_tier_days();
  options.counter_retention.hour = absl::Hours(24) * storage.hour_tier_days();
  options.budget_bytes =
      static_cast<int64_t>(storage.non_counter_budget_bytes());
}

// The history store, with the site's time zone and the configured retention. A
// store that cannot be opened leaves the box running without history (logged,
// shown in health) rather than not serving at all. A corrupt file has been
// moved aside by Open(): that is recorded in `incidents` (health reports it
// until acknowledged) and only the newest moved-aside copies are kept.
std::unique_ptr<storage::Store> OpenHistory(
    const config::v1::DeviceConfig& config, absl::TimeZone zone,
    const std::string& data_dir, Clock& clock, HistoryIncidents& incidents,
    absl::Status* open_error) {
  storage::StoreOptions options;
  options.path = data_dir + "/history.db";
  SetRetention(config.storage(), options);
  absl::StatusOr<std::unique_ptr<storage::Store>> store =
      storage::Store::Open(options, &clock, zone);
  absl::Status pruned =
      PruneMovedAsideHistory(options.path, kMovedAsideHistoryKept);
  if (!pruned.ok()) EWS_LOG(WARNING) << "history: " << pruned;
  if (!store.ok()) {
    EWS_LOG(ERROR) << "history unavailable: " << store.status();
    *open_error = store.status();
    return nullptr;
  }
  if (!(*store)->startup_problem().ok()) {
    EWS_LOG(ERROR) << "history: " << (*store)->startup_problem();
    absl::Status recorded = incidents.RecordCorruption(
        {clock.WallNow(), (*store)->moved_aside_path(),
         std::string((*store)->startup_problem().message())});
    if (!recorded.ok()) {
      EWS_LOG(ERROR) << "history corruption report not saved: " << recorded;
    }
  }
  (*store)->StartBackgroundWork(absl::Minutes(1));
  return *std::move(store);
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

// The HTTPS server's options: flags first, then the configuration.
http::ServerOptions WebServerOptions(const ServerOptions& options,
                                     const config::v1::DeviceConfig& config,
                                     const std::string& certificate_path,
                                     const Clock& device) {
  http::ServerOptions web;
  web.certificate_path = certificate_path;
  web.document_root = options.web_root;
  web.clock = &device;  // the Date header in device time
  web.max_connections_per_address = options.connections_per_address;
  web.worker_threads = options.https_workers;
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
  return web;
}

// The configured devices whose profile is an EV charger.
std::set<std::string> EvChargerIds(const config::v1::DeviceConfig& config,
                                   const devices::ProfileRegistry& profiles) {
  std::set<std::string> ids;
  for (const config::v1::ModbusDevice& device : config.modbus_devices()) {
    const devices::v1::Profile* profile = profiles.Find(device.profile());
    if (profile != nullptr &&
        profile->family() == devices::v1::FAMILY_EV_CHARGER) {
      ids.insert(device.id());
    }
  }
  return ids;
}

absl::Status MakeDataDirectories(const std::string& data_dir) {
  EWS_RETURN_IF_ERROR(MakeDirectory(data_dir, 0700));
  EWS_RETURN_IF_ERROR(MakeDirectory(data_dir + "/tls", 0700));
  return MakeDirectory(data_dir + "/run", 0700);
}

// What Start() reads before the server exists: the configuration, the
// certificate it serves and the device profiles.
struct StartingConfiguration {
  config::v1::DeviceConfig config;
  security::DeviceIdentity identity;
  ServedCertificate certificate;
  devices::ProfileRegistry profiles;
};

// Loads the configuration (a new one on the first start, which also
// commissions the bus and the pulse counters), makes sure of the served
// certificate on the device's clock `device` and loads the built-in
// profiles. The store itself runs on the host's `clock`.
absl::StatusOr<StartingConfiguration> LoadStartingConfiguration(
    const ServerOptions& options, Clock& clock, Clock& device, Board& board) {
  config::ConfigStore store(options.data_dir, clock);
  bool first_start = false;
  EWS_ASSIGN_OR_RETURN(
      config::v1::DeviceConfig config,
      LoadOrCreateConfig(store, options.model_size, &first_start));
  const security::DeviceIdentity identity = IdentityOf(config);
  EWS_ASSIGN_OR_RETURN(
      ServedCertificate certificate,
      CertificatePath(config, options.data_dir, identity, device));
  EWS_ASSIGN_OR_RETURN(devices::ProfileRegistry profiles,
                       devices::ProfileRegistry::BuiltIn());
  if (first_start) {
    EWS_RETURN_IF_ERROR(
        FirstStartSetup(options, device, board, profiles, store, config));
  }
  return StartingConfiguration{std::move(config), identity,
                               std::move(certificate), std::move(profiles)};
}

// The system routes' view of the device: version, time keeping, NTP (off
// for `ntp_off_reason` when `ntp` is null) and the TLS certificates.
SystemApiOptions SystemOptions(const ServerOptions& options,
                               const config::v1::DeviceConfig& config,
                               absl::TimeZone zone, DeviceTime& time,
                               const ntp::NtpSynchronizer* ntp,
                               const std::string& ntp_off_reason,
                               const security::DeviceIdentity& identity,
                               const ServedCertificate& certificate) {
  SystemApiOptions system;
  system.version = kVersion;
  system.model_size = ModelSizeName(config.model_size());
  system.time_zone = zone;
  system.keeper = time.keeper();
  system.rtc_kind = time.rtc_kind();
  system.rtc_problem = time.problem();
  system.ntp = ntp;
  system.ntp_disabled_reason = ntp_off_reason;
  system.tls_directory = options.data_dir + "/tls";
  system.identity = identity;
  system.certificate_in_use = certificate.info;
  system.site_certificate_in_use = certificate.site;
  system.ca = certificate.ca;
  system.logs = options.logs;
  system.request_restart = options.request_restart;
  return system;
}

}  // namespace

EwsServer::EwsServer(const ServerOptions& options, std::unique_ptr<Board> board,
                     std::unique_ptr<DeviceClock> clock,
                     std::unique_ptr<DeviceTime> time,
                     config::v1::DeviceConfig config,
                     devices::ProfileRegistry profiles)
    : options_(options),
      board_(std::move(board)),
      device_clock_(std::move(clock)),
      device_time_(std::move(time)),
      clock_(*device_clock_),
      config_(std::move(config)),
      started_at_(clock_.MonotonicNow()),
      profiles_(std::move(profiles)) {}

EwsServer::~EwsServer() { Stop(); }

absl::StatusOr<std::unique_ptr<EwsServer>> EwsServer::Start(
    const ServerOptions& options, Clock& clock) {
  EWS_LOG(INFO) << "EWS " << kVersion << " starting, data in "
                << options.data_dir;
  EWS_RETURN_IF_ERROR(MakeDataDirectories(options.data_dir));

  // The one place that chooses and opens the hardware.
  BoardOptions board_options = options.board;
  board_options.rtc.simulated_state_path = options.data_dir + "/rtc.state";
  std::unique_ptr<Board> board = std::make_unique<LinuxBoard>(board_options);
  // The device's time comes from its RTC; everything below runs on it.
  auto device_clock = std::make_unique<DeviceClock>(clock);
  auto device_time =
      std::make_unique<DeviceTime>(*device_clock, board->OpenRtc(clock));
  Clock& device = *device_clock;

  EWS_ASSIGN_OR_RETURN(
      StartingConfiguration starting,
      LoadStartingConfiguration(options, clock, device, *board));
  const ServedCertificate& certificate = starting.certificate;
  const http::ServerOptions web =
      WebServerOptions(options, starting.config, certificate.path, device);

  std::unique_ptr<EwsServer> server(
      new EwsServer(options, std::move(board), std::move(device_clock),
                    std::move(device_time), std::move(starting.config),
                    std::move(starting.profiles)));
  const absl::TimeZone zone = SiteTimeZone(server->config_);
  server->StartHistory(zone);
  EWS_RETURN_IF_ERROR(server->StartFieldSide());
  EWS_RETURN_IF_ERROR(server->CreateApis(zone));
  server->identity_ = starting.identity;
  server->certificate_in_use_ = certificate.path;
  const std::string ntp_off_reason = server->StartNtp(web.bind_address);
  server->system_api_ = std::make_unique<SystemApi>(
      SystemOptions(options, server->config_, zone, *server->device_time_,
                    server->ntp_.get(), ntp_off_reason, starting.identity,
                    certificate),
      device);
  EWS_RETURN_IF_ERROR(server->StartServing(web, zone));
  EWS_RETURN_IF_ERROR(WriteReadyFile(
      options.data_dir + "/run/ews-server.ready", server->https_port(),
      server->http_port(), server->modbus_port(), server->ftp_port()));
  EWS_LOG(INFO) << "EWS ready: https://" << web.bind_address << ":"
                << server->https_port() << "/ (model "
                << ModelSizeName(server->config_.model_size()) << ")";
  return server;
}

absl::Status EwsServer::StartFieldSide() {
  front_panel_ = std::make_unique<FrontPanel>(clock_, options_.net_interface,
                                              board_->OpenLeds(clock_));
  EWS_ASSIGN_OR_RETURN(
      field_bus_, LiveFieldBus::Start(config_, options_.field_bus, clock_,
                                      profiles_, history_writer_.get(), *board_,
                                      front_panel_->TrafficListener()));
  PulseInputsOptions pulse = options_.pulse;
  pulse.counts_path = options_.data_dir + "/pulse-counts";
  EWS_ASSIGN_OR_RETURN(std::unique_ptr<PulseInputs> pulse_inputs,
                       PulseInputs::Start(config_, pulse, clock_,
                                          history_writer_.get(), *board_));
  absl::MutexLock lock(&pulse_mutex_);
  pulse_inputs_ = std::move(pulse_inputs);
  return absl::OkStatus();
}

absl::Status EwsServer::StartServing(const http::ServerOptions& web,
                                     absl::TimeZone zone) {
  EWS_ASSIGN_OR_RETURN(
      reports_,
      ReportsService::Start(config_, zone, options_.data_dir, history_.get(),
                            clock_, session_api_->audit()));
  EWS_ASSIGN_OR_RETURN(https_, http::HttpsServer::Start(web));
  AddRoutes();
  DataAccessOptions data_access;
  data_access.bind_address = web.bind_address;
  data_access.certificate_path = web.certificate_path;
  data_access.ftp_port = options_.ftp_port;
  data_access.ev_charger_ids = EvChargerIds(config_, profiles_);
  EWS_ASSIGN_OR_RETURN(data_access_,
                       DataAccess::Start(config_, data_access, history_.get(),
                                         zone, clock_, *session_api_, *https_));
  if (config_.web().tls_certificate_path().empty()) {
    certificate_check_ =
        std::thread([this] { CheckCertificatesPeriodically(); });
  }
  return absl::OkStatus();
}

absl::Status EwsServer::CreateApis(absl::TimeZone zone) {
  EWS_ASSIGN_OR_RETURN(session_api_,
                       SessionApi::Create(options_.data_dir, clock_));
  config_store_ =
      std::make_unique<config::ConfigStore>(options_.data_dir, clock_);
  EwsServer* self = this;
  config_api_ = std::make_unique<ConfigApi>(
      *config_store_, session_api_->audit(),
      [self](const config::v1::DeviceConfig& before,
             const config::v1::DeviceConfig&,
             const std::vector<std::string>& changed) {
        std::vector<std::string> live = self->ApplyLive(before, changed);
        if (self->reports_ &&
            self->reports_->ApplyLive(changed, *self->config_store_)) {
          live.push_back("reports");
        }
        return live;
      });
  LiveFieldBus* field_bus = field_bus_.get();
  devices_api_ = std::make_unique<DevicesApi>(
      [field_bus] { return field_bus->Get(); }, profiles_,
      session_api_->audit(), clock_, history_.get());
  SessionApi* sessions = session_api_.get();
  live_api_ =
      std::make_unique<LiveApi>([sessions](const http::Request& request) {
        return sessions->Authorize(request);
      });
  LiveApi* live = live_api_.get();
  field_bus_->SetPollListener([live](const acquisition::PollResult& result,
                                     const devices::v1::Profile& profile) {
    live->OnPoll(result, profile);
  });
  live->SetWatcher([field_bus](const std::string& device) {
    return field_bus->Get()->Watch(device, LiveApi::kWatchPeriod,
                                   LiveApi::kWatchDuration);
  });
  ListenToPulses(*pulse_inputs());
  history_api_ =
      std::make_unique<HistoryApi>(history_.get(), config_, zone, clock_);
  return absl::OkStatus();
}

void EwsServer::StartHistory(absl::TimeZone zone) {
  history_incidents_ = std::make_unique<HistoryIncidents>(options_.data_dir);
  history_ = OpenHistory(config_, zone, options_.data_dir, clock_,
                         *history_incidents_, &history_open_error_);
  if (history_ != nullptr) {
    HistoryWriterOptions writer;
    if (config_.storage().commit_interval_s() != 0) {
      writer.commit_interval =
          absl::Seconds(config_.storage().commit_interval_s());
    }
    EWS_LOG(INFO) << "history commits every "
                  << absl::FormatDuration(writer.commit_interval);
    history_writer_ =
        std::make_unique<HistoryWriter>(*history_, clock_, writer);
  }
}

std::string EwsServer::StartNtp(const std::string& bind_address) {
  std::string ntp_off_reason;
  const std::vector<std::string> ntp_servers =
      NtpServers(options_, config_, bind_address, &ntp_off_reason);
  if (!ntp_servers.empty() && device_time_->keeper() != nullptr) {
    ntp::NtpOptions ntp;
    ntp.servers = ntp_servers;
    ntp_ = std::make_unique<ntp::NtpSynchronizer>(ntp, device_time_->keeper(),
                                                  clock_);
    ntp_->Start();
    EWS_LOG(INFO) << "NTP from " << absl::StrJoin(ntp_servers, ", ");
  } else if (!ntp_servers.empty()) {
    ntp_off_reason = "no RTC to set";
  }
  return ntp_off_reason;
}

void EwsServer::Stop() {
  if (https_ == nullptr) return;
  if (!stop_certificate_check_.HasBeenNotified()) {
    stop_certificate_check_.Notify();
  }
  if (certificate_check_.joinable()) certificate_check_.join();
  field_bus_->SetPollListener(nullptr);
  pulse_inputs()->SetSampleListener(nullptr);
  https_->Stop();
  data_access_.reset();  // FTP stops; nothing reads the history any more
  https_.reset();
  devices_api_.reset();  // a running scan ends before its line
  if (ntp_ != nullptr) ntp_->Stop();
  field_bus_.reset();  // pollers stop before the history they write to
  {
    absl::MutexLock lock(&pulse_mutex_);
    pulse_inputs_.reset();  // saves the pulse counts
  }
  front_panel_.reset();
  history_writer_.reset();  // commits what the last polls buffered
  reports_.reset();         // reads the history
  if (history_ != nullptr) {
    absl::Status flushed = history_->Flush();
    if (!flushed.ok()) EWS_LOG(ERROR) << "history not saved: " << flushed;
    history_.reset();
  }
  unlink((options_.data_dir + "/run/ews-server.ready").c_str());
}

void EwsServer::CheckCertificatesPeriodically() {
  while (!stop_certificate_check_.WaitForNotificationWithTimeout(
      options_.certificate_check_period)) {
    absl::StatusOr<security::TlsFiles> files =
        security::EnsureDeviceCertificates(options_.data_dir + "/tls",
                                           identity_, clock_);
    if (!files.ok()) {
      EWS_LOG(ERROR) << "certificate check: " << files.status();
      continue;
    }
    if (files->server_issued || files->server_pem_path != certificate_in_use_) {
      // civetweb 1.15 loads its certificate only when it starts.
      if (options_.request_restart) {
        options_.request_restart("TLS certificate renewed");
        return;
      }
      EWS_LOG(WARNING) << "new TLS certificate " << files->server_pem_path
                       << " is served after the next restart";
      certificate_in_use_ = files->server_pem_path;
    }
  }
}

void EwsServer::AddRoutes() {
  using Session = std::optional<security::SessionInfo>;
  std::vector<ApiRoute> routes = {
      {"GET", "/api/v1/health",
       [this](const http::Request&, const Session&) { return Health(); }},
      {"POST", "/api/v1/reports/test",
       [this](const http::Request& request, const Session&) {
         return reports_ ? reports_->Test(request) : NoReports(request);
       }},
      {"GET", "/api/v1/reports/status",
       [this](const http::Request& request, const Session&) {
         return reports_ ? reports_->Status(request) : NoReports(request);
       }},
      {"GET", "/api/v1/devices",
       [this](const http::Request&, const Session&) {
         std::shared_ptr<PulseInputs> pulse = pulse_inputs();
         return http::Response::Json(
             200, field_bus_->Get()->DevicesJson(pulse->LineJson(),
                                                 pulse->DevicesJson()));
       }},
      {"GET", "/api/v1/leds",
       [this](const http::Request&, const Session&) {
         return http::Response::Json(200, front_panel_->Json());
       }},
      // Live values are a WebSocket upgrade: a plain GET is told to upgrade.
      {"GET", "/api/v1/live",
       [](const http::Request&, const Session&) {
         http::Response response =
             ApiError(426, "upgrade_required",
                      "open /api/v1/live as a WebSocket (wss://)");
         response.headers.emplace_back("Upgrade", "websocket");
         return response;
       }},
      {"POST", "/api/v1/history/acknowledge",
       [this](const http::Request&, const Session&) {
         absl::Status acknowledged = history_incidents_->Acknowledge();
         if (!acknowledged.ok()) return ApiError(acknowledged);
         http::JsonWriter json;
         json.BeginObject();
         GetHistoryHealth().WriteJson(json);
         json.EndObject();
         return http::Response::Json(200, json.Take());
       }},
  };
  for (std::vector<ApiRoute> more :
       {session_api_->Routes(), config_api_->Routes(), devices_api_->Routes(),
        history_api_->Routes(), system_api_->Routes()}) {
    for (ApiRoute& route : more) routes.push_back(std::move(route));
  }
  // Every route goes through its access rule (sdk/security/roles), health
  // (public) included.
  for (ApiRoute& route : routes) {
    https_->Route(route.method, route.path,
                  session_api_->Guarded(std::move(route.handler)));
  }
  https_->WebSocketRoute("/api/v1/live", live_api_->Handler());
}

std::vector<std::string> EwsServer::ApplyLive(
    const config::v1::DeviceConfig& before,
    const std::vector<std::string>& changed) {
  // Live: the field side (RS485 line, devices, IP gateways, Modbus TCP
  // gateway) is rebuilt on the new configuration, the pulse inputs are
  // restarted with their counts, the consumption tree and tariffs are taken
  // by the history API, the storage retention by the store (the reports are
  // replaced by ReportsService::ApplyLive, beside this). Everything else
  // (network, model, the commit interval) reads its configuration at start.
  auto has = [&changed](absl::string_view field) {
    return std::find(changed.begin(), changed.end(), field) != changed.end();
  };
  bool field_side = false;
  for (const std::string& field : changed) {
    field_side = field_side || LiveFieldBus::Handles(field);
  }
  const bool pulse = has("pulse_counters");
  const bool tree = has("consumption_tree") || has("tariffs");
  const bool storage = has("storage");
  if (!field_side && !pulse && !tree && !storage) return {};
  // Under one lock, from the file: two changes applied at once end with the
  // parts of the last one saved, whichever listener runs last.
  absl::MutexLock lock(&apply_mutex_);
  absl::StatusOr<config::v1::DeviceConfig> latest = config_store_->Load();
  if (!latest.ok()) {
    EWS_LOG(ERROR) << "configuration saved, not applied: " << latest.status();
    return {};
  }
  std::vector<std::string> live;
  if (field_side) {
    devices_api_->StopScan();  // a scan runs on the line being replaced
    absl::Status reconfigured = field_bus_->Reconfigure(*latest);
    if (reconfigured.ok()) {
      for (const std::string& field : changed) {
        if (LiveFieldBus::Handles(field)) live.push_back(field);
      }
    } else {
      EWS_LOG(ERROR) << "configuration saved, field side left as it ran "
                        "until the next start: "
                     << reconfigured;
    }
  }
  if (pulse && RestartPulseInputs(*latest, before)) {
    live.push_back("pulse_counters");
  }
  if (pulse || tree) history_api_->Reconfigure(*latest);
  if (has("consumption_tree")) live.push_back("consumption_tree");
  if (has("tariffs")) live.push_back("tariffs");
  if (storage && ApplyStorage(*latest, before)) live.push_back("storage");
  return live;
}

void EwsServer::ListenToPulses(PulseInputs& inputs) {
  LiveApi* live = live_api_.get();
  inputs.SetSampleListener(
      [live](const std::string& id, const acquisition::PulseSample& sample) {
        live->OnPulse(id, sample);
      });
}

bool EwsServer::RestartPulseInputs(const config::v1::DeviceConfig& latest,
                                   const config::v1::DeviceConfig& before) {
  // The running inputs stop and save their counts (by counter id); the new
  // ones restore them, so a counter kept, renamed or moved to another input
  // keeps its count, as across a restart. Pulses in the few milliseconds
  // between the two are not counted.
  std::shared_ptr<PulseInputs> old = pulse_inputs();
  old->SetSampleListener(nullptr);
  old->Stop();
  PulseInputsOptions options = options_.pulse;
  options.counts_path = options_.data_dir + "/pulse-counts";
  absl::StatusOr<std::unique_ptr<PulseInputs>> started = PulseInputs::Start(
      latest, options, clock_, history_writer_.get(), *board_);
  bool applied = started.ok();
  if (!applied) {
    EWS_LOG(ERROR) << "configuration saved, pulse counters as before until "
                      "the next start: "
                   << started.status();
    started = PulseInputs::Start(before, options, clock_, history_writer_.get(),
                                 *board_);
    if (!started.ok()) {
      EWS_LOG(ERROR) << "pulse inputs not restarted: " << started.status();
      return false;
    }
  }
  ListenToPulses(**started);
  {
    absl::MutexLock lock(&pulse_mutex_);
    pulse_inputs_ = *std::move(started);
  }
  return applied;
}

bool EwsServer::ApplyStorage(const config::v1::DeviceConfig& latest,
                             const config::v1::DeviceConfig& before) {
  bool applied = true;
  if (latest.storage().commit_interval_s() !=
      before.storage().commit_interval_s()) {
    applied = false;  // the history writer's interval is set at start
  }
  if (history_ == nullptr) return applied;
  storage::StoreOptions options;
  SetRetention(latest.storage(), options);
  absl::Status set =
      history_->SetRetention(options.counter_retention, options.budget_bytes);
  if (!set.ok()) {
    EWS_LOG(ERROR) << "configuration saved, history retention as before "
                      "until the next start: "
                   << set;
    return false;
  }
  EWS_LOG(INFO) << "history retention: counters' minutes "
                << latest.storage().minute_tier_days() << " days, hours "
                << latest.storage().hour_tier_days() << " days, budget "
                << options.budget_bytes << " bytes (pruned at the next pass)";
  return applied;
}

HistoryHealth EwsServer::GetHistoryHealth() const {
  HistoryHealth health;
  health.available = history_ != nullptr;
  health.open_error = history_open_error_;
  health.corruption = history_incidents_->Unacknowledged();
  return health;
}

http::Response EwsServer::Health() const {
  const int64_t uptime_s =
      absl::ToInt64Seconds(clock_.MonotonicNow() - started_at_);
  // Whether the history is being written ("history_writes"): a full disk
  // makes the box "degraded" while it keeps polling and serving.
  bool writing = true;
  std::string writes = "null";
  if (history_writer_ != nullptr) {
    const HistoryWrites health = history_writer_->Health();
    writing = health.state == HistoryWrites::State::kOk;
    writes = HistoryWritesJson(health);
  }
  http::JsonWriter json;
  json.BeginObject()
      .Key("status")
      .String(writing ? "ok" : "degraded")
      .Key("version")
      .String(kVersion)
      .Key("uptime_s")
      .Int(uptime_s)
      .Key("model_size")
      .Raw(ModelSizeName(config_.model_size()))  // 10, 32 or null
      .Key("site")
      .String(config_.site().name())
      .Key("time")
      .Time(clock_.WallNow())
      .Key("time_valid")
      .Bool(device_time_->time_valid())
      .Key("rtc")
      .String(device_time_->rtc_kind());
  if (!device_time_->problem().ok()) {
    json.Key("rtc_problem").String(device_time_->problem().message());
  }
  json.Key("time_trustworthy")
      .Bool(device_time_->time_valid())
      .Key("modbus_port")
      .Int(modbus_port());
  GetHistoryHealth().WriteJson(json);
  json.Key("history_writes").Raw(writes);
  // The file system of the data directory (history, configuration, pulse
  // counts): a full one stops the history's writes.
  storage::StatvfsDiskSpace disk_space;
  const absl::StatusOr<storage::FileSystemSpace> disk =
      disk_space.Query(options_.data_dir);
  if (disk.ok()) {
    json.Key("disk")
        .BeginObject()
        .Key("total_bytes")
        .Int(disk->total_bytes)
        .Key("free_bytes")
        .Int(disk->free_bytes)
        .EndObject();
  } else {
    json.Key("disk")
        .Raw("null")
        .Key("disk_problem")
        .String(disk.status().message());
  }
  json.Key("misconfigured_devices").BeginArray();
  for (const auto& [id, problem] : field_bus_->Get()->Misconfigured()) {
    json.BeginObject()
        .Key("id")
        .String(id)
        .Key("problem")
        .String(problem)
        .EndObject();
  }
  json.EndArray().EndObject();
  return http::Response::Json(200, json.Take());
}

}  // namespace ews::server

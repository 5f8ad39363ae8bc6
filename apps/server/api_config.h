// The configuration part of the HTTPS API: each section of the device
// configuration read (secrets redacted), validated without applying and
// applied (validated, atomic, audited with what changed from -> to); the
// Modbus devices added, edited and removed one by one; the whole
// configuration backed up and restored as a file. docs/api.md documents the
// routes.
//
// Every change is one ConfigStore::Update() (load, modify, validate, save
// under the store's locks), so a code changed meanwhile through the
// Authenticator is never overwritten with a stale copy. The users section is
// read-only here: codes change only through the session routes.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "apps/server/api_common.h"
#include "sdk/config/config.pb.h"
#include "sdk/config/config_store.h"
#include "sdk/http/https_server.h"
#include "sdk/security/audit/audit_log.h"

namespace ews::server {

// A configuration section of the API: its path segment and the DeviceConfig
// field it holds.
struct ConfigSection {
  const char* name;   // "network", "pulse-counters", ...
  const char* field;  // "network", "pulse_counters", ...
};

// The sections, in the order of docs/api.md.
const std::vector<ConfigSection>& ConfigSections();

class ConfigApi {
 public:
  // Called after a change was saved, with the configuration before and after
  // and the changed top-level fields; returns the sections it applied live
  // (the others take effect at the next start). May be empty: nothing live.
  using ApplyListener = std::function<std::vector<std::string>(
      const config::v1::DeviceConfig& before,
      const config::v1::DeviceConfig& after,
      const std::vector<std::string>& changed_fields)>;

  // `store` and `audit` are not owned and must outlive the ConfigApi.
  ConfigApi(config::ConfigStore& store, security::AuditLog& audit,
            ApplyListener listener = nullptr);

  std::vector<ApiRoute> Routes();

  // Largest request body a configuration route accepts (413 above).
  static constexpr size_t kMaxBodyBytes = 256 * 1024;

 private:
  using Session = std::optional<security::SessionInfo>;
  using Modify = std::function<absl::Status(config::v1::DeviceConfig&)>;

  http::Response GetSection(const ConfigSection& section);
  http::Response PutSection(const ConfigSection& section,
                            const http::Request& request,
                            const Session& session, bool apply);
  http::Response AddDevice(const http::Request& request,
                           const Session& session);
  http::Response EditDevice(const http::Request& request,
                            const Session& session);
  http::Response RemoveDevice(const http::Request& request,
                              const Session& session);
  http::Response Backup(const http::Request& request, const Session& session);
  http::Response Restore(const http::Request& request, const Session& session);

  // Validates `modify` applied to the stored configuration and, with
  // `apply`, saves it, audits it as `action` and tells the listener. The
  // answer lists the changes and whether a restart is needed; an invalid
  // result is 400 "invalid_config" with the errors per field (or, for a
  // validation without `apply`, 200 with "valid":false).
  http::Response Change(const std::string& action, const Session& session,
                        const http::Request& request, bool apply,
                        const Modify& modify);
  void Audit(const std::string& action, const Session& session,
             const http::Request& request, const std::string& outcome,
             const std::string& detail,
             std::vector<security::AuditChange> changes = {});

  config::ConfigStore& store_;
  security::AuditLog& audit_;
  ApplyListener listener_;
};

}  // namespace ews::server

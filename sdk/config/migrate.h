// Upgrades of configurations written by older software, applied when a
// configuration is parsed (FromText / FromJson, sdk/config/text_json.h), so
// the store, the API (a section PUT, a restored backup) and `config_check`
// all see the current form.
#pragma once

#include "sdk/config/config.pb.h"

namespace ews::config {

// Before `reports.list` there was one report per delivery: `reports.email`
// (enabled, recipients, period, send_at_minute), `reports.ftp` and
// `reports.network_drive` (enabled, period). Each legacy block that is
// enabled, or (e-mail) has recipients, becomes a report of `reports.list`
// named "email", "ftp" or "network-drive" (a free name if that one is taken),
// in English, for every device, sent at `email.send_at_minute` (the one send
// time the old schema had); the legacy fields are then cleared. A disabled
// block without recipients only loses its legacy fields. Returns whether
// anything changed.
bool MigrateLegacyReports(v1::DeviceConfig& config);

}  // namespace ews::config

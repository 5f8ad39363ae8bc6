// The reports a validated configuration asks for (config.proto `Reports`).
//
//   reports.email          → report "email": CSV of every device attached
//   reports.ftp            → report "ftp": one file per device in
//                            remote_directory (FTP, or FTPS per tls_mode)
//   reports.network_drive  → report "network-drive": WebDAV PUT into
//                            url + "/" + remote_directory
//
// All are sent at reports.email.send_at_minute (the one send time the
// schema has). What is enabled but not supported yet (SFTP, SMB, an hourly
// period) is left out and named in `skipped`.
#pragma once

#include <string>
#include <vector>

#include "sdk/config/config.pb.h"
#include "sdk/reports/reporter.h"

namespace ews::reports {

struct ConfiguredReports {
  std::vector<ReportSpec> specs;
  std::vector<std::string> skipped;  // "reports.ftp: SFTP is not supported"
};

ConfiguredReports SpecsFromConfig(const config::v1::Reports& reports,
                                  Language language);

}  // namespace ews::reports

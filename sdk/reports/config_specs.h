// The reports a validated configuration asks for (config.proto `Reports`):
// each enabled report of `reports.list` becomes a ReportSpec of the same
// name, period, send time, language and devices, with
//
//   recipients             → an e-mail through reports.email.smtp, from
//                            reports.email.from_address
//   deposit_ftp            → one file per device in reports.ftp's
//                            remote_directory (FTP, or FTPS per tls_mode)
//   deposit_network_drive  → WebDAV PUT into reports.network_drive's
//                            url + "/" + remote_directory
//
// What is asked but not supported yet (SFTP, SMB, an hourly period) is left
// out and named in `skipped`; a report left with no target is dropped.
#pragma once

#include <string>
#include <vector>

#include "sdk/config/config.pb.h"
#include "sdk/reports/reporter.h"

namespace ews::reports {

struct ConfiguredReports {
  std::vector<ReportSpec> specs;
  // "reports.list[1] (weekly): deposit on reports.ftp: only FTP/FTPS is
  // supported"
  std::vector<std::string> skipped;
};

ConfiguredReports SpecsFromConfig(const config::v1::Reports& reports);

}  // namespace ews::reports

// Delivers one queued job with libcurl (GnuTLS): SMTP/SMTPS/STARTTLS with
// authentication, FTP/FTPS upload, WebDAV/HTTP(S) PUT. Linked only into the
// report_sender helper process (see README.md: libcurl's libssh2 maps
// OpenSSL's libcrypto, which must stay out of ews-server).
#pragma once

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "sdk/reports/queue.h"

namespace ews::reports {

// Unavailable: the server could not be reached or refused for now (retry);
// PermissionDenied: authentication refused; InvalidArgument: bad URL;
// Internal: anything else curl reports. The message is curl's.
absl::Status DeliverWithCurl(const Job& job, absl::Duration timeout);

}  // namespace ews::reports

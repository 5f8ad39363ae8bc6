// report_sender JOB_FILE [TIMEOUT_SECONDS]: delivers one queued report job
// with libcurl and exits 0, or prints the error on stderr and exits 2
// (unreachable/refused: retry), 3 (authentication refused) or 4 (bad job).
// ews-server runs it as a helper process so that libcurl's dependencies
// (OpenSSL's libcrypto through libssh2) never enter the server process.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "sdk/base/files.h"
#include "sdk/reports/curl_delivery.h"
#include "sdk/reports/queue.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: report_sender JOB_FILE [TIMEOUT_SECONDS]\n");
    return 4;
  }
  int timeout_s = 120;
  if (argc == 3 && (!absl::SimpleAtoi(argv[2], &timeout_s) || timeout_s < 1)) {
    std::fprintf(stderr, "bad timeout '%s'\n", argv[2]);
    return 4;
  }
  absl::StatusOr<std::string> contents = ews::ReadFileToString(argv[1]);
  absl::StatusOr<ews::reports::Job> job =
      contents.ok() ? ews::reports::ParseJob(*contents)
                    : absl::StatusOr<ews::reports::Job>(contents.status());
  if (!job.ok()) {
    std::fprintf(stderr, "%s\n", job.status().ToString().c_str());
    return 4;
  }
  const absl::Status status =
      ews::reports::DeliverWithCurl(*job, absl::Seconds(timeout_s));
  if (status.ok()) return 0;
  std::fprintf(stderr, "%s\n", std::string(status.message()).c_str());
  if (absl::IsPermissionDenied(status)) return 3;
  if (absl::IsInvalidArgument(status)) return 4;
  return 2;
}

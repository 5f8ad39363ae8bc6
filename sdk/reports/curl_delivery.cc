#include "sdk/reports/curl_delivery.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ews::reports {
namespace {

struct Reader {
  const std::string* data;
  size_t offset = 0;
};

size_t Read(char* buffer, size_t size, size_t count, void* user) {
  Reader* r = static_cast<Reader*>(user);
  const size_t n = std::min(size * count, r->data->size() - r->offset);
  std::memcpy(buffer, r->data->data() + r->offset, n);
  r->offset += n;
  return n;
}

size_t Discard(char*, size_t size, size_t count, void*) { return size * count; }

absl::Status ToStatus(CURLcode code, long response, const char* detail) {
  const std::string message = absl::StrCat(
      curl_easy_strerror(code), detail[0] ? ": " : "", detail,
      response ? absl::StrCat(" (server said ", response, ")") : "");
  switch (code) {
    case CURLE_OK:
      return absl::OkStatus();
    case CURLE_LOGIN_DENIED:
      return absl::PermissionDeniedError(message);
    case CURLE_HTTP_RETURNED_ERROR:
      return response == 401 || response == 403
                 ? absl::PermissionDeniedError(message)
                 : absl::UnavailableError(message);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::InvalidArgumentError(message);
    default:
      return absl::UnavailableError(message);
  }
}

}  // namespace

absl::Status DeliverWithCurl(const Job& job, absl::Duration timeout) {
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return absl::InternalError("curl_global_init failed");
  }
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
  char error[CURL_ERROR_SIZE] = "";
  Reader reader{&job.payload};
  curl_slist* recipients = nullptr;
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_URL, job.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(timeout)));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, Read);
  curl_easy_setopt(curl, CURLOPT_READDATA, &reader);
  curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
                   static_cast<curl_off_t>(job.payload.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
  if (!job.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, job.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, job.password.c_str());
  }
  if (!job.ca_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, job.ca_file.c_str());
  }
  // STARTTLS / AUTH TLS must succeed: never fall back to plain text.
  if (job.tls == Tls::kStartTls) {
    curl_easy_setopt(curl, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  }
  if (job.transport == Transport::kSmtp) {
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, job.mail_from.c_str());
    for (const std::string& r : job.recipients) {
      recipients = curl_slist_append(recipients, r.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
  } else if (absl::StartsWith(job.url, "ftp")) {
    curl_easy_setopt(curl, CURLOPT_FTP_CREATE_MISSING_DIRS,
                     static_cast<long>(CURLFTP_CREATE_DIR));
  } else {
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);  // HTTP >= 400: failed
  }
  const CURLcode code = curl_easy_perform(curl);
  long response = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response);
  curl_slist_free_all(recipients);
  curl_easy_cleanup(curl);
  return ToStatus(code, code == CURLE_OK ? 0 : response, error);
}

}  // namespace ews::reports

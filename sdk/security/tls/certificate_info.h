// What the TLS code reports about a certificate.
#pragma once

#include <string>

#include "absl/time/time.h"

namespace ews::security {

struct CertificateInfo {
  std::string subject;             // e.g. "CN=ews.local"
  std::string sha256_fingerprint;  // "AB:CD:..." over the DER certificate
  absl::Time not_before;
  absl::Time not_after;
  std::string key_type;  // "EC P-256", "RSA 2048", ...
};

}  // namespace ews::security

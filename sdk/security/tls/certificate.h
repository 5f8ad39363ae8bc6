// TLS server certificates for the device's web server.
//
// A device ships without a certificate: on first start it generates a
// self-signed ECDSA P-256 certificate (BoringSSL) for its host names and
// addresses and keeps it, with its private key, in one PEM file readable only
// by the server (mode 0600). Browsers will warn about a self-signed
// certificate; the SHA-256 fingerprint is logged and shown so that an installer
// can check it, or replace the file with a certificate from the site's own CA.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"
#include "sdk/security/tls/certificate_info.h"

namespace ews::security {

struct CertificateRequest {
  std::string common_name = "ews.local";
  // Subject alternative names: DNS names and IPv4/IPv6 literals (told apart
  // automatically).
  std::vector<std::string> alt_names = {"ews.local", "localhost", "127.0.0.1"};
  absl::Duration validity = absl::Hours(24 * 365 * 10);
};

// Returns a PEM document holding an unencrypted PKCS#8 private key followed by
// the certificate. Errors: InvalidArgument (empty common name, bad validity),
// Internal (BoringSSL failure).
absl::StatusOr<std::string> GenerateSelfSignedPem(
    const CertificateRequest& request, const Clock& clock);

// Parses the first certificate of a PEM document and checks a private key is
// present and matches it. Errors: InvalidArgument (no certificate, no key, key
// does not match).
absl::StatusOr<CertificateInfo> InspectPem(const std::string& pem);

// Makes sure `path` holds a usable certificate + key PEM: keeps a valid
// existing file; creates one (mode 0600, atomically) when it is missing. A file
// that exists but is unusable is an error, not silently replaced, since it may
// be the site's own certificate. Errors: InvalidArgument (existing file
// unusable), Internal/PermissionDenied (I/O).
absl::StatusOr<CertificateInfo> EnsureSelfSignedCertificate(
    const std::string& path, const CertificateRequest& request,
    const Clock& clock);

}  // namespace ews::security

// The device's own certificate authority, so that a browser trusts the
// device for good once its CA certificate is installed, instead of warning
// about a self-signed certificate every time.
//
//   EWS_ASSIGN_OR_RETURN(TlsFiles tls, EnsureDeviceCertificates(
//       data_dir + "/tls", {.host_name = "ews.local",
//                           .alt_names = {"192.168.1.100", "localhost"}},
//       clock));
//   // civetweb: ssl_certificate = tls.server_pem_path; call again daily (or
//   // at tls.next_check) and reload when tls.server_issued.
//
// Files in `directory` (created 0700):
//   ca.key      the CA's ECDSA P-256 private key, mode 0600 (server only)
//   ca.pem      the CA certificate (10 years), mode 0644: what users download
//               and install
//   server.pem  server key + server certificate + CA certificate, mode 0600
//   site.pem    the administrator's own certificate chain + key, mode 0600,
//               used instead of server.pem while it is valid
//
// The CA certificate carries critical name constraints: it can only vouch
// for the device's DNS names (as at its creation, and their subdomains). A
// leaked device CA key thus cannot impersonate other sites by name to a
// browser that installed it. IP addresses are not constrained: this
// BoringSSL refuses chains under IP constraints, and the device verifies
// its own chain. When the device's DNS names change beyond the constraints,
// a new CA is made (logged: users must install it again).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"
#include "sdk/security/tls/certificate.h"

namespace ews::security {

struct DeviceIdentity {
  // The certificate's common name and first subject alternative name.
  std::string host_name = "ews.local";
  // Further DNS names and IPv4/IPv6 literals.
  std::vector<std::string> alt_names = {"localhost", "127.0.0.1"};
};

struct DeviceCaOptions {
  absl::Duration ca_validity = absl::Hours(24 * 3652);  // 10 years
  // At most 366 days (browsers refuse longer-lived server certificates).
  absl::Duration server_validity = absl::Hours(24 * 366);
  // Issue a new server certificate this long before the current one expires
  // (and a new CA this long before the CA expires).
  absl::Duration renew_before = absl::Hours(24 * 30);
};

struct TlsFiles {
  CertificateInfo ca;
  CertificateInfo server;         // the certificate in use (site's or device's)
  bool site_certificate = false;  // the administrator's certificate is in use
  bool ca_created = false;        // this call made a new CA
  bool server_issued = false;     // this call wrote a new server.pem
  std::string server_pem_path;    // key + chain, for the TLS server
  std::string ca_pem_path;        // the CA certificate, to download
  absl::Time next_check;          // call EnsureDeviceCertificates again by then
};

// Makes sure `directory` holds a CA and a current server certificate for
// `identity`, on `clock`'s wall time:
// - no CA (or an unusable one: logged): a new CA;
// - no server certificate, one that does not parse, is not signed by the
//   CA, names other names than `identity`, or expires within
//   options.renew_before: a new one, valid min(server_validity, CA's end);
// - a valid site.pem covering identity.host_name is used instead (its
//   expiry is logged as a WARNING within renew_before; it is never renewed
//   automatically); an expired or no longer matching one is logged and the
//   device certificate is used.
// Both SHA-256 fingerprints are logged.
// Errors: InvalidArgument (empty host name, bad options), I/O errors,
// Internal (BoringSSL).
absl::StatusOr<TlsFiles> EnsureDeviceCertificates(
    const std::string& directory, const DeviceIdentity& identity,
    const Clock& clock, const DeviceCaOptions& options = {});

// Checks an uploaded certificate chain (leaf first, PEM) and private key
// (PEM; may be empty when `chain_pem` holds the key too):
// - a private key that matches the leaf; RSA >= 2048 bits or EC P-256/P-384;
// - the leaf valid now, not a CA, usable for TLS server authentication,
//   covering identity.host_name (DNS name or IP literal);
// - each further certificate signed the one before it and is valid now;
// - at most 64 KiB each.
// Errors: InvalidArgument saying what is wrong.
absl::StatusOr<CertificateInfo> ValidateSiteCertificate(
    absl::string_view chain_pem, absl::string_view key_pem,
    const DeviceIdentity& identity, const Clock& clock);

// ValidateSiteCertificate(), then writes site.pem atomically (0600). On any
// error the files in `directory` are unchanged (the old certificate stays).
absl::StatusOr<CertificateInfo> InstallSiteCertificate(
    const std::string& directory, absl::string_view chain_pem,
    absl::string_view key_pem, const DeviceIdentity& identity,
    const Clock& clock);

// Goes back to the device CA's certificate. OK if there was no site.pem.
absl::Status RemoveSiteCertificate(const std::string& directory);

}  // namespace ews::security

// BoringSSL X.509 helpers shared by certificate.cc and device_ca.cc. Not API:
// BoringSSL types stay out of the public headers.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sdk/security/tls/certificate_info.h"

namespace ews::security::internal {

// Internal error with BoringSSL's queued reason; clears the queue.
absl::Status SslError(absl::string_view what);

// The bytes of an IPv4/IPv6 literal, or false for anything else.
bool IsIpLiteral(const std::string& name, std::string* bytes);

// A fresh ECDSA P-256 key.
absl::StatusOr<bssl::UniquePtr<EVP_PKEY>> GenerateP256Key();

// A v3 certificate with a random 63-bit serial, subject CN=`common_name`,
// O=EWS, the given validity, the subject's public key; issuer = the
// subject unless `issuer` is given. Not signed, no extensions.
absl::StatusOr<bssl::UniquePtr<X509>> NewCertificate(
    absl::string_view common_name, EVP_PKEY* subject_key, absl::Time not_before,
    absl::Time not_after, X509* issuer = nullptr);

// Adds an extension in OpenSSL config syntax ("critical,CA:FALSE"), with
// `issuer` (nullptr = self) for authorityKeyIdentifier.
absl::Status AddExtension(X509* certificate, int nid, const char* value,
                          X509* issuer = nullptr);

// subjectAltName of DNS names and IP literals (told apart automatically).
absl::Status AddAltNames(X509* certificate,
                         const std::vector<std::string>& names);

absl::Time Asn1TimeToAbsl(const ASN1_TIME* time);
std::string Fingerprint(X509* certificate);  // SHA-256, "AB:CD:..."
std::string KeyType(EVP_PKEY* key);          // "EC P-256", "RSA 2048", ...

// Subject, fingerprint, validity and key type of `certificate`.
CertificateInfo Describe(X509* certificate, EVP_PKEY* key);

// PEM text of a private key (PKCS#8) and of a certificate.
absl::StatusOr<std::string> PrivateKeyPem(EVP_PKEY* key);
absl::StatusOr<std::string> CertificatePem(X509* certificate);

// Every certificate of a PEM document, in order; the first private key.
std::vector<bssl::UniquePtr<X509>> ReadCertificates(absl::string_view pem);
bssl::UniquePtr<EVP_PKEY> ReadPrivateKey(absl::string_view pem);

}  // namespace ews::security::internal

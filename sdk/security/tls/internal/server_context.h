// The TLS policy every EWS server applies, in one place: TLS 1.2 and 1.3
// only, and for TLS 1.2 ECDHE with AES-256-GCM only (the RSA suite serves a
// site that installs an RSA certificate of its own; the generated one is
// ECDSA P-256). Used by the HTTPS server (on civetweb's context) and the FTPS
// server (on its own). Not API: it names BoringSSL's SSL_CTX.
#pragma once

#include <openssl/ssl.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ews::security::internal {

inline constexpr char kServerCipherList[] =
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384";

// Pins the protocol range and the cipher list on a context made elsewhere.
// Errors: Internal when BoringSSL refuses a setting.
absl::Status ApplyServerPolicy(SSL_CTX* context);

// A new server context with the policy and the private key and certificate
// chain of the PEM file at `pem_path`. Errors: FailedPrecondition when the
// file is missing or unusable (the message names BoringSSL's reason).
absl::StatusOr<bssl::UniquePtr<SSL_CTX>> NewServerContext(
    const std::string& pem_path);

// "<what>: <BoringSSL's last error>", for messages and logs.
std::string TlsError(const std::string& what);

}  // namespace ews::security::internal

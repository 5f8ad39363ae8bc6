#include "sdk/security/tls/internal/server_context.h"

#include <openssl/err.h>

#include "absl/strings/str_cat.h"

namespace ews::security::internal {

std::string TlsError(const std::string& what) {
  char text[256] = "";
  ERR_error_string_n(ERR_get_error(), text, sizeof text);
  return absl::StrCat(what, ": ", text);
}

absl::Status ApplyServerPolicy(SSL_CTX* context) {
  if (!SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) ||
      !SSL_CTX_set_max_proto_version(context, TLS1_3_VERSION) ||
      !SSL_CTX_set_strict_cipher_list(context, kServerCipherList)) {
    return absl::InternalError(TlsError("TLS server policy"));
  }
  return absl::OkStatus();
}

absl::StatusOr<bssl::UniquePtr<SSL_CTX>> NewServerContext(
    const std::string& pem_path) {
  bssl::UniquePtr<SSL_CTX> context(SSL_CTX_new(TLS_server_method()));
  if (context == nullptr) {
    return absl::InternalError(TlsError("SSL_CTX_new"));
  }
  absl::Status policy = ApplyServerPolicy(context.get());
  if (!policy.ok()) return policy;
  if (SSL_CTX_use_certificate_chain_file(context.get(), pem_path.c_str()) !=
          1 ||
      SSL_CTX_use_PrivateKey_file(context.get(), pem_path.c_str(),
                                  SSL_FILETYPE_PEM) != 1) {
    return absl::FailedPreconditionError(
        TlsError("unusable certificate " + pem_path));
  }
  return context;
}

}  // namespace ews::security::internal

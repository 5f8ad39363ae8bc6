#include "sdk/security/tls/certificate.h"

#include <openssl/err.h>
#include <openssl/nid.h>
#include <openssl/x509.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "sdk/base/files.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/security/tls/internal/x509_util.h"

namespace ews::security {

using internal::AddAltNames;
using internal::AddExtension;

absl::StatusOr<std::string> GenerateSelfSignedPem(
    const CertificateRequest& request, const Clock& clock) {
  if (request.common_name.empty() || request.common_name.size() > 64) {
    return absl::InvalidArgumentError(
        "certificate common name must be 1..64 characters");
  }
  if (request.validity <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("certificate validity must be positive");
  }
  EWS_ASSIGN_OR_RETURN(bssl::UniquePtr<EVP_PKEY> key,
                       internal::GenerateP256Key());
  // Backdate by an hour so a client whose clock is slightly behind accepts it.
  const absl::Time now =
      absl::FromUnixSeconds(absl::ToUnixSeconds(clock.WallNow()));
  EWS_ASSIGN_OR_RETURN(
      bssl::UniquePtr<X509> certificate,
      internal::NewCertificate(request.common_name, key.get(),
                               now - absl::Hours(1), now + request.validity));
  EWS_RETURN_IF_ERROR(AddExtension(certificate.get(), NID_basic_constraints,
                                   "critical,CA:FALSE"));
  EWS_RETURN_IF_ERROR(AddExtension(certificate.get(), NID_key_usage,
                                   "critical,digitalSignature"));
  EWS_RETURN_IF_ERROR(
      AddExtension(certificate.get(), NID_ext_key_usage, "serverAuth"));
  if (!request.alt_names.empty()) {
    EWS_RETURN_IF_ERROR(AddAltNames(certificate.get(), request.alt_names));
  }
  if (!X509_sign(certificate.get(), key.get(), EVP_sha256())) {
    return internal::SslError("signing certificate");
  }
  EWS_ASSIGN_OR_RETURN(std::string key_pem, internal::PrivateKeyPem(key.get()));
  EWS_ASSIGN_OR_RETURN(std::string certificate_pem,
                       internal::CertificatePem(certificate.get()));
  return key_pem + certificate_pem;
}

absl::StatusOr<CertificateInfo> InspectPem(const std::string& pem) {
  std::vector<bssl::UniquePtr<X509>> certificates =
      internal::ReadCertificates(pem);
  if (certificates.empty()) {
    return absl::InvalidArgumentError("no PEM certificate found");
  }
  bssl::UniquePtr<EVP_PKEY> key = internal::ReadPrivateKey(pem);
  if (!key) return absl::InvalidArgumentError("no PEM private key found");
  if (!X509_check_private_key(certificates[0].get(), key.get())) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "the private key does not match the certificate");
  }
  return internal::Describe(certificates[0].get(), key.get());
}

absl::StatusOr<CertificateInfo> EnsureSelfSignedCertificate(
    const std::string& path, const CertificateRequest& request,
    const Clock& clock) {
  absl::StatusOr<std::string> existing = ReadFileToString(path, 1 << 20);
  if (existing.ok()) {
    absl::StatusOr<CertificateInfo> info = InspectPem(*existing);
    if (!info.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path,
          " is not a usable certificate + key PEM: ", info.status().message(),
          " (fix or remove the file; it is not replaced automatically)"));
    }
    if (info->not_after < clock.WallNow()) {
      EWS_LOG(WARNING) << "TLS certificate " << path << " expired on "
                       << absl::FormatTime(info->not_after);
    }
    return info;
  }
  EWS_ASSIGN_OR_RETURN(std::string pem, GenerateSelfSignedPem(request, clock));
  EWS_RETURN_IF_ERROR(WriteFileAtomically(path, pem));
  EWS_ASSIGN_OR_RETURN(CertificateInfo info, InspectPem(pem));
  EWS_LOG(INFO) << "generated self-signed " << info.key_type << " certificate "
                << path << " SHA-256 fingerprint " << info.sha256_fingerprint;
  return info;
}

}  // namespace ews::security

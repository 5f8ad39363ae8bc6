#include "sdk/security/tls/certificate.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bytestring.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sdk/base/files.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"

namespace ews::security {
namespace {

absl::Status SslError(absl::string_view what) {
  char buffer[256] = "no BoringSSL error queued";
  uint32_t error = ERR_get_error();
  if (error != 0) ERR_error_string_n(error, buffer, sizeof buffer);
  ERR_clear_error();
  return absl::InternalError(absl::StrCat(what, ": ", buffer));
}

bool IsIpLiteral(const std::string& name, std::string* bytes) {
  unsigned char address[16];
  if (inet_pton(AF_INET, name.c_str(), address) == 1) {
    bytes->assign(reinterpret_cast<char*>(address), 4);
    return true;
  }
  if (inet_pton(AF_INET6, name.c_str(), address) == 1) {
    bytes->assign(reinterpret_cast<char*>(address), 16);
    return true;
  }
  return false;
}

absl::Status AddAltNames(X509* certificate,
                         const std::vector<std::string>& names) {
  bssl::UniquePtr<GENERAL_NAMES> general_names(sk_GENERAL_NAME_new_null());
  for (const std::string& name : names) {
    GENERAL_NAME* general_name = GENERAL_NAME_new();
    std::string ip;
    if (IsIpLiteral(name, &ip)) {
      ASN1_OCTET_STRING* octets = ASN1_OCTET_STRING_new();
      ASN1_OCTET_STRING_set(octets, reinterpret_cast<const uint8_t*>(ip.data()),
                            ip.size());
      GENERAL_NAME_set0_value(general_name, GEN_IPADD, octets);
    } else {
      ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
      ASN1_STRING_set(dns, name.data(), name.size());
      GENERAL_NAME_set0_value(general_name, GEN_DNS, dns);
    }
    sk_GENERAL_NAME_push(general_names.get(), general_name);
  }
  if (!X509_add1_ext_i2d(certificate, NID_subject_alt_name, general_names.get(),
                         /*crit=*/0, X509V3_ADD_DEFAULT)) {
    return SslError("adding subjectAltName");
  }
  return absl::OkStatus();
}

absl::Status AddExtension(X509* certificate, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
  bssl::UniquePtr<X509_EXTENSION> extension(
      X509V3_EXT_nconf_nid(nullptr, &context, nid, value));
  if (extension == nullptr || !X509_add_ext(certificate, extension.get(), -1)) {
    return SslError(absl::StrCat("adding extension ", OBJ_nid2sn(nid)));
  }
  return absl::OkStatus();
}

absl::Time Asn1TimeToAbsl(const ASN1_TIME* time) {
  // This BoringSSL has no ASN1_TIME_to_posix: measure the distance from the
  // epoch instead.
  bssl::UniquePtr<ASN1_TIME> epoch(ASN1_TIME_set(nullptr, 0));
  int days = 0;
  int seconds = 0;
  if (!epoch || !ASN1_TIME_diff(&days, &seconds, epoch.get(), time)) {
    return absl::InfinitePast();
  }
  return absl::FromUnixSeconds(int64_t{days} * 86400 + seconds);
}

std::string Fingerprint(X509* certificate) {
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  X509_digest(certificate, EVP_sha256(), digest, &length);
  std::vector<std::string> bytes;
  for (unsigned i = 0; i < length; ++i) {
    bytes.push_back(absl::StrFormat("%02X", digest[i]));
  }
  return absl::StrJoin(bytes, ":");
}

std::string KeyType(EVP_PKEY* key) {
  switch (EVP_PKEY_id(key)) {
    case EVP_PKEY_EC: {
      const EC_GROUP* group = EC_KEY_get0_group(EVP_PKEY_get0_EC_KEY(key));
      int nid = group ? EC_GROUP_get_curve_name(group) : NID_undef;
      return nid == NID_X9_62_prime256v1 ? "EC P-256"
                                         : absl::StrCat("EC ", OBJ_nid2sn(nid));
    }
    case EVP_PKEY_RSA:
      return absl::StrCat("RSA ", EVP_PKEY_bits(key));
    default:
      return "other";
  }
}

}  // namespace

absl::StatusOr<std::string> GenerateSelfSignedPem(
    const CertificateRequest& request, const Clock& clock) {
  if (request.common_name.empty() || request.common_name.size() > 64) {
    return absl::InvalidArgumentError(
        "certificate common name must be 1..64 characters");
  }
  if (request.validity <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("certificate validity must be positive");
  }

  bssl::UniquePtr<EC_KEY> ec_key(
      EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  if (!ec_key || !EC_KEY_generate_key(ec_key.get())) {
    return SslError("generating P-256 key");
  }
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  if (!EVP_PKEY_assign_EC_KEY(key.get(), ec_key.release())) {
    return SslError("wrapping key");
  }

  bssl::UniquePtr<X509> certificate(X509_new());
  X509_set_version(certificate.get(), X509_VERSION_3);
  // A random positive 63-bit serial: browsers reject reused serials for one
  // issuer name.
  uint64_t serial = 0;
  RAND_bytes(reinterpret_cast<uint8_t*>(&serial), sizeof serial);
  serial &= 0x7FFFFFFFFFFFFFFFull;
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(certificate.get()), serial);

  // Backdate by an hour so a client whose clock is slightly behind accepts it.
  const int64_t now = absl::ToUnixSeconds(clock.WallNow());
  const int64_t not_before = now - 3600;
  const int64_t not_after = now + absl::ToInt64Seconds(request.validity);
  if (!ASN1_TIME_set(X509_getm_notBefore(certificate.get()),
                     static_cast<time_t>(not_before)) ||
      !ASN1_TIME_set(X509_getm_notAfter(certificate.get()),
                     static_cast<time_t>(not_after))) {
    return SslError("setting validity");
  }

  X509_NAME* name = X509_get_subject_name(certificate.get());
  X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_UTF8,
      reinterpret_cast<const uint8_t*>(request.common_name.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const uint8_t*>("EWS"), -1, -1,
                             0);
  X509_set_issuer_name(certificate.get(), name);
  X509_set_pubkey(certificate.get(), key.get());

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
    return SslError("signing certificate");
  }

  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0,
                                nullptr, nullptr) ||
      !PEM_write_bio_X509(bio.get(), certificate.get())) {
    return SslError("writing PEM");
  }
  const uint8_t* data = nullptr;
  size_t length = 0;
  BIO_mem_contents(bio.get(), &data, &length);
  return std::string(reinterpret_cast<const char*>(data), length);
}

absl::StatusOr<CertificateInfo> InspectPem(const std::string& pem) {
  bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(pem.data(), pem.size()));
  bssl::UniquePtr<X509> certificate(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!certificate) {
    return absl::InvalidArgumentError("no PEM certificate found");
  }
  bio.reset(BIO_new_mem_buf(pem.data(), pem.size()));
  bssl::UniquePtr<EVP_PKEY> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!key) return absl::InvalidArgumentError("no PEM private key found");
  if (!X509_check_private_key(certificate.get(), key.get())) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "the private key does not match the certificate");
  }
  CertificateInfo info;
  char subject[256];
  X509_NAME_oneline(X509_get_subject_name(certificate.get()), subject,
                    sizeof subject);
  info.subject = subject;
  info.sha256_fingerprint = Fingerprint(certificate.get());
  info.not_before = Asn1TimeToAbsl(X509_get0_notBefore(certificate.get()));
  info.not_after = Asn1TimeToAbsl(X509_get0_notAfter(certificate.get()));
  info.key_type = KeyType(key.get());
  return info;
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

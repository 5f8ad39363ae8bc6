#include "sdk/security/tls/internal/x509_util.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace ews::security::internal {

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

absl::StatusOr<bssl::UniquePtr<EVP_PKEY>> GenerateP256Key() {
  bssl::UniquePtr<EC_KEY> ec_key(
      EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  if (!ec_key || !EC_KEY_generate_key(ec_key.get())) {
    return SslError("generating P-256 key");
  }
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  if (!EVP_PKEY_assign_EC_KEY(key.get(), ec_key.release())) {
    return SslError("wrapping key");
  }
  return key;
}

absl::StatusOr<bssl::UniquePtr<X509>> NewCertificate(
    absl::string_view common_name, EVP_PKEY* subject_key, absl::Time not_before,
    absl::Time not_after, X509* issuer) {
  bssl::UniquePtr<X509> certificate(X509_new());
  X509_set_version(certificate.get(), X509_VERSION_3);
  // A random positive 63-bit serial: browsers reject reused serials for one
  // issuer name.
  uint64_t serial = 0;
  RAND_bytes(reinterpret_cast<uint8_t*>(&serial), sizeof serial);
  serial &= 0x7FFFFFFFFFFFFFFFull;
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(certificate.get()), serial);
  if (!ASN1_TIME_set(X509_getm_notBefore(certificate.get()),
                     static_cast<time_t>(absl::ToUnixSeconds(not_before))) ||
      !ASN1_TIME_set(X509_getm_notAfter(certificate.get()),
                     static_cast<time_t>(absl::ToUnixSeconds(not_after)))) {
    return SslError("setting validity");
  }
  X509_NAME* name = X509_get_subject_name(certificate.get());
  const std::string cn(common_name);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const uint8_t*>(cn.c_str()), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const uint8_t*>("EWS"), -1, -1,
                             0);
  X509_set_issuer_name(certificate.get(), issuer == nullptr
                                              ? name
                                              : X509_get_subject_name(issuer));
  X509_set_pubkey(certificate.get(), subject_key);
  return certificate;
}

absl::Status AddExtension(X509* certificate, int nid, const char* value,
                          X509* issuer) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer == nullptr ? certificate : issuer,
                 certificate, nullptr, nullptr, 0);
  bssl::UniquePtr<X509_EXTENSION> extension(
      X509V3_EXT_nconf_nid(nullptr, &context, nid, value));
  if (extension == nullptr || !X509_add_ext(certificate, extension.get(), -1)) {
    return SslError(absl::StrCat("adding extension ", OBJ_nid2sn(nid)));
  }
  return absl::OkStatus();
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

CertificateInfo Describe(X509* certificate, EVP_PKEY* key) {
  CertificateInfo info;
  char subject[256];
  X509_NAME_oneline(X509_get_subject_name(certificate), subject,
                    sizeof subject);
  info.subject = subject;
  info.sha256_fingerprint = Fingerprint(certificate);
  info.not_before = Asn1TimeToAbsl(X509_get0_notBefore(certificate));
  info.not_after = Asn1TimeToAbsl(X509_get0_notAfter(certificate));
  info.key_type = KeyType(key);
  return info;
}

namespace {

absl::StatusOr<std::string> BioContents(BIO* bio) {
  const uint8_t* data = nullptr;
  size_t length = 0;
  if (!BIO_mem_contents(bio, &data, &length)) return SslError("reading BIO");
  return std::string(reinterpret_cast<const char*>(data), length);
}

}  // namespace

absl::StatusOr<std::string> PrivateKeyPem(EVP_PKEY* key) {
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr,
                                nullptr)) {
    return SslError("writing key PEM");
  }
  return BioContents(bio.get());
}

absl::StatusOr<std::string> CertificatePem(X509* certificate) {
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_X509(bio.get(), certificate)) {
    return SslError("writing certificate PEM");
  }
  return BioContents(bio.get());
}

std::vector<bssl::UniquePtr<X509>> ReadCertificates(absl::string_view pem) {
  std::vector<bssl::UniquePtr<X509>> out;
  bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(pem.data(), pem.size()));
  for (;;) {
    bssl::UniquePtr<X509> certificate(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!certificate) break;
    out.push_back(std::move(certificate));
  }
  ERR_clear_error();
  return out;
}

bssl::UniquePtr<EVP_PKEY> ReadPrivateKey(absl::string_view pem) {
  bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(pem.data(), pem.size()));
  bssl::UniquePtr<EVP_PKEY> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  return key;
}

}  // namespace ews::security::internal

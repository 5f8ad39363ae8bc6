#include "sdk/security/tls/device_ca.h"

#include <openssl/err.h>
#include <openssl/nid.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/base/files.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/security/tls/internal/x509_util.h"

namespace ews::security {
namespace {

using internal::AddExtension;
using internal::SslError;

constexpr size_t kMaxPemBytes = 64 << 10;

std::string CaKeyPath(const std::string& dir) { return dir + "/ca.key"; }
std::string CaPemPath(const std::string& dir) { return dir + "/ca.pem"; }
std::string ServerPemPath(const std::string& dir) {
  return dir + "/server.pem";
}
std::string SitePemPath(const std::string& dir) { return dir + "/site.pem"; }

// host_name first, then the other names, without duplicates.
std::vector<std::string> AllNames(const DeviceIdentity& identity) {
  std::vector<std::string> names = {identity.host_name};
  for (const std::string& name : identity.alt_names) {
    if (!name.empty() &&
        std::find(names.begin(), names.end(), name) == names.end()) {
      names.push_back(name);
    }
  }
  return names;
}

// The subjectAltName entries of `certificate` as text ("ews.local",
// "192.168.1.100" in the form inet_ntop gives back).
std::set<std::string> AltNamesOf(X509* certificate) {
  std::set<std::string> out;
  bssl::UniquePtr<GENERAL_NAMES> names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (size_t i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS) {
      out.emplace(
          reinterpret_cast<const char*>(ASN1_STRING_get0_data(name->d.dNSName)),
          ASN1_STRING_length(name->d.dNSName));
    } else if (name->type == GEN_IPADD) {
      out.emplace(reinterpret_cast<const char*>(
                      ASN1_STRING_get0_data(name->d.iPAddress)),
                  ASN1_STRING_length(name->d.iPAddress));
    }
  }
  return out;
}

// The same form as AltNamesOf: DNS names as text, IPs as raw bytes.
std::set<std::string> WantedAltNames(const DeviceIdentity& identity) {
  std::set<std::string> out;
  for (const std::string& name : AllNames(identity)) {
    std::string ip;
    out.insert(internal::IsIpLiteral(name, &ip) ? ip : name);
  }
  return out;
}

absl::Time WholeSeconds(absl::Time time) {
  return absl::FromUnixSeconds(absl::ToUnixSeconds(time));
}

struct Ca {
  bssl::UniquePtr<EVP_PKEY> key;
  bssl::UniquePtr<X509> certificate;
};

absl::StatusOr<Ca> LoadCa(const std::string& dir) {
  EWS_ASSIGN_OR_RETURN(std::string key_pem,
                       ReadFileToString(CaKeyPath(dir), kMaxPemBytes));
  EWS_ASSIGN_OR_RETURN(std::string pem,
                       ReadFileToString(CaPemPath(dir), kMaxPemBytes));
  Ca ca;
  ca.key = internal::ReadPrivateKey(key_pem);
  std::vector<bssl::UniquePtr<X509>> certificates =
      internal::ReadCertificates(pem);
  if (!ca.key || certificates.size() != 1) {
    return absl::DataLossError("ca.key / ca.pem do not parse");
  }
  ca.certificate = std::move(certificates[0]);
  if (!X509_check_private_key(ca.certificate.get(), ca.key.get())) {
    ERR_clear_error();
    return absl::DataLossError("ca.key does not match ca.pem");
  }
  return ca;
}

absl::StatusOr<Ca> CreateCa(const std::string& dir,
                            const DeviceIdentity& identity, const Clock& clock,
                            const DeviceCaOptions& options) {
  Ca ca;
  EWS_ASSIGN_OR_RETURN(ca.key, internal::GenerateP256Key());
  uint8_t tag[4];
  RAND_bytes(tag, sizeof tag);
  const std::string common_name =
      absl::StrCat("EWS device CA ", identity.host_name.substr(0, 32), " ",
                   absl::BytesToHexString(absl::string_view(
                       reinterpret_cast<const char*>(tag), sizeof tag)));
  const absl::Time now = WholeSeconds(clock.WallNow());
  EWS_ASSIGN_OR_RETURN(
      ca.certificate,
      internal::NewCertificate(common_name, ca.key.get(), now - absl::Hours(1),
                               now + options.ca_validity));
  X509* certificate = ca.certificate.get();
  EWS_RETURN_IF_ERROR(AddExtension(certificate, NID_basic_constraints,
                                   "critical,CA:TRUE,pathlen:0"));
  EWS_RETURN_IF_ERROR(
      AddExtension(certificate, NID_key_usage, "critical,keyCertSign,cRLSign"));
  EWS_RETURN_IF_ERROR(
      AddExtension(certificate, NID_subject_key_identifier, "hash"));
  // DNS names only: this BoringSSL rejects certificates under a CA with IP
  // address constraints ("unsupported name constraint type"), and the
  // device verifies its own chain. IP SANs are thus not constrained.
  std::vector<std::string> permitted;
  for (const std::string& name : AllNames(identity)) {
    std::string ip;
    if (!internal::IsIpLiteral(name, &ip)) {
      permitted.push_back(absl::StrCat("permitted;DNS:", name));
    }
  }
  const std::string constraints =
      absl::StrCat("critical,", absl::StrJoin(permitted, ","));
  EWS_RETURN_IF_ERROR(
      AddExtension(certificate, NID_name_constraints, constraints.c_str()));
  if (!X509_sign(certificate, ca.key.get(), EVP_sha256())) {
    return SslError("signing the CA certificate");
  }
  EWS_ASSIGN_OR_RETURN(std::string key_pem,
                       internal::PrivateKeyPem(ca.key.get()));
  EWS_ASSIGN_OR_RETURN(std::string pem, internal::CertificatePem(certificate));
  EWS_RETURN_IF_ERROR(WriteFileAtomically(CaKeyPath(dir), key_pem, 0600));
  EWS_RETURN_IF_ERROR(WriteFileAtomically(CaPemPath(dir), pem, 0644));
  EWS_LOG(WARNING) << "created a new device CA \"" << common_name
                   << "\" valid until "
                   << absl::FormatTime(internal::Asn1TimeToAbsl(
                          X509_get0_notAfter(certificate)))
                   << ": browsers must install " << CaPemPath(dir)
                   << " (again) to trust the device";
  return ca;
}

// Whether `certificate` chains to `ca` at `now` (signature, validity, name
// constraints), per BoringSSL's verifier. The X509_V_ERR_* code otherwise.
int VerifyAgainst(X509* certificate, X509* ca, absl::Time now) {
  bssl::UniquePtr<X509_STORE> store(X509_STORE_new());
  X509_STORE_add_cert(store.get(), ca);
  bssl::UniquePtr<X509_STORE_CTX> context(X509_STORE_CTX_new());
  X509_STORE_CTX_init(context.get(), store.get(), certificate, nullptr);
  X509_STORE_CTX_set_time(context.get(), 0,
                          static_cast<time_t>(absl::ToUnixSeconds(now)));
  const int ok = X509_verify_cert(context.get());
  const int error =
      ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(context.get());
  ERR_clear_error();
  return error;
}

struct Issued {
  bssl::UniquePtr<EVP_PKEY> key;
  bssl::UniquePtr<X509> certificate;
};

absl::StatusOr<Issued> IssueServerCertificate(const Ca& ca,
                                              const DeviceIdentity& identity,
                                              const Clock& clock,
                                              const DeviceCaOptions& options) {
  Issued issued;
  EWS_ASSIGN_OR_RETURN(issued.key, internal::GenerateP256Key());
  const absl::Time now = WholeSeconds(clock.WallNow());
  const absl::Time ca_end =
      internal::Asn1TimeToAbsl(X509_get0_notAfter(ca.certificate.get()));
  const absl::Time end = std::min(now + options.server_validity, ca_end);
  EWS_ASSIGN_OR_RETURN(issued.certificate,
                       internal::NewCertificate(
                           identity.host_name, issued.key.get(),
                           now - absl::Hours(1), end, ca.certificate.get()));
  X509* certificate = issued.certificate.get();
  X509* issuer = ca.certificate.get();
  EWS_RETURN_IF_ERROR(AddExtension(certificate, NID_basic_constraints,
                                   "critical,CA:FALSE", issuer));
  EWS_RETURN_IF_ERROR(AddExtension(certificate, NID_key_usage,
                                   "critical,digitalSignature", issuer));
  EWS_RETURN_IF_ERROR(
      AddExtension(certificate, NID_ext_key_usage, "serverAuth", issuer));
  EWS_RETURN_IF_ERROR(
      AddExtension(certificate, NID_subject_key_identifier, "hash", issuer));
  EWS_RETURN_IF_ERROR(AddExtension(certificate, NID_authority_key_identifier,
                                   "keyid:always", issuer));
  EWS_RETURN_IF_ERROR(internal::AddAltNames(certificate, AllNames(identity)));
  if (!X509_sign(certificate, ca.key.get(), EVP_sha256())) {
    return SslError("signing the server certificate");
  }
  return issued;
}

// The reason the current server.pem must be replaced, or "" if it is fine.
std::string ServerProblem(const std::string& dir, const Ca& ca,
                          const DeviceIdentity& identity, absl::Time now,
                          const DeviceCaOptions& options) {
  absl::StatusOr<std::string> pem =
      ReadFileToString(ServerPemPath(dir), kMaxPemBytes);
  if (!pem.ok()) return "there is none";
  std::vector<bssl::UniquePtr<X509>> certificates =
      internal::ReadCertificates(*pem);
  bssl::UniquePtr<EVP_PKEY> key = internal::ReadPrivateKey(*pem);
  if (certificates.empty() || !key ||
      !X509_check_private_key(certificates[0].get(), key.get())) {
    ERR_clear_error();
    return "it does not parse or its key does not match";
  }
  X509* certificate = certificates[0].get();
  if (VerifyAgainst(certificate, ca.certificate.get(), now) != X509_V_OK) {
    return "it is not valid under the current CA";
  }
  if (AltNamesOf(certificate) != WantedAltNames(identity)) {
    return "the device's names changed";
  }
  const absl::Time end =
      internal::Asn1TimeToAbsl(X509_get0_notAfter(certificate));
  if (end - now < options.renew_before) return "it expires soon";
  return "";
}

absl::Status CheckOptions(const DeviceIdentity& identity,
                          const DeviceCaOptions& options) {
  if (identity.host_name.empty() || identity.host_name.size() > 64) {
    return absl::InvalidArgumentError("the host name must be 1..64 characters");
  }
  if (options.server_validity <= absl::ZeroDuration() ||
      options.server_validity > absl::Hours(24 * 366)) {
    return absl::InvalidArgumentError(
        "server certificate validity must be 1 s .. 366 days");
  }
  if (options.renew_before < absl::ZeroDuration() ||
      options.renew_before >= options.server_validity ||
      options.ca_validity <= options.server_validity + options.renew_before) {
    return absl::InvalidArgumentError(
        "need renew_before < server validity < CA validity");
  }
  return absl::OkStatus();
}

// The CA in `dir`, or a new one (`*created`) when there is none, it is
// unusable (logged) or it expires within options.renew_before.
absl::StatusOr<Ca> LoadOrCreateCa(const std::string& dir,
                                  const DeviceIdentity& identity,
                                  const Clock& clock, absl::Time now,
                                  const DeviceCaOptions& options,
                                  bool* created) {
  absl::StatusOr<Ca> ca = LoadCa(dir);
  if (ca.ok()) {
    const absl::Time end =
        internal::Asn1TimeToAbsl(X509_get0_notAfter(ca->certificate.get()));
    if (end - now < options.renew_before) {
      EWS_LOG(WARNING) << "the device CA expires on " << absl::FormatTime(end);
      ca = absl::FailedPreconditionError("the CA expires soon");
    }
  } else if (!absl::IsNotFound(ca.status())) {
    EWS_LOG(ERROR) << "device CA in " << dir << " unusable: " << ca.status();
  }
  if (!ca.ok()) {
    ca = CreateCa(dir, identity, clock, options);
    if (!ca.ok()) return ca.status();
    *created = true;
  }
  return ca;
}

// server.pem as the TLS server reads it: the key, the leaf, then the CA.
absl::Status WriteServerPem(const std::string& dir, const Issued& issued,
                            const Ca& ca) {
  EWS_ASSIGN_OR_RETURN(std::string contents,
                       internal::PrivateKeyPem(issued.key.get()));
  EWS_ASSIGN_OR_RETURN(std::string leaf,
                       internal::CertificatePem(issued.certificate.get()));
  EWS_ASSIGN_OR_RETURN(std::string ca_pem,
                       internal::CertificatePem(ca.certificate.get()));
  return WriteFileAtomically(ServerPemPath(dir), contents + leaf + ca_pem,
                             0600);
}

// Issues a server certificate from `*ca` and writes server.pem. New names
// outside the CA's name constraints need a new CA: then `*ca` is replaced
// and `*ca_created` set (an Internal error if the CA is brand-new already).
absl::Status RenewServerCertificate(const std::string& dir, Ca* ca,
                                    const DeviceIdentity& identity,
                                    const Clock& clock, absl::Time now,
                                    const DeviceCaOptions& options,
                                    bool* ca_created) {
  EWS_ASSIGN_OR_RETURN(Issued issued,
                       IssueServerCertificate(*ca, identity, clock, options));
  const int verified =
      VerifyAgainst(issued.certificate.get(), ca->certificate.get(), now);
  if (verified != X509_V_OK) {
    if (*ca_created) {
      return absl::InternalError(
          absl::StrCat("a server certificate from a brand-new CA does not "
                       "verify: ",
                       X509_verify_cert_error_string(verified)));
    }
    EWS_LOG(WARNING) << "the device's names are outside the CA's name "
                        "constraints: making a new CA";
    EWS_ASSIGN_OR_RETURN(*ca, CreateCa(dir, identity, clock, options));
    *ca_created = true;
    EWS_ASSIGN_OR_RETURN(issued,
                         IssueServerCertificate(*ca, identity, clock, options));
  }
  return WriteServerPem(dir, issued, *ca);
}

// Serves the site's own certificate (site.pem) instead of the device's when
// one was installed and still passes ValidateSiteCertificate(); logs why
// not when it fails, and warns when it expires within renew_before.
void UseSiteCertificateIfValid(const std::string& dir,
                               const DeviceIdentity& identity,
                               const Clock& clock, absl::Time now,
                               const DeviceCaOptions& options,
                               TlsFiles* files) {
  absl::StatusOr<std::string> site =
      ReadFileToString(SitePemPath(dir), kMaxPemBytes);
  if (!site.ok()) return;
  absl::StatusOr<CertificateInfo> info =
      ValidateSiteCertificate(*site, "", identity, clock);
  if (!info.ok()) {
    EWS_LOG(ERROR) << "site certificate not used: " << info.status()
                   << "; serving the device certificate";
    return;
  }
  files->server = *info;
  files->server_pem_path = SitePemPath(dir);
  files->site_certificate = true;
  if (info->not_after - now < options.renew_before) {
    EWS_LOG(WARNING) << "the site certificate expires on "
                     << absl::FormatTime(info->not_after)
                     << ": upload a new one";
  }
}

}  // namespace

absl::StatusOr<CertificateInfo> ValidateSiteCertificate(
    absl::string_view chain_pem, absl::string_view key_pem,
    const DeviceIdentity& identity, const Clock& clock) {
  if (chain_pem.size() > kMaxPemBytes || key_pem.size() > kMaxPemBytes) {
    return absl::InvalidArgumentError("certificate or key larger than 64 KiB");
  }
  std::vector<bssl::UniquePtr<X509>> chain =
      internal::ReadCertificates(chain_pem);
  if (chain.empty()) {
    return absl::InvalidArgumentError("no PEM certificate found");
  }
  bssl::UniquePtr<EVP_PKEY> key =
      internal::ReadPrivateKey(key_pem.empty() ? chain_pem : key_pem);
  if (!key) return absl::InvalidArgumentError("no PEM private key found");
  X509* leaf = chain[0].get();
  if (!X509_check_private_key(leaf, key.get())) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "the private key does not match the certificate");
  }
  const std::string key_type = internal::KeyType(key.get());
  if (!(EVP_PKEY_id(key.get()) == EVP_PKEY_RSA &&
        EVP_PKEY_bits(key.get()) >= 2048) &&
      key_type != "EC P-256" && key_type != "EC secp384r1") {
    return absl::InvalidArgumentError(absl::StrCat(
        "key type ", key_type, " refused: use RSA >= 2048 or EC P-256/P-384"));
  }
  const absl::Time now = clock.WallNow();
  for (size_t i = 0; i < chain.size(); ++i) {
    X509* certificate = chain[i].get();
    const absl::Time not_before =
        internal::Asn1TimeToAbsl(X509_get0_notBefore(certificate));
    const absl::Time not_after =
        internal::Asn1TimeToAbsl(X509_get0_notAfter(certificate));
    if (now < not_before) {
      return absl::InvalidArgumentError(
          absl::StrCat("certificate ", i + 1, " is not valid before ",
                       absl::FormatTime(not_before), " (device time ",
                       absl::FormatTime(now), ")"));
    }
    if (now >= not_after) {
      return absl::InvalidArgumentError(absl::StrCat(
          "certificate ", i + 1, " expired on ", absl::FormatTime(not_after)));
    }
    bssl::UniquePtr<EVP_PKEY> issuer_key(
        i + 1 < chain.size() ? X509_get_pubkey(chain[i + 1].get()) : nullptr);
    if (i + 1 < chain.size() &&
        (!issuer_key || X509_verify(certificate, issuer_key.get()) != 1)) {
      ERR_clear_error();
      return absl::InvalidArgumentError(
          absl::StrCat("certificate ", i + 2, " did not sign certificate ",
                       i + 1, " (give the chain leaf first)"));
    }
  }
  if (X509_check_ca(leaf) != 0) {
    return absl::InvalidArgumentError(
        "the first certificate is a CA certificate, not a server certificate");
  }
  if (X509_check_purpose(leaf, X509_PURPOSE_SSL_SERVER, 0) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        "the certificate is not for TLS server authentication");
  }
  std::string ip;
  const bool covered =
      internal::IsIpLiteral(identity.host_name, &ip)
          ? X509_check_ip_asc(leaf, identity.host_name.c_str(), 0) == 1
          : X509_check_host(leaf, identity.host_name.data(),
                            identity.host_name.size(), 0, nullptr) == 1;
  if (!covered) {
    return absl::InvalidArgumentError(
        absl::StrCat("the certificate does not name the device's host name \"",
                     identity.host_name, "\""));
  }
  return internal::Describe(leaf, key.get());
}

absl::StatusOr<CertificateInfo> InstallSiteCertificate(
    const std::string& directory, absl::string_view chain_pem,
    absl::string_view key_pem, const DeviceIdentity& identity,
    const Clock& clock) {
  EWS_ASSIGN_OR_RETURN(
      CertificateInfo info,
      ValidateSiteCertificate(chain_pem, key_pem, identity, clock));
  // Normalise: key first, then the chain, as the TLS server reads it.
  bssl::UniquePtr<EVP_PKEY> key =
      internal::ReadPrivateKey(key_pem.empty() ? chain_pem : key_pem);
  EWS_ASSIGN_OR_RETURN(std::string contents,
                       internal::PrivateKeyPem(key.get()));
  for (const auto& certificate : internal::ReadCertificates(chain_pem)) {
    EWS_ASSIGN_OR_RETURN(std::string pem,
                         internal::CertificatePem(certificate.get()));
    contents += pem;
  }
  if (mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoToStatus(errno, absl::StrCat("creating ", directory));
  }
  EWS_RETURN_IF_ERROR(
      WriteFileAtomically(SitePemPath(directory), contents, 0600));
  EWS_LOG(INFO) << "installed the site certificate " << info.subject
                << " SHA-256 " << info.sha256_fingerprint;
  return info;
}

absl::Status RemoveSiteCertificate(const std::string& directory) {
  if (unlink(SitePemPath(directory).c_str()) != 0 && errno != ENOENT) {
    return ErrnoToStatus(errno, "removing site.pem");
  }
  return absl::OkStatus();
}

absl::StatusOr<TlsFiles> EnsureDeviceCertificates(
    const std::string& directory, const DeviceIdentity& identity,
    const Clock& clock, const DeviceCaOptions& options) {
  EWS_RETURN_IF_ERROR(CheckOptions(identity, options));
  if (mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoToStatus(errno, absl::StrCat("creating ", directory));
  }
  TlsFiles files;
  files.ca_pem_path = CaPemPath(directory);
  const absl::Time now = clock.WallNow();

  // 1. The CA.
  EWS_ASSIGN_OR_RETURN(Ca ca, LoadOrCreateCa(directory, identity, clock, now,
                                             options, &files.ca_created));

  // 2. The server certificate.
  std::string problem = ServerProblem(directory, ca, identity, now, options);
  if (!problem.empty()) {
    EWS_LOG(INFO) << "issuing a server certificate: " << problem;
    EWS_RETURN_IF_ERROR(RenewServerCertificate(
        directory, &ca, identity, clock, now, options, &files.ca_created));
    files.server_issued = true;
  }
  files.ca = internal::Describe(ca.certificate.get(), ca.key.get());
  EWS_ASSIGN_OR_RETURN(
      std::string server_pem,
      ReadFileToString(ServerPemPath(directory), kMaxPemBytes));
  EWS_ASSIGN_OR_RETURN(files.server, InspectPem(server_pem));
  files.server_pem_path = ServerPemPath(directory);
  files.next_check = std::min(files.server.not_after, files.ca.not_after) -
                     options.renew_before;

  // 3. The site's own certificate, if one was installed and still fits.
  UseSiteCertificateIfValid(directory, identity, clock, now, options, &files);
  EWS_LOG(INFO) << "TLS: CA SHA-256 " << files.ca.sha256_fingerprint
                << "; server certificate "
                << (files.site_certificate ? "(site) " : "") << "SHA-256 "
                << files.server.sha256_fingerprint << " valid until "
                << absl::FormatTime(files.server.not_after);
  return files;
}

}  // namespace ews::security

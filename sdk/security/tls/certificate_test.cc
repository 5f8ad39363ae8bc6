#include "sdk/security/tls/certificate.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"

namespace ews::security {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

TEST(CertificateTest, GeneratesValidP256SelfSignedCertificate) {
  SimulatedClock clock(absl::FromUnixSeconds(1795600000));
  CertificateRequest request;
  request.alt_names = {"ews.local", "192.168.1.100", "::1"};
  absl::StatusOr<std::string> pem = GenerateSelfSignedPem(request, clock);
  ASSERT_THAT(pem, IsOk());
  EXPECT_THAT(*pem, HasSubstr("-----BEGIN PRIVATE KEY-----"));
  EXPECT_THAT(*pem, HasSubstr("-----BEGIN CERTIFICATE-----"));

  absl::StatusOr<CertificateInfo> info = InspectPem(*pem);
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->key_type, "EC P-256");
  EXPECT_THAT(info->subject, HasSubstr("CN=ews.local"));
  EXPECT_EQ(info->not_before, absl::FromUnixSeconds(1795600000 - 3600));
  EXPECT_EQ(info->not_after - absl::FromUnixSeconds(1795600000),
            request.validity);
  EXPECT_EQ(info->sha256_fingerprint.size(), 32u * 3 - 1);

  // The certificate verifies against its own key and names the IP address.
  BIO* bio = BIO_new_mem_buf(pem->data(), pem->size());
  X509* certificate = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(certificate, nullptr);
  EVP_PKEY* public_key = X509_get_pubkey(certificate);
  EXPECT_EQ(X509_verify(certificate, public_key), 1);
  EXPECT_EQ(X509_check_ip_asc(certificate, "192.168.1.100", 0), 1);
  EXPECT_EQ(X509_check_host(certificate, "ews.local", 9, 0, nullptr), 1);
  EXPECT_NE(X509_check_host(certificate, "evil.example", 12, 0, nullptr), 1);
  EVP_PKEY_free(public_key);
  X509_free(certificate);
}

TEST(CertificateTest, TwoCertificatesDifferInKeyAndSerial) {
  SimulatedClock clock;
  auto first = GenerateSelfSignedPem({}, clock);
  auto second = GenerateSelfSignedPem({}, clock);
  ASSERT_THAT(first, IsOk());
  ASSERT_THAT(second, IsOk());
  EXPECT_NE(InspectPem(*first)->sha256_fingerprint,
            InspectPem(*second)->sha256_fingerprint);
}

TEST(CertificateTest, RejectsBadRequests) {
  SimulatedClock clock;
  CertificateRequest no_name;
  no_name.common_name = "";
  EXPECT_THAT(GenerateSelfSignedPem(no_name, clock),
              StatusIs(absl::StatusCode::kInvalidArgument));
  CertificateRequest no_validity;
  no_validity.validity = absl::ZeroDuration();
  EXPECT_THAT(GenerateSelfSignedPem(no_validity, clock),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CertificateTest, InspectRejectsMismatchedOrMissingParts) {
  SimulatedClock clock;
  std::string first = *GenerateSelfSignedPem({}, clock);
  std::string second = *GenerateSelfSignedPem({}, clock);
  const std::string cert_marker = "-----BEGIN CERTIFICATE-----";
  std::string key_of_first = first.substr(0, first.find(cert_marker));
  std::string cert_of_second = second.substr(second.find(cert_marker));
  EXPECT_THAT(InspectPem(key_of_first + cert_of_second),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("does not match")));
  EXPECT_THAT(
      InspectPem(cert_of_second),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("private key")));
  EXPECT_THAT(InspectPem("garbage"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CertificateTest, EnsureCreatesOnceWithPrivateModeAndKeepsIt) {
  SimulatedClock clock;
  const std::string path = TempPath("server.pem");
  auto created = EnsureSelfSignedCertificate(path, {}, clock);
  ASSERT_THAT(created, IsOk());
  struct stat status;
  ASSERT_EQ(stat(path.c_str(), &status), 0);
  EXPECT_EQ(status.st_mode & 0777, 0600);
  auto again = EnsureSelfSignedCertificate(path, {}, clock);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->sha256_fingerprint, created->sha256_fingerprint);
}

TEST(CertificateTest, EnsureRefusesToOverwriteAnUnusableFile) {
  SimulatedClock clock;
  const std::string path = TempPath("broken.pem");
  std::ofstream(path) << "not a certificate";
  EXPECT_THAT(EnsureSelfSignedCertificate(path, {}, clock),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not replaced automatically")));
  std::ifstream file(path);
  std::string contents((std::istreambuf_iterator<char>(file)), {});
  EXPECT_EQ(contents, "not a certificate");
}

}  // namespace
}  // namespace ews::security

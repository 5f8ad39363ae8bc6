#include "sdk/security/tls/device_ca.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/files.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/security/tls/certificate.h"

namespace ews::security {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;

constexpr absl::Duration kDay = absl::Hours(24);

struct Result {
  int exit_code;
  std::string output;
};

// Runs `command` with /bin/sh in `dir`, stdout and stderr together.
Result Shell(const std::string& dir, const std::string& command) {
  const std::string full =
      absl::StrCat("cd '", dir, "' && ( ", command, " ) 2>&1");
  FILE* pipe = popen(full.c_str(), "r");
  Result result{-1, ""};
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) {
    result.output.append(buffer, n);
  }
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

mode_t ModeOf(const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0) return 0;
  return info.st_mode & 0777;
}

DeviceIdentity Identity() {
  DeviceIdentity identity;
  identity.host_name = "ews.local";
  identity.alt_names = {"localhost", "127.0.0.1", "192.168.1.100", "::1"};
  return identity;
}

class DeviceCaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = absl::StrCat(
        std::getenv("TEST_TMPDIR"), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    mkdir(base_.c_str(), 0700);
    dir_ = base_ + "/tls";
  }

  TlsFiles Ensure(const DeviceIdentity& identity = Identity()) {
    absl::StatusOr<TlsFiles> files =
        EnsureDeviceCertificates(dir_, identity, clock_);
    EXPECT_THAT(files, IsOk());
    return files.ok() ? *files : TlsFiles();
  }

  // `openssl verify` of server.pem's leaf against ca.pem at the simulated
  // time, for `host` (a DNS name) or an IP address.
  Result Verify(const std::string& host, const std::string& ip = "") {
    // The leaf is the first certificate in server.pem.
    Shell(base_, "awk '/BEGIN CERT/{n++} n==1' tls/server.pem > leaf.pem");
    std::string command = absl::StrCat(
        "openssl verify -x509_strict -purpose sslserver -CAfile tls/ca.pem "
        "-attime ",
        absl::ToUnixSeconds(clock_.WallNow()));
    if (!host.empty()) absl::StrAppend(&command, " -verify_hostname ", host);
    if (!ip.empty()) absl::StrAppend(&command, " -verify_ip ", ip);
    return Shell(base_, command + " leaf.pem");
  }

  SimulatedClock clock_{absl::FromUnixSeconds(1796000000)};  // 2026-11
  std::string base_;
  std::string dir_;
};

TEST_F(DeviceCaTest, FirstStartMakesACaAndAServerCertificate) {
  TlsFiles files = Ensure();
  EXPECT_TRUE(files.ca_created);
  EXPECT_TRUE(files.server_issued);
  EXPECT_FALSE(files.site_certificate);
  EXPECT_EQ(files.server_pem_path, dir_ + "/server.pem");
  EXPECT_EQ(files.ca_pem_path, dir_ + "/ca.pem");
  EXPECT_EQ(ModeOf(dir_), 0700u);
  EXPECT_EQ(ModeOf(dir_ + "/ca.key"), 0600u);
  EXPECT_EQ(ModeOf(dir_ + "/ca.pem"), 0644u);
  EXPECT_EQ(ModeOf(dir_ + "/server.pem"), 0600u);

  EXPECT_THAT(files.ca.subject, HasSubstr("CN=EWS device CA ews.local "));
  EXPECT_GE(files.ca.not_after - clock_.WallNow(), 3652 * kDay - kDay);
  EXPECT_LE(files.server.not_after - clock_.WallNow(), 366 * kDay);
  EXPECT_GE(files.server.not_after - clock_.WallNow(), 365 * kDay);
  EXPECT_THAT(files.server.subject, HasSubstr("CN=ews.local"));
  EXPECT_EQ(files.ca.sha256_fingerprint.size(), 95u);
  EXPECT_EQ(files.server.sha256_fingerprint.size(), 95u);
  EXPECT_NE(files.ca.sha256_fingerprint, files.server.sha256_fingerprint);
  EXPECT_EQ(files.next_check, files.server.not_after - 30 * kDay);

  // An independent verifier accepts the chain for every name and address.
  for (const char* host : {"ews.local", "localhost"}) {
    Result result = Verify(host);
    EXPECT_EQ(result.exit_code, 0) << host << ": " << result.output;
  }
  for (const char* ip : {"127.0.0.1", "192.168.1.100", "::1"}) {
    Result result = Verify("", ip);
    EXPECT_EQ(result.exit_code, 0) << ip << ": " << result.output;
  }
  // ... and refuses other names, and the chain after its end.
  EXPECT_NE(Verify("evil.example").exit_code, 0);
  EXPECT_NE(Verify("", "192.168.1.101").exit_code, 0);
  clock_.Advance(367 * kDay);
  EXPECT_THAT(Verify("ews.local").output, HasSubstr("expired"));
}

TEST_F(DeviceCaTest, TheCaKeyNeverLeavesCaKey) {
  Ensure();
  absl::StatusOr<std::string> key = ReadFileToString(dir_ + "/ca.key");
  absl::StatusOr<std::string> server = ReadFileToString(dir_ + "/server.pem");
  absl::StatusOr<std::string> ca = ReadFileToString(dir_ + "/ca.pem");
  ASSERT_THAT(key, IsOk());
  ASSERT_THAT(server, IsOk());
  ASSERT_THAT(ca, IsOk());
  EXPECT_THAT(*ca, ::testing::Not(HasSubstr("PRIVATE KEY")));
  std::vector<std::string> lines = absl::StrSplit(*key, '\n');
  ASSERT_GT(lines.size(), 2u);
  EXPECT_THAT(*server, ::testing::Not(HasSubstr(lines[1])));
  // server.pem = key + leaf + CA certificate.
  EXPECT_EQ(Shell(base_, "grep -c 'BEGIN CERTIFICATE' tls/server.pem").output,
            "2\n");
}

TEST_F(DeviceCaTest, AnotherStartKeepsEverything) {
  TlsFiles first = Ensure();
  clock_.Advance(100 * kDay);
  TlsFiles second = Ensure();
  EXPECT_FALSE(second.ca_created);
  EXPECT_FALSE(second.server_issued);
  EXPECT_EQ(second.ca.sha256_fingerprint, first.ca.sha256_fingerprint);
  EXPECT_EQ(second.server.sha256_fingerprint, first.server.sha256_fingerprint);
}

TEST_F(DeviceCaTest, RenewsAMonthBeforeExpiryOnASimulatedClock) {
  TlsFiles first = Ensure();
  const absl::Time start = clock_.WallNow();
  // Day 335: still more than 30 days left.
  clock_.Advance(335 * kDay);
  TlsFiles later = Ensure();
  EXPECT_FALSE(later.server_issued);
  // Day 337: less than 30 days left → a new server certificate, same CA.
  clock_.Advance(2 * kDay);
  TlsFiles renewed = Ensure();
  EXPECT_TRUE(renewed.server_issued);
  EXPECT_FALSE(renewed.ca_created);
  EXPECT_EQ(renewed.ca.sha256_fingerprint, first.ca.sha256_fingerprint);
  EXPECT_NE(renewed.server.sha256_fingerprint, first.server.sha256_fingerprint);
  EXPECT_EQ(renewed.server.not_after,
            absl::FromUnixSeconds(absl::ToUnixSeconds(clock_.WallNow())) +
                366 * kDay);
  Result result = Verify("ews.local");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  // Ten renewals on: the last server certificate ends with the CA.
  for (int year = 0; year < 10; ++year) {
    clock_.Advance(337 * kDay);
    TlsFiles next = Ensure();
    if (next.ca_created) {
      // The CA was renewed a month before its own end.
      EXPECT_GE(clock_.WallNow() - start, 3652 * kDay - 30 * kDay - 337 * kDay);
      break;
    }
    EXPECT_TRUE(next.server_issued);
    EXPECT_LE(next.server.not_after, next.ca.not_after);
    Result verified = Verify("ews.local");
    EXPECT_EQ(verified.exit_code, 0) << year << ": " << verified.output;
  }
}

TEST_F(DeviceCaTest, NewAddressesGetANewServerCertificateUnderTheSameCa) {
  TlsFiles first = Ensure();
  DeviceIdentity moved = Identity();
  moved.alt_names.push_back("10.1.2.3");
  moved.alt_names.push_back("fd00::5");
  TlsFiles second = Ensure(moved);
  EXPECT_TRUE(second.server_issued);
  EXPECT_FALSE(second.ca_created);
  EXPECT_EQ(second.ca.sha256_fingerprint, first.ca.sha256_fingerprint);
  EXPECT_EQ(Verify("", "10.1.2.3").exit_code, 0);
  EXPECT_EQ(Verify("", "fd00::5").exit_code, 0);
}

TEST_F(DeviceCaTest, ANewHostNameOutsideTheConstraintsGetsANewCa) {
  TlsFiles first = Ensure();
  DeviceIdentity renamed = Identity();
  renamed.host_name = "meter.plant.example";
  TlsFiles second = Ensure(renamed);
  EXPECT_TRUE(second.ca_created);
  EXPECT_NE(second.ca.sha256_fingerprint, first.ca.sha256_fingerprint);
  Result result = Verify("meter.plant.example");
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST_F(DeviceCaTest, TheCaCannotVouchForOtherSites) {
  Ensure();
  // Whoever steals ca.key signs a certificate for a bank: browsers that
  // installed the device CA still refuse it (name constraints).
  Result signed_cert = Shell(
      base_,
      "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
      "-keyout bank.key -subj /CN=bank.example -out bank.csr && "
      "printf 'subjectAltName=DNS:bank.example,IP:203.0.113.7\\n"
      "extendedKeyUsage=serverAuth\\n' > ext && "
      "openssl x509 -req -in bank.csr -CA tls/ca.pem -CAkey tls/ca.key "
      "-CAcreateserial -days 30 -extfile ext -out bank.pem");
  ASSERT_EQ(signed_cert.exit_code, 0) << signed_cert.output;
  // (At real time: openssl dated bank.pem from the real clock.)
  Result verified = Shell(base_, "openssl verify -CAfile tls/ca.pem bank.pem");
  EXPECT_NE(verified.exit_code, 0);
  EXPECT_THAT(verified.output, HasSubstr("permitted subtree violation"));
}

TEST_F(DeviceCaTest, AnUnusableCaIsReplacedAndTheServerReissued) {
  TlsFiles first = Ensure();
  ASSERT_THAT(WriteFileAtomically(dir_ + "/ca.key", "garbage"), IsOk());
  TlsFiles second = Ensure();
  EXPECT_TRUE(second.ca_created);
  EXPECT_TRUE(second.server_issued);
  EXPECT_EQ(Verify("ews.local").exit_code, 0);
}

TEST_F(DeviceCaTest, ReplacesTheOldSelfSignedCertificate) {
  // Devices that ran before the CA have a self-signed tls/server.pem.
  mkdir(dir_.c_str(), 0700);
  CertificateRequest request;
  absl::StatusOr<std::string> old = GenerateSelfSignedPem(request, clock_);
  ASSERT_THAT(old, IsOk());
  ASSERT_THAT(WriteFileAtomically(dir_ + "/server.pem", *old), IsOk());
  TlsFiles files = Ensure();
  EXPECT_TRUE(files.ca_created);
  EXPECT_TRUE(files.server_issued);
  Result result = Verify("ews.local");
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST_F(DeviceCaTest, RejectsBadOptions) {
  DeviceCaOptions too_long;
  too_long.server_validity = 367 * kDay;
  EXPECT_THAT(EnsureDeviceCertificates(dir_, Identity(), clock_, too_long),
              StatusIs(absl::StatusCode::kInvalidArgument));
  DeviceIdentity nameless;
  nameless.host_name = "";
  EXPECT_THAT(EnsureDeviceCertificates(dir_, nameless, clock_),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// Site certificates made by openssl, the way an administrator's PKI would.
class SiteCertificateTest : public DeviceCaTest {
 protected:
  void SetUp() override {
    DeviceCaTest::SetUp();
    Result made = Shell(
        base_,
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout site-ca.key "
        "-out site-ca.pem -days 3650 -subj '/CN=Site CA' "
        "-addext basicConstraints=critical,CA:TRUE "
        "-addext keyUsage=critical,keyCertSign && "
        "openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key "
        "-subj /CN=ews.local -out leaf.csr && "
        "printf 'subjectAltName=DNS:ews.local,IP:192.168.1.100\\n"
        "basicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > ext && "
        "openssl x509 -req -in leaf.csr -CA site-ca.pem -CAkey site-ca.key "
        "-CAcreateserial -days 90 -extfile ext -out leaf.pem && "
        "cat leaf.pem site-ca.pem > chain.pem && "
        "openssl req -new -newkey rsa:2048 -nodes -keyout other.key "
        "-subj /CN=other.example -out other.csr && "
        "printf 'subjectAltName=DNS:other.example\\n' > ext2 && "
        "openssl x509 -req -in other.csr -CA site-ca.pem -CAkey site-ca.key "
        "-CAcreateserial -days 90 -extfile ext2 -out other.pem && "
        "openssl req -new -newkey rsa:1024 -nodes -keyout weak.key "
        "-subj /CN=ews.local -out weak.csr && "
        "openssl x509 -req -in weak.csr -CA site-ca.pem -CAkey site-ca.key "
        "-CAcreateserial -days 90 -extfile ext -out weak.pem");
    ASSERT_EQ(made.exit_code, 0) << made.output;
    // Real time: openssl dated its certificates from the real clock.
    clock_.SetWallTime(absl::Now());
  }
  std::string File(const std::string& name) {
    return ReadFileToString(base_ + "/" + name).value_or("");
  }
};

TEST_F(SiteCertificateTest, AGoodOneIsInstalledAndUsed) {
  TlsFiles device = Ensure();
  absl::StatusOr<CertificateInfo> info = InstallSiteCertificate(
      dir_, File("chain.pem"), File("leaf.key"), Identity(), clock_);
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->key_type, "RSA 2048");
  EXPECT_EQ(ModeOf(dir_ + "/site.pem"), 0600u);
  TlsFiles files = Ensure();
  EXPECT_TRUE(files.site_certificate);
  EXPECT_EQ(files.server_pem_path, dir_ + "/site.pem");
  EXPECT_EQ(files.server.sha256_fingerprint, info->sha256_fingerprint);
  EXPECT_EQ(files.ca.sha256_fingerprint, device.ca.sha256_fingerprint);
  // The stored file verifies with the site's CA.
  Result verified =
      Shell(base_,
            "awk '/BEGIN CERT/{n++} n==1' tls/site.pem > s.pem && "
            "openssl verify -CAfile site-ca.pem "
            "-verify_hostname ews.local s.pem");
  EXPECT_EQ(verified.exit_code, 0) << verified.output;
  // Key and chain in one upload work too.
  EXPECT_THAT(InstallSiteCertificate(dir_, File("leaf.key") + File("chain.pem"),
                                     "", Identity(), clock_),
              IsOk());
  // Back to the device certificate.
  ASSERT_THAT(RemoveSiteCertificate(dir_), IsOk());
  EXPECT_FALSE(Ensure().site_certificate);
}

TEST_F(SiteCertificateTest, BadOnesAreRefusedAndTheOldOneKept) {
  Ensure();
  ASSERT_THAT(InstallSiteCertificate(dir_, File("chain.pem"), File("leaf.key"),
                                     Identity(), clock_),
              IsOk());
  const std::string before = File("tls/site.pem");
  struct Case {
    const char* what;
    std::string chain;
    std::string key;
    std::string message;
  };
  const std::string chain = File("chain.pem");
  const std::string key = File("leaf.key");
  const std::vector<Case> cases = {
      {"garbage", "hello", key, "no PEM certificate"},
      {"no key", chain, "", "no PEM private key"},
      {"wrong key", chain, File("other.key"), "does not match"},
      {"wrong name", File("other.pem"), File("other.key"), "host name"},
      {"a CA as leaf", File("site-ca.pem"), File("site-ca.key"),
       "CA certificate"},
      {"chain in the wrong order", File("site-ca.pem") + File("leaf.pem"),
       File("site-ca.key"), "did not sign"},
      {"unrelated chain", File("leaf.pem") + File("other.pem"), key,
       "did not sign"},
      {"weak key", File("weak.pem"), File("weak.key"), "RSA >= 2048"},
      {"huge", std::string(100 << 10, 'A'), key, "64 KiB"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_THAT(
        InstallSiteCertificate(dir_, c.chain, c.key, Identity(), clock_),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
    EXPECT_EQ(File("tls/site.pem"), before);
  }
  // Dates: expired (the device clock 100 days on) and not yet valid.
  SimulatedClock later(clock_.WallNow() + 100 * kDay);
  EXPECT_THAT(
      InstallSiteCertificate(dir_, chain, key, Identity(), later),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expired")));
  SimulatedClock earlier(clock_.WallNow() - 10 * kDay);
  EXPECT_THAT(InstallSiteCertificate(dir_, chain, key, Identity(), earlier),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("not valid before")));
  EXPECT_EQ(File("tls/site.pem"), before);
  EXPECT_TRUE(Ensure().site_certificate);
}

TEST_F(SiteCertificateTest, AnExpiredSiteCertificateFallsBackToTheDevice) {
  Ensure();
  ASSERT_THAT(InstallSiteCertificate(dir_, File("chain.pem"), File("leaf.key"),
                                     Identity(), clock_),
              IsOk());
  clock_.Advance(91 * kDay);
  TlsFiles files = Ensure();
  EXPECT_FALSE(files.site_certificate);
  EXPECT_EQ(files.server_pem_path, dir_ + "/server.pem");
}

}  // namespace
}  // namespace ews::security

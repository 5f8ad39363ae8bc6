#include "apps/server/api_system.h"

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "apps/server/device_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/capturing_log_sink.h"
#include "sdk/base/files.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/hal/rtc/fake_rtc.h"
#include "sdk/http/json.h"

namespace ews::server {
namespace {

using ::ews::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

http::Request Call(const std::string& method, const std::string& body = "",
                   const std::string& query = "") {
  http::Request request;
  request.method = method;
  request.body = body;
  request.query = query;
  return request;
}

class SystemApiTest : public ::testing::Test {
 protected:
  SystemApiTest()
      : device_clock_(system_),
        rtc_(&system_),  // unset: as with a dead battery
        keeper_(&rtc_, &device_clock_) {
    tls_ = absl::StrCat(
        std::getenv("TEST_TMPDIR"), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }

  SystemApiOptions Options() {
    SystemApiOptions options;
    options.version = "1.2.3";
    options.model_size = "32";
    EXPECT_TRUE(absl::LoadTimeZone("Europe/Paris", &options.time_zone));
    options.keeper = &keeper_;
    options.rtc_kind = "board";
    options.rtc_problem = keeper_.Start();
    options.ntp_disabled_reason = "turned off for this run";
    options.tls_directory = tls_;
    options.identity.host_name = "ews.local";
    options.request_restart = [this](const std::string& why) {
      restarts_.push_back(why);
    };
    return options;
  }

  SimulatedClock system_{absl::FromUnixSeconds(1767225600)};  // 2026-01-01
  DeviceClock device_clock_;
  hal::FakeRtc rtc_;
  hal::TimeKeeper keeper_;
  std::string tls_;
  std::vector<std::string> restarts_;
};

TEST_F(SystemApiTest, Version) {
  SystemApi api(Options(), device_clock_);
  EXPECT_EQ(api.Version(Call("GET")).body,
            R"({"version":"1.2.3","model_size":32,"api":"v1"})");
}

TEST_F(SystemApiTest, TimeIsInvalidUntilSetByHandAndTheRtcFollows) {
  SystemApi api(Options(), device_clock_);
  http::Response before = api.GetTime(Call("GET"));
  EXPECT_THAT(before.body, HasSubstr(R"("valid":false)"));
  EXPECT_THAT(before.body, HasSubstr(R"("battery_warning":true)"));
  EXPECT_THAT(before.body, HasSubstr(R"("time_zone":"Europe/Paris")"));

  http::Response set =
      api.SetTime(Call("PUT", R"({"time":"2026-12-07T13:00:00+01:00"})"));
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_THAT(set.body, HasSubstr(R"({"time":"2026-12-07T12:00:00Z")"));
  EXPECT_THAT(set.body, HasSubstr(R"("rtc_written":true)"));
  http::Response after = api.GetTime(Call("GET"));
  EXPECT_THAT(after.body, HasSubstr(R"({"time":"2026-12-07T12:00:00Z",)"
                                    R"("local":"2026-12-07T13:00:00+01:00")"));
  EXPECT_THAT(after.body, HasSubstr(R"("valid":true,"source":"user")"));
  // The battery that lost the time is still reported.
  EXPECT_THAT(after.body, HasSubstr(R"("battery_warning":true)"));
  ASSERT_EQ(rtc_.sets().size(), 1u);
  EXPECT_EQ(rtc_.sets()[0], absl::FromUnixSeconds(1796644800));
}

TEST_F(SystemApiTest, BadTimesChangeNothing) {
  SystemApi api(Options(), device_clock_);
  const struct {
    const char* body;
    const char* code;
  } kBad[] = {
      {R"({"time":"tomorrow"})", "invalid_argument"},
      {R"({"time":"2026-12-07T12:00:00Z","x":1})", "unknown_field"},
      {"not json", "malformed_body"},
      {R"({"time":7})", "malformed_body"},
      {R"({"time":""})", "invalid_argument"},
  };
  for (const auto& bad : kBad) {
    http::Response response = api.SetTime(Call("PUT", bad.body));
    EXPECT_EQ(response.status, 400) << bad.body;
    EXPECT_THAT(response.body,
                HasSubstr(absl::StrCat(R"("code":")", bad.code, "\"")))
        << bad.body;
  }
  EXPECT_TRUE(rtc_.sets().empty());
  EXPECT_FALSE(keeper_.time_valid());

  SystemApiOptions no_rtc = Options();
  no_rtc.keeper = nullptr;
  SystemApi without(std::move(no_rtc), device_clock_);
  EXPECT_EQ(
      without.SetTime(Call("PUT", R"({"time":"2026-12-07T12:00:00Z"})")).status,
      409);
}

TEST_F(SystemApiTest, NtpStatus) {
  SystemApi off(Options(), device_clock_);
  EXPECT_EQ(off.Ntp(Call("GET")).body,
            R"({"enabled":false,"reason":"turned off for this run",)"
            R"("servers":[]})");

  ntp::NtpOptions ntp_options;
  ntp_options.servers = {"127.0.0.1:9"};
  ntp::NtpSynchronizer ntp(ntp_options, &keeper_, device_clock_);
  SystemApiOptions options = Options();
  options.ntp = &ntp;
  SystemApi on(std::move(options), device_clock_);
  http::Response response = on.Ntp(Call("GET"));
  EXPECT_THAT(response.body,
              StartsWith(R"({"enabled":true,"servers":[)"
                         R"({"server":"127.0.0.1:9","reach":0,)"));
  EXPECT_THAT(response.body, HasSubstr(R"("last_sync":null)"));
}

TEST_F(SystemApiTest, NetworkListsTheLoopbackInterface) {
  SystemApi api(Options(), device_clock_);
  http::Response response = api.Network(Call("GET"));
  EXPECT_EQ(response.status, 200);
  EXPECT_THAT(response.body,
              HasSubstr(R"({"name":"lo","up":true,"running":true,"loopback":)"
                        R"(true,"mac":"00:00:00:00:00:00")"));
  EXPECT_THAT(response.body, HasSubstr(R"("127.0.0.1/8")"));
}

TEST_F(SystemApiTest, LogsKeepTheLatestLines) {
  log::CapturingLogSink next;
  RecentLogSink recent(device_clock_, 3, &next);
  for (int i = 1; i <= 5; ++i) {
    recent.Write({i == 4 ? log::Level::kError : log::Level::kInfo, "x.cc", i,
                  absl::StrCat("line ", i)});
  }
  EXPECT_EQ(next.Messages().size(), 5u);  // passed on
  SystemApiOptions options = Options();
  options.logs = &recent;
  SystemApi api(std::move(options), device_clock_);
  http::Response all = api.Logs(Call("GET"));
  EXPECT_THAT(all.body, Not(HasSubstr("line 2")));
  EXPECT_THAT(all.body, HasSubstr(R"("level":"INFO","where":"x.cc:3",)"
                                  R"("message":"line 3"})"));
  EXPECT_LT(all.body.find("line 3"), all.body.find("line 5"));  // oldest first
  http::Response errors = api.Logs(Call("GET", "", "level=ERROR"));
  EXPECT_THAT(errors.body, HasSubstr("line 4"));
  EXPECT_THAT(errors.body, Not(HasSubstr("line 5")));
  http::Response last = api.Logs(Call("GET", "", "limit=1"));
  EXPECT_THAT(last.body, HasSubstr("line 5"));
  EXPECT_THAT(last.body, Not(HasSubstr("line 4")));
  EXPECT_EQ(api.Logs(Call("GET", "", "limit=0")).status, 400);
  EXPECT_EQ(api.Logs(Call("GET", "", "level=LOUD")).status, 400);
  EXPECT_EQ(api.Logs(Call("GET", "", "grep=x")).status, 400);
}

TEST_F(SystemApiTest, RestartIsAskedForAfterTheAnswer) {
  SystemApi api(Options(), device_clock_);
  EXPECT_EQ(api.Restart(Call("POST", "garbage")).status, 400);
  EXPECT_TRUE(restarts_.empty());
  http::Response response = api.Restart(Call("POST"));
  EXPECT_EQ(response.status, 202);
  EXPECT_TRUE(restarts_.empty());  // not before the answer has left
  ASSERT_TRUE(static_cast<bool>(response.after_sent));
  response.after_sent();
  EXPECT_EQ(restarts_.size(), 1u);
}

TEST_F(SystemApiTest, CertificatesAndTheCaDownload) {
  SystemApiOptions options = Options();
  absl::StatusOr<security::TlsFiles> files =
      security::EnsureDeviceCertificates(tls_, options.identity, system_);
  ASSERT_THAT(files, IsOk());
  options.certificate_in_use = files->server;
  options.ca = files->ca;
  SystemApi api(std::move(options), device_clock_);

  http::Response info = api.Certificate(Call("GET"));
  EXPECT_THAT(info.body,
              HasSubstr(absl::StrCat(R"("sha256_fingerprint":")",
                                     files->server.sha256_fingerprint)));
  EXPECT_THAT(info.body, HasSubstr(absl::StrCat(R"("ca":{"subject":)")));
  EXPECT_THAT(info.body, HasSubstr(files->ca.sha256_fingerprint));
  EXPECT_THAT(info.body, HasSubstr(R"("site_uploaded":false)"));
  EXPECT_THAT(info.body, Not(HasSubstr("PRIVATE")));

  http::Response ca = api.CaCertificate(Call("GET"));
  EXPECT_EQ(ca.status, 200);
  EXPECT_EQ(ca.content_type, "application/x-pem-file");
  EXPECT_THAT(ca.body, StartsWith("-----BEGIN CERTIFICATE-----"));
  EXPECT_THAT(ca.body, Not(HasSubstr("PRIVATE")));

  // A bad upload is refused and nothing changes.
  absl::StatusOr<std::string> server_pem =
      ReadFileToString(files->server_pem_path, 1 << 20);
  ASSERT_THAT(server_pem, IsOk());
  for (const std::string& body :
       {std::string(R"({"certificate":"garbage","private_key":"garbage"})"),
        absl::StrCat(R"({"certificate":")", http::JsonEscape(ca.body),
                     R"(","private_key":""})")}) {
    http::Response refused = api.UploadCertificate(Call("PUT", body));
    EXPECT_EQ(refused.status, 400);
    EXPECT_THAT(refused.body, HasSubstr(R"("code":"bad_certificate")"));
  }
  EXPECT_EQ(api.UploadCertificate(Call("PUT", R"({"cert":"x"})")).status, 400);
  EXPECT_EQ(*ReadFileToString(files->server_pem_path, 1 << 20), *server_pem);
  EXPECT_THAT(api.Certificate(Call("GET")).body,
              HasSubstr(R"("site_uploaded":false)"));
  EXPECT_TRUE(restarts_.empty());
}

}  // namespace
}  // namespace ews::server

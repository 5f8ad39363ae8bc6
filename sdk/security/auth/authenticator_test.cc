#include "sdk/security/auth/authenticator.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/capturing_log_sink.h"
#include "sdk/base/files.h"
#include "sdk/base/log.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/config/config_store.h"
#include "sdk/config/defaults.h"
#include "sdk/config/users.h"

namespace ews::security {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;

constexpr Role kAdmin = config::v1::ROLE_ADMINISTRATOR;
constexpr Role kInstaller = config::v1::ROLE_INSTALLER;
constexpr Role kGreenUp = config::v1::ROLE_GREENUP;
constexpr Role kUser = config::v1::ROLE_USER;
constexpr char kAddress[] = "192.0.2.10";

// Limits high enough not to interfere, except in the rate-limit tests.
AuthOptions FastOptions() {
  AuthOptions options;
  options.hash_iterations = kMinIterations;
  options.per_address = {1000, absl::Seconds(1), 64};
  options.per_user = {1000, absl::Seconds(1), 16};
  return options;
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(
        std::getenv("TEST_TMPDIR"), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    mkdir(dir_.c_str(), 0700);
    store_ = std::make_unique<config::ConfigStore>(dir_ + "/config", clock_);
    config::DefaultConfigOptions defaults;
    defaults.hash_iterations = kMinIterations;
    absl::StatusOr<config::v1::DeviceConfig> config =
        config::DefaultConfig(defaults);
    ASSERT_THAT(config, IsOk());
    ASSERT_THAT(store_->Save(*config), IsOk());
    codes_ = std::make_unique<ConfigCodeStore>(store_.get());
    Restart(FastOptions());
  }

  // A new Authenticator on the same files, as after a reboot.
  void Restart(AuthOptions options) {
    auth_.reset();
    absl::StatusOr<std::unique_ptr<Authenticator>> auth =
        Authenticator::Create(codes_.get(), state_path(), clock_, options);
    ASSERT_THAT(auth, IsOk());
    auth_ = *std::move(auth);
    auth_->SetEventListener(
        [this](const AuthEvent& event) { events_.push_back(event); });
  }

  std::string state_path() const { return dir_ + "/auth_state"; }

  std::vector<AuthEvent::Kind> EventKinds() const {
    std::vector<AuthEvent::Kind> kinds;
    for (const AuthEvent& event : events_) kinds.push_back(event.kind);
    return kinds;
  }

  // Gets the installer past its factory codes: PIN 24680, PUK 13579...
  void ChangeInstallerCodes() {
    ASSERT_THAT(auth_->ChangeCodes(kInstaller, "55555", "24680",
                                   "12345 6789 01234", kAddress),
                IsOk());
  }

  SimulatedClock clock_;
  std::string dir_;
  std::unique_ptr<config::ConfigStore> store_;
  std::unique_ptr<ConfigCodeStore> codes_;
  std::unique_ptr<Authenticator> auth_;
  std::vector<AuthEvent> events_;
};

TEST_F(AuthenticatorTest, FactoryCodesLogInButMustBeChanged) {
  for (const config::FactoryCode& code : config::kFactoryCodes) {
    absl::StatusOr<LoginResult> login =
        auth_->Login(code.role, code.pin, kAddress);
    ASSERT_THAT(login, IsOk());
    EXPECT_EQ(login->role, code.role);
    EXPECT_TRUE(login->must_change_pin);
    EXPECT_TRUE(login->must_change_puk);
  }
  // Another user's factory PIN is a wrong PIN.
  EXPECT_THAT(auth_->Login(kUser, "99999", kAddress),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(AuthenticatorTest, ForcedChangeOfFactoryCodes) {
  // A new PUK is required while the PUK is the factory one.
  EXPECT_THAT(auth_->ChangeCodes(kInstaller, "55555", "24680", "", kAddress),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("new PUK is required")));
  // Factory codes (any user's) are refused as new codes.
  EXPECT_THAT(
      auth_->ChangeCodes(kInstaller, "55555", "99999", "12345 6789 01234",
                         kAddress),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("factory PIN")));
  EXPECT_THAT(
      auth_->ChangeCodes(kInstaller, "55555", "24680", "00000 1111 00000",
                         kAddress),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("factory PUK")));
  EXPECT_THAT(auth_->ChangeCodes(kInstaller, "55555", "2468", "", kAddress),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ChangeInstallerCodes();

  absl::StatusOr<LoginResult> login =
      auth_->Login(kInstaller, "24680", kAddress);
  ASSERT_THAT(login, IsOk());
  EXPECT_FALSE(login->must_change_codes());
  EXPECT_THAT(auth_->Login(kInstaller, "55555", kAddress),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // The codes are stored as hashes in the configuration.
  absl::StatusOr<config::v1::DeviceConfig> config = store_->Load();
  ASSERT_THAT(config, IsOk());
  EXPECT_TRUE(config::CheckPin(*config, kInstaller, "24680"));
  EXPECT_TRUE(config::CheckPuk(*config, kInstaller, "12345678901234"));
  EXPECT_FALSE(config::HasFactoryCodes(*config, kInstaller));

  // Later changes may keep the PUK; the same PIN again is refused.
  EXPECT_THAT(auth_->ChangeCodes(kInstaller, "24680", "24680", "", kAddress),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(auth_->ChangeCodes(kInstaller, "24680", "13570", "", kAddress),
              IsOk());
  EXPECT_THAT(auth_->Login(kInstaller, "13570", kAddress), IsOk());
}

TEST_F(AuthenticatorTest, ChangedPinButFactoryPukStillMustChangePuk) {
  ASSERT_THAT(
      auth_->ResetCodes(kAdmin, kUser, "24680", "00000 1111 00000", kAddress),
      IsOk());
  ASSERT_THAT(
      auth_->ChangeCodes(kUser, "24680", "97531", "12121 2121 21212", kAddress),
      IsOk());
  absl::StatusOr<LoginResult> login = auth_->Login(kUser, "97531", kAddress);
  ASSERT_THAT(login, IsOk());
  EXPECT_FALSE(login->must_change_codes());
}

TEST_F(AuthenticatorTest, FiveWrongPinsBlockAndThePukUnblocksWithANewPin) {
  ChangeInstallerCodes();
  events_.clear();
  for (int i = 1; i <= 4; ++i) {
    EXPECT_THAT(auth_->Login(kInstaller, "00001", kAddress),
                StatusIs(absl::StatusCode::kUnauthenticated,
                         HasSubstr(absl::StrCat(5 - i, " attempt(s) left"))));
  }
  EXPECT_THAT(
      auth_->Login(kInstaller, "00001", kAddress),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("now blocked")));
  // Blocked: even the right PIN is refused, and ChangeCodes too.
  EXPECT_THAT(
      auth_->Login(kInstaller, "24680", kAddress),
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("PUK")));
  EXPECT_THAT(auth_->ChangeCodes(kInstaller, "24680", "11223", "", kAddress),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(auth_->Users()[1].lock.blocked);
  // Other users are unaffected.
  EXPECT_THAT(auth_->Login(kUser, "11111", kAddress), IsOk());

  EXPECT_THAT(auth_->Unblock(kInstaller, "99999 9999 99999", "11223", kAddress),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // A new PIN is required with the PUK, and it must not be a factory one.
  EXPECT_THAT(auth_->Unblock(kInstaller, "12345 6789 01234", "55555", kAddress),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(auth_->Unblock(kInstaller, "12345 6789 01234", "", kAddress),
              StatusIs(absl::StatusCode::kInvalidArgument));
  ASSERT_THAT(auth_->Unblock(kInstaller, "12345 6789 01234", "11223", kAddress),
              IsOk());
  EXPECT_THAT(auth_->Login(kInstaller, "24680", kAddress),
              StatusIs(absl::StatusCode::kUnauthenticated));
  absl::StatusOr<LoginResult> login =
      auth_->Login(kInstaller, "11223", kAddress);
  ASSERT_THAT(login, IsOk());
  EXPECT_FALSE(login->must_change_codes());
  EXPECT_EQ(auth_->Users()[1].lock, UserLockState());

  using K = AuthEvent::Kind;
  EXPECT_THAT(EventKinds(),
              ::testing::ElementsAre(
                  K::kLoginFailed, K::kLoginFailed, K::kLoginFailed,
                  K::kLoginFailed, K::kBlocked, K::kLogin, K::kUnblockFailed,
                  K::kUnblocked, K::kLoginFailed, K::kLogin));
}

TEST_F(AuthenticatorTest, ASuccessResetsTheFailureCount) {
  ChangeInstallerCodes();
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 4; ++i) {
      EXPECT_THAT(auth_->Login(kInstaller, "00001", kAddress),
                  StatusIs(absl::StatusCode::kUnauthenticated));
    }
    EXPECT_THAT(auth_->Login(kInstaller, "24680", kAddress), IsOk());
  }
}

TEST_F(AuthenticatorTest, CountersAndBlocksSurviveARestart) {
  ChangeInstallerCodes();
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(auth_->Login(kInstaller, "00001", kAddress),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
  Restart(FastOptions());
  EXPECT_EQ(auth_->Users()[1].lock.pin_failures, 3);
  EXPECT_THAT(auth_->Login(kInstaller, "00001", kAddress),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(
      auth_->Login(kInstaller, "00001", kAddress),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("now blocked")));
  Restart(FastOptions());
  EXPECT_THAT(auth_->Login(kInstaller, "24680", kAddress),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  absl::StatusOr<std::string> text = ReadFileToString(state_path());
  ASSERT_THAT(text, IsOk());
  EXPECT_THAT(*text, HasSubstr("ROLE_INSTALLER pin_failures=5"));
  struct stat info;
  ASSERT_EQ(stat(state_path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
}

TEST_F(AuthenticatorTest, TenWrongPuksNeedAnAdministrator) {
  ChangeInstallerCodes();
  for (int i = 0; i < 5; ++i) {
    (void)auth_->Login(kInstaller, "00001", kAddress);
  }
  for (int i = 0; i < 10; ++i) {
    EXPECT_THAT(
        auth_->Unblock(kInstaller, "99999 9999 99999", "11223", kAddress),
        StatusIs(absl::StatusCode::kUnauthenticated));
  }
  EXPECT_EQ(events_.back().kind, AuthEvent::Kind::kPukBlocked);
  // Now the right PUK is refused too, also after a restart.
  Restart(FastOptions());
  EXPECT_THAT(auth_->Unblock(kInstaller, "12345 6789 01234", "11223", kAddress),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("administrator")));
  EXPECT_THAT(auth_->Login(kInstaller, "24680", kAddress),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  // Only an administrator may reset.
  EXPECT_THAT(auth_->ResetCodes(kInstaller, kInstaller, "11223",
                                "12345 6789 01234", kAddress),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(auth_->ResetCodes(kUser, kInstaller, "11223", "12345 6789 01234",
                                kAddress),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_THAT(auth_->ResetCodes(kAdmin, kInstaller, "11223", "22222 3333 44444",
                                kAddress),
              IsOk());
  absl::StatusOr<LoginResult> login =
      auth_->Login(kInstaller, "11223", kAddress);
  ASSERT_THAT(login, IsOk());
  // Codes an administrator set must be changed by the user.
  EXPECT_TRUE(login->must_change_pin);
  EXPECT_TRUE(login->must_change_puk);
  EXPECT_THAT(auth_->ChangeCodes(kInstaller, "11223", "33445", "", kAddress),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_THAT(auth_->ChangeCodes(kInstaller, "11223", "33445",
                                 "55555 6666 77777", kAddress),
              IsOk());
  login = auth_->Login(kInstaller, "33445", kAddress);
  ASSERT_THAT(login, IsOk());
  EXPECT_FALSE(login->must_change_codes());
}

TEST_F(AuthenticatorTest, MalformedInputIsRefusedAndNotCounted) {
  for (const char* pin : {"", "1234", "123456", "abcde", "1234 ", "12a45",
                          "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93"}) {
    EXPECT_THAT(auth_->Login(kUser, pin, kAddress),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
  EXPECT_THAT(auth_->Login(config::v1::ROLE_UNSPECIFIED, "11111", kAddress),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(auth_->Login(static_cast<Role>(99), "11111", kAddress),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(auth_->Unblock(kUser, "123", "24680", kAddress),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(auth_->Users()[3].lock, UserLockState());
  EXPECT_THAT(auth_->Login(kUser, "11111", kAddress), IsOk());
}

TEST_F(AuthenticatorTest, AUserMissingFromTheConfigIsAWrongPin) {
  // The configuration validator requires all four users, so a store that
  // has none stands for a user that does not exist.
  class MissingUser final : public CodeStore {
   public:
    absl::StatusOr<UserCodes> Get(Role) override {
      return absl::NotFoundError("no such user");
    }
    absl::Status Set(Role, const UserCodes&) override {
      return absl::NotFoundError("no such user");
    }
  } missing;
  absl::StatusOr<std::unique_ptr<Authenticator>> auth = Authenticator::Create(
      &missing, dir_ + "/other_state", clock_, FastOptions());
  ASSERT_THAT(auth, IsOk());
  EXPECT_THAT((*auth)->Login(kGreenUp, "88888", kAddress),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT((*auth)->Unblock(kGreenUp, "00000 8888 00000", "24680", kAddress),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(AuthenticatorTest, RateLimitedPerAddressAndPerUser) {
  AuthOptions options = FastOptions();
  options.per_address = {3, absl::Seconds(10), 64};
  options.per_user = {5, absl::Seconds(10), 16};
  Restart(options);
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(auth_->Login(kUser, "11111", "192.0.2.1"), IsOk());
  }
  EXPECT_THAT(auth_->Login(kUser, "11111", "192.0.2.1"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  EXPECT_EQ(events_.back().kind, AuthEvent::Kind::kRateLimited);
  // A flood is reported once.
  const size_t events = events_.size();
  for (int i = 0; i < 100; ++i) {
    EXPECT_THAT(auth_->Login(kUser, "11111", "192.0.2.1"),
                StatusIs(absl::StatusCode::kResourceExhausted));
  }
  EXPECT_EQ(events_.size(), events);
  // Another address may go on, until the user's own bucket is empty.
  EXPECT_THAT(auth_->Login(kUser, "11111", "192.0.2.2"), IsOk());
  EXPECT_THAT(auth_->Login(kUser, "11111", "192.0.2.3"), IsOk());
  EXPECT_THAT(auth_->Login(kUser, "11111", "192.0.2.4"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  // Other users have their own budget.
  EXPECT_THAT(auth_->Login(kGreenUp, "88888", "192.0.2.4"), IsOk());
  // One address of an IPv6 /64 stands for all of it.
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(auth_->Login(kAdmin, "99999", absl::StrCat("2001:db8::", i)),
                IsOk());
  }
  EXPECT_THAT(auth_->Login(kAdmin, "99999", "2001:db8::ffff"),
              StatusIs(absl::StatusCode::kResourceExhausted));
  clock_.Advance(absl::Seconds(10));
  EXPECT_THAT(auth_->Login(kUser, "11111", "192.0.2.1"), IsOk());
  // Rate-limited attempts are not counted as wrong PINs.
  EXPECT_EQ(auth_->Users()[3].lock.pin_failures, 0);
}

TEST(AddressKeyTest, GroupsIpv6By64) {
  EXPECT_EQ(AddressKey("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(AddressKey("2001:db8:1:2:3:4:5:6"), "2001:0db8:0001:0002::/64");
  EXPECT_EQ(AddressKey("2001:db8:1:2::9"), "2001:0db8:0001:0002::/64");
  EXPECT_EQ(AddressKey("::ffff:192.0.2.1"), "::ffff:192.0.2.1");
  EXPECT_EQ(AddressKey("not an address"), "not an address");
}

TEST_F(AuthenticatorTest, CodesAreNeverLoggedNorInEvents) {
  log::CapturingLogSink sink;
  log::LogSink* previous = log::SetSink(&sink);
  log::SetMinLevel(log::Level::kDebug);
  ChangeInstallerCodes();
  (void)auth_->Login(kInstaller, "13131", kAddress);
  (void)auth_->Login(kInstaller, "24680", kAddress);
  (void)auth_->Unblock(kInstaller, "98765 4321 09876", "46464", kAddress);
  (void)auth_->ResetCodes(kAdmin, kUser, "75757", "31313 1313 13131", kAddress);
  log::SetSink(previous);
  log::SetMinLevel(log::Level::kInfo);
  const std::vector<std::string> codes = {"55555", "24680", "12345",
                                          "13131", "98765", "46464",
                                          "75757", "31313", "6789"};
  ASSERT_FALSE(sink.Messages().empty());
  for (const std::string& message : sink.Messages()) {
    for (const std::string& code : codes) {
      EXPECT_THAT(message, ::testing::Not(HasSubstr(code)));
    }
  }
  ASSERT_FALSE(events_.empty());
  for (const AuthEvent& event : events_) {
    for (const std::string& code : codes) {
      EXPECT_THAT(event.detail, ::testing::Not(HasSubstr(code)));
    }
  }
  absl::StatusOr<std::string> state = ReadFileToString(state_path());
  ASSERT_THAT(state, IsOk());
  for (const std::string& code : codes) {
    EXPECT_THAT(*state, ::testing::Not(HasSubstr(code)));
  }
}

TEST_F(AuthenticatorTest, ACorruptStateFileIsMovedAside) {
  ASSERT_THAT(WriteFileAtomically(state_path(), "garbage"), IsOk());
  Restart(FastOptions());
  EXPECT_EQ(access((state_path() + ".corrupt").c_str(), F_OK), 0);
  EXPECT_THAT(auth_->Login(kUser, "11111", kAddress), IsOk());
}

}  // namespace
}  // namespace ews::security

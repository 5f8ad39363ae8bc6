#include "sdk/security/credentials.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"

namespace ews::security {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

std::string Hex(const std::string& bytes) {
  return absl::BytesToHexString(bytes);
}

// RFC 7914 §11 (scrypt), "PBKDF2-HMAC-SHA256" test vectors.
TEST(Pbkdf2HmacSha256Test, Rfc7914VectorOneIteration) {
  absl::StatusOr<std::string> key = Pbkdf2HmacSha256("passwd", "salt", 1, 64);
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(Hex(*key),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
}

TEST(Pbkdf2HmacSha256Test, Rfc7914Vector80000Iterations) {
  absl::StatusOr<std::string> key =
      Pbkdf2HmacSha256("Password", "NaCl", 80000, 64);
  ASSERT_THAT(key, IsOk());
  EXPECT_EQ(Hex(*key),
            "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
            "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
}

TEST(Pbkdf2HmacSha256Test, RejectsZeroIterationsAndBadLength) {
  EXPECT_THAT(Pbkdf2HmacSha256("p", "s", 0, 32),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Pbkdf2HmacSha256("p", "s", 1, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Pbkdf2HmacSha256("p", "s", 1, 4096),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// Computed independently with Python's hashlib.pbkdf2_hmac.
TEST(HashCodeTest, KnownAnswerWithFixedSalt) {
  absl::StatusOr<CodeHash> hash =
      HashCodeWithSalt("99999", "0123456789abcdef", 10000);
  ASSERT_THAT(hash, IsOk());
  EXPECT_EQ(hash->iterations, 10000u);
  EXPECT_EQ(hash->salt, "0123456789abcdef");
  EXPECT_EQ(Hex(hash->hash),
            "c403c3b2b0a19130ae5b1229866afcf45cd59042bbab4bf4949d1aea6137a3d4");
}

TEST(HashCodeTest, FreshSaltEachTime) {
  absl::StatusOr<CodeHash> a = HashCode("11111", kMinIterations);
  absl::StatusOr<CodeHash> b = HashCode("11111", kMinIterations);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_EQ(a->salt.size(), kSaltBytes);
  EXPECT_EQ(a->hash.size(), kHashBytes);
  EXPECT_NE(a->salt, b->salt);
  EXPECT_NE(a->hash, b->hash);
}

TEST(HashCodeTest, RejectsBadArguments) {
  EXPECT_THAT(HashCode("", kMinIterations),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  EXPECT_THAT(
      HashCode("12345", kMinIterations - 1),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("iterations")));
  EXPECT_THAT(
      HashCode("12345", kMaxIterations + 1),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("iterations")));
  EXPECT_THAT(HashCodeWithSalt("12345", "short", kMinIterations),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("salt")));
}

TEST(VerifyCodeTest, AcceptsTheCodeOnly) {
  absl::StatusOr<CodeHash> stored = HashCode("55555", kMinIterations);
  ASSERT_THAT(stored, IsOk());
  EXPECT_TRUE(VerifyCode("55555", *stored));
  EXPECT_FALSE(VerifyCode("55556", *stored));
  EXPECT_FALSE(VerifyCode("5555", *stored));
  EXPECT_FALSE(VerifyCode("", *stored));
}

TEST(VerifyCodeTest, RejectsMalformedStoredHashes) {
  absl::StatusOr<CodeHash> good = HashCode("55555", kMinIterations);
  ASSERT_THAT(good, IsOk());

  CodeHash truncated = *good;
  truncated.hash.pop_back();
  EXPECT_FALSE(VerifyCode("55555", truncated));

  CodeHash weak = *good;
  weak.iterations = 1;
  EXPECT_FALSE(VerifyCode("55555", weak));

  CodeHash huge = *good;
  huge.iterations = kMaxIterations + 1;
  EXPECT_FALSE(VerifyCode("55555", huge));

  CodeHash no_salt = *good;
  no_salt.salt.clear();
  EXPECT_FALSE(VerifyCode("55555", no_salt));

  EXPECT_FALSE(VerifyCode("55555", CodeHash{}));
}

TEST(PinTest, ExactlyFiveDigits) {
  EXPECT_TRUE(IsValidPin("99999"));
  EXPECT_TRUE(IsValidPin("00000"));
  EXPECT_FALSE(IsValidPin("9999"));
  EXPECT_FALSE(IsValidPin("999999"));
  EXPECT_FALSE(IsValidPin("9999a"));
  EXPECT_FALSE(IsValidPin("99 99"));
  EXPECT_FALSE(IsValidPin(""));
  EXPECT_FALSE(IsValidPin("\xd9\xa1\xd9\xa2\x33"));  // Arabic-Indic digits
}

TEST(PukTest, FourteenDigitsSpacesIgnored) {
  EXPECT_TRUE(IsValidPuk("00000 9999 00000"));
  EXPECT_TRUE(IsValidPuk("00000999900000"));
  EXPECT_TRUE(IsValidPuk(" 00000  9999 00000 "));
  EXPECT_FALSE(IsValidPuk("0000099990000"));     // 13 digits
  EXPECT_FALSE(IsValidPuk("000009999000000"));   // 15 digits
  EXPECT_FALSE(IsValidPuk("00000-9999-00000"));  // not spaces
  EXPECT_FALSE(IsValidPuk("00000\t9999\t00000"));
  EXPECT_FALSE(IsValidPuk(""));
}

TEST(PukTest, NormalizeAndFormat) {
  EXPECT_THAT(NormalizePuk("00000 8888 00000"), IsOk());
  EXPECT_EQ(*NormalizePuk("00000 8888 00000"), "00000888800000");
  EXPECT_EQ(*FormatPuk("00000555500000"), "00000 5555 00000");
  EXPECT_EQ(*FormatPuk("12345 6789 01234"), "12345 6789 01234");
  EXPECT_THAT(NormalizePuk("1234"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("14")));
  EXPECT_THAT(FormatPuk("x"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(PukTest, HashedInDigitsOnlyForm) {
  absl::StatusOr<CodeHash> stored = HashPuk("00000 1111 00000", kMinIterations);
  ASSERT_THAT(stored, IsOk());
  EXPECT_TRUE(VerifyCode("00000111100000", *stored));
  EXPECT_TRUE(VerifyPuk("00000 1111 00000", *stored));
  EXPECT_TRUE(VerifyPuk("0000011110 0000", *stored));
  EXPECT_FALSE(VerifyPuk("00000 1111 00001", *stored));
  EXPECT_FALSE(VerifyPuk("garbage", *stored));
  EXPECT_THAT(HashPuk("123", kMinIterations), Not(IsOk()));
}

TEST(PinTest, HashPinValidatesFormat) {
  EXPECT_THAT(HashPin("1234", kMinIterations),
              StatusIs(absl::StatusCode::kInvalidArgument));
  absl::StatusOr<CodeHash> stored = HashPin("88888", kMinIterations);
  ASSERT_THAT(stored, IsOk());
  EXPECT_TRUE(VerifyCode("88888", *stored));
}

}  // namespace
}  // namespace ews::security

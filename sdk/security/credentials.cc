#include "sdk/security/credentials.h"

#include <openssl/digest.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/rand.h>

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace ews::security {
namespace {

constexpr size_t kMaxDerivedBytes = 1024;

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string StripSpaces(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c != ' ') out.push_back(c);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> Pbkdf2HmacSha256(absl::string_view password,
                                             absl::string_view salt,
                                             uint32_t iterations,
                                             size_t length) {
  if (iterations == 0) {
    return absl::InvalidArgumentError("PBKDF2 iterations must be >= 1");
  }
  if (length == 0 || length > kMaxDerivedBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "PBKDF2 output length ", length, " is outside 1..", kMaxDerivedBytes));
  }
  std::string out(length, '\0');
  if (PKCS5_PBKDF2_HMAC(password.data(), password.size(),
                        reinterpret_cast<const uint8_t*>(salt.data()),
                        salt.size(), iterations, EVP_sha256(), out.size(),
                        reinterpret_cast<uint8_t*>(out.data())) != 1) {
    return absl::InternalError("PKCS5_PBKDF2_HMAC failed");
  }
  return out;
}

absl::StatusOr<CodeHash> HashCodeWithSalt(absl::string_view code,
                                          absl::string_view salt,
                                          uint32_t iterations) {
  if (code.empty()) return absl::InvalidArgumentError("code is empty");
  if (iterations < kMinIterations || iterations > kMaxIterations) {
    return absl::InvalidArgumentError(
        absl::StrCat("iterations ", iterations, " is outside ", kMinIterations,
                     "..", kMaxIterations));
  }
  if (salt.size() < kSaltBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "salt is ", salt.size(), " bytes, at least ", kSaltBytes, " needed"));
  }
  absl::StatusOr<std::string> hash =
      Pbkdf2HmacSha256(code, salt, iterations, kHashBytes);
  if (!hash.ok()) return hash.status();
  CodeHash result;
  result.iterations = iterations;
  result.salt = std::string(salt);
  result.hash = *std::move(hash);
  return result;
}

absl::StatusOr<CodeHash> HashCode(absl::string_view code, uint32_t iterations) {
  std::string salt(kSaltBytes, '\0');
  if (RAND_bytes(reinterpret_cast<uint8_t*>(salt.data()), salt.size()) != 1) {
    return absl::InternalError("RAND_bytes failed");
  }
  return HashCodeWithSalt(code, salt, iterations);
}

bool VerifyCode(absl::string_view code, const CodeHash& stored) {
  if (stored.iterations < kMinIterations ||
      stored.iterations > kMaxIterations || stored.salt.size() < kSaltBytes ||
      stored.hash.size() != kHashBytes) {
    return false;
  }
  absl::StatusOr<std::string> derived =
      Pbkdf2HmacSha256(code, stored.salt, stored.iterations, kHashBytes);
  if (!derived.ok()) return false;
  return CRYPTO_memcmp(derived->data(), stored.hash.data(), kHashBytes) == 0;
}

bool IsValidPin(absl::string_view pin) {
  return pin.size() == kPinDigits && AllDigits(pin);
}

bool IsValidPuk(absl::string_view puk) {
  std::string digits = StripSpaces(puk);
  return digits.size() == kPukDigits && AllDigits(digits);
}

absl::StatusOr<std::string> NormalizePuk(absl::string_view puk) {
  if (!IsValidPuk(puk)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a PUK is ", kPukDigits, " digits (\"00000 9999 00000\")"));
  }
  return StripSpaces(puk);
}

absl::StatusOr<std::string> FormatPuk(absl::string_view puk) {
  absl::StatusOr<std::string> digits = NormalizePuk(puk);
  if (!digits.ok()) return digits.status();
  absl::string_view d = *digits;
  return absl::StrCat(d.substr(0, 5), " ", d.substr(5, 4), " ", d.substr(9));
}

absl::StatusOr<CodeHash> HashPin(absl::string_view pin, uint32_t iterations) {
  if (!IsValidPin(pin)) {
    return absl::InvalidArgumentError(
        absl::StrCat("a PIN is exactly ", kPinDigits, " digits"));
  }
  return HashCode(pin, iterations);
}

absl::StatusOr<CodeHash> HashPuk(absl::string_view puk, uint32_t iterations) {
  absl::StatusOr<std::string> digits = NormalizePuk(puk);
  if (!digits.ok()) return digits.status();
  return HashCode(*digits, iterations);
}

bool VerifyPuk(absl::string_view puk, const CodeHash& stored) {
  absl::StatusOr<std::string> digits = NormalizePuk(puk);
  if (!digits.ok()) return false;
  return VerifyCode(*digits, stored);
}

}  // namespace ews::security

// PIN / PUK credentials: salted PBKDF2-HMAC-SHA256 hashes (BoringSSL), so a
// code is never stored in clear.
//
//   EWS_ASSIGN_OR_RETURN(CodeHash stored, HashCode("99999"));
//   if (VerifyCode(entered, stored)) { ... }
//
// A PIN is exactly 5 digits. A PUK is the 14 digits of its display form
// "00000 9999 00000" (spaces are ignored when reading one); it is hashed and
// verified in that digits-only form (HashPuk / VerifyPuk normalise it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ews::security {

// Iterations used for new hashes. Checking one code costs this many
// HMAC-SHA256 pairs (about 50 ms on a Cortex-A7 class CPU).
inline constexpr uint32_t kDefaultIterations = 100000;
// Bounds accepted by HashCode() and VerifyCode(): fewer is too weak, more
// would let a crafted config stall a login for minutes.
inline constexpr uint32_t kMinIterations = 10000;
inline constexpr uint32_t kMaxIterations = 10000000;
inline constexpr size_t kSaltBytes = 16;
inline constexpr size_t kHashBytes = 32;  // SHA-256 output
inline constexpr size_t kPinDigits = 5;
inline constexpr size_t kPukDigits = 14;

// A stored code: PBKDF2-HMAC-SHA256(code, salt, iterations), kHashBytes long.
// `salt` and `hash` are raw bytes.
struct CodeHash {
  uint32_t iterations = 0;
  std::string salt;
  std::string hash;
};

// PBKDF2 with HMAC-SHA256 (RFC 8018 §5.2), `length` bytes of output.
// Errors: InvalidArgument if iterations == 0 or length == 0 or > 1024;
// Internal if BoringSSL fails.
absl::StatusOr<std::string> Pbkdf2HmacSha256(absl::string_view password,
                                             absl::string_view salt,
                                             uint32_t iterations,
                                             size_t length);

// Hashes `code` with kSaltBytes fresh random bytes of salt.
// Errors: InvalidArgument if `code` is empty or iterations is outside
// [kMinIterations, kMaxIterations]; Internal if the RNG or BoringSSL fails.
absl::StatusOr<CodeHash> HashCode(absl::string_view code,
                                  uint32_t iterations = kDefaultIterations);

// As HashCode() with a given salt (>= kSaltBytes), for known-answer tests.
absl::StatusOr<CodeHash> HashCodeWithSalt(absl::string_view code,
                                          absl::string_view salt,
                                          uint32_t iterations);

// True iff `code` hashes to `stored`. The comparison is constant-time; the
// cost depends only on stored.iterations. False (without hashing) when
// `stored` is malformed: iterations out of bounds, salt shorter than
// kSaltBytes, hash not kHashBytes long.
bool VerifyCode(absl::string_view code, const CodeHash& stored);

// Exactly kPinDigits ASCII digits.
bool IsValidPin(absl::string_view pin);

// kPukDigits ASCII digits once spaces are removed ("00000 9999 00000").
bool IsValidPuk(absl::string_view puk);

// The digits of a PUK ("00000 9999 00000" -> "00000999900000").
// Errors: InvalidArgument unless IsValidPuk(puk).
absl::StatusOr<std::string> NormalizePuk(absl::string_view puk);

// The display form of a PUK: 5 + 4 + 5 digits separated by spaces.
// Errors: InvalidArgument unless IsValidPuk(puk).
absl::StatusOr<std::string> FormatPuk(absl::string_view puk);

// HashCode() of a validated PIN / of a normalised PUK.
// Errors: InvalidArgument for a malformed code, else as HashCode().
absl::StatusOr<CodeHash> HashPin(absl::string_view pin,
                                 uint32_t iterations = kDefaultIterations);
absl::StatusOr<CodeHash> HashPuk(absl::string_view puk,
                                 uint32_t iterations = kDefaultIterations);

// VerifyCode() of a PUK in any spacing; false if it is malformed.
bool VerifyPuk(absl::string_view puk, const CodeHash& stored);

}  // namespace ews::security

// Damaged files must give errors, not crashes: flip, delete and insert bytes
// in the text and JSON forms of a full configuration (fixed seed, so every
// run checks the same inputs), then parse and validate.
#include <random>
#include <string>

#include "gtest/gtest.h"
#include "sdk/config/test_util.h"
#include "sdk/config/text_json.h"
#include "sdk/config/validate.h"

namespace ews::config {
namespace {

constexpr int kRounds = 3000;

std::string Damage(std::string s, std::mt19937& rng) {
  int edits = 1 + rng() % 4;
  for (int i = 0; i < edits && !s.empty(); ++i) {
    size_t at = rng() % s.size();
    switch (rng() % 4) {
      case 0:
        s[at] = static_cast<char>(rng() % 256);
        break;
      case 1:
        s.erase(at, 1 + rng() % 16);
        break;
      case 2:
        s.insert(at, 1, "{}[]:,\"\\0123456789-e."[rng() % 21]);
        break;
      case 3:
        s.resize(at);  // truncated
        break;
    }
  }
  return s;
}

TEST(MutationTest, DamagedTextNeverCrashes) {
  std::mt19937 rng(20261125);
  const std::string text = ToText(testing::RichConfig());
  int parsed = 0;
  int valid = 0;
  for (int i = 0; i < kRounds; ++i) {
    absl::StatusOr<v1::DeviceConfig> config = FromText(Damage(text, rng));
    if (!config.ok()) {
      EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
      continue;
    }
    ++parsed;
    if (Validate(*config).ok()) ++valid;
  }
  // Most damage is caught by the parser, some only by the validator, and
  // some is harmless (in a comment or a name).
  EXPECT_GT(parsed, 0);
  EXPECT_LT(valid, kRounds);
}

TEST(MutationTest, DamagedJsonNeverCrashes) {
  std::mt19937 rng(11252026);
  const std::string json = *ToJson(testing::RichConfig());
  int parsed = 0;
  for (int i = 0; i < kRounds; ++i) {
    absl::StatusOr<v1::DeviceConfig> config = FromJson(Damage(json, rng));
    if (!config.ok()) {
      EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
      continue;
    }
    ++parsed;
    (void)FindErrors(*config);
  }
  EXPECT_GT(parsed, 0);
}

}  // namespace
}  // namespace ews::config

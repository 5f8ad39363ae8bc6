// Proves libzstd links: a round trip of a compressible buffer.
#include <zstd.h>

#include <string>

#include "gtest/gtest.h"

namespace {

TEST(ZstdTest, RoundTrip) {
  std::string input;
  for (int i = 0; i < 4096; ++i) input.push_back(static_cast<char>(i % 7));
  std::string packed(ZSTD_compressBound(input.size()), '\0');
  const size_t n = ZSTD_compress(packed.data(), packed.size(), input.data(),
                                 input.size(), 3);
  ASSERT_FALSE(ZSTD_isError(n));
  EXPECT_LT(n, input.size() / 10);
  std::string output(input.size(), '\0');
  const size_t m =
      ZSTD_decompress(output.data(), output.size(), packed.data(), n);
  ASSERT_FALSE(ZSTD_isError(m));
  EXPECT_EQ(m, input.size());
  EXPECT_EQ(output, input);
  EXPECT_GE(ZSTD_versionNumber(), 10500u);
}

}  // namespace

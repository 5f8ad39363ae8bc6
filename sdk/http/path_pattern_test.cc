#include "sdk/http/path_pattern.h"

#include "gtest/gtest.h"

namespace ews::http {
namespace {

TEST(PathMatchesTest, Segments) {
  EXPECT_TRUE(PathMatches("/a/*/c", "/a/b/c"));
  EXPECT_FALSE(PathMatches("/a/*/c", "/a/b/c/d"));
  EXPECT_FALSE(PathMatches("/a/*/c", "/a//c"));
  EXPECT_TRUE(PathMatches("/a/*", "/a/b"));
  EXPECT_TRUE(PathMatches("/a/*/*", "/a/b/c"));
  EXPECT_FALSE(PathMatches("/a/*", "/a/"));
  EXPECT_FALSE(PathMatches("/a/*", "/a"));
  EXPECT_FALSE(PathMatches("/a/*/c", "/a/b/cd"));
  EXPECT_FALSE(PathMatches("/a/*/c", "/x/b/c"));
  EXPECT_FALSE(PathMatches("/*", "/"));
  EXPECT_FALSE(
      PathMatches("/a/b/c", "/a/b/c"));  // exact routes are not patterns
}

}  // namespace
}  // namespace ews::http

#include "sdk/http/static_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ews::http {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = std::string(std::getenv("TEST_TMPDIR")) + "/static-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name();
    root_ = base_ + "/web";
    ASSERT_EQ(mkdir(base_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir(root_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir((root_ + "/assets").c_str(), 0755), 0);
    Write("/index.html", "<!doctype html>home");
    Write("/assets/app-1234abcd.js", "plain js");
    Write("/assets/app-1234abcd.js.gz", "gzip js");
    Write("/assets/app-1234abcd.js.br", "brotli js");
    Write("/assets/only-gz.css", "plain css");
    Write("/assets/only-gz.css.gz", "gzip css");
    Write("/assets/orphan.js.gz", "no plain file beside it");
    std::ofstream(base_ + "/secret.txt") << "outside the root";
  }

  void Write(const std::string& path, const std::string& content) {
    std::ofstream(root_ + path, std::ios::binary) << content;
  }

  Response Get(const std::string& path, const std::string& accept = "",
               const std::string& method = "GET") {
    Request request;
    request.method = method;
    request.path = path;
    if (!accept.empty()) request.headers["accept-encoding"] = accept;
    return ServeStaticFile(root_, request);
  }

  static std::string Header(const Response& response, const std::string& name) {
    for (const auto& [key, value] : response.headers) {
      if (key == name) return value;
    }
    return "";
  }

  std::string base_;
  std::string root_;
};

TEST_F(StaticFilesTest, RootIsTheHtmlRevalidatedEveryTime) {
  Response response = Get("/");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "<!doctype html>home");
  EXPECT_EQ(response.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(Header(response, "Cache-Control"), "no-cache");
  EXPECT_THAT(Header(response, "ETag"), HasSubstr("\""));
}

TEST_F(StaticFilesTest, HashedAssetsAreImmutableAndPreCompressed) {
  Response response = Get("/assets/app-1234abcd.js", "gzip, deflate, br");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "brotli js");
  EXPECT_EQ(Header(response, "Content-Encoding"), "br");
  EXPECT_EQ(Header(response, "Cache-Control"),
            "public, max-age=31536000, immutable");
  EXPECT_EQ(Header(response, "Vary"), "Accept-Encoding");
  EXPECT_EQ(response.content_type, "text/javascript; charset=utf-8");

  response = Get("/assets/app-1234abcd.js", "gzip");
  EXPECT_EQ(response.body, "gzip js");
  EXPECT_EQ(Header(response, "Content-Encoding"), "gzip");

  response = Get("/assets/app-1234abcd.js", "br;q=0, gzip;q=0.5");
  EXPECT_EQ(response.body, "gzip js");

  response = Get("/assets/app-1234abcd.js");
  EXPECT_EQ(response.body, "plain js");
  EXPECT_EQ(Header(response, "Content-Encoding"), "");
  EXPECT_EQ(Header(response, "Vary"), "Accept-Encoding");

  response = Get("/assets/only-gz.css", "br, gzip");
  EXPECT_EQ(response.body, "gzip css");
  EXPECT_EQ(Header(response, "Content-Encoding"), "gzip");
}

TEST_F(StaticFilesTest, AMatchingETagGets304) {
  Response first = Get("/");
  Request again;
  again.method = "GET";
  again.path = "/";
  again.headers["if-none-match"] = Header(first, "ETag");
  Response response = ServeStaticFile(root_, again);
  EXPECT_EQ(response.status, 304);
  EXPECT_EQ(response.body, "");
  // Another encoding is another entity.
  EXPECT_NE(Header(Get("/assets/app-1234abcd.js", "gzip"), "ETag"),
            Header(Get("/assets/app-1234abcd.js"), "ETag"));
}

TEST_F(StaticFilesTest, MissingFilesAndOrphanCompressedVariantsAre404) {
  EXPECT_EQ(Get("/nothing.js").status, 404);
  EXPECT_EQ(Get("/assets/orphan.js", "gzip").status, 404);
  EXPECT_EQ(Get("/assets").status, 404);  // a directory
  EXPECT_EQ(ServeStaticFile(base_ + "/none", Request{"GET", "/"}).status, 404);
  EXPECT_EQ(ServeStaticFile("", Request{"GET", "/"}).status, 404);
}

TEST_F(StaticFilesTest, RefusesPathsOutsideTheRoot) {
  for (const std::string& path : std::vector<std::string>{
           "/../secret.txt", "/assets/../../secret.txt", "//index.html",
           "/assets/", "/.hidden", "/assets/./app-1234abcd.js", "relative",
           "/a\\b", std::string("/a\x01", 3), ""}) {
    Response response = Get(path);
    EXPECT_EQ(response.status, 400) << path;
    EXPECT_THAT(response.body, Not(HasSubstr("outside the root"))) << path;
  }
}

TEST_F(StaticFilesTest, FollowsSymbolicLinksPlacedInTheRoot) {
  // As in Bazel's runfiles, where every file is a link to the source tree.
  ASSERT_EQ(
      symlink((base_ + "/secret.txt").c_str(), (root_ + "/linked.txt").c_str()),
      0);
  Response response = Get("/linked.txt");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "text/plain; charset=utf-8");
}

TEST_F(StaticFilesTest, OnlyGetAndHead) {
  EXPECT_EQ(Get("/", "", "HEAD").status, 200);
  Response response = Get("/", "", "POST");
  EXPECT_EQ(response.status, 405);
  EXPECT_THAT(response.headers, Contains(Pair("Allow", "GET, HEAD")));
}

}  // namespace
}  // namespace ews::http

#include "apps/server/api_common.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "apps/server/api_system.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"

namespace ews::server {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ApiErrorTest, OneStatusAndCodePerStatusCode) {
  const struct {
    absl::Status status;
    int http;
    const char* code;
  } kCases[] = {
      {absl::InvalidArgumentError("m"), 400, "invalid_argument"},
      {absl::OutOfRangeError("m"), 400, "out_of_range"},
      {absl::UnauthenticatedError("m"), 401, "unauthenticated"},
      {absl::PermissionDeniedError("m"), 403, "permission_denied"},
      {absl::NotFoundError("m"), 404, "not_found"},
      {absl::FailedPreconditionError("m"), 409, "failed_precondition"},
      {absl::AlreadyExistsError("m"), 409, "already_exists"},
      {absl::ResourceExhaustedError("m"), 429, "resource_exhausted"},
      {absl::UnavailableError("m"), 503, "unavailable"},
      {absl::DataLossError("m"), 500, "data_loss"},
      {absl::InternalError("m"), 500, "internal"},
      {absl::UnknownError("m"), 500, "internal"},
  };
  for (const auto& c : kCases) {
    const http::Response response = ApiError(c.status);
    EXPECT_EQ(response.status, c.http) << c.status;
    EXPECT_EQ(response.body,
              absl::StrCat(R"({"error":{"status":)", c.http, R"(,"code":")",
                           c.code, R"(","message":"m"}})"))
        << c.status;
  }
}

TEST(ApiErrorTest, MoreMembersGoInsideTheErrorObject) {
  const http::Response response = ApiError(
      502, "device_exception", "refused",
      [](http::JsonWriter& json) { json.Key("exception_code").Int(4); });
  EXPECT_EQ(response.status, 502);
  EXPECT_EQ(response.body,
            R"({"error":{"status":502,"code":"device_exception",)"
            R"("message":"refused","exception_code":4}})");
}

TEST(ParseJsonBodyTest, ParsesStrictlyWithAStableCode) {
  google::protobuf::Struct parsed;
  EXPECT_EQ(ParseJsonBody(R"({"a":1})", &parsed), std::nullopt);
  EXPECT_EQ(parsed.fields().at("a").number_value(), 1);
  v1::SetTimeRequest request;
  EXPECT_EQ(ParseJsonBody(R"({"time":"t"})", &request), std::nullopt);
  EXPECT_EQ(request.time(), "t");
  std::optional<http::Response> unknown =
      ParseJsonBody(R"({"time":"t","bogus":1})", &request);
  ASSERT_TRUE(unknown.has_value());
  EXPECT_EQ(unknown->status, 400);
  EXPECT_THAT(unknown->body, HasSubstr(R"("code":"unknown_field")"));
  for (const char* bad : {"{", "", R"({"time":7})", "[1]"}) {
    std::optional<http::Response> refused = ParseJsonBody(bad, &request);
    ASSERT_TRUE(refused.has_value()) << bad;
    EXPECT_THAT(refused->body, HasSubstr(R"("code":"malformed_body")")) << bad;
  }
}

TEST(ParseQueryTest, DecodesAndRefusesRepeatsAndBadEscapes) {
  auto params = ParseQuery("a=1&b=x%20y+z&&c=");
  ASSERT_THAT(params, IsOk());
  EXPECT_EQ(params->at("a"), "1");
  EXPECT_EQ(params->at("b"), "x y z");
  EXPECT_EQ(params->at("c"), "");
  EXPECT_EQ(Param(*params, "d"), std::nullopt);
  EXPECT_THAT(ParseQuery("a=1&a=2").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseQuery("a=%zz").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(OnlyParams(*params, {"a", "b"}).message(),
              HasSubstr(R"(unknown parameter "c")"));
}

}  // namespace
}  // namespace ews::server

#include "sdk/http/json.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace ews::http {
namespace {

TEST(JsonNumberTest, FiniteNumbersKeepTheirDigits) {
  EXPECT_EQ(JsonNumber(231.4), "231.4");
  EXPECT_EQ(JsonNumber(-0.5), "-0.5");
  EXPECT_EQ(JsonNumber(1234567.891, 6), "1.23457e+06");
  EXPECT_EQ(NonFiniteState(231.4), nullptr);
}

TEST(JsonNumberTest, NonFiniteNumbersAreNullWithAReason) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(JsonNumber(nan), "null");
  EXPECT_EQ(JsonNumber(inf), "null");
  EXPECT_EQ(JsonNumber(-inf), "null");
  EXPECT_STREQ(NonFiniteState(nan), "not a number");
  EXPECT_STREQ(NonFiniteState(inf), "infinite (+inf)");
  EXPECT_STREQ(NonFiniteState(-inf), "infinite (-inf)");
}

TEST(JsonWriterTest, WritesNestedObjectsAndArraysWithCommas) {
  JsonWriter json;
  json.BeginObject()
      .Key("name")
      .String("a \"b\"\n")
      .Key("n")
      .Int(-3)
      .Key("ok")
      .Bool(true)
      .Key("none")
      .Null()
      .Key("list")
      .BeginArray()
      .Int(1)
      .BeginObject()
      .Key("x")
      .Number(0.25)
      .EndObject()
      .BeginArray()
      .EndArray()
      .EndArray()
      .Key("t")
      .Time(absl::FromUnixSeconds(0))
      .EndObject();
  EXPECT_EQ(json.Take(),
            R"({"name":"a \"b\"\n","n":-3,"ok":true,"none":null,)"
            R"("list":[1,{"x":0.25},[]],"t":"1970-01-01T00:00:00Z"})");
}

TEST(JsonWriterTest, NaNIsWrittenAsNull) {
  JsonWriter json;
  json.BeginArray()
      .Number(std::nan(""))
      .Number(std::numeric_limits<double>::infinity())
      .EndArray();
  EXPECT_EQ(json.Take(), "[null,null]");
}

TEST(JsonWriterTest, RawElementsJoinTheList) {
  JsonWriter json;
  json.BeginArray().Int(1).Raw("").Raw(R"({"a":1},{"b":2})").EndArray();
  EXPECT_EQ(json.Take(), R"([1,{"a":1},{"b":2}])");
  json.BeginArray().Raw("").Int(2).EndArray();
  EXPECT_EQ(json.Take(), "[2]");
}

// Times as absl::FormatTime("%Y-%m-%dT%H:%M:%SZ") writes them, the common
// years on a shorter path: whole seconds (rounded down), and far or infinite
// times as absl writes them.
TEST(JsonWriterTest, TimesAsFormatTimeWritesThem) {
  const absl::Time times[] = {
      absl::FromUnixSeconds(0),
      absl::FromUnixMillis(1796648400999),
      absl::FromUnixMillis(-1500),
      absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59),
                      absl::UTCTimeZone()),
      absl::FromCivil(absl::CivilSecond(10000, 1, 1, 0, 0, 0),
                      absl::UTCTimeZone()),
      absl::FromCivil(absl::CivilSecond(-1, 6, 1, 0, 0, 0),
                      absl::UTCTimeZone()),
      absl::InfiniteFuture(),
      absl::InfinitePast(),
  };
  for (absl::Time time : times) {
    JsonWriter json;
    json.Time(time);
    EXPECT_EQ(json.Take(), "\"" +
                               absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time,
                                                absl::UTCTimeZone()) +
                               "\"");
  }
  JsonWriter json;
  json.Time(absl::FromUnixMillis(1796648400999));
  EXPECT_EQ(json.Take(), "\"2026-12-07T13:00:00Z\"");
}

TEST(JsonNumberTest, AllSignificantDigitsFit) {
  EXPECT_EQ(JsonNumber(-1.2345678901234567e-300, 17),
            "-1.2345678901234568e-300");
  EXPECT_EQ(JsonNumber(0.1, 40), "0.1000000000000000055511151231257827021182");
}

TEST(JsonEscapeTest, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(JsonEscape("a\"b\\c\n\x01"), "a\\\"b\\\\c\\n\\u0001");
  EXPECT_EQ(JsonEscape("\tstart, end\r"), "\\tstart, end\\r");
  EXPECT_EQ(JsonEscape("plain \xc3\xa9"), "plain \xc3\xa9");
  EXPECT_EQ(JsonEscape(absl::string_view("a\0b", 3)), "a\\u0000b");
}

TEST(JsonWriterTest, KeysAndStringsAreEscaped) {
  JsonWriter json;
  json.BeginObject().Key("k\"1").String("\x1f\\").EndObject();
  EXPECT_EQ(json.Take(), R"({"k\"1":"\u001f\\"})");
}

}  // namespace
}  // namespace ews::http

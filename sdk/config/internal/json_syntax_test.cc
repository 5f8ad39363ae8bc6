#include "sdk/config/internal/json_syntax.h"

#include <string>

#include "gtest/gtest.h"

namespace ews::config::internal {
namespace {

struct Located {
  const char* json;
  int line;
  int column;
  const char* message;
};

TEST(JsonSyntaxTest, WellFormed) {
  for (const char* json :
       {"{}", "[]",
        " {\"a\": [1, -2.5e3, true, false, null, \"x\\u00e9\\n\"]}\n", "0",
        "\"s\"", "{\"a\": {\"b\": {}}}"}) {
    EXPECT_FALSE(FindJsonSyntaxError(json).has_value()) << json;
  }
}

TEST(JsonSyntaxTest, LocatesErrors) {
  const Located cases[] = {
      {"", 1, 1, "unexpected end, expected a value"},
      {"{\"site\": {\"name\": }", 1, 19, "expected a value, found '}'"},
      {"{\n  \"a\": 1,\n  \"b\" 2\n}", 3, 7,
       "expected ':' after the field name, found '2'"},
      {"{\n  \"a\": 1,\n}", 3, 1, "trailing ',' before '}'"},
      {"[1, 2,]", 1, 7, "trailing ',' before ']'"},
      {"{\"a\": 1", 1, 8, "unexpected end, expected ',' or '}'"},
      {"{a: 1}", 1, 2, "expected a quoted field name, found 'a'"},
      {"{\"a\": \"x", 1, 9, "unterminated string"},
      {"{\"a\": 01}", 1, 8, "leading zero in a number"},
      {"{\"a\": tru}", 1, 7, "expected a value (true?)"},
      {"{\"a\": \"\\q\"}", 1, 9, "bad escape in a string"},
      {"{} {}", 1, 4, "unexpected text after the JSON value"},
      {"{\"a\": 1.}", 1, 9, "expected a digit"},
  };
  for (const Located& c : cases) {
    std::optional<JsonSyntaxError> error = FindJsonSyntaxError(c.json);
    ASSERT_TRUE(error.has_value()) << c.json;
    EXPECT_EQ(error->line, c.line) << c.json;
    EXPECT_EQ(error->column, c.column) << c.json;
    EXPECT_EQ(error->message, c.message) << c.json;
  }
}

TEST(JsonSyntaxTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep(100000, '[');
  std::optional<JsonSyntaxError> error = FindJsonSyntaxError(deep);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->message, "nested too deeply");
}

}  // namespace
}  // namespace ews::config::internal

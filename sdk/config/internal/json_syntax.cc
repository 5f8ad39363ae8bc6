#include "sdk/config/internal/json_syntax.h"

#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace ews::config::internal {
namespace {

constexpr int kMaxDepth = 100;

class Checker {
 public:
  explicit Checker(absl::string_view s) : s_(s) {}

  std::optional<JsonSyntaxError> Run() {
    SkipSpace();
    if (!Value(0)) return error_;
    SkipSpace();
    if (pos_ < s_.size()) {
      Fail("unexpected text after the JSON value");
      return error_;
    }
    return std::nullopt;
  }

 private:
  bool AtEnd() const { return pos_ >= s_.size(); }
  char Peek() const { return AtEnd() ? '\0' : s_[pos_]; }

  void SkipSpace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\n' ||
                        Peek() == '\r')) {
      ++pos_;
    }
  }

  bool Fail(absl::string_view message) {
    int line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < pos_ && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    error_ = JsonSyntaxError{line, static_cast<int>(pos_ - line_start) + 1,
                             std::string(message)};
    return false;
  }

  bool Expect(char c, absl::string_view what) {
    if (Peek() != c) {
      if (AtEnd()) return Fail(absl::StrCat("unexpected end, expected ", what));
      return Fail(absl::StrCat("expected ", what, ", found '",
                               std::string(1, Peek()), "'"));
    }
    ++pos_;
    return true;
  }

  bool Value(int depth) {
    if (depth > kMaxDepth) return Fail("nested too deeply");
    switch (Peek()) {
      case '{':
        return Object(depth);
      case '[':
        return Array(depth);
      case '"':
        return String();
      case 't':
        return Literal("true");
      case 'f':
        return Literal("false");
      case 'n':
        return Literal("null");
      case '\0':
        if (AtEnd()) return Fail("unexpected end, expected a value");
        return Fail("expected a value");
      default:
        if (Peek() == '-' || absl::ascii_isdigit(Peek())) return Number();
        return Fail(absl::StrCat("expected a value, found '",
                                 std::string(1, Peek()), "'"));
    }
  }

  bool Literal(absl::string_view word) {
    if (s_.substr(pos_, word.size()) != word) {
      return Fail(absl::StrCat("expected a value (", word, "?)"));
    }
    pos_ += word.size();
    return true;
  }

  bool Object(int depth) {
    ++pos_;  // {
    SkipSpace();
    if (Peek() == '}') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipSpace();
      if (Peek() != '"') {
        return Peek() == '}' ? Fail("trailing ',' before '}'")
                             : Expect('"', "a quoted field name");
      }
      if (!String()) return false;
      SkipSpace();
      if (!Expect(':', "':' after the field name")) return false;
      SkipSpace();
      if (!Value(depth + 1)) return false;
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      return Expect('}', "',' or '}'");
    }
  }

  bool Array(int depth) {
    ++pos_;  // [
    SkipSpace();
    if (Peek() == ']') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipSpace();
      if (Peek() == ']') return Fail("trailing ',' before ']'");
      if (!Value(depth + 1)) return false;
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      return Expect(']', "',' or ']'");
    }
  }

  bool String() {
    ++pos_;  // "
    while (true) {
      if (AtEnd()) return Fail("unterminated string");
      unsigned char c = s_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) return Fail("control character in a string");
      if (c == '\\') {
        ++pos_;
        char e = Peek();
        if (e == 'u') {
          for (int i = 1; i <= 4; ++i) {
            if (pos_ + i >= s_.size() || !absl::ascii_isxdigit(s_[pos_ + i])) {
              pos_ += i;
              return Fail("bad \\u escape");
            }
          }
          pos_ += 5;
          continue;
        }
        if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' &&
            e != 'n' && e != 'r' && e != 't') {
          return Fail("bad escape in a string");
        }
      }
      ++pos_;
    }
  }

  bool Digits() {
    if (!absl::ascii_isdigit(Peek())) return Fail("expected a digit");
    while (absl::ascii_isdigit(Peek())) ++pos_;
    return true;
  }

  bool Number() {
    if (Peek() == '-') ++pos_;
    if (Peek() == '0') {
      ++pos_;
      if (absl::ascii_isdigit(Peek())) return Fail("leading zero in a number");
    } else if (!Digits()) {
      return false;
    }
    if (Peek() == '.') {
      ++pos_;
      if (!Digits()) return false;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (!Digits()) return false;
    }
    return true;
  }

  absl::string_view s_;
  size_t pos_ = 0;
  std::optional<JsonSyntaxError> error_;
};

}  // namespace

std::optional<JsonSyntaxError> FindJsonSyntaxError(absl::string_view json) {
  return Checker(json).Run();
}

}  // namespace ews::config::internal

#include "sdk/http/json.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ews::http {

namespace {

// Appends `text` escaped to `out`: runs that need no escape are copied whole.
void AppendEscaped(absl::string_view text, std::string& out) {
  size_t run = 0;  // start of the run not yet copied
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        absl::StrAppendFormat(&out, "\\u%04x", c);
    }
  }
  out.append(text.data() + run, text.size() - run);
}

// `text` as a JSON string literal, quotes included, appended to `out`.
void AppendQuoted(absl::string_view text, std::string& out) {
  out += '"';
  AppendEscaped(text, out);
  out += '"';
}

}  // namespace

std::string JsonEscape(absl::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  AppendEscaped(text, escaped);
  return escaped;
}

namespace {

// JsonNumber()'s text appended to `out`, through a buffer on the stack (it
// runs for every value of every answer).
void AppendNumber(double value, int significant_digits, std::string& out) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char text[64];  // %.*g of a double: at most 17 digits, sign, point, exponent
  const int n = std::snprintf(text, sizeof text, "%.*g",
                              std::min(significant_digits, 40), value);
  out.append(text, static_cast<size_t>(std::clamp(n, 0, 63)));
}

}  // namespace

std::string JsonNumber(double value, int significant_digits) {
  std::string text;
  AppendNumber(value, significant_digits, text);
  return text;
}

const char* NonFiniteState(double value) {
  if (std::isnan(value)) return "not a number";
  if (std::isinf(value))
    return value > 0 ? "infinite (+inf)" : "infinite (-inf)";
  return nullptr;
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_items_.empty()) {
    if (has_items_.back()) out_ += ',';
    has_items_.back() = true;
  }
}

JsonWriter& JsonWriter::BeginObject() {
  BeforeValue();
  out_ += '{';
  has_items_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  assert(!has_items_.empty() && !after_key_);
  has_items_.pop_back();
  out_ += '}';
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  BeforeValue();
  out_ += '[';
  has_items_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  assert(!has_items_.empty());
  has_items_.pop_back();
  out_ += ']';
  return *this;
}

JsonWriter& JsonWriter::Key(absl::string_view name) {
  BeforeValue();
  AppendQuoted(name, out_);
  out_ += ':';
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(absl::string_view text) {
  BeforeValue();
  AppendQuoted(text, out_);
  return *this;
}

JsonWriter& JsonWriter::Bool(bool value) {
  BeforeValue();
  out_ += value ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t value) {
  BeforeValue();
  absl::StrAppend(&out_, value);
  return *this;
}

JsonWriter& JsonWriter::Number(double value, int significant_digits) {
  BeforeValue();
  AppendNumber(value, significant_digits, out_);
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::Time(absl::Time time) {
  BeforeValue();
  // Years 0..9999 directly (every answer has a time or several); anything
  // else (infinite, far away) as absl::FormatTime writes it.
  const absl::CivilSecond civil =
      absl::ToCivilSecond(time, absl::UTCTimeZone());
  if (civil.year() >= 0 && civil.year() <= 9999 &&
      time != absl::InfiniteFuture() && time != absl::InfinitePast()) {
    char text[24];
    const int n = std::snprintf(
        text, sizeof text, "\"%04d-%02d-%02dT%02d:%02d:%02dZ\"",
        static_cast<int>(civil.year()), civil.month(), civil.day(),
        civil.hour(), civil.minute(), civil.second());
    out_.append(text, static_cast<size_t>(std::clamp(n, 0, 23)));
  } else {
    absl::StrAppend(
        &out_, "\"",
        absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone()),
        "\"");
  }
  return *this;
}

JsonWriter& JsonWriter::Raw(absl::string_view json) {
  if (json.empty()) return *this;
  BeforeValue();
  out_.append(json.data(), json.size());
  return *this;
}

JsonWriter::JsonWriter() { out_.reserve(kInitialCapacity); }

std::string JsonWriter::Take() {
  std::string out = std::move(out_);
  out_.clear();
  has_items_.clear();
  after_key_ = false;
  return out;
}

}  // namespace ews::http

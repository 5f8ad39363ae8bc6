#include "sdk/http/json.h"

#include <cassert>
#include <cmath>

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

std::string JsonNumber(double value, int significant_digits) {
  if (!std::isfinite(value)) return "null";
  return absl::StrFormat("%.*g", significant_digits, value);
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
  out_ += JsonNumber(value, significant_digits);
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::Time(absl::Time time) {
  BeforeValue();
  absl::StrAppend(
      &out_, "\"",
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone()), "\"");
  return *this;
}

JsonWriter& JsonWriter::Raw(absl::string_view json) {
  if (json.empty()) return *this;
  BeforeValue();
  out_.append(json.data(), json.size());
  return *this;
}

std::string JsonWriter::Take() {
  std::string out = std::move(out_);
  out_.clear();
  has_items_.clear();
  after_key_ = false;
  return out;
}

}  // namespace ews::http

#include "sdk/http/json.h"

#include <cassert>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ews::http {

std::string JsonEscape(absl::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        escaped += "\\\"";
        break;
      case '\\':
        escaped += "\\\\";
        break;
      case '\n':
        escaped += "\\n";
        break;
      case '\r':
        escaped += "\\r";
        break;
      case '\t':
        escaped += "\\t";
        break;
      default:
        if (c < 0x20) {
          escaped += absl::StrFormat("\\u%04x", c);
        } else {
          escaped += static_cast<char>(c);
        }
    }
  }
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
  absl::StrAppend(&out_, "\"", JsonEscape(name), "\":");
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(absl::string_view text) {
  BeforeValue();
  absl::StrAppend(&out_, "\"", JsonEscape(text), "\"");
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
  return String(
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone()));
}

JsonWriter& JsonWriter::Raw(absl::string_view json) {
  if (json.empty()) return *this;
  BeforeValue();
  absl::StrAppend(&out_, json);
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

// JSON output for the web API: one place that knows how a string is escaped and
// how a number is written, so that no route can emit invalid JSON. A number
// that is not finite (a device's float register holding NaN or infinity) is
// written as `null`; NonFiniteState() says why, for the value's state field.
//
//   JsonWriter json;
//   json.BeginObject().Key("value").Number(sample.value);
//   if (const char* why = NonFiniteState(sample.value))
//   json.Key("state").String(why); json.EndObject(); return json.Take();
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ews::http {

// Escapes `text` for use inside a JSON string literal (without the quotes).
std::string JsonEscape(absl::string_view text);

// `value` with `significant_digits` (%.Ng), or "null" when it is NaN or
// infinite (JSON has no such numbers).
std::string JsonNumber(double value, int significant_digits = 10);

// Why `value` is written as null: "not a number" (NaN), "infinite (+inf)",
// "infinite (-inf)"; nullptr for a finite value.
const char* NonFiniteState(double value);

// Builds one JSON text. Commas and quoting are its business; the caller says
// what comes next. Misuse (a value where a key is due) is a programming error
// and is not checked beyond debug assertions.
class JsonWriter {
 public:
  JsonWriter();

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  // The next member's name (inside an object).
  JsonWriter& Key(absl::string_view name);

  JsonWriter& String(absl::string_view text);
  JsonWriter& Bool(bool value);
  JsonWriter& Int(int64_t value);
  // JsonNumber(): null when not finite.
  JsonWriter& Number(double value, int significant_digits = 10);
  JsonWriter& Null();
  // "2026-12-07T11:14:32Z".
  JsonWriter& Time(absl::Time time);
  // Already-rendered JSON: one value, or (inside an array) comma-separated
  // elements; nothing is written when it is empty.
  JsonWriter& Raw(absl::string_view json);

  // The text so far; the writer is empty afterwards.
  std::string Take();

 private:
  void BeforeValue();

  // Most answers fit, so the text is not copied while it grows.
  static constexpr size_t kInitialCapacity = 1024;

  std::string out_;
  // Per open object/array: whether it already has a member/element (kept
  // inline: answers rarely nest deeper).
  absl::InlinedVector<bool, 16> has_items_;
  bool after_key_ = false;
};

}  // namespace ews::http

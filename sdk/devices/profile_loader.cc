#include "sdk/devices/profile_loader.h"

#include <dirent.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "sdk/base/files.h"
#include "sdk/base/status_macros.h"
#include "sdk/devices/codec.h"

namespace ews::devices {
namespace {

bool IsIdentifier(absl::string_view id) {
  if (id.empty()) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

class Checker {
 public:
  explicit Checker(absl::string_view source) : source_(source) {}

  // Records the first error only.
  void Fail(absl::string_view path, absl::string_view problem) {
    if (!status_.ok()) return;
    status_ = absl::InvalidArgumentError(
        absl::StrCat(source_, ": ", path, ": ", problem));
  }
  const absl::Status& status() const { return status_; }

 private:
  std::string source_;
  absl::Status status_;
};

bool FitsIn(uint64_t value, v1::DataType type) {
  uint16_t words[4];
  RawValue raw = IsSignedType(type)
                     ? RawValue::Signed(static_cast<int64_t>(value))
                     : RawValue::Unsigned(value);
  return EncodeRegisters(raw, type, v1::WORD_ORDER_ABCD, absl::MakeSpan(words))
      .ok();
}

// Each bit field fits the quantity's `bits` and is named.
void CheckBitFields(const v1::Quantity& q, int bits, const std::string& path,
                    Checker& check) {
  for (int i = 0; i < q.bits_size(); ++i) {
    const v1::BitField& field = q.bits(i);
    const uint32_t width = std::max<uint32_t>(field.width(), 1);
    if (field.bit() + width > static_cast<uint32_t>(bits)) {
      check.Fail(absl::StrCat(path, ".bits[", i, "]"),
                 absl::StrCat("bit ", field.bit(), " width ", width,
                              " does not fit ", bits, " bits"));
    }
    if (!IsIdentifier(field.name())) {
      check.Fail(absl::StrCat(path, ".bits[", i, "].name"),
                 "must be non-empty [a-z0-9_]");
    }
  }
}

// scale_by's entries: finite non-zero scales, 'below' ascending and unset
// on the last entry only (which covers every larger value).
void CheckScaleEntries(const v1::Quantity& q, const std::string& sp,
                       Checker& check) {
  if (q.scale_by().entries_size() == 0) {
    check.Fail(sp + ".entries", "is empty");
  }
  uint64_t previous = 0;
  for (int i = 0; i < q.scale_by().entries_size(); ++i) {
    const auto& entry = q.scale_by().entries(i);
    const std::string ep = absl::StrCat(sp, ".entries[", i, "]");
    const bool last = i + 1 == q.scale_by().entries_size();
    if (entry.scale() == 0 || !std::isfinite(entry.scale())) {
      check.Fail(ep + ".scale", "must be finite and non-zero");
    }
    if (last && entry.has_below()) {
      check.Fail(ep + ".below",
                 "the last entry must leave 'below' unset (it covers every "
                 "larger value)");
    }
    if (!last && !entry.has_below()) {
      check.Fail(ep + ".below", "only the last entry may leave it unset");
    }
    if (entry.has_below()) {
      if (i > 0 && entry.below() <= previous) {
        check.Fail(ep + ".below", "must be ascending");
      }
      previous = entry.below();
    }
  }
}

// A scale chosen by another quantity's value: the selector is an integer
// quantity of this profile without a scale_by of its own, and the entries
// replace a fixed scale.
void CheckScaleBy(const v1::Profile& profile, const v1::Quantity& q,
                  const std::string& path, Checker& check) {
  const std::string sp = path + ".scale_by";
  const v1::Quantity* selector = FindQuantity(profile, q.scale_by().quantity());
  if (selector == nullptr) {
    check.Fail(sp + ".quantity",
               absl::StrCat("no quantity '", q.scale_by().quantity(),
                            "' in this profile"));
  } else if (!IsIntegerType(selector->type())) {
    check.Fail(sp + ".quantity", "the selector must be an integer quantity");
  } else if (!selector->scale_by().quantity().empty()) {
    check.Fail(sp + ".quantity", "the selector has a scale_by itself");
  }
  CheckScaleEntries(q, sp, check);
  if (q.has_scale()) {
    check.Fail(path + ".scale", "set together with scale_by");
  }
}

// A sign taken from another register: an integer quantity of this profile,
// for an unsigned quantity.
void CheckSignFrom(const v1::Profile& profile, const v1::Quantity& q,
                   const std::string& path, Checker& check) {
  const v1::Quantity* sign = FindQuantity(profile, q.sign_from().quantity());
  if (sign == nullptr) {
    check.Fail(path + ".sign_from.quantity",
               absl::StrCat("no quantity '", q.sign_from().quantity(),
                            "' in this profile"));
  } else if (!IsIntegerType(sign->type())) {
    check.Fail(path + ".sign_from.quantity",
               "the sign must be an integer quantity");
  }
  if (IsSignedType(q.type()) || q.type() == v1::DATA_TYPE_FLOAT32) {
    check.Fail(path + ".sign_from",
               "only an unsigned quantity takes its sign from a register");
  }
}

void CheckQuantity(const v1::Profile& profile, const v1::Quantity& q,
                   const std::string& path, Checker& check) {
  if (!IsIdentifier(q.id())) {
    check.Fail(path + ".id", "must be non-empty [a-z0-9_]");
  }
  if (q.name().empty()) check.Fail(path + ".name", "is empty");
  if (q.table() == v1::TABLE_UNSPECIFIED) {
    check.Fail(path + ".table", "is unspecified");
  }
  const int count = RegisterCount(q.type());
  if (count == 0) check.Fail(path + ".type", "is unspecified");
  if (uint64_t{q.address()} + count > 65536) {
    check.Fail(path + ".address", "runs past register 65535");
  }
  if (q.kind() == v1::KIND_UNSPECIFIED) {
    check.Fail(path + ".kind", "is unspecified");
  }
  if (q.has_scale() && (q.scale() == 0 || !std::isfinite(q.scale()))) {
    check.Fail(path + ".scale", "must be finite and non-zero");
  }
  if (q.kind() == v1::KIND_COUNTER && !IsIntegerType(q.type()) &&
      profile.provenance() != v1::PROVENANCE_INSTALLER) {
    check.Fail(path + ".type",
               "a counter must be an integer type (a float32 loses counts "
               "past 2^24)");
  }
  if (q.statistic() == v1::STATISTIC_HARMONIC && q.harmonic_order() < 2) {
    check.Fail(path + ".harmonic_order", "must be >= 2 for a harmonic");
  }
  if (q.statistic() != v1::STATISTIC_NONE && q.kind() != v1::KIND_STATISTIC) {
    check.Fail(path + ".kind", "a statistic must be KIND_STATISTIC");
  }
  CheckBitFields(q, count * 16, path, check);
  if (!q.scale_by().quantity().empty()) CheckScaleBy(profile, q, path, check);
  if (!q.sign_from().quantity().empty()) {
    CheckSignFrom(profile, q, path, check);
  }
}

void CheckCommand(const v1::Command& c, const std::string& path,
                  Checker& check) {
  if (!IsIdentifier(c.id())) {
    check.Fail(path + ".id", "must be non-empty [a-z0-9_]");
  }
  if (c.name().empty()) check.Fail(path + ".name", "is empty");
  switch (c.function()) {
    case v1::WRITE_FUNCTION_SINGLE_COIL:
      if (c.has_argument()) {
        check.Fail(path + ".argument", "a coil takes a fixed value");
      }
      break;
    case v1::WRITE_FUNCTION_SINGLE_REGISTER:
      if (RegisterCount(c.type()) != 1) {
        check.Fail(path + ".type", "function 6 writes one 16-bit register");
      }
      break;
    case v1::WRITE_FUNCTION_MULTIPLE_REGISTERS:
      if (RegisterCount(c.type()) == 0) {
        check.Fail(path + ".type", "is unspecified");
      }
      break;
    default:
      check.Fail(path + ".function", "is unspecified");
  }
  if (c.value_case() == v1::Command::VALUE_NOT_SET) {
    check.Fail(path, "needs fixed_value or argument");
  }
  if (c.has_argument()) {
    const auto& a = c.argument();
    if (a.min() > a.max()) check.Fail(path + ".argument", "min > max");
    if (a.has_scale() && (a.scale() == 0 || !std::isfinite(a.scale()))) {
      check.Fail(path + ".argument.scale", "must be finite and non-zero");
    }
  }
  if (c.value_case() == v1::Command::kFixedValue &&
      c.function() != v1::WRITE_FUNCTION_SINGLE_COIL &&
      RegisterCount(c.type()) != 0 && !FitsIn(c.fixed_value(), c.type())) {
    check.Fail(path + ".fixed_value",
               absl::StrCat(c.fixed_value(), " does not fit ",
                            v1::DataType_Name(c.type())));
  }
}

class ErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (first_.empty()) {
      first_ = absl::StrCat("line ", line + 1, " column ", column + 1, ": ",
                            message);
    }
  }
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

// How a bus scan recognises the device: a model register of an integer
// type with values, or a vendor name (only an installer's profile may have
// neither).
void CheckIdentification(const v1::Profile& profile, Checker& check) {
  const auto& id = profile.identification();
  switch (id.method_case()) {
    case v1::Identification::kModelRegister: {
      const auto& reg = id.model_register();
      if (reg.table() == v1::TABLE_UNSPECIFIED) {
        check.Fail("identification.model_register.table", "is unspecified");
      }
      if (!IsIntegerType(reg.type())) {
        check.Fail("identification.model_register.type",
                   "must be an integer type");
      }
      if (reg.values_size() == 0) {
        check.Fail("identification.model_register.values", "is empty");
      }
      break;
    }
    case v1::Identification::kDeviceIdentification:
      if (id.device_identification().vendor_name().empty()) {
        check.Fail("identification.device_identification.vendor_name",
                   "is empty");
      }
      break;
    default:
      if (profile.provenance() != v1::PROVENANCE_INSTALLER) {
        check.Fail("identification",
                   "is required (a bus scan must recognise the device)");
      }
  }
}

// A built-in or maker profile says where each register comes from, or that
// no published table confirms it (docs/devices/).
void CheckSource(const v1::Profile& profile, const std::string& path,
                 const std::string& source, bool unconfirmed, Checker& check) {
  const bool cites = profile.provenance() != v1::PROVENANCE_INSTALLER;
  if (cites && source.empty() && !unconfirmed) {
    check.Fail(path + ".source",
               "is empty: cite the published table or set unconfirmed");
  }
}

// Each quantity and command: a unique id, valid fields and its source.
void CheckQuantitiesAndCommands(const v1::Profile& profile, Checker& check) {
  std::set<std::string> ids;
  for (int i = 0; i < profile.quantities_size(); ++i) {
    const v1::Quantity& q = profile.quantities(i);
    const std::string path = absl::StrCat("quantities[", i, "] (", q.id(), ")");
    if (!ids.insert(q.id()).second) {
      check.Fail(path + ".id", "is not unique");
    }
    CheckQuantity(profile, q, path, check);
    CheckSource(profile, path, q.source(), q.unconfirmed(), check);
  }
  std::set<std::string> command_ids;
  for (int i = 0; i < profile.commands_size(); ++i) {
    const v1::Command& c = profile.commands(i);
    const std::string path = absl::StrCat("commands[", i, "] (", c.id(), ")");
    if (!command_ids.insert(c.id()).second) {
      check.Fail(path + ".id", "is not unique");
    }
    CheckCommand(c, path, check);
    CheckSource(profile, path, c.source(), c.unconfirmed(), check);
  }
}

}  // namespace

absl::Status ValidateProfile(const v1::Profile& profile,
                             absl::string_view source) {
  Checker check(source);
  if (!IsIdentifier(profile.id())) {
    check.Fail("id", "must be non-empty [a-z0-9_]");
  }
  if (profile.name().empty()) check.Fail("name", "is empty");
  if (profile.family() == v1::FAMILY_UNSPECIFIED) {
    check.Fail("family", "is unspecified");
  }
  if (profile.provenance() == v1::PROVENANCE_UNSPECIFIED) {
    check.Fail("provenance", "is unspecified");
  }
  if (profile.word_order() == v1::WORD_ORDER_UNSPECIFIED) {
    check.Fail("word_order", "is unspecified (the maker's norm is ABCD)");
  }
  if (profile.max_registers_per_read() > 125) {
    check.Fail("max_registers_per_read", "must be 0 (125) or 1..125");
  }
  CheckIdentification(profile, check);
  if (profile.family() == v1::FAMILY_ENERGY_MANAGEMENT &&
      profile.ems().module_kind() ==
          v1::EmsAddressing::MODULE_KIND_UNSPECIFIED) {
    check.Fail("ems.module_kind", "is required for an EMS CX3 module");
  }
  const auto& id = profile.identification();
  if (id.method_case() != v1::Identification::METHOD_NOT_SET) {
    CheckSource(profile, "identification", id.source(), id.unconfirmed(),
                check);
  }
  CheckQuantitiesAndCommands(profile, check);
  return check.status();
}

absl::StatusOr<v1::Profile> ParseProfile(absl::string_view text,
                                         absl::string_view source) {
  v1::Profile profile;
  google::protobuf::TextFormat::Parser parser;
  ErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  google::protobuf::io::ArrayInputStream input(text.data(),
                                               static_cast<int>(text.size()));
  if (!parser.Parse(&input, &profile)) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": ",
                     errors.first().empty() ? "syntax error" : errors.first()));
  }
  EWS_RETURN_IF_ERROR(ValidateProfile(profile, source));
  return profile;
}

absl::StatusOr<v1::Profile> LoadProfileFile(const std::string& path) {
  EWS_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseProfile(text, path);
}

absl::StatusOr<std::vector<v1::Profile>> LoadProfileDirectory(
    const std::string& directory) {
  DIR* dir = opendir(directory.c_str());
  if (dir == nullptr) {
    return absl::NotFoundError(absl::StrCat(directory, ": cannot open"));
  }
  std::vector<std::string> names;
  while (dirent* entry = readdir(dir)) {
    if (absl::EndsWith(entry->d_name, ".textproto")) {
      names.push_back(entry->d_name);
    }
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  std::vector<v1::Profile> profiles;
  for (const std::string& name : names) {
    EWS_ASSIGN_OR_RETURN(v1::Profile profile,
                         LoadProfileFile(directory + "/" + name));
    profiles.push_back(std::move(profile));
  }
  return profiles;
}

}  // namespace ews::devices

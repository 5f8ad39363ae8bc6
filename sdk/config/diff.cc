#include "sdk/config/diff.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "sdk/config/redact.h"

namespace ews::config {
namespace {

using google::protobuf::Message;
using google::protobuf::util::MessageDifferencer;

// Records the top-level field of every difference.
class TopLevelReporter final : public MessageDifferencer::Reporter {
 public:
  void ReportAdded(
      const Message&, const Message&,
      const std::vector<MessageDifferencer::SpecificField>& path) override {
    Record(path);
  }
  void ReportDeleted(
      const Message&, const Message&,
      const std::vector<MessageDifferencer::SpecificField>& path) override {
    Record(path);
  }
  void ReportModified(
      const Message&, const Message&,
      const std::vector<MessageDifferencer::SpecificField>& path) override {
    Record(path);
  }

  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const auto& [number, name] : changed_) names.push_back(name);
    return names;
  }

 private:
  void Record(const std::vector<MessageDifferencer::SpecificField>& path) {
    if (path.empty() || path[0].field == nullptr) return;
    changed_.emplace(path[0].field->number(), path[0].field->name());
  }

  std::map<int, std::string> changed_;
};

using google::protobuf::FieldDescriptor;
using google::protobuf::Reflection;
using google::protobuf::TextFormat;

// Records each difference as a FieldChange.
class FieldReporter final : public MessageDifferencer::Reporter {
 public:
  explicit FieldReporter(size_t max_chars) : max_chars_(max_chars) {}

  void ReportAdded(
      const Message&, const Message& after,
      const std::vector<MessageDifferencer::SpecificField>& path) override {
    changes_.push_back({Path(path), "", Value(after, path, /*after=*/true)});
  }
  void ReportDeleted(
      const Message& before, const Message&,
      const std::vector<MessageDifferencer::SpecificField>& path) override {
    changes_.push_back({Path(path), Value(before, path, false), ""});
  }
  void ReportModified(
      const Message& before, const Message& after,
      const std::vector<MessageDifferencer::SpecificField>& path) override {
    // A modified sub-message is reported again field by field; keep those.
    if (!path.empty() && path.back().field != nullptr &&
        path.back().field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      return;
    }
    changes_.push_back(
        {Path(path), Value(before, path, false), Value(after, path, true)});
  }

  std::vector<FieldChange> Take() { return std::move(changes_); }

 private:
  static std::string Path(
      const std::vector<MessageDifferencer::SpecificField>& path) {
    std::string out;
    for (const MessageDifferencer::SpecificField& part : path) {
      if (part.field == nullptr) continue;
      if (!out.empty()) out += ".";
      out += part.field->name();
      if (part.field->is_repeated()) {
        const int index = part.new_index >= 0 ? part.new_index : part.index;
        if (index >= 0) absl::StrAppend(&out, "[", index, "]");
      }
    }
    return out;
  }

  // The value of the last field of `path` in `parent` (the differencer
  // passes the message holding that field), in text format, redacted, cut.
  std::string Value(const Message& parent,
                    const std::vector<MessageDifferencer::SpecificField>& path,
                    bool after) const {
    if (path.empty() || path.back().field == nullptr) return "";
    const FieldDescriptor* field = path.back().field;
    if (field->containing_type() != parent.GetDescriptor()) return "";
    if (field->options().GetExtension(v1::sensitive)) return kRedacted;
    const int index = !field->is_repeated() ? -1
                      : after               ? path.back().new_index
                                            : path.back().index;
    if (field->is_repeated() && index < 0) return "";
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      const Reflection* reflection = parent.GetReflection();
      const Message& sub =
          field->is_repeated()
              ? reflection->GetRepeatedMessage(parent, field, index)
              : reflection->GetMessage(parent, field);
      std::unique_ptr<Message> copy(sub.New());
      copy->CopyFrom(sub);
      RedactSecretsInPlace(*copy);
      TextFormat::Printer printer;
      printer.SetSingleLineMode(true);
      std::string text;
      printer.PrintToString(*copy, &text);
      return Cut(std::string(absl::StripTrailingAsciiWhitespace(text)));
    }
    std::string text;
    TextFormat::PrintFieldValueToString(parent, field, index, &text);
    return Cut(text);
  }

  std::string Cut(std::string text) const {
    if (text.size() > max_chars_) {
      text.resize(max_chars_);
      text += "...";
    }
    return text;
  }

  const size_t max_chars_;
  std::vector<FieldChange> changes_;
};

}  // namespace

std::vector<FieldChange> ChangedFields(const v1::DeviceConfig& before,
                                       const v1::DeviceConfig& after,
                                       size_t max_value_chars) {
  FieldReporter reporter(max_value_chars);
  MessageDifferencer differencer;
  differencer.ReportDifferencesTo(&reporter);
  differencer.Compare(before, after);
  return reporter.Take();
}

std::vector<std::string> ChangedSections(const v1::DeviceConfig& before,
                                         const v1::DeviceConfig& after) {
  TopLevelReporter reporter;
  MessageDifferencer differencer;
  differencer.ReportDifferencesTo(&reporter);
  differencer.Compare(before, after);
  return reporter.Names();
}

}  // namespace ews::config

#include "sdk/config/diff.h"

#include <map>
#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/util/message_differencer.h"

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

}  // namespace

std::vector<std::string> ChangedSections(const v1::DeviceConfig& before,
                                         const v1::DeviceConfig& after) {
  TopLevelReporter reporter;
  MessageDifferencer differencer;
  differencer.ReportDifferencesTo(&reporter);
  differencer.Compare(before, after);
  return reporter.Names();
}

}  // namespace ews::config

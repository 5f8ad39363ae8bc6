#include "sdk/config/redact.h"

#include <vector>

#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"

namespace ews::config {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

void RedactSecretsInPlace(Message& message) {
  const Reflection* reflection = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);  // only fields that are set
  for (const FieldDescriptor* field : fields) {
    bool sensitive = field->options().GetExtension(v1::sensitive);
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          RedactSecretsInPlace(
              *reflection->MutableRepeatedMessage(&message, field, i));
        }
      } else {
        RedactSecretsInPlace(*reflection->MutableMessage(&message, field));
      }
    } else if (sensitive &&
               field->cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
      if (field->is_repeated()) {
        for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
          reflection->SetRepeatedString(&message, field, i, kRedacted);
        }
      } else {
        reflection->SetString(&message, field, kRedacted);
      }
    }
  }
}

v1::DeviceConfig RedactSecrets(const v1::DeviceConfig& config) {
  v1::DeviceConfig copy = config;
  RedactSecretsInPlace(copy);
  return copy;
}

}  // namespace ews::config

#include "apps/server/api_config.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "apps/server/api_common.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/config/diff.h"
#include "sdk/config/redact.h"
#include "sdk/config/text_json.h"
#include "sdk/config/validate.h"
#include "sdk/http/json.h"
#include "sdk/security/roles/permissions.h"

namespace ews::server {
namespace {

using config::v1::DeviceConfig;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr char kDevicesPrefix[] = "/api/v1/devices/";

const FieldDescriptor* TopLevelField(absl::string_view name) {
  return DeviceConfig::descriptor()->FindFieldByName(std::string(name));
}

// Whether `key` names a field of DeviceConfig (.proto or JSON name).
bool IsTopLevelField(absl::string_view key) {
  const google::protobuf::Descriptor* descriptor = DeviceConfig::descriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    if (field->name() == key || field->json_name() == key) return true;
  }
  return false;
}

// The API section holding DeviceConfig field `field`, or the field's own name
// (site, web, schema_version have no section route).
std::string SectionOfField(absl::string_view field) {
  for (const ConfigSection& section : ConfigSections()) {
    if (section.field == field) return section.name;
  }
  return std::string(field);
}

// Protobuf's JSON mapping with the .proto names and every field shown.
std::string MessageJson(const Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options)
           .ok()) {
    return "null";  // not expected: every field type prints
  }
  return json;
}

// The value of top-level field `field` of `config` as JSON (secrets
// redacted).
std::string FieldJson(const DeviceConfig& config,
                      const FieldDescriptor* field) {
  DeviceConfig copy = config::RedactSecrets(config);
  // Code salts and hashes are left out rather than shown as a redacted
  // base64 blob: the users section shows who exists and how codes are hashed.
  for (config::v1::User& user : *copy.mutable_users()) {
    for (config::v1::HashedCode* code :
         {user.mutable_pin(), user.mutable_puk()}) {
      code->clear_salt();
      code->clear_hash();
    }
  }
  const Reflection* reflection = copy.GetReflection();
  http::JsonWriter json;
  if (field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
    json.String(reflection->GetEnum(copy, field)->name());
  } else if (!field->is_repeated()) {
    json.Raw(MessageJson(reflection->GetMessage(copy, field)));
  } else {
    json.BeginArray();
    for (int i = 0; i < reflection->FieldSize(copy, field); ++i) {
      json.Raw(MessageJson(reflection->GetRepeatedMessage(copy, field, i)));
    }
    json.EndArray();
  }
  return json.Take();
}

// A request body that could not be used: 400 with a stable code.
http::Response BodyError(const absl::Status& status) {
  const absl::string_view message = status.message();
  if (absl::StrContains(message, "Cannot find field") ||
      absl::StrContains(message, "unknown field")) {
    return ApiError(400, "unknown_field", message);
  }
  if (absl::StrContains(message, "is not part of the")) {
    return ApiError(400, "wrong_section", message);
  }
  if (absl::StartsWith(message, "malformed JSON") ||
      absl::StartsWith(message, "JSON: line") ||
      absl::StartsWith(message, "line ")) {
    return ApiError(400, "malformed_body", message);
  }
  return ApiError(400, "invalid_value", message);
}

// Parses `json` into `message` strictly (unknown fields refused). A body
// that is not a JSON object at all is "malformed JSON: ...".
absl::Status ParseJson(absl::string_view json, Message* message) {
  google::protobuf::Struct object;
  const auto syntax =
      google::protobuf::util::JsonStringToMessage(std::string(json), &object);
  if (!syntax.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed JSON: ", syntax.message().ToString()));
  }
  if (message->GetDescriptor() == object.GetDescriptor()) {
    message->CopyFrom(object);
    return absl::OkStatus();
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = google::protobuf::util::JsonStringToMessage(
      std::string(json), message, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON: ", status.message().ToString()));
  }
  return absl::OkStatus();
}

// Where the client wrote a secret back as it was shown ("[REDACTED]"), puts
// the stored value back: a form that shows a redacted password and is sent
// unchanged keeps the password. Repeated messages pair up by index.
void KeepRedactedSecrets(const Message& stored, Message& incoming) {
  const Reflection* in = incoming.GetReflection();
  const Reflection* old = stored.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  in->ListFields(incoming, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        const int n = std::min(in->FieldSize(incoming, field),
                               old->FieldSize(stored, field));
        for (int i = 0; i < n; ++i) {
          KeepRedactedSecrets(old->GetRepeatedMessage(stored, field, i),
                              *in->MutableRepeatedMessage(&incoming, field, i));
        }
      } else if (old->HasField(stored, field)) {
        KeepRedactedSecrets(old->GetMessage(stored, field),
                            *in->MutableMessage(&incoming, field));
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
               !field->is_repeated() &&
               field->options().GetExtension(config::v1::sensitive) &&
               in->GetString(incoming, field) == config::kRedacted) {
      in->SetString(&incoming, field, old->GetString(stored, field));
    }
  }
}

// The body of a section update: a JSON object with exactly the section's
// field ({"network":{...}}, {"modbus_devices":[...]}), parsed strictly.
absl::StatusOr<DeviceConfig> ParseSectionBody(const ConfigSection& section,
                                              absl::string_view body) {
  google::protobuf::Struct object;
  EWS_RETURN_IF_ERROR(ParseJson(body, &object));
  const FieldDescriptor* field = TopLevelField(section.field);
  for (const auto& [key, value] : object.fields()) {
    if (!IsTopLevelField(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown field \"", key, "\""));
    }
    if (key != field->name() && key != field->json_name()) {
      return absl::InvalidArgumentError(
          absl::StrCat("\"", key, "\" is not part of the ", section.name,
                       " section: send {\"", field->name(), "\": ...}"));
    }
  }
  if (object.fields().size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("send the section as {\"", field->name(), "\": ...}"));
  }
  return config::FromJson(body);
}

std::string Actor(const std::optional<security::SessionInfo>& session) {
  return session.has_value() ? std::string(security::RoleName(session->role))
                             : "-";
}

void WriteErrors(http::JsonWriter& json,
                 const std::vector<config::FieldError>& errors) {
  json.Key("errors").BeginArray();
  for (const config::FieldError& error : errors) {
    json.BeginObject()
        .Key("field")
        .String(error.field)
        .Key("message")
        .String(error.message)
        .EndObject();
  }
  json.EndArray();
}

// The device id at the end of /api/v1/devices/<id>.
std::string DeviceIdOf(const http::Request& request) {
  return request.path.substr(sizeof(kDevicesPrefix) - 1);
}

int FindDevice(const DeviceConfig& config, absl::string_view id) {
  for (int i = 0; i < config.modbus_devices_size(); ++i) {
    if (config.modbus_devices(i).id() == id) return i;
  }
  return -1;
}

absl::StatusOr<config::v1::ModbusDevice> ParseDevice(absl::string_view body) {
  config::v1::ModbusDevice device;
  EWS_RETURN_IF_ERROR(ParseJson(body, &device));
  if (device.link_case() == config::v1::ModbusDevice::LINK_NOT_SET) {
    device.mutable_rs485();  // our own line unless said otherwise
  }
  return device;
}

// A validation without saving: `checked` on a copy of the stored
// configuration, whose CancelledError means it is valid (the copy is the
// result).
absl::StatusOr<DeviceConfig> CheckOnStoredCopy(
    config::ConfigStore& store,
    const std::function<absl::Status(DeviceConfig&)>& checked) {
  absl::StatusOr<DeviceConfig> loaded = store.Load();
  if (!loaded.ok()) return loaded.status();
  DeviceConfig candidate = *loaded;
  absl::Status status = checked(candidate);
  return absl::IsCancelled(status) ? absl::StatusOr<DeviceConfig>(candidate)
                                   : status;
}

std::string ErrorSummary(const std::vector<config::FieldError>& errors) {
  std::vector<std::string> lines;
  for (const config::FieldError& error : errors) {
    lines.push_back(error.ToString());
  }
  return absl::StrJoin(lines, "; ");
}

// A validation's answer for an invalid configuration: 200, not an error,
// as the request itself succeeded.
http::Response NotValidResponse(const std::vector<config::FieldError>& errors) {
  http::JsonWriter json;
  json.BeginObject().Key("valid").Bool(false);
  WriteErrors(json, errors);
  json.EndObject();
  return http::Response::Json(200, json.Take());
}

std::vector<security::AuditChange> AuditChanges(
    const std::vector<config::FieldChange>& fields) {
  std::vector<security::AuditChange> changes;
  for (const config::FieldChange& change : fields) {
    changes.push_back({change.field, change.from, change.to});
  }
  return changes;
}

// "applied_live" (the changed sections the listener applied), whether a
// restart is required and "needs_restart" (the others).
void WriteLiveAndRestart(const std::vector<std::string>& changed,
                         const std::vector<std::string>& live,
                         http::JsonWriter& json) {
  std::vector<std::string> waiting;  // sections that wait for a restart
  json.Key("applied_live").BeginArray();
  for (const std::string& field : changed) {
    if (std::find(live.begin(), live.end(), field) != live.end()) {
      json.String(SectionOfField(field));
    } else {
      waiting.push_back(SectionOfField(field));
    }
  }
  json.EndArray().Key("restart_required").Bool(!waiting.empty());
  json.Key("needs_restart").BeginArray();
  for (const std::string& section : waiting) json.String(section);
  json.EndArray();
}

// The answer to a valid change: the changed sections and fields and, when
// applied, which of them took effect live.
http::Response ChangedResponse(bool apply,
                               const std::vector<std::string>& changed,
                               const std::vector<config::FieldChange>& fields,
                               const std::vector<std::string>& live) {
  http::JsonWriter json;
  json.BeginObject();
  if (apply) {
    json.Key("status").String("applied");
  } else {
    json.Key("valid").Bool(true).Key("errors").BeginArray().EndArray();
  }
  json.Key("changed_sections").BeginArray();
  for (const std::string& field : changed) json.String(SectionOfField(field));
  json.EndArray().Key("changes");
  WriteFieldChanges(fields, json);
  if (apply) WriteLiveAndRestart(changed, live, json);
  json.EndObject();
  return http::Response::Json(200, json.Take());
}

}  // namespace

const std::vector<ConfigSection>& ConfigSections() {
  static const std::vector<ConfigSection>* sections =
      new std::vector<ConfigSection>{
          {"network", "network"},
          {"site", "site"},
          {"rs485", "rs485"},
          {"model", "model_size"},
          {"devices", "modbus_devices"},
          {"pulse-counters", "pulse_counters"},
          {"ip-gateways", "ip_gateways"},
          {"modbus-gateway", "modbus_tcp_server"},
          {"consumption-tree", "consumption_tree"},
          {"tariffs", "tariffs"},
          {"reports", "reports"},
          {"storage", "storage"},
          {"users", "users"},
      };
  return *sections;
}

ConfigApi::ConfigApi(config::ConfigStore& store, security::AuditLog& audit,
                     ApplyListener listener)
    : store_(store), audit_(audit), listener_(std::move(listener)) {}

std::vector<ApiRoute> ConfigApi::Routes() {
  std::vector<ApiRoute> routes;
  auto limited = [](SessionHandler handler) {
    return [handler = std::move(handler)](const http::Request& request,
                                          const Session& session) {
      if (request.body.size() > kMaxBodyBytes) {
        return ApiError(
            413, "body_too_large",
            absl::StrCat("the body is larger than ", kMaxBodyBytes, " bytes"));
      }
      return handler(request, session);
    };
  };
  for (const ConfigSection& section : ConfigSections()) {
    const std::string path = absl::StrCat("/api/v1/config/", section.name);
    routes.push_back({"GET", path, [this, &section](const auto&, const auto&) {
                        return GetSection(section);
                      }});
    routes.push_back(
        {"PUT", path, limited([this, &section](const auto& r, const auto& s) {
           return PutSection(section, r, s, /*apply=*/true);
         })});
    routes.push_back({"POST", path + "/validate",
                      limited([this, &section](const auto& r, const auto& s) {
                        return PutSection(section, r, s, /*apply=*/false);
                      })});
  }
  routes.push_back(
      {"POST", "/api/v1/devices", limited([this](const auto& r, const auto& s) {
         return AddDevice(r, s);
       })});
  routes.push_back({"PUT", "/api/v1/devices/*",
                    limited([this](const auto& r, const auto& s) {
                      return EditDevice(r, s);
                    })});
  routes.push_back(
      {"DELETE", "/api/v1/devices/*",
       [this](const auto& r, const auto& s) { return RemoveDevice(r, s); }});
  routes.push_back(
      {"GET", "/api/v1/config/backup",
       [this](const auto& r, const auto& s) { return Backup(r, s); }});
  routes.push_back({"POST", "/api/v1/config/restore",
                    limited([this](const auto& r, const auto& s) {
                      return Restore(r, s);
                    })});
  return routes;
}

http::Response ConfigApi::GetSection(const ConfigSection& section) {
  absl::StatusOr<DeviceConfig> config = store_.Load();
  if (!config.ok()) return ApiError(config.status());
  http::JsonWriter json;
  json.BeginObject()
      .Key(section.field)
      .Raw(FieldJson(*config, TopLevelField(section.field)))
      .EndObject();
  return http::Response::Json(200, json.Take());
}

http::Response ConfigApi::PutSection(const ConfigSection& section,
                                     const http::Request& request,
                                     const Session& session, bool apply) {
  if (section.field == absl::string_view("users")) {
    return ApiError(409, "read_only_section",
                    "the users section is read-only here: codes change "
                    "through POST /api/v1/session/codes and POST "
                    "/api/v1/users/<role>/reset");
  }
  absl::StatusOr<DeviceConfig> part = ParseSectionBody(section, request.body);
  if (!part.ok()) return BodyError(part.status());
  const FieldDescriptor* field = TopLevelField(section.field);
  return Change(
      absl::StrCat("config.", section.name), session, request, apply,
      [&](DeviceConfig& config) {
        KeepRedactedSecrets(config, *part);
        const Reflection* reflection = config.GetReflection();
        reflection->ClearField(&config, field);
        if (field->cpp_type() == FieldDescriptor::CPPTYPE_ENUM) {
          reflection->SetEnumValue(&config, field,
                                   reflection->GetEnumValue(*part, field));
        } else if (field->is_repeated()) {
          for (int i = 0; i < reflection->FieldSize(*part, field); ++i) {
            reflection->AddMessage(&config, field)
                ->CopyFrom(reflection->GetRepeatedMessage(*part, field, i));
          }
        } else {
          reflection->MutableMessage(&config, field)
              ->CopyFrom(reflection->GetMessage(*part, field));
        }
        return absl::OkStatus();
      });
}

http::Response ConfigApi::AddDevice(const http::Request& request,
                                    const Session& session) {
  absl::StatusOr<config::v1::ModbusDevice> device = ParseDevice(request.body);
  if (!device.ok()) return BodyError(device.status());
  http::Response response =
      Change("device.add", session, request, /*apply=*/true,
             [&](DeviceConfig& config) {
               if (FindDevice(config, device->id()) >= 0) {
                 return absl::AlreadyExistsError(absl::StrCat(
                     "a device \"", device->id(), "\" exists already"));
               }
               *config.add_modbus_devices() = *device;
               return absl::OkStatus();
             });
  if (response.status == 200) response.status = 201;
  return response;
}

http::Response ConfigApi::EditDevice(const http::Request& request,
                                     const Session& session) {
  const std::string id = DeviceIdOf(request);
  absl::StatusOr<config::v1::ModbusDevice> device = ParseDevice(request.body);
  if (!device.ok()) return BodyError(device.status());
  if (device->id().empty()) device->set_id(id);
  return Change(
      "device.edit", session, request, /*apply=*/true,
      [&](DeviceConfig& config) {
        const int index = FindDevice(config, id);
        if (index < 0) {
          return absl::NotFoundError(absl::StrCat("no device \"", id, "\""));
        }
        // A new id is allowed (validation checks references).
        *config.mutable_modbus_devices(index) = *device;
        return absl::OkStatus();
      });
}

http::Response ConfigApi::RemoveDevice(const http::Request& request,
                                       const Session& session) {
  const std::string id = DeviceIdOf(request);
  return Change(
      "device.remove", session, request, /*apply=*/true,
      [&](DeviceConfig& config) {
        const int index = FindDevice(config, id);
        if (index < 0) {
          return absl::NotFoundError(absl::StrCat("no device \"", id, "\""));
        }
        config.mutable_modbus_devices()->DeleteSubrange(index, 1);
        return absl::OkStatus();
      });
}

http::Response ConfigApi::Backup(const http::Request& request,
                                 const Session& session) {
  absl::StatusOr<DeviceConfig> config = store_.Load();
  if (!config.ok()) return ApiError(config.status());
  Audit("config.backup", session, request, "ok", "");
  http::Response response;
  response.status = 200;
  response.content_type = "text/plain; charset=utf-8";
  response.body = config::ToText(*config);
  response.headers.emplace_back(
      "Content-Disposition", "attachment; filename=\"ews-config.textproto\"");
  return response;
}

http::Response ConfigApi::Restore(const http::Request& request,
                                  const Session& session) {
  const absl::string_view body =
      absl::StripLeadingAsciiWhitespace(request.body);
  absl::StatusOr<DeviceConfig> restored = absl::StartsWith(body, "{")
                                              ? config::FromJson(body)
                                              : config::FromText(body);
  if (!restored.ok()) {
    Audit("config.restore", session, request,
          absl::StrCat("refused: ", restored.status().message()), "");
    return BodyError(restored.status());
  }
  return Change("config.restore", session, request, /*apply=*/true,
                [&](DeviceConfig& config) {
                  config = *restored;
                  return absl::OkStatus();
                });
}

http::Response ConfigApi::Change(const std::string& action,
                                 const Session& session,
                                 const http::Request& request, bool apply,
                                 const Modify& modify) {
  DeviceConfig before;
  std::vector<config::FieldError> errors;
  auto checked = [&](DeviceConfig& config) {
    before = config;
    EWS_RETURN_IF_ERROR(modify(config));
    errors = config::FindErrors(config);
    if (!errors.empty()) return absl::InvalidArgumentError("invalid");
    // Validation only: stop here, nothing is written.
    if (!apply) return absl::CancelledError("validated");
    return absl::OkStatus();
  };
  const absl::StatusOr<DeviceConfig> after =
      apply ? store_.Update(checked) : CheckOnStoredCopy(store_, checked);
  if (!errors.empty()) {
    if (!apply) return NotValidResponse(errors);
    const std::string summary = ErrorSummary(errors);
    Audit(action, session, request, "refused: invalid", summary);
    return ApiError(
        400, "invalid_config", summary,
        [&errors](http::JsonWriter& json) { WriteErrors(json, errors); });
  }
  if (!after.ok()) {
    // An id that exists already is the caller's mistake: not audited.
    if (apply && !absl::IsAlreadyExists(after.status())) {
      Audit(action, session, request,
            absl::StrCat("failed: ", after.status().message()), "");
    }
    return ApiError(after.status());
  }

  const std::vector<std::string> changed =
      config::ChangedSections(before, *after);
  const std::vector<config::FieldChange> fields =
      config::ChangedFields(before, *after);
  std::vector<std::string> live;
  if (apply) {
    Audit(action, session, request, "ok",
          changed.empty() ? "no change" : absl::StrJoin(changed, ", "),
          AuditChanges(fields));
    if (listener_ && !changed.empty())
      live = listener_(before, *after, changed);
  }
  return ChangedResponse(apply, changed, fields, live);
}

void ConfigApi::Audit(const std::string& action, const Session& session,
                      const http::Request& request, const std::string& outcome,
                      const std::string& detail,
                      std::vector<security::AuditChange> changes) {
  security::AuditEntry entry;
  entry.actor = Actor(session);
  entry.client_address = request.remote_address;
  entry.action = action;
  entry.outcome = outcome;
  entry.detail = detail;
  entry.changes = std::move(changes);
  absl::StatusOr<uint64_t> appended = audit_.Append(std::move(entry));
  if (!appended.ok()) EWS_LOG(ERROR) << "audit: " << appended.status();
}

}  // namespace ews::server

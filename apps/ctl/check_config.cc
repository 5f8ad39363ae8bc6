#include "apps/ctl/check_config.h"

#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "sdk/config/redact.h"
#include "sdk/config/text_json.h"
#include "sdk/config/validate.h"

namespace ews::ctl {
namespace {

int Usage() {
  std::cerr
      << "usage: ews-ctl check-config [--to-json|--to-text] [--redact] FILE\n";
  return 2;
}

}  // namespace

int CheckConfig(int argc, char** argv) {
  using namespace ews::config;
  enum class Output { kNone, kJson, kText } output = Output::kNone;
  bool redact = false;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--to-json") == 0) {
      output = Output::kJson;
    } else if (std::strcmp(argv[i], "--to-text") == 0) {
      output = Output::kText;
    } else if (std::strcmp(argv[i], "--redact") == 0) {
      redact = true;
    } else if (argv[i][0] == '-' || !path.empty()) {
      return Usage();
    } else {
      path = argv[i];
    }
  }
  if (path.empty()) return Usage();

  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << path << ": cannot open\n";
    return 1;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  absl::StatusOr<v1::DeviceConfig> config = absl::EndsWith(path, ".json")
                                                ? FromJson(buffer.str())
                                                : FromText(buffer.str());
  if (!config.ok()) {
    std::cerr << path << ": " << config.status().message() << "\n";
    return 1;
  }
  std::vector<FieldError> errors = FindErrors(*config);
  for (const FieldError& error : errors) {
    std::cerr << path << ": " << error.ToString() << "\n";
  }
  if (redact) *config = RedactSecrets(*config);
  if (output == Output::kJson) {
    absl::StatusOr<std::string> json = ToJson(*config);
    if (!json.ok()) {
      std::cerr << json.status() << "\n";
      return 1;
    }
    std::cout << *json;
  } else if (output == Output::kText) {
    std::cout << ToText(*config);
  }
  if (!errors.empty()) return 1;
  if (output == Output::kNone) std::cerr << path << ": valid\n";
  return 0;
}

}  // namespace ews::ctl

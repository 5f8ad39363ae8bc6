// Writes a valid sample configuration (the factory defaults for MODEL_32,
// hashed with the minimum iterations) as text to stdout, for tests and docs.
#include <iostream>

#include "sdk/config/defaults.h"
#include "sdk/config/text_json.h"
#include "sdk/security/credentials.h"

int main() {
  ews::config::DefaultConfigOptions options;
  options.model_size = ews::config::v1::MODEL_32;
  options.hash_iterations = ews::security::kMinIterations;
  absl::StatusOr<ews::config::v1::DeviceConfig> config =
      ews::config::DefaultConfig(options);
  if (!config.ok()) {
    std::cerr << config.status() << "\n";
    return 1;
  }
  std::cout << ews::config::ToText(*config);
  return 0;
}

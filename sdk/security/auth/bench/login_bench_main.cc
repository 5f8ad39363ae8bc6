// What one login costs on this machine: Authenticator::Login with the default
// PBKDF2 iterations (a right and a wrong PIN), against the raw PBKDF2 it is
// built on. The rate limits in docs/security.md are sized from these figures.
//
//   bazel run -c opt //sdk/security/auth/bench:login_bench
#include <sys/stat.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "benchmark/benchmark.h"
#include "sdk/base/log.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/config/config_store.h"
#include "sdk/config/defaults.h"
#include "sdk/security/auth/authenticator.h"

namespace ews::security {
namespace {

struct Device {
  SimulatedClock clock;
  std::unique_ptr<config::ConfigStore> store;
  std::unique_ptr<ConfigCodeStore> codes;
  std::unique_ptr<Authenticator> auth;
};

std::unique_ptr<Device> MakeDevice() {
  log::SetMinLevel(log::Level::kWarning);
  auto device = std::make_unique<Device>();
  char pattern[] = "/tmp/ews-login-bench-XXXXXX";
  const std::string dir = mkdtemp(pattern);
  device->store = std::make_unique<config::ConfigStore>(dir, device->clock);
  absl::StatusOr<config::v1::DeviceConfig> config = config::DefaultConfig();
  if (!config.ok() || !device->store->Save(*config).ok()) std::abort();
  device->codes = std::make_unique<ConfigCodeStore>(device->store.get());
  AuthOptions options;  // default iterations; no rate limit in the way
  options.per_address = {1 << 30, absl::Milliseconds(1), 16};
  options.per_user = {1 << 30, absl::Milliseconds(1), 16};
  auto auth = Authenticator::Create(device->codes.get(), dir + "/auth_state",
                                    device->clock, options);
  if (!auth.ok()) std::abort();
  device->auth = *std::move(auth);
  return device;
}

void BM_Pbkdf2(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(Pbkdf2HmacSha256("11111", std::string(16, 's'),
                                              kDefaultIterations, kHashBytes));
  }
}
BENCHMARK(BM_Pbkdf2)->Unit(benchmark::kMillisecond);

void BM_LoginRightPin(benchmark::State& state) {
  std::unique_ptr<Device> device = MakeDevice();
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        device->auth->Login(config::v1::ROLE_USER, "11111", "192.0.2.1"));
  }
}
BENCHMARK(BM_LoginRightPin)->Unit(benchmark::kMillisecond);

void BM_LoginWrongPin(benchmark::State& state) {
  std::unique_ptr<Device> device = MakeDevice();
  int n = 0;
  for (auto _ : state) {
    // Four wrong PINs, then the right one, so that the user is never blocked.
    const bool right = ++n % 5 == 0;
    benchmark::DoNotOptimize(device->auth->Login(
        config::v1::ROLE_USER, right ? "11111" : "00001", "192.0.2.1"));
  }
}
BENCHMARK(BM_LoginWrongPin)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace ews::security

BENCHMARK_MAIN();

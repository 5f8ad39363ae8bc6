// Runs the OEM example against the device simulator's demo population on a
// virtual bus and checks that it identifies the devices and prints values.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lab/bus/virtual_bus.h"
#include "sdk/base/status_matchers.h"

namespace {

using ::testing::HasSubstr;

TEST(ScanAndWatchTest, FindsTheDemoPopulationAndPrintsValues) {
  ews::lab::BusOptions options;
  options.endpoints = 2;
  options.line.baud_rate = 115200;
  auto bus = ews::lab::VirtualBus::Start(options);
  ASSERT_THAT(bus, ews::testing::IsOk());

  int to_sim[2], from_sim[2];
  ASSERT_EQ(pipe(to_sim), 0);
  ASSERT_EQ(pipe(from_sim), 0);
  const pid_t simulator = fork();
  if (simulator == 0) {
    dup2(to_sim[0], 0);
    dup2(from_sim[1], 1);
    close(to_sim[1]);
    close(from_sim[0]);
    const std::string port = "--port=" + (*bus)->endpoint_path(1);
    execl("lab/devices/device_simulator", "device_simulator", port.c_str(),
          "--line=115200 8E1", "--population=demo", "--reply_delay_ms=1",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(to_sim[0]);
  close(from_sim[1]);
  // Readiness handshake: the simulator prints "ready" once it serves.
  FILE* sim_out = fdopen(from_sim[0], "r");
  char line[256];
  bool ready = false;
  while (!ready && fgets(line, sizeof line, sim_out) != nullptr) {
    ready = std::string(line) == "ready\n";
  }
  ASSERT_TRUE(ready);

  const std::string command =
      "apps/examples/scan_and_watch --port=" + (*bus)->endpoint_path(0) +
      " --line='115200 8E1' --first=1 --last=25 --timeout_ms=60 "
      "--period_s=1 --rounds=2 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0)
    output.append(buffer, n);
  const int status = pclose(pipe);
  kill(simulator, SIGTERM);
  waitpid(simulator, nullptr, 0);
  close(to_sim[1]);
  fclose(sim_out);

  EXPECT_EQ(WEXITSTATUS(status), 0) << output;
  for (const char* expected :
       {"found   1  emdx3_4_120_45", "found   2  mccb_measurement_unit",
        "found   3  acb_measurement_unit", "found   4  din_measurement_module",
        "found   5  ev_charger_generic", "found  21  ems_cx3_measurement",
        "found  24  ems_cx3_pulse_concentrator", "ea_import", "v1n"}) {
    EXPECT_THAT(output, HasSubstr(expected));
  }
}

}  // namespace

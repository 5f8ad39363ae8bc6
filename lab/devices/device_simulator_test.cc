// The device_simulator binary on a virtual-bus endpoint: a libmodbus master
// on the other endpoint reads the demo population, and stdin commands inject
// faults.
#include <fcntl.h>
#include <modbus/modbus.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "lab/bus/virtual_bus.h"
#include "sdk/base/status_matchers.h"

namespace ews::lab {
namespace {

struct Child {
  pid_t pid = -1;
  FILE* in = nullptr;   // its stdin
  FILE* out = nullptr;  // its stdout
};

Child Spawn(const std::vector<std::string>& args) {
  int to_child[2], from_child[2];
  Child child;
  if (pipe(to_child) != 0 || pipe(from_child) != 0) return child;
  child.pid = fork();
  if (child.pid == 0) {
    dup2(to_child[0], 0);
    dup2(from_child[1], 1);
    close(to_child[1]);
    close(from_child[0]);
    std::vector<char*> argv;
    for (const std::string& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(to_child[0]);
  close(from_child[1]);
  child.in = fdopen(to_child[1], "w");
  child.out = fdopen(from_child[0], "r");
  return child;
}

std::string ReadLine(FILE* f) {
  char buffer[512];
  if (fgets(buffer, sizeof buffer, f) == nullptr) return "<eof>";
  std::string line = buffer;
  if (!line.empty() && line.back() == '\n') line.pop_back();
  return line;
}

// Reads until `want` (or EOF); returns the last line read.
std::string ReadUntil(FILE* f, const std::string& want) {
  std::string line;
  do {
    line = ReadLine(f);
  } while (line != want && line != "<eof>" && line.rfind("error", 0) != 0);
  return line;
}

TEST(DeviceSimulatorTest, ServesTheDemoPopulationAndTakesCommands) {
  BusOptions options;
  options.endpoints = 2;
  options.line.baud_rate = 38400;
  auto bus = VirtualBus::Start(options);
  ASSERT_THAT(bus, ::ews::testing::IsOk());
  Child child = Spawn({"lab/devices/device_simulator",
                       "--port=" + (*bus)->endpoint_path(1), "--line=38400 8E1",
                       "--population=demo", "--reply_delay_ms=1"});
  ASSERT_GT(child.pid, 0);
  ASSERT_EQ(ReadUntil(child.out, "ready"), "ready");

  modbus_t* master =
      modbus_new_rtu((*bus)->endpoint_path(0).c_str(), 38400, 'E', 8, 1);
  ASSERT_EQ(modbus_connect(master), 0);
  modbus_set_response_timeout(master, 0, 300000);
  const std::vector<std::pair<int, uint16_t>> expected = {
      {1, 4512}, {2, 0x4D43},  {3, 0x4143},  {4, 0x4D4D},  {5, 0x4556},
      {6, 4512}, {21, 0x4531}, {22, 0x4532}, {23, 0x4533}, {24, 0x4534}};
  for (const auto& [unit, model] : expected) {
    uint16_t word = 0;
    modbus_set_slave(master, unit);
    ASSERT_EQ(modbus_read_registers(master, 0x0300, 1, &word), 1)
        << unit << ": " << modbus_strerror(errno);
    EXPECT_EQ(word, model) << unit;
  }

  fprintf(child.in, "fault 1 exception 4 1\n");
  fflush(child.in);
  ASSERT_EQ(ReadUntil(child.out, "ok"), "ok");
  uint16_t word = 0;
  modbus_set_slave(master, 1);
  EXPECT_EQ(modbus_read_registers(master, 0x0300, 1, &word), -1);
  EXPECT_EQ(errno, EMBXSFAIL);
  EXPECT_EQ(modbus_read_registers(master, 0x0300, 1, &word), 1);
  fprintf(child.in, "trip 1 2\n");
  fflush(child.in);
  EXPECT_EQ(ReadUntil(child.out, "ok").rfind("error", 0), 0u);  // a meter
  fprintf(child.in, "trip 2 2\n");
  fflush(child.in);
  EXPECT_EQ(ReadUntil(child.out, "ok"), "ok");
  modbus_set_slave(master, 2);
  ASSERT_EQ(modbus_read_registers(master, 0x1100, 1, &word), 1);
  EXPECT_EQ(word & 0x7, 4);

  fprintf(child.in, "quit\n");
  fflush(child.in);
  int status = 0;
  ASSERT_EQ(waitpid(child.pid, &status, 0), child.pid);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  modbus_close(master);
  modbus_free(master);
}

TEST(DeviceSimulatorTest, RejectsBadArguments) {
  Child child = Spawn({"lab/devices/device_simulator", "--port=/nonexistent",
                       "--device=5:no_such_profile"});
  int status = 0;
  ASSERT_EQ(waitpid(child.pid, &status, 0), child.pid);
  EXPECT_EQ(WEXITSTATUS(status), 2);
}

}  // namespace
}  // namespace ews::lab

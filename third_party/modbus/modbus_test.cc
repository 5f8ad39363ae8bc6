// Proves libmodbus links and frames RTU correctly: a libmodbus master reads
// holding registers from a libmodbus slave over two pty pairs joined by a relay
// thread (a two-drop "wire").
#include <fcntl.h>
#include <modbus/modbus.h>
#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace {

struct Pty {
  int master = -1;
  std::string slave_path;
};

Pty OpenPty() {
  Pty pty;
  int slave = -1;
  char name[128];
  if (openpty(&pty.master, &slave, name, nullptr, nullptr) != 0) return pty;
  pty.slave_path = name;
  // Keep the slave end open so the master never sees EIO between opens.
  (void)slave;
  return pty;
}

// Copies bytes both ways between the masters of two ptys until `stop`.
void Relay(int a, int b, const std::atomic<bool>& stop) {
  while (!stop) {
    pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    if (poll(fds, 2, 20) <= 0) continue;
    uint8_t buffer[256];
    if (fds[0].revents & POLLIN) {
      ssize_t n = read(a, buffer, sizeof buffer);
      if (n > 0) (void)!write(b, buffer, n);
    }
    if (fds[1].revents & POLLIN) {
      ssize_t n = read(b, buffer, sizeof buffer);
      if (n > 0) (void)!write(a, buffer, n);
    }
  }
}

TEST(ModbusTest, RtuReadHoldingRegistersOverPtys) {
  Pty master_line = OpenPty();
  Pty slave_line = OpenPty();
  ASSERT_FALSE(master_line.slave_path.empty());
  ASSERT_FALSE(slave_line.slave_path.empty());
  std::atomic<bool> stop{false};
  std::thread relay(Relay, master_line.master, slave_line.master,
                    std::cref(stop));

  modbus_t* slave =
      modbus_new_rtu(slave_line.slave_path.c_str(), 19200, 'N', 8, 1);
  ASSERT_NE(slave, nullptr);
  ASSERT_EQ(modbus_set_slave(slave, 17), 0);
  ASSERT_EQ(modbus_connect(slave), 0) << modbus_strerror(errno);
  modbus_mapping_t* map = modbus_mapping_new(0, 0, 16, 0);
  map->tab_registers[4] = 2314;  // 231.4 V at 0.1 V resolution
  map->tab_registers[5] = 0xBEEF;
  std::thread server([&] {
    uint8_t query[MODBUS_RTU_MAX_ADU_LENGTH];
    int length = modbus_receive(slave, query);
    if (length > 0) modbus_reply(slave, query, length, map);
  });

  modbus_t* master =
      modbus_new_rtu(master_line.slave_path.c_str(), 19200, 'N', 8, 1);
  ASSERT_NE(master, nullptr);
  ASSERT_EQ(modbus_set_slave(master, 17), 0);
  ASSERT_EQ(modbus_connect(master), 0) << modbus_strerror(errno);
  modbus_set_response_timeout(master, 1, 0);
  uint16_t registers[2] = {};
  EXPECT_EQ(modbus_read_registers(master, 4, 2, registers), 2)
      << modbus_strerror(errno);
  EXPECT_EQ(registers[0], 2314);
  EXPECT_EQ(registers[1], 0xBEEF);

  server.join();
  stop = true;
  relay.join();
  modbus_close(master);
  modbus_free(master);
  modbus_close(slave);
  modbus_free(slave);
  modbus_mapping_free(map);
}

}  // namespace

#include "tests/modbus/bus_fixture.h"

#include <utility>

#include "sdk/base/status_macros.h"

namespace ews::modbus::testing {

absl::StatusOr<std::unique_ptr<BusLine>> BusLine::Start(
    const BusLineOptions& options) {
  std::unique_ptr<BusLine> line(new BusLine());
  lab::BusOptions bus;
  bus.endpoints = 2;
  bus.line = options.settings;
  EWS_ASSIGN_OR_RETURN(line->bus_, lab::VirtualBus::Start(bus));
  EWS_ASSIGN_OR_RETURN(line->master_port_,
                       hal::TermiosSerialPort::Open(
                           line->bus_->endpoint_path(0), options.settings));
  EWS_ASSIGN_OR_RETURN(line->slave_port_,
                       hal::TermiosSerialPort::Open(
                           line->bus_->endpoint_path(1), options.settings));
  EWS_ASSIGN_OR_RETURN(std::unique_ptr<RtuTransport> transport,
                       RtuTransport::Create(line->master_port_.get()));
  line->line_ =
      std::make_unique<LineScheduler>(std::move(transport), options.line);
  RtuSlaveOptions slave;
  slave.reply_delay = options.reply_delay;
  EWS_ASSIGN_OR_RETURN(line->slave_,
                       RtuSlave::Start(line->slave_port_.get(), slave));
  return line;
}

BusLine::~BusLine() {
  if (line_ != nullptr) line_->Stop();
  slave_.reset();
}

RegisterBank& BusLine::AddDevice(uint8_t unit) {
  auto& bank = banks_[unit];
  if (bank == nullptr) bank = std::make_unique<RegisterBank>(/*open=*/true);
  slave_->AddUnit(unit, bank.get());
  return *bank;
}

}  // namespace ews::modbus::testing

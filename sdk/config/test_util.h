// Test helpers: a valid configuration built once per process (hashing is
// deliberately slow), with a few devices, counters, a tree and a tariff.
#pragma once

#include "sdk/config/config.pb.h"

namespace ews::config::testing {

// DefaultConfig(MODEL_32) with security::kMinIterations. Valid.
const v1::DeviceConfig& FactoryConfig();

// FactoryConfig() plus: an IP gateway "gw1"; Modbus devices "main" (RS485
// address 1), "hvac" (RS485 address 2), "pv" (via gw1, unit 1); pulse
// counters "water" (input 1, litres) and "gas" (input 2, m³); a board "main"
// with sub-board "annex", groups and members; an electricity tariff with
// peak/off-peak bands; e-mail reports enabled. Valid.
const v1::DeviceConfig& RichConfig();

}  // namespace ews::config::testing

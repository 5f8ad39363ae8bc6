// How the application writes one value into the history: the series is
// registered on first use (Store::RegisterSeries returns the existing one
// afterwards), and a register value keeps its exact integer. One place for
// every writer (Modbus polls, pulse counters).
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "sdk/storage/store.h"

namespace ews::server {

// Appends `raw` (the register's integer; value = raw × spec.scale) to the
// series of (spec.device_id, spec.quantity_id). If that series was registered
// with another scale — a meter whose CT ratio was changed reports its energy at
// a new resolution — the value raw × spec.scale is written at the series' own
// scale, so the history keeps its units. Errors: those of Store::RegisterSeries
// (InvalidArgument; AlreadyExists when the kind or counter width differs) and
// of Store::Append / AppendRaw.
absl::Status AppendRawToHistory(storage::Store& store,
                                const storage::SeriesSpec& spec,
                                absl::Time time, int64_t raw);

// The same for a value that has no exact integer form (a float32 register).
absl::Status AppendValueToHistory(storage::Store& store,
                                  const storage::SeriesSpec& spec,
                                  absl::Time time, double value);

}  // namespace ews::server

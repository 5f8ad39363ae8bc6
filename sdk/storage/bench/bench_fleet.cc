#include "sdk/storage/bench/bench_fleet.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace ews::storage::bench {
namespace {

constexpr double kPi = 3.14159265358979;
constexpr int kMeterSeries = 17;
constexpr int kPulseDevices = 4;

struct QuantityDef {
  const char* id;
  Kind kind;
  SeriesKind series_kind;
  const char* unit;
  double scale;
};

const QuantityDef kMeter[kMeterSeries] = {
    {"ea_import", Kind::kEnergy, SeriesKind::kCounter, "kWh", 0.001},
    {"ea_export", Kind::kEnergy, SeriesKind::kCounter, "kWh", 0.001},
    {"p_total", Kind::kPower, SeriesKind::kInstantaneous, "W", 0.1},
    {"p1", Kind::kPower, SeriesKind::kInstantaneous, "W", 0.1},
    {"p2", Kind::kPower, SeriesKind::kInstantaneous, "W", 0.1},
    {"p3", Kind::kPower, SeriesKind::kInstantaneous, "W", 0.1},
    {"q_total", Kind::kPower, SeriesKind::kInstantaneous, "var", 0.1},
    {"u1", Kind::kVoltage, SeriesKind::kInstantaneous, "V", 0.1},
    {"u2", Kind::kVoltage, SeriesKind::kInstantaneous, "V", 0.1},
    {"u3", Kind::kVoltage, SeriesKind::kInstantaneous, "V", 0.1},
    {"i1", Kind::kCurrent, SeriesKind::kInstantaneous, "A", 0.001},
    {"i2", Kind::kCurrent, SeriesKind::kInstantaneous, "A", 0.001},
    {"i3", Kind::kCurrent, SeriesKind::kInstantaneous, "A", 0.001},
    {"freq", Kind::kFrequency, SeriesKind::kInstantaneous, "Hz", 0.01},
    {"pf", Kind::kPowerFactor, SeriesKind::kInstantaneous, "", 0.001},
    {"thd_u1", Kind::kThd, SeriesKind::kInstantaneous, "%", 0.1},
    {"thd_i1", Kind::kThd, SeriesKind::kInstantaneous, "%", 0.1},
};

const QuantityDef kPulse[2] = {
    {"water", Kind::kPulse, SeriesKind::kCounter, "m3", 0.001},  // 1 L/pulse
    {"gas", Kind::kPulse, SeriesKind::kCounter, "m3", 0.01},
};

// A float32 register read as the double the server appends.
double Float32(double v) { return static_cast<double>(static_cast<float>(v)); }

// Rounds to the register's resolution, as the device does.
double AtResolution(double v, double scale) {
  return std::round(v / scale) * scale;
}

}  // namespace

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kEnergy:
      return "energy";
    case Kind::kPower:
      return "power (float32)";
    case Kind::kVoltage:
      return "voltage";
    case Kind::kCurrent:
      return "current";
    case Kind::kFrequency:
      return "frequency";
    case Kind::kPowerFactor:
      return "power factor";
    case Kind::kThd:
      return "THD";
    case Kind::kPulse:
      return "water/gas pulses";
  }
  return "?";
}

struct Fleet::Device {
  Device(int index, bool pulse, uint32_t seed)
      : rng(seed * 7919 + index), pulse(pulse), index(index) {
    energy_wh = 1e6 * (1 + index % 13) + 12345 * index;
    export_wh = index % 3 == 0 ? 2e5 * (1 + index % 5) : 0;
    pv_kw = index % 3 == 0 ? 3 + index % 4 : 0;
    water_l = 2e5 * (1 + index % 3) + 17 * index;
    gas_cm3 = 1e6 * (1 + index % 4) + 31 * index;  // in 0.01 m3 units * 1e4
    for (int k = 0; k < 3; ++k) base_w[k] = 80 + 40 * ((index + k) % 5);
    // A few communication outages of 5 min .. 4 h over the month.
    std::uniform_int_distribution<int64_t> when(0, 30 * 1440 - 1);
    std::uniform_int_distribution<int64_t> length(5, 240);
    const int outages = 1 + index % 4;
    for (int k = 0; k < outages; ++k) {
      const int64_t from = when(rng);
      outages_.push_back({from, from + length(rng)});
    }
  }

  bool Silent(int64_t minute) const {
    for (const auto& [from, to] : outages_) {
      if (minute >= from && minute < to) return true;
    }
    return false;
  }

  double Normal(double sigma) { return normal(rng) * sigma; }
  double Uniform() { return uniform(rng); }

  // Appliances on each phase switching on and off; the load of the minute.
  void StepLoad(double day_fraction, bool power_cut) {
    const double occupancy =
        0.3 + 0.7 * std::max(0.0, std::sin(2 * kPi * (day_fraction - 0.25))) +
        0.5 * std::max(0.0, std::sin(4 * kPi * day_fraction));
    for (int k = 0; k < 3; ++k) {
      // Fridge-like cycles, heaters, kettles.
      if (Uniform() < 0.05) cycle_on[k] = !cycle_on[k];
      if (appliance_left[k] > 0) {
        --appliance_left[k];
      } else if (Uniform() < 0.02 * occupancy) {
        appliance_w[k] = 300 + 2200 * Uniform();
        appliance_left[k] = 1 + static_cast<int>(40 * Uniform());
      } else {
        appliance_w[k] = 0;
      }
      walk_w[k] = std::clamp(walk_w[k] + Normal(4), -60.0, 60.0);
      double p = base_w[k] + 150 * occupancy + (cycle_on[k] ? 120 : 0) +
                 appliance_w[k] + walk_w[k] + Normal(3);
      if (pv_kw > 0) {
        const double sun =
            std::max(0.0, std::sin(2 * kPi * (day_fraction - 0.3)));
        cloud = std::clamp(cloud + Normal(0.02), 0.3, 1.0);
        p -= pv_kw * 1000 / 3 * sun * sun * cloud;
      }
      phase_w[k] = power_cut ? 0 : p;
    }
  }

  // A pulse device's minute: water draws of 5..60 L at 2 L/min and a gas
  // boiler's cycles; `water_m3` and `gas_m3` are its counters as read.
  void StepPulses(double day_fraction, double* water_m3, double* gas_m3) {
    if (Uniform() < 0.01) appliance_left[0] = 3 + rng() % 30;
    if (appliance_left[0] > 0) {
      --appliance_left[0];
      water_l += 1 + rng() % 3;
    }
    const bool heating = std::cos(2 * kPi * day_fraction) > -0.2;
    if (heating && Uniform() < 0.15) cycle_on[0] = !cycle_on[0];
    if (cycle_on[0] && heating) gas_cm3 += 150 + rng() % 60;
    *water_m3 = std::floor(water_l) / 1000;
    *gas_m3 = std::floor(gas_cm3 / 1e4) / 100;
  }

  // A meter's readings of the minute (after StepLoad()), at the resolution
  // of their registers, in the order of kMeter.
  void MeterReadings(double day_fraction, double v[kMeterSeries]) {
    v[0] = std::floor(energy_wh) / 1000;
    v[1] = std::floor(export_wh) / 1000;
    const double p_total = phase_w[0] + phase_w[1] + phase_w[2];
    const double q_total = 0.25 * std::fabs(p_total) + 60 + Normal(8);
    v[2] = Float32(p_total + Normal(2));
    for (int k = 0; k < 3; ++k) v[3 + k] = Float32(phase_w[k]);
    v[6] = Float32(q_total);
    double u[3];
    for (int k = 0; k < 3; ++k) {
      volt_walk[k] = std::clamp(volt_walk[k] + Normal(0.15), -3.0, 3.0);
      u[k] = 231 + 2.5 * std::sin(2 * kPi * day_fraction + k) -
             std::fabs(phase_w[k]) / 1500 + volt_walk[k] + Normal(0.15);
      v[7 + k] = AtResolution(u[k], 0.1);
    }
    for (int k = 0; k < 3; ++k) {
      v[10 + k] = AtResolution(
          std::fabs(phase_w[k]) / u[k] + std::fabs(Normal(0.004)), 0.001);
    }
    freq_walk = std::clamp(freq_walk + Normal(0.006), -0.06, 0.06);
    v[13] = AtResolution(50 + freq_walk, 0.01);
    const double s = std::hypot(p_total, q_total);
    v[14] = AtResolution(s > 0 ? std::fabs(p_total) / s : 1, 0.001);
    thd_walk = std::clamp(thd_walk + Normal(0.03), -0.8, 0.8);
    v[15] = AtResolution(
        2.2 + 0.6 * std::sin(2 * kPi * day_fraction) + thd_walk, 0.1);
    v[16] = AtResolution(
        std::clamp(8 + 2000 / (std::fabs(p_total) + 200) + Normal(0.4), 0.0,
                   100.0),
        0.1);
  }

  std::mt19937 rng;
  std::normal_distribution<double> normal{0, 1};
  std::uniform_real_distribution<double> uniform{0, 1};
  bool pulse;
  int index;
  double energy_wh, export_wh, pv_kw, water_l, gas_cm3;
  double base_w[3];
  double walk_w[3] = {0, 0, 0};
  double phase_w[3] = {0, 0, 0};
  double appliance_w[3] = {0, 0, 0};
  int appliance_left[3] = {0, 0, 0};
  bool cycle_on[3] = {false, false, false};
  double cloud = 1;
  double volt_walk[3] = {0, 0, 0};
  double freq_walk = 0;
  double thd_walk = 0;
  std::vector<std::pair<int64_t, int64_t>> outages_;
};

Fleet::Fleet(int devices, absl::Time start, uint32_t seed)
    : start_(start), site_rng_(seed) {
  for (int d = 0; d < devices; ++d) {
    const bool pulse = d >= devices - kPulseDevices;
    devices_.push_back(new Device(d, pulse, seed));
    const std::string device_id =
        pulse ? absl::StrCat("pulse-", d) : absl::StrCat("meter-", d);
    const QuantityDef* defs = pulse ? kPulse : kMeter;
    const int n = pulse ? 2 : kMeterSeries;
    for (int q = 0; q < n; ++q) {
      FleetSeries s;
      s.spec.device_id = device_id;
      s.spec.quantity_id = defs[q].id;
      s.spec.kind = defs[q].series_kind;
      s.spec.unit = defs[q].unit;
      s.spec.scale = defs[q].scale;
      if (defs[q].series_kind == SeriesKind::kCounter) s.spec.counter_bits = 32;
      s.kind = defs[q].kind;
      series_.push_back(s);
      device_of_.push_back(static_cast<size_t>(d));
    }
  }
}

Fleet::~Fleet() {
  for (Device* d : devices_) delete d;
}

absl::Time Fleet::PollTime(int64_t minute, size_t series_index) const {
  // Each device answers at its own place in the poll round (40 ms apart),
  // plus the bus's jitter.
  const size_t d = device_of_[series_index];
  const int64_t ms = 40 * static_cast<int64_t>(d) + (minute * 37 + d * 11) % 23;
  return start_ + absl::Minutes(minute) + absl::Milliseconds(ms);
}

void Fleet::Poll(int64_t minute, std::vector<double>* values,
                 std::vector<bool>* present) {
  values->assign(series_.size(), 0);
  present->assign(series_.size(), false);
  const absl::Duration since = absl::Minutes(minute);
  const double day_fraction =
      std::fmod(absl::ToDoubleSeconds(start_ + since - absl::UnixEpoch()),
                86400) /
      86400;
  // Site-wide power cut: day 12, 09:30 .. 11:00 UTC.
  const bool power_cut = minute >= 12 * 1440 + 570 && minute < 12 * 1440 + 660;
  size_t i = 0;
  for (Device* dev : devices_) {
    // Missed polls: 0.3 % of the rounds, and the device's outages.
    const bool silent =
        power_cut || dev->Silent(minute) || dev->Uniform() < 0.003;
    if (dev->pulse) {
      double water_m3, gas_m3;
      dev->StepPulses(day_fraction, &water_m3, &gas_m3);
      if (!silent) {
        (*values)[i] = water_m3;
        (*values)[i + 1] = gas_m3;
        (*present)[i] = (*present)[i + 1] = true;
      }
      i += 2;
      continue;
    }
    dev->StepLoad(day_fraction, power_cut);
    double import_w = 0, export_w = 0;
    for (double p : dev->phase_w) (p >= 0 ? import_w : export_w) += p;
    dev->energy_wh += import_w / 60;
    dev->export_wh -= export_w / 60;
    // Meter 5 is replaced on day 9 at 14:00: the new one starts at 0.
    if (dev->index == 5 && minute == 9 * 1440 + 840) dev->energy_wh = 0;
    if (silent) {
      i += kMeterSeries;
      continue;
    }
    double v[kMeterSeries];
    dev->MeterReadings(day_fraction, v);
    for (int q = 0; q < kMeterSeries; ++q) {
      (*values)[i + q] = v[q];
      (*present)[i + q] = true;
    }
    i += kMeterSeries;
  }
}

}  // namespace ews::storage::bench

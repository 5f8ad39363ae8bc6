// Shared by the Store tests: time helpers, two series specs, and a fixture
// that opens a store on a temporary file with a simulated clock.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/storage/store.h"

namespace ews::storage {

inline absl::TimeZone Paris() {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Paris", &tz));
  return tz;
}

inline std::string TempPath(absl::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
  for (const char* suffix : {"", "-wal", "-shm", "-log"}) {
    std::remove((path + suffix).c_str());
  }
  return path;
}

inline absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s),
                         absl::UTCTimeZone());
}

inline SeriesSpec Energy(std::string device = "meter-1") {
  SeriesSpec spec;
  spec.device_id = std::move(device);
  spec.quantity_id = "ea_import";
  spec.kind = SeriesKind::kCounter;
  spec.unit = "kWh";
  spec.scale = 0.001;
  spec.counter_bits = 32;
  return spec;
}

inline SeriesSpec Voltage(std::string device = "meter-1") {
  SeriesSpec spec;
  spec.device_id = std::move(device);
  spec.quantity_id = "u1";
  spec.kind = SeriesKind::kInstantaneous;
  spec.unit = "V";
  spec.scale = 0.1;
  return spec;
}

class StoreTest : public ::testing::Test {
 protected:
  StoreTest()
      : path_(TempPath(absl::StrCat(
            ::testing::UnitTest::GetInstance()->current_test_info()->name(),
            ".db"))),
        tz_(Paris()) {}

  std::unique_ptr<Store> OpenStore() {
    StoreOptions options = options_;
    options.path = path_;
    auto store = Store::Open(options, &clock_, tz_);
    EXPECT_THAT(store, ::ews::testing::IsOk());
    return store.ok() ? *std::move(store) : nullptr;
  }

  // Opens the store with a voltage series (*volts) and an energy counter
  // (*energy), registered in that order.
  void OpenWithVoltsAndEnergy(std::unique_ptr<Store>* store, SeriesId* volts,
                              SeriesId* energy) {
    *store = OpenStore();
    ASSERT_NE(*store, nullptr);
    auto v = (*store)->RegisterSeries(Voltage());
    auto e = (*store)->RegisterSeries(Energy());
    ASSERT_THAT(v, ::ews::testing::IsOk());
    ASSERT_THAT(e, ::ews::testing::IsOk());
    *volts = *v;
    *energy = *e;
  }

  // Creates the store at path_ with one acknowledged energy sample.
  void OneAcknowledgedSample() {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    auto id = store->RegisterSeries(Energy());
    ASSERT_THAT(id, ::ews::testing::IsOk());
    ASSERT_THAT(store->Append(*id, clock_.WallNow(), 1),
                ::ews::testing::IsOk());
    ASSERT_THAT(store->Flush(), ::ews::testing::IsOk());
  }

  // Appends a sample at the clock's time, advances the clock by `step`,
  // and flushes + consolidates at each full hour.
  void Feed(Store& store, SeriesId id, double value, absl::Duration step) {
    ASSERT_THAT(store.Append(id, clock_.WallNow(), value),
                ::ews::testing::IsOk());
    const absl::Time before = clock_.WallNow();
    clock_.Advance(step);
    if (absl::ToUnixSeconds(clock_.WallNow()) / 3600 !=
        absl::ToUnixSeconds(before) / 3600) {
      ASSERT_THAT(store.Consolidate(), ::ews::testing::IsOk());
    }
  }

  std::string path_;
  absl::TimeZone tz_;
  SimulatedClock clock_{Utc(2026, 1, 15)};
  StoreOptions options_;
};

}  // namespace ews::storage

// The CSV export, checked byte for byte as Excel in a European locale opens it
// without the import wizard.
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/storage/store.h"

namespace ews::storage {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;

class CsvExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(absl::LoadTimeZone("Europe/Paris", &tz_));
    StoreOptions options;
    options.path = absl::StrCat(
        std::getenv("TEST_TMPDIR"), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".db");
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::remove((options.path + suffix).c_str());
    }
    auto store = Store::Open(options, &clock_, tz_);
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
    SeriesSpec energy{"meter-1", "ea_import", SeriesKind::kCounter, "kWh",
                      0.001};
    SeriesSpec volts{"meter-1", "u1", SeriesKind::kInstantaneous, "V", 0.1};
    auto e = store_->RegisterSeries(energy);
    auto v = store_->RegisterSeries(volts);
    ASSERT_THAT(e, IsOk());
    ASSERT_THAT(v, IsOk());
    energy_ = *e;
    volts_ = *v;
  }

  std::string Export(CsvRequest request) {
    std::string out;
    EXPECT_THAT(store_->ExportCsv(request,
                                  [&](absl::string_view bytes) {
                                    out.append(bytes.data(), bytes.size());
                                    return absl::OkStatus();
                                  }),
                IsOk());
    return out;
  }

  CsvRequest MinutesOf(absl::Time from, absl::Time to) {
    CsvRequest request;
    request.device_id = "meter-1";
    request.from = from;
    request.to = to;
    request.tier = Tier::kMinute;
    return request;
  }

  absl::TimeZone tz_;
  // 2026-01-15T00:00Z = 01:00 in Paris.
  SimulatedClock clock_{absl::FromUnixSeconds(1768435200)};
  std::unique_ptr<Store> store_;
  SeriesId energy_ = 0;
  SeriesId volts_ = 0;
};

TEST_F(CsvExportTest, ExactBytesForExcelInAEuropeanLocale) {
  const absl::Time t0 = clock_.WallNow();
  const double energy[] = {1234.5, 1235.0, 1235.75};
  const double volts[] = {230.1, 230.2, 229.9};
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(store_->Append(energy_, t0 + absl::Minutes(i), energy[i]),
                IsOk());
    ASSERT_THAT(store_->Append(volts_, t0 + absl::Minutes(i), volts[i]),
                IsOk());
  }
  ASSERT_THAT(store_->Flush(), IsOk());
  const std::string expected =
      "\xEF\xBB\xBF"
      "Time (Europe/Paris);UTC offset (min);ea_import counter [kWh];ea_import "
      "consumption "
      "[kWh];u1 avg [V];u1 min [V];u1 max [V];Note\r\n"
      "2026-01-15 01:00;60;1234,500;0,000;230,10;230,1;230,1;\r\n"
      "2026-01-15 01:01;60;1235,000;0,500;230,20;230,2;230,2;\r\n"
      "2026-01-15 01:02;60;1235,750;0,750;229,90;229,9;229,9;\r\n";
  CsvRequest request = MinutesOf(t0, t0 + absl::Hours(1));
  EXPECT_EQ(Export(request), expected);  // from staged samples
  clock_.Advance(absl::Hours(2));
  ASSERT_THAT(store_->Consolidate(), IsOk());
  EXPECT_EQ(Export(request), expected);  // from the packed minute block

  request.style = CsvStyle::kCommaDecimalPoint;
  EXPECT_EQ(Export(request),
            "\xEF\xBB\xBF"
            "Time (Europe/Paris),UTC offset (min),ea_import counter "
            "[kWh],ea_import consumption "
            "[kWh],u1 avg [V],u1 min [V],u1 max [V],Note\r\n"
            "2026-01-15 01:00,60,1234.500,0.000,230.10,230.1,230.1,\r\n"
            "2026-01-15 01:01,60,1235.000,0.500,230.20,230.2,230.2,\r\n"
            "2026-01-15 01:02,60,1235.750,0.750,229.90,229.9,229.9,\r\n");

  request.style = CsvStyle::kSemicolonDecimalComma;
  request.tier = Tier::kHour;
  request.quantity_ids = {"u1"};
  EXPECT_EQ(Export(request),
            "\xEF\xBB\xBF"
            "Time (Europe/Paris);UTC offset (min);u1 avg [V];u1 min [V];u1 max "
            "[V]\r\n"
            "2026-01-15 01:00;60;230,07;229,9;230,2\r\n");
}

TEST_F(CsvExportTest, GapsResetsMissingCellsAndQuotingAreExplicit) {
  SeriesSpec odd{"meter-1", "thd;\"u\"", SeriesKind::kInstantaneous, "%", 0.1};
  auto thd = store_->RegisterSeries(odd);
  ASSERT_THAT(thd, IsOk());
  const absl::Time t0 = clock_.WallNow();
  ASSERT_THAT(store_->Append(energy_, t0, 10), IsOk());
  ASSERT_THAT(store_->Append(energy_, t0 + absl::Minutes(1), 11), IsOk());
  ASSERT_THAT(store_->Append(*thd, t0 + absl::Minutes(1), 3.5), IsOk());
  // Offline for 20 minutes, then back with 2 kWh more, then a meter reset.
  ASSERT_THAT(store_->Append(energy_, t0 + absl::Minutes(21), 13), IsOk());
  ASSERT_THAT(store_->Append(energy_, t0 + absl::Minutes(22), 0.5), IsOk());
  ASSERT_THAT(store_->Flush(), IsOk());
  CsvRequest request = MinutesOf(t0, t0 + absl::Hours(1));
  request.quantity_ids = {"ea_import", "thd;\"u\""};
  EXPECT_EQ(Export(request),
            "\xEF\xBB\xBF"
            "Time (Europe/Paris);UTC offset (min);ea_import counter "
            "[kWh];ea_import consumption "
            "[kWh];\"thd;\"\"u\"\" avg [%]\";\"thd;\"\"u\"\" min [%]\";"
            "\"thd;\"\"u\"\" max [%]\";Note\r\n"
            "2026-01-15 01:00;60;10,000;0,000;;;;\r\n"
            "2026-01-15 01:01;60;11,000;1,000;3,50;3,5;3,5;\r\n"
            "2026-01-15 01:21;60;13,000;2,000;;;;ea_import: no data since "
            "2026-01-15 01:01\r\n"
            "2026-01-15 01:22;60;0,500;0,000;;;;ea_import: counter reset\r\n");
}

TEST_F(CsvExportTest, UtcOffsetDisambiguatesTheRepeatedHourOfDstFallBack) {
  // 2026-10-25: Paris goes from 03:00 CEST back to 02:00 CET at 01:00 UTC.
  const absl::Time before = absl::FromUnixSeconds(1792889940);  // 00:59 UTC
  clock_.SetWallTime(before);
  ASSERT_THAT(store_->Append(volts_, before, 230), IsOk());
  ASSERT_THAT(store_->Append(volts_, before + absl::Minutes(1), 231), IsOk());
  ASSERT_THAT(store_->Flush(), IsOk());
  CsvRequest request = MinutesOf(before, before + absl::Minutes(2));
  request.quantity_ids = {"u1"};
  EXPECT_EQ(Export(request),
            "\xEF\xBB\xBF"
            "Time (Europe/Paris);UTC offset (min);u1 avg [V];u1 min [V];u1 max "
            "[V]\r\n"
            "2026-10-25 02:59;120;230,00;230,0;230,0\r\n"
            "2026-10-25 02:00;60;231,00;231,0;231,0\r\n");
}

TEST_F(CsvExportTest, StreamsInBoundedChunks) {
  const absl::Time t0 = clock_.WallNow();
  for (int i = 0; i < 7 * 24 * 60; ++i) {
    clock_.SetWallTime(t0 + absl::Minutes(i));
    ASSERT_THAT(store_->Append(energy_, t0 + absl::Minutes(i), 0.01 * i),
                IsOk());
    ASSERT_THAT(store_->Append(volts_, t0 + absl::Minutes(i), 230 + i % 10),
                IsOk());
  }
  clock_.Advance(absl::Hours(1));
  ASSERT_THAT(store_->Consolidate(), IsOk());
  size_t calls = 0, largest = 0, total = 0, rows = 0;
  ASSERT_THAT(store_->ExportCsv(MinutesOf(t0, t0 + absl::Hours(7 * 24)),
                                [&](absl::string_view bytes) {
                                  ++calls;
                                  largest = std::max(largest, bytes.size());
                                  total += bytes.size();
                                  for (char c : bytes) rows += c == '\n';
                                  return absl::OkStatus();
                                }),
              IsOk());
  EXPECT_EQ(rows, 1u + 7 * 24 * 60);
  EXPECT_GT(calls, 5u);
  EXPECT_LT(largest, 70u << 10);
  // The sink can stop the export.
  EXPECT_THAT(store_->ExportCsv(MinutesOf(t0, t0 + absl::Hours(7 * 24)),
                                [](absl::string_view) {
                                  return absl::CancelledError("client left");
                                }),
              StatusIs(absl::StatusCode::kCancelled));
}

TEST_F(CsvExportTest, BadRequestsGetAClearStatus) {
  const absl::Time t0 = clock_.WallNow();
  auto sink = [](absl::string_view) { return absl::OkStatus(); };
  CsvRequest request = MinutesOf(t0, t0);
  EXPECT_THAT(store_->ExportCsv(request, sink),
              StatusIs(absl::StatusCode::kInvalidArgument));
  request = MinutesOf(t0, t0 + absl::Hours(1));
  request.device_id = "meter-9";
  EXPECT_THAT(store_->ExportCsv(request, sink),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("meter-9")));
  request.device_id = "meter-1";
  request.quantity_ids = {"nope"};
  EXPECT_THAT(store_->ExportCsv(request, sink),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
}

}  // namespace
}  // namespace ews::storage

#include "apps/server/api_history.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"

namespace ews::server {
namespace {

using ::ews::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0),
                         absl::UTCTimeZone());
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + 1)) {
    ++n;
  }
  return n;
}

// Four days of one meter in Paris around the spring DST change (Sunday
// 2026-03-29: 23 hours): an energy counter rising 10 Wh a minute and a power
// value, both silent from 10:00 to 12:00 UTC on the 28th.
class HistoryApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = absl::StrCat(
        std::getenv("TEST_TMPDIR"), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name(), ".db");
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::remove((path + suffix).c_str());
    }
    absl::TimeZone paris;
    ASSERT_TRUE(absl::LoadTimeZone("Europe/Paris", &paris));
    storage::StoreOptions options;
    options.path = path;
    auto store = storage::Store::Open(options, &clock_, paris);
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
    storage::SeriesSpec energy{"meter-1", "Ea+", storage::SeriesKind::kCounter,
                               "Wh", 1.0};
    storage::SeriesSpec power{"meter-1", "P",
                              storage::SeriesKind::kInstantaneous, "W", 1.0};
    auto ea = store_->RegisterSeries(energy);
    auto p = store_->RegisterSeries(power);
    ASSERT_THAT(ea, IsOk());
    ASSERT_THAT(p, IsOk());
    const absl::Time gap_from = Utc(2026, 3, 28, 10);
    const absl::Time gap_to = Utc(2026, 3, 28, 12);
    for (absl::Time t = Utc(2026, 3, 27); t < Utc(2026, 3, 31);
         t += absl::Minutes(1)) {
      if (t >= gap_from && t < gap_to) continue;
      const double minutes = absl::ToDoubleMinutes(t - Utc(2026, 3, 27));
      ASSERT_THAT(store_->Append(*ea, t, 1000 + 10 * minutes), IsOk());
      ASSERT_THAT(store_->Append(*p, t, 600), IsOk());
    }
    ASSERT_THAT(store_->Flush(), IsOk());
    ASSERT_THAT(store_->Consolidate(), IsOk());

    config_.mutable_network()->set_time_zone("Europe/Paris");
    config::v1::Board* board = config_.mutable_consumption_tree()->add_boards();
    board->set_id("main");
    board->set_name("Main board");
    config::v1::Group* group = board->add_groups();
    group->set_id("offices");
    group->set_name("Offices");
    auto* member = group->add_members()->mutable_modbus();
    member->set_device_id("meter-1");
    member->set_quantity_id("Ea+");
    group->add_members()->set_pulse_counter_id("water-main");  // no history
    config::v1::Tariff* tariff = config_.add_tariffs();
    tariff->set_id("edf");
    tariff->set_name("Peak / off-peak");
    tariff->set_quantity(config::v1::TARIFF_QUANTITY_ELECTRICITY);
    tariff->set_currency("EUR");
    config::v1::TimeBand* peak = tariff->add_bands();
    peak->set_name("peak");
    peak->set_weekday_mask(127);
    peak->set_start_minute(8 * 60);
    peak->set_end_minute(20 * 60);
    peak->set_price_per_unit(0.30);
    config::v1::TimeBand* night = tariff->add_bands();
    night->set_name("off-peak");
    night->set_weekday_mask(127);
    night->set_start_minute(20 * 60);
    night->set_end_minute(8 * 60);
    night->set_price_per_unit(0.15);
    api_ = std::make_unique<HistoryApi>(store_.get(), config_, paris, clock_);
  }

  static http::Request Get(const std::string& query) {
    http::Request request;
    request.method = "GET";
    request.query = query;
    return request;
  }

  SimulatedClock clock_{Utc(2026, 3, 31, 0, 30)};
  std::unique_ptr<storage::Store> store_;
  config::v1::DeviceConfig config_;
  std::unique_ptr<HistoryApi> api_;
};

TEST_F(HistoryApiTest, SeriesListsEachSeriesWithItsHorizons) {
  http::Response response = api_->Series(Get(""));
  EXPECT_EQ(response.status, 200);
  // Each series is an object of the array.
  EXPECT_THAT(response.body, StartsWith(R"({"series":[{"device":)"));
  EXPECT_THAT(response.body, HasSubstr(R"(},{"device":)"));
  EXPECT_THAT(
      response.body,
      HasSubstr(R"("device":"meter-1","quantity":"Ea+","kind":)"
                R"("counter","unit":"Wh","horizons":{"minute":)"
                R"({"kept_s":5184000,"oldest":"2026-03-27T00:00:00Z"})"));
  EXPECT_THAT(response.body,
              HasSubstr(R"("quantity":"P","kind":"instantaneous")"));
  // Counters keep days, months and years forever.
  EXPECT_THAT(response.body, HasSubstr(R"("day":{"kept_s":null,)"));
  EXPECT_EQ(Count(response.body, R"("longest_s":)"), 2);

  EXPECT_THAT(api_->Series(Get("device=other")).body,
              HasSubstr(R"({"series":[]})"));
}

TEST_F(HistoryApiTest, ChartAtAnAskedResolutionShowsGapsAsNulls) {
  http::Response response =
      api_->Chart(Get("device=meter-1&quantity=P&from=2026-03-28T00:00:00Z"
                      "&to=2026-03-29T00:00:00Z&resolution=hour"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_THAT(response.body, HasSubstr(R"("resolution":"hour")"));
  EXPECT_EQ(Count(response.body, R"("avg":600)"), 22);
  // One null point from 10:00 to 12:00, never a line across the silence.
  EXPECT_EQ(Count(response.body, R"("gap":true)"), 1);
  EXPECT_THAT(
      response.body,
      HasSubstr(absl::StrCat(
          R"({"t":)", absl::ToUnixSeconds(Utc(2026, 3, 28, 10)), R"(,"end":)",
          absl::ToUnixSeconds(Utc(2026, 3, 28, 12)),
          R"(,"avg":null,"min":null,"max":null,"last":null,"gap":true})")));
}

TEST_F(HistoryApiTest, ChartChoosesTheResolutionToFitThePeriod) {
  http::Response day =
      api_->Chart(Get("device=meter-1&quantity=Ea%2B&from=2026-03-29T00:00:00Z"
                      "&to=2026-03-30T00:00:00Z"));
  ASSERT_EQ(day.status, 200) << day.body;
  EXPECT_THAT(day.body,
              HasSubstr(R"("resolution":"minute","intervals_per_point":2)"));
  EXPECT_EQ(Count(day.body, R"("delta":20)"), 720);

  http::Response month = api_->Chart(
      Get("device=meter-1&quantity=Ea%2B&from=2026-03-01&to=2026-04-01"));
  ASSERT_EQ(month.status, 200) << month.body;
  EXPECT_THAT(month.body, HasSubstr(R"("resolution":"hour")"));
  // The default period: the last 24 hours.
  http::Response recent = api_->Chart(Get("device=meter-1&quantity=P"));
  EXPECT_THAT(recent.body, HasSubstr(R"("from":"2026-03-30T00:30:00Z")"));
}

TEST_F(HistoryApiTest, ChartRefusesBadRequestsWithStableCodes) {
  auto code = [this](const std::string& query) {
    http::Response response = api_->Chart(Get(query));
    return absl::StrCat(response.status, " ", response.body);
  };
  EXPECT_THAT(
      code("device=meter-1&quantity=P&from=2025-01-01&to=2026-01-01"
           "&resolution=minute"),
      HasSubstr(R"(400 {"error":{"status":400,"code":"too_many_points")"));
  EXPECT_THAT(code("device=meter-1&quantity=nope"),
              HasSubstr(R"("code":"not_found")"));
  EXPECT_THAT(code("device=meter-1"), HasSubstr("quantity is required"));
  EXPECT_THAT(
      code("device=meter-1&quantity=P&from=yesterday&to=2026-01-01"),
      HasSubstr(R"(400 {"error":{"status":400,"code":"invalid_argument")"));
  EXPECT_THAT(code("device=meter-1&quantity=P&from=2026-03-02&to=2026-03-01"),
              HasSubstr("from must be before to"));
  EXPECT_THAT(code("device=meter-1&quantity=P&from=2026-03-01"),
              HasSubstr("give both from and to"));
  EXPECT_THAT(code("device=meter-1&quantity=P&resolution=week"),
              HasSubstr("resolution must be"));
  EXPECT_THAT(code("device=meter-1&quantity=P&max_points=5"),
              HasSubstr("max_points must be"));
  EXPECT_THAT(code("device=meter-1&quantity=P&colour=red"),
              HasSubstr(R"(unknown parameter \"colour\")"));
  EXPECT_THAT(code("device=meter-1&device=meter-2&quantity=P"),
              HasSubstr("given twice"));
  EXPECT_THAT(code("device=meter-1%zz&quantity=P"), HasSubstr("%-escape"));
}

TEST_F(HistoryApiTest, HourlyTotalsFollowTheLocalDayAcrossDst) {
  http::Response response = api_->Totals(
      Get("device=meter-1&quantity=Ea%2B&resolution=hour&date=2026-03-29"));
  ASSERT_EQ(response.status, 200) << response.body;
  const std::string& body = response.body;
  EXPECT_THAT(body,
              HasSubstr(R"("time_zone":"Europe/Paris","resolution":"hour")"));
  // Sunday 29 March has 23 hours in Paris; 600 Wh each.
  EXPECT_THAT(body,
              HasSubstr(R"("current":{"from":"2026-03-29T00:00:00+01:00",)"
                        R"("to":"2026-03-30T00:00:00+02:00","total":13800,)"
                        R"("bars_with_data":23,)"));
  EXPECT_THAT(body, HasSubstr(R"({"start":"2026-03-29T01:00:00+01:00",)"
                              R"("end":"2026-03-29T03:00:00+02:00",)"
                              R"("consumption":600})"));
  // The day before for comparison: 24 hours, two of them silent; the hour
  // after the silence carries what was used during it.
  const std::string previous = body.substr(body.find(R"("previous":)"));
  EXPECT_THAT(previous, HasSubstr(R"("from":"2026-03-28T00:00:00+01:00",)"
                                  R"("to":"2026-03-29T00:00:00+01:00",)"
                                  R"("total":14400,"bars_with_data":22,)"));
  EXPECT_EQ(Count(previous, R"("consumption":null)"), 2);
}

TEST_F(HistoryApiTest, DailyMonthlyAndYearlyTotals) {
  http::Response days = api_->Totals(
      Get("device=meter-1&quantity=Ea%2B&resolution=day&date=2026-03-15"));
  ASSERT_EQ(days.status, 200) << days.body;
  EXPECT_EQ(Count(days.body, R"({"start":)"), 31 + 28);  // March + February
  EXPECT_THAT(days.body, HasSubstr(R"("start":"2026-03-29T00:00:00+01:00",)"
                                   R"("end":"2026-03-30T00:00:00+02:00",)"
                                   R"("consumption":13800})"));
  http::Response months =
      api_->Totals(Get("device=meter-1&quantity=Ea%2B&resolution=month"));
  ASSERT_EQ(months.status, 200) << months.body;
  EXPECT_EQ(Count(months.body, R"({"start":)"), 24);
  http::Response years =
      api_->Totals(Get("device=meter-1&quantity=Ea%2B&resolution=year"));
  EXPECT_THAT(years.body,
              HasSubstr(R"("current":{"from":"2017-01-01T00:00:00+01:00")"));
  EXPECT_THAT(years.body,
              HasSubstr(R"("previous":{"from":"2007-01-01T00:00:00+01:00")"));
}

TEST_F(HistoryApiTest, TotalsRefuseNonCountersAndMinutes) {
  http::Response power = api_->Totals(Get("device=meter-1&quantity=P"));
  EXPECT_EQ(power.status, 400);
  EXPECT_THAT(power.body, HasSubstr(R"("code":"not_a_counter")"));
  EXPECT_EQ(api_->Totals(Get("device=meter-1&quantity=Ea%2B&resolution=minute"))
                .status,
            400);
}

TEST_F(HistoryApiTest, TreeSumsGroupsAndPricesEachHourByItsBand) {
  // Monday 30 March, local: 24 hours of 0.6 kWh, 12 at 0.30 and 12 at 0.15.
  http::Response response = api_->Tree(Get("from=2026-03-30&to=2026-03-31"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_THAT(response.body,
              HasSubstr(R"({"id":"main","name":"Main board","parent_board_id":)"
                        R"(null,"consumption":{"electricity":{"value":14.4,)"
                        R"("unit":"kWh"}},"costs":[{"tariff":"edf","name":)"
                        R"("Peak / off-peak","currency":"EUR","amount":3.24,)"
                        R"("unpriced":0}])"));
  EXPECT_THAT(response.body,
              HasSubstr(R"({"device":"meter-1","quantity":"Ea+","utility":)"
                        R"("electricity","consumption":14.4,"unit":"kWh"})"));
  EXPECT_THAT(
      response.body,
      HasSubstr(R"({"device":"water-main","quantity":"index",)"
                R"("consumption":null,"problem":"no history recorded"})"));
  EXPECT_EQ(api_->Tree(Get("")).status, 400);  // the period is required
}

TEST_F(HistoryApiTest, ReconfigureChangesTheTreeAndItsPricesAtOnce) {
  config::v1::DeviceConfig changed = config_;
  changed.mutable_consumption_tree()->mutable_boards(0)->set_name("Board A");
  changed.mutable_tariffs(0)->mutable_bands(0)->set_price_per_unit(0.45);
  changed.mutable_tariffs(0)->mutable_bands(1)->set_price_per_unit(0.45);
  api_->Reconfigure(changed);
  http::Response response = api_->Tree(Get("from=2026-03-30&to=2026-03-31"));
  ASSERT_EQ(response.status, 200) << response.body;
  // 14.4 kWh at 0.45 in every hour.
  EXPECT_THAT(response.body,
              HasSubstr(R"({"id":"main","name":"Board A","parent_board_id":)"));
  EXPECT_THAT(response.body, HasSubstr(R"("amount":6.48,"unpriced":0})"));
}

TEST_F(HistoryApiTest, ChartNamesTheTimeZoneOfItsDays) {
  http::Response chart = api_->Chart(Get("device=meter-1&quantity=P"));
  ASSERT_EQ(chart.status, 200) << chart.body;
  EXPECT_THAT(chart.body, HasSubstr(R"("time_zone":"Europe/Paris")"));
}

TEST_F(HistoryApiTest, CsvIsStreamedInPieces) {
  http::Response response = api_->Csv(
      Get("device=meter-1&from=2026-03-27T00:00:00Z&to=2026-03-31T00:00:00Z"
          "&resolution=minute&separator=comma&quantities=Ea%2B,P"));
  ASSERT_EQ(response.status, 200) << response.body;
  ASSERT_TRUE(static_cast<bool>(response.stream));
  EXPECT_EQ(response.content_type, "text/csv; charset=utf-8");
  EXPECT_THAT(
      response.headers,
      ::testing::Contains(::testing::Pair(
          "Content-Disposition",
          "attachment; filename=\"meter-1_20260327-20260331_minute.csv\"")));
  std::string csv;
  int pieces = 0;
  ASSERT_THAT(response.stream([&](absl::string_view piece) {
    ++pieces;
    csv.append(piece.data(), piece.size());
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_GT(pieces, 2);  // handed on as the exporter produces it, not buffered
  const std::vector<std::string> lines =
      absl::StrSplit(csv, '\n', absl::SkipEmpty());
  EXPECT_EQ(lines.size(), 1u + 4 * 24 * 60 - 120);
  EXPECT_THAT(lines[0], HasSubstr(","));
  EXPECT_THAT(lines[0], Not(HasSubstr(";")));

  http::Response semicolons =
      api_->Csv(Get("device=meter-1&from=2026-03-27&to=2026-03-28"));
  ASSERT_EQ(semicolons.status, 200);
  std::string hours;
  ASSERT_THAT(semicolons.stream([&](absl::string_view piece) {
    hours.append(piece.data(), piece.size());
    return absl::OkStatus();
  }),
              IsOk());
  EXPECT_THAT(hours, HasSubstr(";"));
}

TEST_F(HistoryApiTest, CsvRefusesBeforeAnythingIsSent) {
  auto status = [this](const std::string& query) {
    http::Response response = api_->Csv(Get(query));
    EXPECT_FALSE(static_cast<bool>(response.stream)) << query;
    return absl::StrCat(response.status, " ", response.body);
  };
  EXPECT_THAT(status("device=nobody&from=2026-03-27&to=2026-03-28"),
              HasSubstr("404"));
  EXPECT_THAT(status("device=meter-1&from=2026-03-27&to=2026-03-28"
                     "&quantities=Ea%2B,nope"),
              HasSubstr("404"));
  EXPECT_THAT(status("device=meter-1&from=2026-03-27&to=2026-03-28"
                     "&separator=tab"),
              HasSubstr("400"));
  EXPECT_THAT(status("device=meter-1"), HasSubstr("give both from and to"));
  EXPECT_THAT(status("from=2026-03-27&to=2026-03-28"),
              HasSubstr("device is required"));
}

TEST(HistoryApiWithoutStoreTest, EveryRouteAnswers503) {
  SimulatedClock clock;
  HistoryApi api(nullptr, config::v1::DeviceConfig(), absl::UTCTimeZone(),
                 clock);
  for (const ApiRoute& route : api.Routes()) {
    http::Request request;
    request.method = route.method;
    request.path = route.path;
    http::Response response = route.handler(request, std::nullopt);
    EXPECT_EQ(response.status, 503) << route.path;
    EXPECT_THAT(response.body, HasSubstr(R"("code":"history_unavailable")"));
  }
}

}  // namespace
}  // namespace ews::server

// Bad configurations: consumption tree and tariffs.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "sdk/config/validate_test_cases.h"

namespace ews::config::validate_test {

std::vector<BadCase> ConsumptionBadCases() {
  using C = v1::DeviceConfig;
  const double kInf = std::numeric_limits<double>::infinity();
  auto band = [](C& c, int i) {
    return c.mutable_tariffs(0)->mutable_bands(i);
  };
  return {
      // ---------------------------------------------- consumption tree
      {"BoardIdDuplicate",
       [](C& c) {
         v1::Board* b = c.mutable_consumption_tree()->add_boards();
         b->set_id("main");
         b->set_name("Another");
       },
       "consumption_tree.boards[2].id", "\"main\" is also boards[0].id"},
      {"BoardNameEmpty",
       [](C& c) {
         c.mutable_consumption_tree()->mutable_boards(1)->clear_name();
       },
       "consumption_tree.boards[1].name", "must not be empty"},
      {"BoardParentMissing",
       [](C& c) {
         c.mutable_consumption_tree()->mutable_boards(1)->set_parent_board_id(
             "basement");
       },
       "consumption_tree.boards[1].parent_board_id",
       "\"basement\" is not the id of any board"},
      {"BoardIsItsOwnParent",
       [](C& c) {
         c.mutable_consumption_tree()->mutable_boards(1)->set_parent_board_id(
             "annex");
       },
       "consumption_tree.boards[1].parent_board_id", "(cycle)"},
      {"BoardsFormACycle",
       [](C& c) {
         c.mutable_consumption_tree()->mutable_boards(0)->set_parent_board_id(
             "annex");
       },
       "consumption_tree.boards[0].parent_board_id",
       "\"annex\" leads back to this board (cycle)", 2},
      {"GroupIdDuplicate",
       [](C& c) {
         c.mutable_consumption_tree()
             ->mutable_boards(1)
             ->mutable_groups(0)
             ->set_id("lighting");
       },
       "consumption_tree.boards[1].groups[0].id",
       "is also consumption_tree.boards[0].groups[0].id"},
      {"MemberUnknownDevice",
       [](C& c) {
         c.mutable_consumption_tree()
             ->mutable_boards(0)
             ->mutable_groups(0)
             ->mutable_members(0)
             ->mutable_modbus()
             ->set_device_id("ghost");
       },
       "consumption_tree.boards[0].groups[0].members[0].modbus.device_id",
       "\"ghost\" is not the id of any modbus_devices entry"},
      {"MemberUnknownPulseCounter",
       [](C& c) {
         c.mutable_consumption_tree()
             ->mutable_boards(0)
             ->mutable_groups(1)
             ->mutable_members(1)
             ->set_pulse_counter_id("oil");
       },
       "consumption_tree.boards[0].groups[1].members[1].pulse_counter_id",
       "\"oil\" is not the id of any pulse_counters entry"},
      {"MemberEmptyQuantity",
       [](C& c) {
         c.mutable_consumption_tree()
             ->mutable_boards(0)
             ->mutable_groups(0)
             ->mutable_members(0)
             ->mutable_modbus()
             ->clear_quantity_id();
       },
       "consumption_tree.boards[0].groups[0].members[0].modbus.quantity_id",
       "not a quantity id"},
      {"MemberSourceNotSet",
       [](C& c) {
         c.mutable_consumption_tree()
             ->mutable_boards(0)
             ->mutable_groups(0)
             ->add_members();
       },
       "consumption_tree.boards[0].groups[0].members[1].source",
       "choose modbus or pulse_counter_id"},
      {"QuantityCountedTwice",
       [](C& c) {
         v1::MeterRef* m = c.mutable_consumption_tree()
                               ->mutable_boards(1)
                               ->mutable_groups(0)
                               ->add_members();
         m->mutable_modbus()->set_device_id("main");
         m->mutable_modbus()->set_quantity_id("Ea+");
       },
       "consumption_tree.boards[1].groups[0].members[2]",
       "is already counted at consumption_tree.boards[0].groups[0].members[0]"},
      {"PulseCounterCountedTwice",
       [](C& c) {
         c.mutable_consumption_tree()
             ->mutable_boards(1)
             ->mutable_groups(0)
             ->add_members()
             ->set_pulse_counter_id("gas");
       },
       "consumption_tree.boards[1].groups[0].members[2]",
       "pulse counter \"gas\" is already counted"},
      // ------------------------------------------------------- tariffs
      {"TariffCurrencyLowercase",
       [](C& c) { c.mutable_tariffs(0)->set_currency("eur"); },
       "tariffs[0].currency", "ISO 4217"},
      {"TariffWithoutBands", [](C& c) { c.mutable_tariffs(0)->clear_bands(); },
       "tariffs[0].bands", "at least one time band"},
      {"TariffQuantityUnspecified",
       [](C& c) {
         c.mutable_tariffs(0)->set_quantity(v1::TARIFF_QUANTITY_UNSPECIFIED);
       },
       "tariffs[0].quantity", "must be set"},
      {"TwoElectricityTariffs",
       [](C& c) {
         v1::Tariff* t = c.add_tariffs();
         *t = c.tariffs(0);
         t->set_id("electricity2");
       },
       "tariffs[1].quantity",
       "TARIFF_QUANTITY_ELECTRICITY already has a tariff: tariffs[0]"},
      {"BandWeekdayMaskZero", [band](C& c) { band(c, 2)->set_weekday_mask(0); },
       "tariffs[0].bands[2].weekday_mask", "0 is outside 1..127"},
      {"BandWeekdayMaskTooLarge",
       [band](C& c) { band(c, 2)->set_weekday_mask(128); },
       "tariffs[0].bands[2].weekday_mask", "128 is outside 1..127"},
      {"BandStartPastMidnight",
       [band](C& c) { band(c, 2)->set_start_minute(1440); },
       "tariffs[0].bands[2].start_minute", "1440 is outside 0..1439"},
      {"BandEndZero", [band](C& c) { band(c, 2)->set_end_minute(0); },
       "tariffs[0].bands[2].end_minute", "0 is outside 1..1440"},
      {"BandEmpty", [band](C& c) { band(c, 2)->set_end_minute(360); },
       "tariffs[0].bands[2].end_minute", "equals start_minute"},
      {"BandsOverlap", [band](C& c) { band(c, 0)->set_end_minute(1330); },
       "tariffs[0].bands[1]", "overlaps bands[0] at Monday 22:00"},
      {"WrappingBandOverlapsNextDay",
       [band](C& c) { band(c, 2)->set_start_minute(300); },
       "tariffs[0].bands[2]", "overlaps bands[1] at Saturday 05:00"},
      {"BandPriceNegative",
       [band](C& c) { band(c, 0)->set_price_per_unit(-0.1); },
       "tariffs[0].bands[0].price_per_unit", "not in [0, 1e6]"},
      {"BandPriceInfinite",
       [band, kInf](C& c) { band(c, 0)->set_price_per_unit(kInf); },
       "tariffs[0].bands[0].price_per_unit", "not in [0, 1e6]"},
  };
}

}  // namespace ews::config::validate_test

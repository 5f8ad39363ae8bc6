// The byte-range parser (the handler itself is tested end to end with curl,
// cadaver and rclone in apps/server/data_access_e2e_test.sh).
#include "sdk/webdav/webdav_handler.h"

#include "gtest/gtest.h"

namespace ews::webdav {
namespace {

struct Case {
  const char* header;
  int64_t size;
  bool parsed;
  bool unsatisfiable;
  int64_t first;
  int64_t last;
};

TEST(ParseByteRangeTest, Table) {
  const Case kCases[] = {
      {"bytes=0-9", 100, true, false, 0, 9},
      {"bytes=90-", 100, true, false, 90, 99},
      {"bytes=90-1000", 100, true, false, 90, 99},
      {"bytes=-10", 100, true, false, 90, 99},
      {"bytes=-1000", 100, true, false, 0, 99},
      {"bytes=100-", 100, true, true, 0, 0},
      {"bytes=-0", 100, true, true, 0, 0},
      {"bytes=0-0", 0, true, true, 0, 0},
      {"bytes=5-2", 100, false, false, 0, 0},
      {"bytes=0-1,5-6", 100, false, false, 0, 0},
      {"items=0-1", 100, false, false, 0, 0},
      {"bytes=a-b", 100, false, false, 0, 0},
      {"bytes=-", 100, false, false, 0, 0},
      {"bytes=99999999999999999999-", 100, false, false, 0, 0},
  };
  for (const Case& c : kCases) {
    int64_t first = 0;
    int64_t last = 0;
    bool unsatisfiable = false;
    EXPECT_EQ(ParseByteRange(c.header, c.size, &first, &last, &unsatisfiable),
              c.parsed)
        << c.header;
    if (!c.parsed) continue;
    EXPECT_EQ(unsatisfiable, c.unsatisfiable) << c.header;
    if (c.unsatisfiable) continue;
    EXPECT_EQ(first, c.first) << c.header;
    EXPECT_EQ(last, c.last) << c.header;
  }
}

}  // namespace
}  // namespace ews::webdav

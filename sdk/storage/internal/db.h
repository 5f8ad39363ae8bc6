// The one place EWS touches sqlite3: a connection and prepared statements,
// with SQLITE_* result codes turned into absl::Status (DataLoss for a corrupt
// or foreign file, Unavailable for a busy database, Internal otherwise).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct sqlite3;
struct sqlite3_stmt;

namespace ews::storage::internal {

absl::Status SqliteStatus(int code, absl::string_view what, sqlite3* db);

struct StatementCache;

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  // A statement of `cache`: reset and given back to it when destroyed.
  Statement(sqlite3* db, sqlite3_stmt* stmt,
            std::shared_ptr<StatementCache> cache)
      : db_(db), stmt_(stmt), cache_(std::move(cache)) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  Statement& BindText(int index, absl::string_view value);
  Statement& BindBlob(int index, absl::string_view value);

  // Returns true while a row is available, false when done.
  absl::StatusOr<bool> Step();
  // Runs to completion (for statements without result rows); blank SQL
  // (white space, a comment) runs nothing.
  absl::Status Run();
  void Reset();

  int64_t ColumnInt(int column);
  double ColumnDouble(int column);
  absl::string_view ColumnText(int column);
  absl::string_view ColumnBlob(int column);
  bool ColumnIsNull(int column);

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  std::shared_ptr<StatementCache> cache_;
};

class Db {
 public:
  enum class Mode { kReadWriteCreate, kReadOnly };

  // Opens (or creates) the file. Fails with DataLoss when the file is not a
  // database or is corrupt, Unavailable when it is locked.
  static absl::StatusOr<std::unique_ptr<Db>> Open(const std::string& path,
                                                  Mode mode);
  ~Db();

  // One statement (no ';') runs through Prepare()'s cache; a script of
  // several through sqlite3_exec().
  absl::Status Exec(absl::string_view sql);
  // Statements are compiled once per text and connection: a Statement given
  // back (destroyed) is reset and kept for the next Prepare() of the same
  // text (at most kCachedStatements idle ones), so queries that run per
  // request (charts, totals) skip SQLite's parser and planner.
  absl::StatusOr<std::unique_ptr<Statement>> Prepare(absl::string_view sql);

  static constexpr size_t kCachedStatements = 64;
  // Runs a query that returns one text value (PRAGMAs).
  absl::StatusOr<std::string> QueryText(absl::string_view sql);
  absl::StatusOr<int64_t> QueryInt(absl::string_view sql);

 private:
  explicit Db(sqlite3* db);
  sqlite3* db_;
  const std::shared_ptr<StatementCache> cache_;
};

// Registers (once) and names a VFS that wraps the default one and counts the
// bytes SQLite writes to files, for write-amplification figures.
const char* CountingVfsName();
uint64_t CountingVfsBytesWritten();
uint64_t CountingVfsSyncs();

}  // namespace ews::storage::internal

#include "sdk/storage/internal/db.h"

#include <sqlite3.h>

#include <atomic>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace ews::storage::internal {

absl::Status SqliteStatus(int code, absl::string_view what, sqlite3* db) {
  if (code == SQLITE_OK || code == SQLITE_DONE || code == SQLITE_ROW) {
    return absl::OkStatus();
  }
  std::string message =
      absl::StrCat("sqlite: ", what, ": ", sqlite3_errstr(code));
  if (db != nullptr) absl::StrAppend(&message, " (", sqlite3_errmsg(db), ")");
  switch (code & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(message);
    case SQLITE_FULL:
      return absl::ResourceExhaustedError(message);
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return absl::FailedPreconditionError(message);
    case SQLITE_IOERR:
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

// Idle compiled statements of one connection, by SQL text. Shared with the
// Statements handed out, which may outlive the Db (sqlite3_close_v2 then
// waits for them): once the Db is gone they are finalized instead.
struct StatementCache {
  absl::Mutex mu;
  bool open ABSL_GUARDED_BY(mu) = true;
  size_t idle_count ABSL_GUARDED_BY(mu) = 0;
  absl::flat_hash_map<std::string, std::vector<sqlite3_stmt*>> idle
      ABSL_GUARDED_BY(mu);
};

Statement::~Statement() {
  if (cache_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    absl::MutexLock lock(&cache_->mu);
    if (cache_->open && cache_->idle_count < Db::kCachedStatements) {
      cache_->idle[sqlite3_sql(stmt_)].push_back(stmt_);
      ++cache_->idle_count;
      return;
    }
  }
  sqlite3_finalize(stmt_);
}

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}
Statement& Statement::Bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}
Statement& Statement::BindText(int index, absl::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                    SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindBlob(int index, absl::string_view value) {
  sqlite3_bind_blob(stmt_, index, value.data(), static_cast<int>(value.size()),
                    SQLITE_TRANSIENT);
  return *this;
}

absl::StatusOr<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  absl::Status status = SqliteStatus(rc, sqlite3_sql(stmt_), db_);
  sqlite3_reset(stmt_);
  return status;
}

absl::Status Statement::Run() {
  if (stmt_ == nullptr) return absl::OkStatus();  // blank SQL, as sqlite3_exec
  for (;;) {
    absl::StatusOr<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
  }
  Reset();
  return absl::OkStatus();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::ColumnInt(int column) {
  return sqlite3_column_int64(stmt_, column);
}
double Statement::ColumnDouble(int column) {
  return sqlite3_column_double(stmt_, column);
}
absl::string_view Statement::ColumnText(int column) {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (text == nullptr) return {};
  return absl::string_view(reinterpret_cast<const char*>(text), size);
}
absl::string_view Statement::ColumnBlob(int column) {
  const void* blob = sqlite3_column_blob(stmt_, column);
  const int size = sqlite3_column_bytes(stmt_, column);
  if (blob == nullptr) return {};
  return absl::string_view(static_cast<const char*>(blob), size);
}
bool Statement::ColumnIsNull(int column) {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

absl::StatusOr<std::unique_ptr<Db>> Db::Open(const std::string& path,
                                             Mode mode) {
  sqlite3* handle = nullptr;
  const int flags =
      (mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY
                               : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  const int rc =
      sqlite3_open_v2(path.c_str(), &handle, flags, CountingVfsName());
  if (rc != SQLITE_OK) {
    absl::Status status = SqliteStatus(rc, absl::StrCat("open ", path), handle);
    sqlite3_close(handle);
    return status;
  }
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, 5000);
  return std::unique_ptr<Db>(new Db(handle));
}

Db::Db(sqlite3* db) : db_(db), cache_(std::make_shared<StatementCache>()) {}

Db::~Db() {
  {
    absl::MutexLock lock(&cache_->mu);
    cache_->open = false;
    for (auto& [sql, statements] : cache_->idle) {
      for (sqlite3_stmt* stmt : statements) sqlite3_finalize(stmt);
    }
    cache_->idle.clear();
    cache_->idle_count = 0;
  }
  sqlite3_close_v2(db_);
}

absl::Status Db::Exec(absl::string_view sql) {
  if (sql.find(';') == absl::string_view::npos) {
    absl::StatusOr<std::unique_ptr<Statement>> statement = Prepare(sql);
    if (!statement.ok()) return statement.status();
    return (*statement)->Run();
  }
  std::string text(sql);
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  sqlite3_free(error);
  return SqliteStatus(rc, text, db_);
}

absl::StatusOr<std::unique_ptr<Statement>> Db::Prepare(absl::string_view sql) {
  {
    absl::MutexLock lock(&cache_->mu);
    auto idle = cache_->idle.find(sql);
    if (idle != cache_->idle.end() && !idle->second.empty()) {
      sqlite3_stmt* stmt = idle->second.back();
      idle->second.pop_back();
      --cache_->idle_count;
      return std::make_unique<Statement>(db_, stmt, cache_);
    }
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc =
      sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                         SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteStatus(rc, sql, db_);
  if (stmt == nullptr) {  // only a comment or white space: nothing to run
    return std::make_unique<Statement>(db_, stmt);
  }
  return std::make_unique<Statement>(db_, stmt, cache_);
}

absl::StatusOr<std::string> Db::QueryText(absl::string_view sql) {
  auto stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<bool> row = (*stmt)->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::string();
  return std::string((*stmt)->ColumnText(0));
}

absl::StatusOr<int64_t> Db::QueryInt(absl::string_view sql) {
  auto stmt = Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  absl::StatusOr<bool> row = (*stmt)->Step();
  if (!row.ok()) return row.status();
  if (!*row) return int64_t{0};
  return (*stmt)->ColumnInt(0);
}

// ---- Counting VFS: forwards everything to the default VFS, counting writes.

namespace {

std::atomic<uint64_t> g_bytes_written{0};
std::atomic<uint64_t> g_syncs{0};
sqlite3_vfs g_counting_vfs;
sqlite3_vfs* g_base_vfs = nullptr;

struct CountingFile {
  sqlite3_file base;   // must be first: SQLite sees this struct
  sqlite3_file* real;  // the default VFS's file, allocated after us
};

sqlite3_io_methods g_io_methods;

sqlite3_file* Real(sqlite3_file* f) {
  return reinterpret_cast<CountingFile*>(f)->real;
}

int CClose(sqlite3_file* f) {
  int rc = Real(f)->pMethods ? Real(f)->pMethods->xClose(Real(f)) : SQLITE_OK;
  return rc;
}
int CRead(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return Real(f)->pMethods->xRead(Real(f), buf, n, off);
}
int CWrite(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  g_bytes_written += static_cast<uint64_t>(n);
  return Real(f)->pMethods->xWrite(Real(f), buf, n, off);
}
int CTruncate(sqlite3_file* f, sqlite3_int64 size) {
  return Real(f)->pMethods->xTruncate(Real(f), size);
}
int CSync(sqlite3_file* f, int flags) {
  ++g_syncs;
  return Real(f)->pMethods->xSync(Real(f), flags);
}
int CFileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Real(f)->pMethods->xFileSize(Real(f), size);
}
int CLock(sqlite3_file* f, int l) {
  return Real(f)->pMethods->xLock(Real(f), l);
}
int CUnlock(sqlite3_file* f, int l) {
  return Real(f)->pMethods->xUnlock(Real(f), l);
}
int CCheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int CFileControl(sqlite3_file* f, int op, void* arg) {
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int CSectorSize(sqlite3_file* f) {
  return Real(f)->pMethods->xSectorSize(Real(f));
}
int CDeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int CShmMap(sqlite3_file* f, int page, int size, int extend,
            void volatile** p) {
  return Real(f)->pMethods->xShmMap(Real(f), page, size, extend, p);
}
int CShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void CShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int CShmUnmap(sqlite3_file* f, int del) {
  return Real(f)->pMethods->xShmUnmap(Real(f), del);
}

int COpen(sqlite3_vfs* /*vfs*/, const char* name, sqlite3_file* file, int flags,
          int* out_flags) {
  CountingFile* cf = reinterpret_cast<CountingFile*>(file);
  cf->real = reinterpret_cast<sqlite3_file*>(cf + 1);
  cf->base.pMethods = nullptr;
  const int rc =
      g_base_vfs->xOpen(g_base_vfs, name, cf->real, flags, out_flags);
  if (rc == SQLITE_OK) cf->base.pMethods = &g_io_methods;
  return rc;
}

void RegisterOnce() {
  // "unix-excl": the first connection of this process takes an exclusive lock
  // on the database for the whole process (other processes are locked out
  // until it closes; connections of this process share it), and the WAL index
  // then lives in heap memory shared by this process's connections instead of
  // a memory-mapped "-shm" file: each commit would otherwise re-dirty a page
  // of that file, written to flash like the WAL itself (docs/performance.md).
  g_base_vfs = sqlite3_vfs_find("unix-excl");
  if (g_base_vfs == nullptr) g_base_vfs = sqlite3_vfs_find(nullptr);
  g_io_methods = sqlite3_io_methods{};
  g_io_methods.iVersion = 2;  // with shared memory (WAL), without mmap
  g_io_methods.xClose = CClose;
  g_io_methods.xRead = CRead;
  g_io_methods.xWrite = CWrite;
  g_io_methods.xTruncate = CTruncate;
  g_io_methods.xSync = CSync;
  g_io_methods.xFileSize = CFileSize;
  g_io_methods.xLock = CLock;
  g_io_methods.xUnlock = CUnlock;
  g_io_methods.xCheckReservedLock = CCheckReservedLock;
  g_io_methods.xFileControl = CFileControl;
  g_io_methods.xSectorSize = CSectorSize;
  g_io_methods.xDeviceCharacteristics = CDeviceCharacteristics;
  g_io_methods.xShmMap = CShmMap;
  g_io_methods.xShmLock = CShmLock;
  g_io_methods.xShmBarrier = CShmBarrier;
  g_io_methods.xShmUnmap = CShmUnmap;
  g_counting_vfs = *g_base_vfs;
  g_counting_vfs.pNext = nullptr;
  g_counting_vfs.zName = "ews-counting";
  g_counting_vfs.szOsFile =
      static_cast<int>(sizeof(CountingFile)) + g_base_vfs->szOsFile;
  g_counting_vfs.xOpen = COpen;
  g_counting_vfs.pAppData = g_base_vfs->pAppData;
  sqlite3_vfs_register(&g_counting_vfs, 0);
}

}  // namespace

const char* CountingVfsName() {
  static std::once_flag once;
  std::call_once(once, RegisterOnce);
  return "ews-counting";
}
uint64_t CountingVfsBytesWritten() { return g_bytes_written.load(); }
uint64_t CountingVfsSyncs() { return g_syncs.load(); }

}  // namespace ews::storage::internal

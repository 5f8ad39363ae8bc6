// The store's recovery log: the acknowledged samples not yet written to
// SQLite, as records appended to a pre-allocated file of their own
// ("<path>-log"), each made durable with fdatasync before Flush() returns.
//
// Why: a commit to SQLite rewrites at least one 4 KiB page into the WAL (two
// pages of the file system, since a WAL frame is 4096 + 24 bytes) and the
// checkpoint writes it again; a poll round's samples encode to a few hundred
// bytes. Appending them to this log dirties one page (two when the record
// crosses a page boundary) and changes neither the file's size nor its
// allocation, so fdatasync writes that page and no metadata. SQLite absorbs
// the samples when the store consolidates (once an hour) or when the log
// passes its size limit; then the log starts over from its beginning.
//
// Format: a 16-byte header (magic and version), then records
//   u32 payload length (little endian, > 0), u32 CRC-32C of (batch, payload),
//   i64 batch number, payload
// each followed by four zero bytes (the end mark, overwritten by the next
// record). A record of at most a page that would cross a page boundary
// starts at the next page instead (after an end mark), so that a round
// writes one page, not two. The file is pre-allocated with zeros in 64 KiB
// steps.
// Reading stops at the end mark unless a record follows at the next page
// boundary, at a record whose CRC or length does not check (a torn last
// record: it was never acknowledged), and at a record whose batch number is
// not above the previous one (an older record left behind from before the
// log started over).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ews::storage::internal {

class SampleLog {
 public:
  struct Entry {
    int64_t batch = 0;
    std::string payload;
  };
  struct Contents {
    std::vector<Entry> entries;  // in file order, batch numbers ascending
    // A record after the last entry did not check: a write that a crash
    // interrupted (never acknowledged).
    bool torn_tail = false;
  };

  // Opens `path` (creating and pre-allocating it when missing) and reads its
  // records into *contents. The next Append() goes after the last entry.
  // Errors: DataLoss (not a sample log: wrong magic or version),
  // FailedPrecondition (cannot open or create), ResourceExhausted (no room to
  // pre-allocate), Unavailable (I/O error).
  static absl::StatusOr<std::unique_ptr<SampleLog>> Open(
      const std::string& path, Contents* contents);
  ~SampleLog();
  SampleLog(const SampleLog&) = delete;
  SampleLog& operator=(const SampleLog&) = delete;

  // Appends one record and waits until it is on the storage (fdatasync).
  // On error the record is not acknowledged and the next Append() writes
  // over it. Errors: InvalidArgument (empty payload), ResourceExhausted (no
  // room to grow the file), Unavailable (I/O error).
  absl::Status Append(int64_t batch, absl::string_view payload);
  // Starts over: the next Append() writes at the beginning. Writes nothing;
  // records left behind are older than the next one and are not read back.
  void Reset();

  // Records written since the log was opened or started over (after an
  // open: those read back).
  // Both may be read from any thread.
  int64_t records() const { return records_.load(); }
  // Bytes of records in use (header included) and of the file.
  int64_t used_bytes() const { return end_.load(); }
  int64_t file_bytes() const { return allocated_; }
  const std::string& path() const { return path_; }

  static constexpr int64_t kHeaderBytes = 16;
  static constexpr int64_t kRecordHeaderBytes = 16;
  static constexpr int64_t kGrowBytes = 64 * 1024;

 private:
  SampleLog(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  // Extends the file with zeros to at least `bytes` (in kGrowBytes steps).
  absl::Status Allocate(int64_t bytes);

  std::string path_;
  int fd_ = -1;
  std::atomic<int64_t> end_{kHeaderBytes};  // where the next record goes
  bool end_marked_ = false;                 // an end mark is at end_
  int64_t allocated_ = 0;                   // file size
  std::atomic<int64_t> records_{0};
};

// Process-wide totals of Append(), for the benchmarks: the 4 KiB pages the
// records touched (each page a record touches is written again, since the
// previous record's fdatasync cleaned it) and the fdatasyncs.
uint64_t SampleLogPagesWritten();
uint64_t SampleLogSyncs();

// CRC-32C (Castagnoli) of `data`, continuing from `crc` (0 to start).
uint32_t Crc32c(absl::string_view data, uint32_t crc = 0);

}  // namespace ews::storage::internal

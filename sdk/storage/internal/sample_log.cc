#include "sdk/storage/internal/sample_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"

namespace ews::storage::internal {

namespace {

constexpr char kMagic[SampleLog::kHeaderBytes] = {
    'E', 'W', 'S', '-', 'S', 'A', 'M', 'P', 'L', 'E', '-', 'L', 'O', 'G', 1, 0};
constexpr int64_t kEndMarkBytes = 4;
constexpr int64_t kPageBytes = 4096;
std::atomic<uint64_t> g_pages_written{0};
std::atomic<uint64_t> g_syncs{0};

absl::Status IoError(absl::string_view what, const std::string& path,
                     int error) {
  std::string message =
      absl::StrCat("sample log ", path, ": ", what, ": ", std::strerror(error));
  if (error == ENOSPC || error == EDQUOT) {
    return absl::ResourceExhaustedError(message);
  }
  return absl::UnavailableError(message);
}

absl::Status WriteAll(int fd, const std::string& path, absl::string_view data,
                      int64_t offset) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("write", path, errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += n;
  }
  return absl::OkStatus();
}

absl::Status Sync(int fd, const std::string& path) {
  while (::fdatasync(fd) != 0) {
    if (errno != EINTR) return IoError("fdatasync", path, errno);
  }
  return absl::OkStatus();
}

// Makes the new file's directory entry durable.
absl::Status SyncDirectory(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("open directory", path, errno);
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  return rc == 0 ? absl::OkStatus() : IoError("fsync directory", path, error);
}

absl::StatusOr<std::string> ReadAll(int fd, const std::string& path,
                                    int64_t size) {
  std::string data(static_cast<size_t>(size), '\0');
  int64_t done = 0;
  while (done < size) {
    const ssize_t n = ::pread(fd, data.data() + done, size - done, done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("read", path, errno);
    }
    if (n == 0) break;
    done += n;
  }
  data.resize(static_cast<size_t>(done));
  return data;
}

uint32_t RecordCrc(int64_t batch, absl::string_view payload) {
  char b[8];
  absl::little_endian::Store64(b, static_cast<uint64_t>(batch));
  return Crc32c(payload, Crc32c(absl::string_view(b, sizeof(b))));
}

enum class RecordCheck { kEnd, kTorn, kValid };

// The record at `offset`: the end mark (a zero length, or no room for a
// header), a record that does not check, or a valid one (*batch, *payload).
RecordCheck CheckRecord(absl::string_view data, int64_t offset, int64_t* batch,
                        absl::string_view* payload) {
  const int64_t size = static_cast<int64_t>(data.size());
  if (offset + SampleLog::kRecordHeaderBytes > size) return RecordCheck::kEnd;
  const char* p = data.data() + offset;
  const uint32_t length = absl::little_endian::Load32(p);
  if (length == 0) return RecordCheck::kEnd;
  if (length > size - offset - SampleLog::kRecordHeaderBytes) {
    return RecordCheck::kTorn;
  }
  const uint32_t crc = absl::little_endian::Load32(p + 4);
  *batch = static_cast<int64_t>(absl::little_endian::Load64(p + 8));
  *payload = absl::string_view(p + SampleLog::kRecordHeaderBytes, length);
  return RecordCrc(*batch, *payload) == crc ? RecordCheck::kValid
                                            : RecordCheck::kTorn;
}

// Reads the records after the header; returns where the next one goes, and
// whether an end mark is there (*end_mark).
int64_t Parse(absl::string_view data, SampleLog::Contents* contents,
              bool* end_mark) {
  int64_t offset = SampleLog::kHeaderBytes;
  *end_mark = false;
  for (;;) {
    int64_t batch = 0;
    absl::string_view payload;
    RecordCheck check = CheckRecord(data, offset, &batch, &payload);
    int64_t at = offset;
    if (check == RecordCheck::kEnd) {
      // At the end mark: the next record may have been moved to the next
      // page boundary (Append() keeps a record within one page).
      *end_mark = offset + SampleLog::kRecordHeaderBytes <=
                  static_cast<int64_t>(data.size());
      at = (offset / kPageBytes + 1) * kPageBytes;
      check = CheckRecord(data, at, &batch, &payload);
      if (check == RecordCheck::kEnd) break;
    }
    if (check == RecordCheck::kTorn) {
      contents->torn_tail = true;
      break;
    }
    if (!contents->entries.empty() && batch <= contents->entries.back().batch) {
      break;  // left behind from before a Reset()
    }
    contents->entries.push_back({batch, std::string(payload)});
    offset = at + SampleLog::kRecordHeaderBytes +
             static_cast<int64_t>(payload.size());
    *end_mark = false;
  }
  return offset;
}

}  // namespace

uint64_t SampleLogPagesWritten() { return g_pages_written.load(); }
uint64_t SampleLogSyncs() { return g_syncs.load(); }

uint32_t Crc32c(absl::string_view data, uint32_t crc) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  for (unsigned char b : data) crc = table[(crc ^ b) & 0xff] ^ (crc >> 8);
  return ~crc;
}

absl::StatusOr<std::unique_ptr<SampleLog>> SampleLog::Open(
    const std::string& path, Contents* contents) {
  *contents = Contents();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "sample log ", path, ": cannot open: ", std::strerror(errno)));
  }
  auto log = std::unique_ptr<SampleLog>(new SampleLog(path, fd));
  struct stat st;
  if (::fstat(fd, &st) != 0) return IoError("stat", path, errno);
  if (st.st_size < kHeaderBytes) {
    // New (or its creation was interrupted before the header was durable).
    if (st.st_size > 0 && ::ftruncate(fd, 0) != 0) {
      return IoError("truncate", path, errno);
    }
    if (auto s = WriteAll(fd, path, absl::string_view(kMagic, kHeaderBytes), 0);
        !s.ok()) {
      return s;
    }
    log->allocated_ = kHeaderBytes;
    if (auto s = log->Allocate(kGrowBytes); !s.ok()) return s;
    if (auto s = SyncDirectory(path); !s.ok()) return s;
    return log;
  }
  absl::StatusOr<std::string> data = ReadAll(fd, path, st.st_size);
  if (!data.ok()) return data.status();
  if (data->compare(0, kHeaderBytes, kMagic, kHeaderBytes) != 0) {
    return absl::DataLossError(
        absl::StrCat("sample log ", path, ": not a sample log (bad header)"));
  }
  bool end_mark = false;
  log->end_ = Parse(*data, contents, &end_mark);
  log->end_marked_ = end_mark;
  log->records_ = static_cast<int64_t>(contents->entries.size());
  log->allocated_ = static_cast<int64_t>(data->size());
  if (log->allocated_ % kGrowBytes != 0) {
    // Cut short (a crash while it grew, or a copy): back to whole steps.
    if (auto s = log->Allocate(log->allocated_); !s.ok()) return s;
  }
  // Drop the pages just read: the page cache may hold them in folios larger
  // than a page, and a folio counts whole when a record dirties it.
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  return log;
}

SampleLog::~SampleLog() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status SampleLog::Allocate(int64_t bytes) {
  const int64_t target = (bytes + kGrowBytes - 1) / kGrowBytes * kGrowBytes;
  // Zeros written a page at a time: the page cache keeps them as single pages
  // (see Open()), and the blocks are allocated and initialised now, so that
  // a record later changes no metadata.
  static const std::string zeros(kPageBytes, '\0');
  for (int64_t offset = allocated_; offset < target;) {
    const int64_t n =
        std::min(kPageBytes - offset % kPageBytes, target - offset);
    if (auto s =
            WriteAll(fd_, path_, absl::string_view(zeros.data(), n), offset);
        !s.ok()) {
      return s;
    }
    offset += n;
  }
  if (auto s = Sync(fd_, path_); !s.ok()) return s;
  allocated_ = target;
  return absl::OkStatus();
}

absl::Status SampleLog::Append(int64_t batch, absl::string_view payload) {
  if (payload.empty() || payload.size() > UINT32_MAX / 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sample log ", path_, ": payload of ", payload.size(), " bytes"));
  }
  const int64_t length = static_cast<int64_t>(payload.size());
  const int64_t bytes = kRecordHeaderBytes + length + kEndMarkBytes;
  // A record that would cross a page boundary but fits in a page starts at
  // the next page instead: one page written, not two. Only right after an
  // end mark: the reader looks for it at the next page boundary from there.
  int64_t at = end_;
  if (end_marked_ && bytes <= kPageBytes &&
      at / kPageBytes != (at + bytes - 1) / kPageBytes) {
    at = (at / kPageBytes + 1) * kPageBytes;
  }
  if (at + bytes > allocated_) {
    if (auto s = Allocate(at + bytes); !s.ok()) return s;
  }
  std::string record(kRecordHeaderBytes, '\0');
  absl::little_endian::Store32(record.data(), static_cast<uint32_t>(length));
  absl::little_endian::Store32(record.data() + 4, RecordCrc(batch, payload));
  absl::little_endian::Store64(record.data() + 8, static_cast<uint64_t>(batch));
  record.append(payload.data(), payload.size());
  record.append(kEndMarkBytes, '\0');
  if (auto s = WriteAll(fd_, path_, record, at); !s.ok()) return s;
  if (auto s = Sync(fd_, path_); !s.ok()) return s;
  const int64_t last = at + bytes - 1;
  g_pages_written += last / kPageBytes - at / kPageBytes + 1;
  ++g_syncs;
  end_ = at + kRecordHeaderBytes + length;
  end_marked_ = true;
  ++records_;
  return absl::OkStatus();
}

void SampleLog::Reset() {
  end_ = kHeaderBytes;
  end_marked_ = false;  // an older record is there
  records_ = 0;
}

}  // namespace ews::storage::internal

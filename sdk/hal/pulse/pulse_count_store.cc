#include "sdk/hal/pulse/pulse_count_store.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "sdk/base/log.h"
#include "sdk/hal/internal/atomic_file.h"

namespace ews::hal {
namespace {

constexpr absl::string_view kMagic = "ews-pulse-counts 1";

uint32_t Crc32(absl::string_view data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1) ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
    }
  }
  return ~crc;
}

}  // namespace

absl::Status SavePulseCounts(const std::string& path,
                             absl::Span<const uint64_t> counts) {
  std::string body = absl::StrCat(kMagic, "\nchannels ", counts.size(), "\n");
  for (size_t i = 0; i < counts.size(); ++i) {
    absl::StrAppend(&body, i, " ", counts[i], "\n");
  }
  absl::StrAppend(&body, "crc32 ", absl::Hex(Crc32(body)), "\n");

  return internal::WriteFileAtomically(path, body);
}

absl::StatusOr<std::vector<uint64_t>> LoadPulseCounts(const std::string& path) {
  absl::StatusOr<std::string> contents = internal::ReadSmallFile(path);
  if (absl::IsNotFound(contents.status())) {
    return absl::NotFoundError(absl::StrCat("no pulse counts at ", path));
  }
  if (!contents.ok()) return contents.status();
  const std::string& text = *contents;
  auto corrupt = [&](absl::string_view why) {
    return absl::DataLossError(
        absl::StrCat("pulse counts ", path, " are corrupt: ", why));
  };
  const size_t crc_at = text.rfind("crc32 ");
  if (crc_at == std::string::npos) return corrupt("no checksum");
  uint32_t stored_crc = 0;
  if (!absl::SimpleHexAtoi(
          absl::StripSuffix(absl::string_view(text).substr(crc_at + 6), "\n"),
          &stored_crc)) {
    return corrupt("bad checksum line");
  }
  const absl::string_view body = absl::string_view(text).substr(0, crc_at);
  if (Crc32(body) != stored_crc) return corrupt("checksum mismatch");
  std::vector<absl::string_view> lines =
      absl::StrSplit(body, '\n', absl::SkipEmpty());
  size_t channels = 0;
  if (lines.size() < 2 || lines[0] != kMagic ||
      !absl::ConsumePrefix(&lines[1], "channels ") ||
      !absl::SimpleAtoi(lines[1], &channels) || lines.size() != channels + 2) {
    return corrupt("bad format");
  }
  std::vector<uint64_t> counts(channels);
  for (size_t i = 0; i < channels; ++i) {
    std::vector<absl::string_view> words = absl::StrSplit(lines[i + 2], ' ');
    size_t index = 0;
    if (words.size() != 2 || !absl::SimpleAtoi(words[0], &index) ||
        index != i || !absl::SimpleAtoi(words[1], &counts[i])) {
      return corrupt(absl::StrCat("bad line for channel ", i));
    }
  }
  return counts;
}

PulseCountPersistence::PulseCountPersistence(PulseCounter* counter,
                                             Clock* clock, Options options)
    : counter_(counter),
      clock_(clock),
      options_(std::move(options)),
      last_save_(clock->MonotonicNow()) {}

absl::Status PulseCountPersistence::Restore() {
  if (!counter_->started()) {
    return absl::FailedPreconditionError("start the pulse counter first");
  }
  last_save_ = clock_->MonotonicNow();
  absl::StatusOr<std::vector<uint64_t>> saved = LoadPulseCounts(options_.path);
  if (absl::IsNotFound(saved.status())) {
    EWS_LOG(INFO) << "no saved pulse counts at " << options_.path
                  << ": starting from 0";
    return absl::OkStatus();
  }
  if (!saved.ok()) return saved.status();
  const int channels = counter_->channel_count();
  for (int i = 0; i < channels && i < static_cast<int>(saved->size()); ++i) {
    if (absl::Status s = counter_->SetCount(i, (*saved)[i]); !s.ok()) return s;
  }
  if (static_cast<int>(saved->size()) != channels) {
    EWS_LOG(WARNING) << "saved pulse counts have " << saved->size()
                     << " channels, the counter " << channels;
  }
  return absl::OkStatus();
}

absl::Status PulseCountPersistence::Poll() {
  if (clock_->MonotonicNow() - last_save_ < options_.period) {
    return absl::OkStatus();
  }
  return SaveNow();
}

absl::Status PulseCountPersistence::SaveNow() {
  absl::StatusOr<std::vector<uint64_t>> counts = counter_->Counts();
  if (!counts.ok()) return counts.status();
  if (absl::Status s = SavePulseCounts(options_.path, *counts); !s.ok()) {
    return s;
  }
  last_save_ = clock_->MonotonicNow();
  ++saves_;
  return absl::OkStatus();
}

}  // namespace ews::hal

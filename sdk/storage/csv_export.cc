// Store::ExportCsv: one device's series, one row per interval, streamed.
//
// Format (docs/storage.md): UTF-8 with BOM, CRLF line ends, a header row
// "Time (<zone>)", "UTC offset (min)", then "<quantity> <statistic> [<unit>]"
// per column, times as "YYYY-MM-DD HH:MM" in the site's local time, numbers at
// the register's resolution with a decimal comma and ';' separator (or '.' and
// ',').
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sdk/base/status_macros.h"
#include "sdk/storage/internal/store_impl.h"
#include "sdk/storage/internal/tiers.h"
#include "sdk/storage/store.h"

namespace ews::storage {
namespace {

using internal::Db;
using internal::Record;

// Walks one series' records of a tier in time order, one block in memory.
class SeriesCursor {
 public:
  static absl::StatusOr<std::unique_ptr<SeriesCursor>> Create(
      Db& db, const SeriesInfo& info, const LiveState& live, Tier tier,
      int64_t from_s, int64_t to_s, const absl::TimeZone& tz) {
    auto cursor = std::unique_ptr<SeriesCursor>(new SeriesCursor());
    cursor->info_ = info;
    EWS_ASSIGN_OR_RETURN(
        cursor->walker_,
        internal::BlockWalker::Create(db, info, tier, from_s, to_s, tz));
    EWS_ASSIGN_OR_RETURN(
        cursor->live_,
        internal::OpenRecords(db, info, live, tier, from_s, to_s, tz));
    EWS_RETURN_IF_ERROR(cursor->Advance());
    return cursor;
  }

  const Record* Peek() const { return has_current_ ? &current_ : nullptr; }
  const SeriesInfo& info() const { return info_; }

  absl::Status Advance() {
    EWS_RETURN_IF_ERROR(FillStored());
    const bool has_stored = stored_pos_ < stored_.size();
    const bool has_live = live_pos_ < live_.size();
    has_current_ = has_stored || has_live;
    if (!has_current_) return absl::OkStatus();
    if (has_stored && has_live &&
        stored_[stored_pos_].start == live_[live_pos_].start) {
      current_ = internal::Combine(info_.spec.kind, stored_[stored_pos_++],
                                   live_[live_pos_++]);
    } else if (has_stored && (!has_live || stored_[stored_pos_].start <
                                               live_[live_pos_].start)) {
      current_ = stored_[stored_pos_++];
    } else {
      current_ = live_[live_pos_++];
    }
    return absl::OkStatus();
  }

 private:
  SeriesCursor() = default;

  absl::Status FillStored() {
    while (stored_pos_ >= stored_.size() && !stored_done_) {
      stored_pos_ = 0;
      EWS_ASSIGN_OR_RETURN(bool more, walker_->Next(&stored_));
      if (!more) stored_done_ = true;
    }
    return absl::OkStatus();
  }

  SeriesInfo info_;
  std::unique_ptr<internal::BlockWalker> walker_;
  std::vector<Record> stored_;
  size_t stored_pos_ = 0;
  bool stored_done_ = false;
  std::vector<Record> live_;
  size_t live_pos_ = 0;
  Record current_;
  bool has_current_ = false;
};

int Decimals(double scale) {
  const double d = std::ceil(-std::log10(scale) - 1e-9);
  return d < 0 ? 0 : static_cast<int>(d);
}

class CsvWriter {
 public:
  CsvWriter(CsvStyle style, const CsvSink& sink)
      : sep_(style == CsvStyle::kSemicolonDecimalComma ? ';' : ','),
        decimal_(style == CsvStyle::kSemicolonDecimalComma ? ',' : '.'),
        sink_(sink) {}

  void Text(absl::string_view text) {
    Separator();
    if (text.find_first_of(absl::StrCat("\"\r\n", std::string(1, sep_))) ==
        absl::string_view::npos) {
      buffer_.append(text.data(), text.size());
      return;
    }
    buffer_.push_back('"');
    for (char c : text) {
      if (c == '"') buffer_.push_back('"');
      buffer_.push_back(c);
    }
    buffer_.push_back('"');
  }
  void Number(double value, int decimals) {
    Separator();
    if (value == 0) value = 0;  // no "-0"
    std::string text = absl::StrFormat("%.*f", decimals, value);
    if (decimal_ != '.') {
      for (char& c : text) {
        if (c == '.') c = decimal_;
      }
    }
    buffer_ += text;
  }
  void Empty() { Separator(); }
  absl::Status EndRow() {
    buffer_ += "\r\n";
    first_in_row_ = true;
    return buffer_.size() >= (64 << 10) ? Drain() : absl::OkStatus();
  }
  void Raw(absl::string_view bytes) {
    buffer_.append(bytes.data(), bytes.size());
  }
  absl::Status Drain() {
    if (buffer_.empty()) return absl::OkStatus();
    absl::Status status = sink_(buffer_);
    buffer_.clear();
    return status;
  }

 private:
  void Separator() {
    if (!first_in_row_) buffer_.push_back(sep_);
    first_in_row_ = false;
  }
  char sep_;
  char decimal_;
  const CsvSink& sink_;
  std::string buffer_;
  bool first_in_row_ = true;
};

// The head row: time, UTC offset, each series' columns, the notes column.
absl::Status WriteHead(const std::vector<SeriesInfo>& series, bool any_counter,
                       const absl::TimeZone& tz, CsvWriter& out) {
  out.Raw("\xEF\xBB\xBF");
  out.Text(absl::StrCat("Time (", tz.name(), ")"));
  // The offset makes every row unambiguous, also in the hour a DST fall-back
  // repeats.
  out.Text("UTC offset (min)");
  for (const SeriesInfo& info : series) {
    const std::string& q = info.spec.quantity_id;
    const std::string unit = absl::StrCat(" [", info.spec.unit, "]");
    if (internal::IsCounter(info.spec.kind)) {
      out.Text(absl::StrCat(q, " counter", unit));
      out.Text(absl::StrCat(q, " consumption", unit));
    } else {
      out.Text(absl::StrCat(q, " avg", unit));
      out.Text(absl::StrCat(q, " min", unit));
      out.Text(absl::StrCat(q, " max", unit));
    }
  }
  if (any_counter) out.Text("Note");
  return out.EndRow();
}

// One series' cells of a row, from its record at the row's time (null: none);
// a counter's gap, reset and wrap go to `notes`.
void WriteCells(const SeriesSpec& spec, const Record* r,
                const absl::TimeZone& tz, CsvWriter& out,
                std::vector<std::string>& notes) {
  const int decimals = Decimals(spec.scale);
  if (internal::IsCounter(spec.kind)) {
    if (r == nullptr) {
      out.Empty();
      out.Empty();
      return;
    }
    out.Number(static_cast<double>(r->a) * spec.scale, decimals);
    out.Number(static_cast<double>(r->b) * spec.scale, decimals);
    if (r->flags & kFlagGap) {
      notes.push_back(absl::StrCat(
          spec.quantity_id, ": no data since ",
          absl::FormatTime("%Y-%m-%d %H:%M",
                           absl::FromUnixSeconds(r->gap_start), tz)));
    }
    if (r->flags & kFlagReset) {
      notes.push_back(absl::StrCat(spec.quantity_id, ": counter reset"));
    }
    if (r->flags & kFlagWrap) {
      notes.push_back(absl::StrCat(spec.quantity_id, ": counter wrapped"));
    }
  } else {
    if (r == nullptr || r->b == 0) {
      out.Empty();
      out.Empty();
      out.Empty();
    } else {
      out.Number(
          static_cast<double>(r->a) / static_cast<double>(r->b) * spec.scale,
          decimals + 1);
      out.Number(static_cast<double>(r->min) * spec.scale, decimals);
      out.Number(static_cast<double>(r->max) * spec.scale, decimals);
    }
  }
}

}  // namespace

absl::Status Store::ExportCsv(const CsvRequest& request,
                              const CsvSink& sink) const {
  if (request.from >= request.to) {
    return absl::InvalidArgumentError("CSV export: empty or inverted period");
  }
  std::vector<SeriesInfo> series;
  if (request.quantity_ids.empty()) {
    EWS_ASSIGN_OR_RETURN(series, impl_->DeviceSeries(request.device_id));
  } else {
    for (const std::string& quantity : request.quantity_ids) {
      EWS_ASSIGN_OR_RETURN(SeriesId id,
                           FindSeries(request.device_id, quantity));
      EWS_ASSIGN_OR_RETURN(SeriesInfo info, impl_->Info(id));
      series.push_back(info);
    }
  }
  const absl::TimeZone& tz = impl_->tz;
  int64_t from_s = absl::ToUnixSeconds(request.from);
  int64_t to_s = absl::ToUnixSeconds(request.to);
  internal::ClampPeriod(&from_s, &to_s);

  // A connection of its own: a long export never holds up queries or ingest.
  EWS_ASSIGN_OR_RETURN(std::unique_ptr<Db> db,
                       Db::Open(impl_->options.path, Db::Mode::kReadOnly));
  std::vector<SeriesId> ids;
  for (const SeriesInfo& info : series) ids.push_back(info.id);
  EWS_ASSIGN_OR_RETURN(std::vector<LiveState> live,
                       impl_->BeginSnapshot(*db, ids));
  std::vector<std::unique_ptr<SeriesCursor>> cursors;
  bool any_counter = false;
  for (size_t i = 0; i < series.size(); ++i) {
    const SeriesInfo& info = series[i];
    EWS_ASSIGN_OR_RETURN(auto cursor,
                         SeriesCursor::Create(*db, info, live[i], request.tier,
                                              from_s, to_s, tz));
    cursors.push_back(std::move(cursor));
    any_counter |= internal::IsCounter(info.spec.kind);
  }

  CsvWriter out(request.style, sink);
  EWS_RETURN_IF_ERROR(WriteHead(series, any_counter, tz, out));
  for (;;) {
    int64_t t = INT64_MAX;
    for (const auto& c : cursors) {
      if (c->Peek() != nullptr) t = std::min(t, c->Peek()->start);
    }
    if (t == INT64_MAX) break;
    out.Text(absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixSeconds(t), tz));
    out.Text(std::to_string(tz.At(absl::FromUnixSeconds(t)).offset / 60));
    std::vector<std::string> notes;
    for (const auto& c : cursors) {
      const Record* r = c->Peek();
      const bool here = r != nullptr && r->start == t;
      WriteCells(c->info().spec, here ? r : nullptr, tz, out, notes);
      if (here) EWS_RETURN_IF_ERROR(c->Advance());
    }
    if (any_counter) out.Text(absl::StrJoin(notes, "; "));
    EWS_RETURN_IF_ERROR(out.EndRow());
  }
  db->Exec("COMMIT").IgnoreError();
  return out.Drain();
}

}  // namespace ews::storage

#include "sdk/export/file_view.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "sdk/base/status_macros.h"

namespace ews::files {
namespace {

using storage::Tier;

constexpr char kSiteFolder[] = "_site";
constexpr size_t kMaxPathBytes = 255;

// A store device id that is safe as a file name (config ids always are).
bool IsSafeName(absl::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '_' || name[0] == '.') {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(c) || c == '_' || c == '-' || c == '.';
  });
}

int DecimalsFor(double scale) {
  if (!(scale > 0)) return 3;
  const int decimals = static_cast<int>(std::ceil(-std::log10(scale) - 1e-9));
  return std::clamp(decimals, 0, 9);
}

}  // namespace

struct FileView::Period {
  enum class Kind { kDay, kMonth, kYear, kSiteMonth };
  Kind kind = Kind::kDay;
  std::string device;  // empty for site files
  std::string name;
  absl::Time from;
  absl::Time to;
  bool complete = false;  // nothing of it pruned yet
};

absl::StatusOr<std::vector<std::string>> SplitPath(absl::string_view path) {
  if (path.empty() || path[0] != '/' || path.size() > kMaxPathBytes) {
    return absl::InvalidArgumentError("not an absolute path");
  }
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F || c == '%' || c == '\\') {
      return absl::InvalidArgumentError("forbidden character in path");
    }
  }
  std::vector<std::string> parts;
  absl::string_view rest = path.substr(1);
  if (absl::EndsWith(rest, "/")) rest.remove_suffix(1);
  if (rest.empty()) return parts;
  for (absl::string_view part : absl::StrSplit(rest, '/')) {
    if (part.empty() || part == "." || part == "..") {
      return absl::InvalidArgumentError("empty, '.' or '..' path component");
    }
    parts.emplace_back(part);
  }
  return parts;
}

FileView::FileView(const storage::Store* store, const Clock& clock,
                   absl::TimeZone time_zone, FileViewOptions options)
    : store_(store), clock_(clock), time_zone_(time_zone), options_(options) {}

std::vector<std::string> FileView::Devices(const FileAccess& access) const {
  std::set<std::string> devices;
  for (const storage::SeriesSpec& spec : store_->ListSeries()) {
    if (IsSafeName(spec.device_id) && access.device &&
        access.device(spec.device_id)) {
      devices.insert(spec.device_id);
    }
  }
  return {devices.begin(), devices.end()};
}

// Every file of one device (or of the site): from the oldest interval the
// tier holds to the latest sample, in the site's time zone.
absl::StatusOr<std::vector<FileView::Period>> FileView::PeriodsOf(
    absl::string_view device, bool site) const {
  EWS_ASSIGN_OR_RETURN(std::vector<storage::SeriesHorizon> horizons,
                       store_->Horizons());
  absl::Time oldest_any[storage::kTierCount];
  absl::Time oldest_all[storage::kTierCount];
  for (int t = 0; t < storage::kTierCount; ++t) {
    oldest_any[t] = absl::InfiniteFuture();
    oldest_all[t] = absl::InfinitePast();
  }
  absl::Time last = absl::InfinitePast();
  bool any = false;
  for (const storage::SeriesHorizon& h : horizons) {
    if (site ? h.kind != storage::SeriesKind::kCounter
             : h.device_id != device) {
      continue;
    }
    any = true;
    for (int t = 0; t < storage::kTierCount; ++t) {
      oldest_any[t] = std::min(oldest_any[t], h.oldest[t]);
      if (h.oldest[t] != absl::InfiniteFuture()) {
        oldest_all[t] = std::max(oldest_all[t], h.oldest[t]);
      }
    }
    absl::StatusOr<absl::Time> sample = store_->LastSampleTime(h.id);
    if (sample.ok()) last = std::max(last, *sample);
  }
  std::vector<Period> periods;
  if (!any || last == absl::InfinitePast()) return periods;

  const absl::Time now = clock_.WallNow();
  auto add = [&](Period::Kind kind, Tier tier, absl::Time from, absl::Time to,
                 std::string name) {
    Period period;
    period.kind = kind;
    period.device = std::string(device);
    period.name = std::move(name);
    period.from = from;
    period.to = to;
    period.complete = from >= oldest_all[static_cast<int>(tier)] &&
                      to + options_.immutable_after <= now;
    periods.push_back(std::move(period));
  };
  const std::string prefix = site ? "site_" : absl::StrCat(device, "_");
  const absl::TimeZone& tz = time_zone_;
  auto civil = [&](absl::Time t) { return absl::ToCivilSecond(t, tz); };
  // One file per civil `unit` (a day, month or year) from the oldest
  // interval `tier` holds to the latest sample.
  auto add_each = [&](auto unit, Period::Kind kind, Tier tier) {
    using Civil = decltype(unit);
    const absl::Time first = oldest_any[static_cast<int>(tier)];
    if (first == absl::InfiniteFuture()) return;
    for (Civil c = Civil(civil(first)); c <= Civil(civil(last)); ++c) {
      add(kind, tier, absl::FromCivil(c, tz), absl::FromCivil(c + 1, tz),
          absl::StrCat(prefix, absl::FormatCivilTime(c), ".csv"));
    }
  };

  if (site) {
    add_each(absl::CivilMonth(), Period::Kind::kSiteMonth, Tier::kDay);
    return periods;
  }
  add_each(absl::CivilDay(), Period::Kind::kDay, Tier::kMinute);
  add_each(absl::CivilMonth(), Period::Kind::kMonth, Tier::kHour);
  add_each(absl::CivilYear(), Period::Kind::kYear, Tier::kDay);
  std::sort(periods.begin(), periods.end(),
            [](const Period& a, const Period& b) { return a.name < b.name; });
  return periods;
}

absl::StatusOr<FileView::Period> FileView::Resolve(
    const std::vector<std::string>& parts, const FileAccess& access) const {
  if (parts.size() != 2) return absl::NotFoundError("no such file");
  const bool site = parts[0] == kSiteFolder;
  if (site ? !access.site
           : !(IsSafeName(parts[0]) && access.device &&
               access.device(parts[0]))) {
    return absl::NotFoundError("no such file");
  }
  EWS_ASSIGN_OR_RETURN(std::vector<Period> periods,
                       PeriodsOf(site ? "" : parts[0], site));
  for (Period& period : periods) {
    if (period.name == parts[1]) return std::move(period);
  }
  return absl::NotFoundError("no such file");
}

storage::CsvRequest FileView::DeviceRequest(const Period& period) const {
  storage::CsvRequest request;
  request.device_id = period.device;
  request.from = period.from;
  request.to = period.to;
  request.tier = period.kind == Period::Kind::kDay     ? Tier::kMinute
                 : period.kind == Period::Kind::kMonth ? Tier::kHour
                                                       : Tier::kDay;
  request.style = options_.style;
  return request;
}

absl::Status FileView::Generate(const Period& period,
                                const storage::CsvSink& sink) const {
  if (period.kind != Period::Kind::kSiteMonth) {
    return store_->ExportCsv(DeviceRequest(period), sink);
  }
  // The site's consumption: one row per day, one column per counter series
  // (at most a month of days times the counters in memory).
  const bool comma =
      options_.style == storage::CsvStyle::kSemicolonDecimalComma;
  const char separator = comma ? ';' : ',';
  std::vector<storage::SeriesSpec> counters;
  for (const storage::SeriesSpec& spec : store_->ListSeries()) {
    if (spec.kind == storage::SeriesKind::kCounter) counters.push_back(spec);
  }
  std::sort(counters.begin(), counters.end(), [](const auto& a, const auto& b) {
    return std::tie(a.device_id, a.quantity_id) <
           std::tie(b.device_id, b.quantity_id);
  });
  std::map<absl::CivilDay, std::vector<std::string>> rows;
  for (absl::CivilDay d =
           absl::CivilDay(absl::ToCivilSecond(period.from, time_zone_));
       absl::FromCivil(d, time_zone_) < period.to; ++d) {
    rows[d].resize(counters.size());
  }
  std::string out = absl::StrCat("\xEF\xBB\xBF", "Date");
  for (size_t i = 0; i < counters.size(); ++i) {
    const storage::SeriesSpec& spec = counters[i];
    std::string title = absl::StrCat(spec.device_id, " ", spec.quantity_id,
                                     " consumption [", spec.unit, "]");
    if (title.find(separator) != std::string::npos ||
        title.find('"') != std::string::npos) {
      title = absl::StrCat("\"", absl::StrReplaceAll(title, {{"\"", "\"\""}}),
                           "\"");
    }
    absl::StrAppend(&out, std::string(1, separator), title);
    EWS_ASSIGN_OR_RETURN(storage::SeriesId id,
                         store_->FindSeries(spec.device_id, spec.quantity_id));
    EWS_ASSIGN_OR_RETURN(
        std::vector<storage::Point> totals,
        store_->Totals(id, Tier::kDay, period.from, period.to));
    for (const storage::Point& point : totals) {
      auto row = rows.find(
          absl::CivilDay(absl::ToCivilSecond(point.start, time_zone_)));
      if (row == rows.end()) continue;
      std::string value =
          absl::StrFormat("%.*f", DecimalsFor(spec.scale), point.delta);
      if (comma) std::replace(value.begin(), value.end(), '.', ',');
      row->second[i] = std::move(value);
    }
  }
  absl::StrAppend(&out, "\r\n");
  for (const auto& [day, values] : rows) {
    absl::StrAppend(&out, absl::FormatCivilTime(day));
    for (const std::string& value : values) {
      absl::StrAppend(&out, std::string(1, separator), value);
    }
    absl::StrAppend(&out, "\r\n");
  }
  return sink(out);
}

absl::StatusOr<int64_t> FileView::SizeOf(const Period& period) const {
  const std::string key = absl::StrCat(period.device, "/", period.name);
  if (period.complete) {
    absl::MutexLock lock(&mutex_);
    auto cached = sizes_.find(key);
    if (cached != sizes_.end()) return cached->second;
  }
  int64_t size = 0;
  EWS_RETURN_IF_ERROR(Generate(period, [&size](absl::string_view bytes) {
    size += static_cast<int64_t>(bytes.size());
    return absl::OkStatus();
  }));
  if (period.complete) {
    absl::MutexLock lock(&mutex_);
    if (sizes_.size() >= options_.max_cached_sizes) sizes_.clear();
    sizes_[key] = size;
  }
  return size;
}

absl::StatusOr<FileEntry> FileView::Stat(absl::string_view path,
                                         const FileAccess& access) const {
  EWS_ASSIGN_OR_RETURN(std::vector<std::string> parts, SplitPath(path));
  FileEntry entry;
  entry.modified = clock_.WallNow();
  if (parts.empty()) {
    entry.is_directory = true;
    return entry;
  }
  if (parts.size() == 1) {
    std::vector<std::string> devices = Devices(access);
    const bool visible =
        parts[0] == kSiteFolder
            ? access.site
            : std::binary_search(devices.begin(), devices.end(), parts[0]);
    if (!visible) return absl::NotFoundError("no such directory");
    entry.name = parts[0];
    entry.is_directory = true;
    return entry;
  }
  EWS_ASSIGN_OR_RETURN(Period period, Resolve(parts, access));
  entry.name = period.name;
  EWS_ASSIGN_OR_RETURN(entry.size, SizeOf(period));
  entry.modified = std::min(period.to, clock_.WallNow());
  return entry;
}

absl::StatusOr<std::vector<FileEntry>> FileView::List(
    absl::string_view path, const FileAccess& access) const {
  EWS_ASSIGN_OR_RETURN(std::vector<std::string> parts, SplitPath(path));
  std::vector<FileEntry> entries;
  const absl::Time now = clock_.WallNow();
  if (parts.empty()) {
    for (const std::string& device : Devices(access)) {
      entries.push_back({device, true, 0, now});
    }
    if (access.site) {
      entries.push_back({kSiteFolder, true, 0, now});
      std::sort(entries.begin(), entries.end(),
                [](const auto& a, const auto& b) { return a.name < b.name; });
    }
    return entries;
  }
  if (parts.size() > 1) {
    EWS_RETURN_IF_ERROR(Resolve(parts, access).status());
    return absl::FailedPreconditionError("not a directory");
  }
  EWS_ASSIGN_OR_RETURN(FileEntry directory, Stat(path, access));
  const bool site = directory.name == kSiteFolder;
  EWS_ASSIGN_OR_RETURN(std::vector<Period> periods,
                       PeriodsOf(site ? "" : directory.name, site));
  for (const Period& period : periods) {
    EWS_ASSIGN_OR_RETURN(int64_t size, SizeOf(period));
    entries.push_back({period.name, false, size, std::min(period.to, now)});
  }
  return entries;
}

absl::StatusOr<storage::CsvRequest> FileView::ExportRequestFor(
    absl::string_view path, const FileAccess& access) const {
  EWS_ASSIGN_OR_RETURN(std::vector<std::string> parts, SplitPath(path));
  EWS_ASSIGN_OR_RETURN(Period period, Resolve(parts, access));
  if (period.kind == Period::Kind::kSiteMonth) {
    return absl::NotFoundError("a site file is not a device export");
  }
  return DeviceRequest(period);
}

absl::Status FileView::Read(absl::string_view path, const FileAccess& access,
                            uint64_t offset, uint64_t length,
                            const storage::CsvSink& sink) const {
  EWS_ASSIGN_OR_RETURN(std::vector<std::string> parts, SplitPath(path));
  if (parts.size() < 2) {
    EWS_RETURN_IF_ERROR(Stat(path, access).status());
    return absl::FailedPreconditionError("a directory, not a file");
  }
  EWS_ASSIGN_OR_RETURN(Period period, Resolve(parts, access));
  if (length == 0) return absl::OkStatus();
  const uint64_t end =
      length > kToEnd - offset ? kToEnd : offset + length;  // exclusive
  uint64_t position = 0;
  bool done = false;
  absl::Status generated =
      Generate(period, [&](absl::string_view bytes) -> absl::Status {
        const uint64_t chunk_end = position + bytes.size();
        if (chunk_end > offset && position < end) {
          const uint64_t first = std::max(position, offset) - position;
          const uint64_t last = std::min(chunk_end, end) - position;
          EWS_RETURN_IF_ERROR(sink(bytes.substr(first, last - first)));
        }
        position = chunk_end;
        if (position >= end) {
          done = true;
          return absl::CancelledError("range complete");
        }
        return absl::OkStatus();
      });
  if (done) return absl::OkStatus();
  return generated;
}

}  // namespace ews::files

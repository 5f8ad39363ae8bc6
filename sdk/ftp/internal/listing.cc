#include "sdk/ftp/internal/listing.h"

#include "absl/strings/str_cat.h"

namespace ews::ftp::internal {
namespace {

std::string ListDate(absl::Time t, absl::Time now) {
  const absl::Duration age = now - t;
  if (age < absl::Hours(24 * 180) && age > -absl::Hours(24)) {
    return absl::FormatTime("%b %e %H:%M", t, absl::UTCTimeZone());
  }
  return absl::FormatTime("%b %e  %Y", t, absl::UTCTimeZone());
}

}  // namespace

std::string MachineTime(absl::Time time) {
  return absl::FormatTime("%Y%m%d%H%M%S", time, absl::UTCTimeZone());
}

std::string Facts(const files::FileEntry& entry) {
  const std::string modify = MachineTime(entry.modified);
  if (entry.is_directory) {
    return absl::StrCat("type=dir;modify=", modify, ";perm=el; ");
  }
  return absl::StrCat("type=file;size=", entry.size, ";modify=", modify,
                      ";perm=r; ");
}

std::string ListingLine(ListFormat format, const files::FileEntry& entry,
                        absl::Time now) {
  switch (format) {
    case ListFormat::kNames:
      return absl::StrCat(entry.name, "\r\n");
    case ListFormat::kFacts:
      return absl::StrCat(Facts(entry), entry.name, "\r\n");
    case ListFormat::kList:
      break;
  }
  return absl::StrCat(entry.is_directory ? "dr-xr-xr-x 2" : "-r--r--r-- 1",
                      " ews ews ", entry.size, " ",
                      ListDate(entry.modified, now), " ", entry.name, "\r\n");
}

}  // namespace ews::ftp::internal

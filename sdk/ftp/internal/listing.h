// The FTP server's listing formats (not API): LIST (ls -l), NLST (names),
// MLSD/MLST facts (RFC 3659), and the MDTM time.
#pragma once

#include <string>

#include "absl/time/time.h"
#include "sdk/export/file_view.h"

namespace ews::ftp::internal {

enum class ListFormat { kList, kNames, kFacts };

// RFC 3659 time-val in UTC: "YYYYMMDDHHMMSS" (MDTM, MLSD's modify fact).
std::string MachineTime(absl::Time time);

// MLSD/MLST facts with their trailing space ("type=file;size=12;...; ").
std::string Facts(const files::FileEntry& entry);

// One listing line for `entry`, with CRLF. LIST shows the time of day for
// dates within the last six months (and up to a day ahead) and the year
// otherwise, as ls -l does; `now` is the wall time.
std::string ListingLine(ListFormat format, const files::FileEntry& entry,
                        absl::Time now);

}  // namespace ews::ftp::internal

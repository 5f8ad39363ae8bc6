#include "sdk/webdav/webdav_handler.h"

#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

namespace ews::webdav {
namespace {

constexpr char kAllow[] = "OPTIONS, GET, HEAD, PROPFIND";

std::string HttpDate(absl::Time t) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", t, absl::UTCTimeZone());
}

std::string ETag(const files::FileEntry& entry) {
  return absl::StrCat("\"", entry.size, "-",
                      absl::ToUnixSeconds(entry.modified), "\"");
}

// Percent-encodes everything but unreserved characters and '/'.
std::string EncodeHref(absl::string_view path) {
  std::string out;
  for (char c : path) {
    if (absl::ascii_isalnum(c) || c == '/' || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += c;
    } else {
      absl::StrAppend(&out, "%",
                      absl::AsciiStrToUpper(absl::StrCat(absl::Hex(
                          static_cast<unsigned char>(c), absl::kZeroPad2))));
    }
  }
  return out;
}

std::string XmlEscape(absl::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void Plain(
    http::ResponseWriter& writer, int status, absl::string_view text,
    const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  (void)writer.Whole(status, "text/plain; charset=utf-8",
                     absl::StrCat(text, "\n"), headers);
}

void PlainForStatus(http::ResponseWriter& writer, const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return Plain(writer, 400, "bad path");
    case absl::StatusCode::kNotFound:
      return Plain(writer, 404, "not found");
    default:
      return Plain(writer, 500, status.message());
  }
}

std::string Response(const std::string& href, const files::FileEntry& entry) {
  std::string props =
      absl::StrCat("<D:displayname>", XmlEscape(entry.name),
                   "</D:displayname><D:getlastmodified>",
                   HttpDate(entry.modified), "</D:getlastmodified>");
  if (entry.is_directory) {
    absl::StrAppend(&props, "<D:resourcetype><D:collection/></D:resourcetype>");
  } else {
    absl::StrAppend(&props, "<D:resourcetype/><D:getcontentlength>", entry.size,
                    "</D:getcontentlength><D:getcontenttype>text/csv; "
                    "charset=utf-8</D:getcontenttype><D:getetag>",
                    XmlEscape(ETag(entry)), "</D:getetag>");
  }
  return absl::StrCat("<D:response><D:href>", XmlEscape(EncodeHref(href)),
                      "</D:href><D:propstat><D:prop>", props,
                      "</D:prop><D:status>HTTP/1.1 200 OK</D:status>"
                      "</D:propstat></D:response>\n");
}

}  // namespace

bool ParseByteRange(const std::string& header, int64_t size, int64_t* first,
                    int64_t* last, bool* unsatisfiable) {
  *unsatisfiable = false;
  absl::string_view spec = absl::StripAsciiWhitespace(header);
  if (!absl::ConsumePrefix(&spec, "bytes=") ||
      spec.find(',') != absl::string_view::npos) {
    return false;
  }
  const size_t dash = spec.find('-');
  if (dash == absl::string_view::npos) return false;
  const absl::string_view a = spec.substr(0, dash);
  const absl::string_view b = spec.substr(dash + 1);
  int64_t from = 0;
  int64_t to = 0;
  if (a.empty()) {  // the last n bytes
    if (!absl::SimpleAtoi(b, &to) || to < 0) return false;
    if (to == 0 || size == 0) {
      *unsatisfiable = true;
      return true;
    }
    *first = std::max<int64_t>(0, size - to);
    *last = size - 1;
    return true;
  }
  if (!absl::SimpleAtoi(a, &from) || from < 0) return false;
  if (b.empty()) {
    to = size - 1;
  } else if (!absl::SimpleAtoi(b, &to) || to < from) {
    return false;
  }
  if (from >= size) {
    *unsatisfiable = true;
    return true;
  }
  *first = from;
  *last = std::min(to, size - 1);
  return true;
}

WebDavHandler::WebDavHandler(const files::FileView* view, std::string prefix)
    : view_(view), prefix_(std::move(prefix)) {}

void WebDavHandler::Serve(const http::Request& request,
                          const files::FileAccess& access,
                          http::ResponseWriter& writer,
                          const ReadListener& on_read) const {
  absl::string_view rest = request.path;
  if (!absl::ConsumePrefix(&rest, prefix_) ||
      (!rest.empty() && rest[0] != '/')) {
    return Plain(writer, 404, "not found");
  }
  const std::string path = rest.empty() ? "/" : std::string(rest);
  const std::string& method = request.method;
  if (method == "OPTIONS") {
    (void)writer.Head(
        200, "", 0,
        {{"DAV", "1"}, {"Allow", kAllow}, {"MS-Author-Via", "DAV"}});
    return;
  }
  if (method == "PROPFIND") return Propfind(request, path, access, writer);
  if (method == "GET" || method == "HEAD") {
    return Get(request, path, access, writer, on_read);
  }
  Plain(writer, 405, "read-only: the history files cannot be changed",
        {{"Allow", kAllow}});
}

void WebDavHandler::Propfind(const http::Request& request,
                             const std::string& path,
                             const files::FileAccess& access,
                             http::ResponseWriter& writer) const {
  auto depth_header = request.headers.find("depth");
  const std::string depth =
      depth_header == request.headers.end() ? "infinity" : depth_header->second;
  if (depth != "0" && depth != "1") {
    return Plain(writer, 403, "PROPFIND Depth must be 0 or 1");
  }
  absl::StatusOr<files::FileEntry> self = view_->Stat(path, access);
  if (!self.ok()) return PlainForStatus(writer, self.status());
  std::string base = prefix_ + (path == "/" ? "/" : path);
  if (self->is_directory && base.back() != '/') base += '/';
  std::string body =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<D:multistatus xmlns:D=\"DAV:\">\n";
  absl::StrAppend(&body, Response(base, *self));
  if (self->is_directory && depth == "1") {
    absl::StatusOr<std::vector<files::FileEntry>> entries =
        view_->List(path, access);
    if (!entries.ok()) return PlainForStatus(writer, entries.status());
    for (const files::FileEntry& entry : *entries) {
      absl::StrAppend(&body,
                      Response(absl::StrCat(base, entry.name,
                                            entry.is_directory ? "/" : ""),
                               entry));
    }
  }
  absl::StrAppend(&body, "</D:multistatus>\n");
  (void)writer.Whole(207, "application/xml; charset=utf-8", body);
}

void WebDavHandler::Get(const http::Request& request, const std::string& path,
                        const files::FileAccess& access,
                        http::ResponseWriter& writer,
                        const ReadListener& on_read) const {
  absl::StatusOr<files::FileEntry> entry = view_->Stat(path, access);
  if (!entry.ok()) return PlainForStatus(writer, entry.status());
  const bool head_only = request.method == "HEAD";
  if (entry->is_directory) {
    absl::StatusOr<std::vector<files::FileEntry>> entries =
        view_->List(path, access);
    if (!entries.ok()) return PlainForStatus(writer, entries.status());
    std::string text;
    for (const files::FileEntry& child : *entries) {
      absl::StrAppend(&text, child.name, child.is_directory ? "/" : "", "\n");
    }
    if (head_only) {
      (void)writer.Head(200, "text/plain; charset=utf-8",
                        static_cast<int64_t>(text.size()), {});
    } else {
      (void)writer.Whole(200, "text/plain; charset=utf-8", text);
    }
    return;
  }
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Accept-Ranges", "bytes"},
      {"ETag", ETag(*entry)},
      {"Last-Modified", HttpDate(entry->modified)},
  };
  int64_t first = 0;
  int64_t last = entry->size - 1;
  int status = 200;
  auto range = request.headers.find("range");
  if (range != request.headers.end()) {
    bool unsatisfiable = false;
    int64_t a = 0;
    int64_t b = 0;
    if (ParseByteRange(range->second, entry->size, &a, &b, &unsatisfiable)) {
      if (unsatisfiable) {
        headers.emplace_back("Content-Range",
                             absl::StrCat("bytes */", entry->size));
        return Plain(writer, 416, "range not satisfiable", headers);
      }
      first = a;
      last = b;
      status = 206;
      headers.emplace_back(
          "Content-Range",
          absl::StrCat("bytes ", first, "-", last, "/", entry->size));
    }
  }
  const int64_t length = entry->size == 0 ? 0 : last - first + 1;
  if (!writer.Head(status, "text/csv; charset=utf-8", length, headers).ok() ||
      head_only || length == 0) {
    return;
  }
  uint64_t sent = 0;
  absl::Status read =
      view_->Read(path, access, static_cast<uint64_t>(first),
                  static_cast<uint64_t>(length), [&](absl::string_view bytes) {
                    sent += bytes.size();
                    return writer.Body(bytes);
                  });
  if (on_read) on_read(path, read, sent);
}

}  // namespace ews::webdav

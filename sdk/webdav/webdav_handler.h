// Read-only WebDAV (RFC 4918, class 1) over the history files
// (sdk/export/file_view.h), so Windows, macOS and Linux mount them as a
// network drive: OPTIONS (DAV: 1), PROPFIND with Depth 0 or 1 (a 207
// multistatus), GET and HEAD with single byte ranges (206, 416). Every
// method that would change something (PUT, DELETE, MKCOL, COPY, MOVE,
// PROPPATCH, LOCK, UNLOCK, POST) gets 405 with the Allow header; Depth
// infinity gets 403.
//
// Authentication is the caller's: it passes the FileAccess of the user it
// authenticated (EWS: HTTP Basic with user type + PIN, or the session
// cookie; apps/server/data_access.h).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "sdk/export/file_view.h"
#include "sdk/http/https_server.h"

namespace ews::webdav {

// Called after each file read (GET) with the file's view path, the outcome
// and the bytes sent.
using ReadListener = std::function<void(
    const std::string& path, const absl::Status& status, uint64_t bytes)>;

class WebDavHandler {
 public:
  // `view` must outlive the handler. `prefix` is where the tree is mounted
  // ("/dav": "/dav/meter-1/" is the view's "/meter-1").
  WebDavHandler(const files::FileView* view, std::string prefix);

  void Serve(const http::Request& request, const files::FileAccess& access,
             http::ResponseWriter& writer,
             const ReadListener& on_read = nullptr) const;

 private:
  void Propfind(const http::Request& request, const std::string& path,
                const files::FileAccess& access,
                http::ResponseWriter& writer) const;
  void Get(const http::Request& request, const std::string& path,
           const files::FileAccess& access, http::ResponseWriter& writer,
           const ReadListener& on_read) const;

  const files::FileView* const view_;
  const std::string prefix_;
};

// Parses a single "bytes=a-b", "bytes=a-" or "bytes=-n" range against a
// body of `size` bytes into [first, last]. Returns false when the header is
// not one range we serve (then the whole body is sent); sets *unsatisfiable
// when it is a well-formed range outside the body (416).
bool ParseByteRange(const std::string& header, int64_t size, int64_t* first,
                    int64_t* last, bool* unsatisfiable);

}  // namespace ews::webdav

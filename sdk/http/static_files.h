// Static files of the web UI (the output of web/build.mjs), served from a
// directory.
//
// - Files under /assets/ have content-hashed names and never change:
//   "Cache-Control: public, max-age=31536000, immutable". Everything else (the
//   HTML) gets "no-cache" and an ETag, so a browser revalidates it every time
//   and finds new asset names after an update.
// - A pre-compressed sibling (`name.br`, `name.gz`) is sent with
//   Content-Encoding when the client's Accept-Encoding allows it (brotli
//   first); "Vary: Accept-Encoding" on every file.
// - "/" is index.html. Only GET and HEAD; paths with "..", ".", empty or
//   hidden segments, backslashes or control characters are refused (400)
//   before the file system is touched. Symbolic links inside the root are
//   followed (Bazel's runfiles, packaged installs): whoever installs the root
//   decides what it holds.
#pragma once

#include <string>

#include "sdk/http/https_server.h"

namespace ews::http {

// The answer for `request` from the files under `root` (an absolute or
// relative directory). Never throws; every problem is an HTTP error answer.
Response ServeStaticFile(const std::string& root, const Request& request);

}  // namespace ews::http

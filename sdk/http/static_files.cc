#include "sdk/http/static_files.h"

#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ews::http {
namespace {

constexpr char kImmutable[] = "public, max-age=31536000, immutable";
constexpr char kRevalidate[] = "no-cache";
// The UI's files are tens of KB; anything this big is not one of them.
constexpr off_t kMaxFileBytes = 16 * 1024 * 1024;

struct Encoding {
  const char* name;    // Content-Encoding and Accept-Encoding token
  const char* suffix;  // the pre-compressed sibling's extension
};
constexpr Encoding kEncodings[] = {{"br", ".br"}, {"gzip", ".gz"}};

std::string ContentType(const std::string& path) {
  static constexpr const char* kTypes[][2] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
  };
  for (const auto& type : kTypes) {
    if (absl::EndsWith(path, type[0])) return type[1];
  }
  return "application/octet-stream";
}

// Whether every segment of `path` is a plain file or directory name.
bool IsCanonical(const std::string& path) {
  if (path.empty() || path[0] != '/' || path.size() > 1024) return false;
  if (path == "/") return true;
  for (absl::string_view segment :
       absl::StrSplit(absl::string_view(path).substr(1), '/')) {
    if (segment.empty() || segment[0] == '.') return false;  // "//", ., .., .x
    for (unsigned char c : segment) {
      if (c < 0x20 || c == 0x7f || c == '\\') return false;
    }
  }
  return true;
}

// Whether the client accepts `coding` (an Accept-Encoding token with a q-value
// other than 0).
bool Accepts(const Request& request, absl::string_view coding) {
  auto header = request.headers.find("accept-encoding");
  if (header == request.headers.end()) return false;
  for (absl::string_view item : absl::StrSplit(header->second, ',')) {
    std::vector<absl::string_view> parts = absl::StrSplit(item, ';');
    if (!absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(parts[0]), coding)) {
      continue;
    }
    double q = 1;
    for (size_t i = 1; i < parts.size(); ++i) {
      absl::string_view parameter = absl::StripAsciiWhitespace(parts[i]);
      if (absl::ConsumePrefix(&parameter, "q=") &&
          !absl::SimpleAtod(parameter, &q)) {
        q = 0;
      }
    }
    return q > 0;
  }
  return false;
}

// The file's status if it is a regular file (symbolic links followed: Bazel's
// runfiles and packaged installs link files into the root; only whoever
// installs the root can place them).
std::optional<struct stat> RegularFile(const std::string& path) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) {
    return std::nullopt;
  }
  return info;
}

}  // namespace

Response ServeStaticFile(const std::string& root, const Request& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    Response response =
        Response::Error(405, request.method + " is not allowed on files");
    response.headers.emplace_back("Allow", "GET, HEAD");
    return response;
  }
  if (!IsCanonical(request.path)) {
    return Response::Error(400, "not a canonical path");
  }
  struct stat root_info;
  if (root.empty() || stat(root.c_str(), &root_info) != 0 ||
      !S_ISDIR(root_info.st_mode)) {
    return Response::Error(404, "no web UI installed");
  }
  const std::string logical =
      request.path == "/" ? "/index.html" : request.path;
  const std::string file = root + logical;

  // The plain file must exist, so that a stray `x.gz` is never served as `x`.
  std::optional<struct stat> plain = RegularFile(file);
  if (!plain.has_value()) {
    return Response::Error(404, "no such file: " + request.path);
  }
  std::string chosen = file;
  struct stat info = *plain;
  const char* encoding = nullptr;
  for (const Encoding& candidate : kEncodings) {
    if (!Accepts(request, candidate.name)) continue;
    std::optional<struct stat> compressed =
        RegularFile(file + candidate.suffix);
    if (compressed.has_value()) {
      chosen = file + candidate.suffix;
      info = *compressed;
      encoding = candidate.name;
      break;
    }
  }
  if (info.st_size > kMaxFileBytes) {
    return Response::Error(500, "file too large to serve");
  }

  Response response;
  response.content_type = ContentType(logical);
  response.headers.emplace_back("Vary", "Accept-Encoding");
  if (encoding != nullptr) {
    response.headers.emplace_back("Content-Encoding", encoding);
  }
  const bool hashed = absl::StartsWith(logical, "/assets/");
  response.headers.emplace_back("Cache-Control",
                                hashed ? kImmutable : kRevalidate);
  const std::string etag = absl::StrCat(
      "\"", absl::Hex(info.st_size), "-",
      absl::Hex(static_cast<uint64_t>(info.st_mtim.tv_sec) * 1000000000u +
                info.st_mtim.tv_nsec),
      encoding != nullptr ? absl::StrCat("-", encoding) : "", "\"");
  response.headers.emplace_back("ETag", etag);

  auto match = request.headers.find("if-none-match");
  if (match != request.headers.end() &&
      absl::StrContains(match->second, etag)) {
    response.status = 304;
    return response;
  }
  std::ifstream in(chosen, std::ios::binary);
  response.body.assign(std::istreambuf_iterator<char>(in),
                       std::istreambuf_iterator<char>());
  if (in.bad() || response.body.size() != static_cast<size_t>(info.st_size)) {
    return Response::Error(500, "cannot read " + request.path);
  }
  return response;
}

}  // namespace ews::http

#include "sdk/hal/led/sysfs_leds.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "sdk/hal/internal/errno_status.h"

namespace ews::hal {
namespace {

// sysfs attributes are written with one write() at offset 0.
absl::Status WriteAttribute(const std::string& path, absl::string_view value) {
  // O_TRUNC: ignored by sysfs, needed on the fake trees of the tests.
  const int fd = open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0)
    return internal::ErrnoToStatus(errno, absl::StrCat("open ", path));
  const ssize_t n = write(fd, value.data(), value.size());
  const int error = errno;
  close(fd);
  if (n != static_cast<ssize_t>(value.size())) {
    return internal::ErrnoToStatus(n < 0 ? error : EIO,
                                   absl::StrCat("write ", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ReadIntAttribute(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return internal::ErrnoToStatus(errno, absl::StrCat("open ", path));
  char buffer[32];
  const ssize_t n = read(fd, buffer, sizeof buffer - 1);
  const int error = errno;
  close(fd);
  if (n < 0) return internal::ErrnoToStatus(error, absl::StrCat("read ", path));
  int value = 0;
  if (!absl::SimpleAtoi(
          absl::StripAsciiWhitespace(absl::string_view(buffer, n)), &value) ||
      value < 0) {
    return absl::DataLossError(absl::StrCat(path, ": not a number"));
  }
  return value;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SysfsLeds>> SysfsLeds::Open(
    const Options& options) {
  std::unique_ptr<SysfsLeds> leds(new SysfsLeds(options));
  for (Led led : kAllLeds) {
    const int i = static_cast<int>(led);
    if (access(leds->Path(led, "brightness").c_str(), F_OK) != 0) {
      return absl::NotFoundError(absl::StrCat("LED ", LedName(led), ": no ",
                                              leds->Path(led, "brightness")));
    }
    absl::StatusOr<int> max =
        ReadIntAttribute(leds->Path(led, "max_brightness"));
    if (absl::IsNotFound(max.status())) {
      max = 1;  // some drivers omit it; 1 is the LED class default for GPIOs
    } else if (!max.ok()) {
      return max.status();
    }
    leds->max_brightness_[i] = *max > 0 ? *max : 1;
    // Take the LED from any kernel trigger (heartbeat, mmc0, ...).
    if (access(leds->Path(led, "trigger").c_str(), F_OK) == 0) {
      if (absl::Status s = WriteAttribute(leds->Path(led, "trigger"), "none");
          !s.ok()) {
        return s;
      }
    }
    if (access(leds->Path(led, "brightness").c_str(), W_OK) != 0) {
      return internal::ErrnoToStatus(
          errno, absl::StrCat("LED ", LedName(led), " brightness"));
    }
  }
  return leds;
}

std::string SysfsLeds::Path(Led led, absl::string_view file) const {
  return absl::StrCat(options_.root, "/", options_.names[static_cast<int>(led)],
                      "/", file);
}

absl::Status SysfsLeds::DoSet(Led led, bool on) {
  return WriteAttribute(
      Path(led, "brightness"),
      on ? absl::StrCat(max_brightness_[static_cast<int>(led)]) : "0");
}

absl::StatusOr<bool> SysfsLeds::DoGet(Led led) {
  absl::StatusOr<int> brightness = ReadIntAttribute(Path(led, "brightness"));
  if (!brightness.ok()) return brightness.status();
  return *brightness > 0;
}

}  // namespace ews::hal

#!/bin/sh
# Imports a Bazel-built rootfs tarball as a Docker image (no registry needed).
#
#   lab/image/import_image.sh [device|lab] [NAME:TAG]
#
# device (default): //lab/image:device_rootfs -> ews-device:latest, runs as the ews user;
# lab: //lab/image:lab_rootfs -> ews-lab:latest. Uses the daemon at DOCKER_HOST (lab/lab.py
# starts a private one; see lab/README.md). Builds the tarball first when bazel is at hand,
# and prints the image's size.
set -eu
kind="${1:-device}"
case "$kind" in
  device) target=device_rootfs; name="${2:-ews-device:latest}"; change="USER ews" ;;
  lab) target=lab_rootfs; name="${2:-ews-lab:latest}"; change="" ;;
  *) echo "usage: $0 [device|lab] [NAME:TAG]" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/../.."
bin_dir="${BIN_DIR:-.bazel/bin}"
if command -v bazel >/dev/null 2>&1 && [ -z "${BIN_DIR:-}" ]; then
  bazel build --noshow_progress "//lab/image:$target" >&2
fi
tarball="$bin_dir/lab/image/$target.tar"
[ -f "$tarball" ] || { echo "$0: $tarball missing (bazel build //lab/image:$target)" >&2; exit 1; }
if [ -n "$change" ]; then
  docker import --change "$change" "$tarball" "$name" >/dev/null
else
  docker import "$tarball" "$name" >/dev/null
fi
size=$(docker image inspect --format '{{.Size}}' "$name")
echo "$name imported from $tarball: $size bytes uncompressed"

#!/usr/bin/python3
"""Builds a root filesystem tarball for the EWS images (a Bazel genrule calls it).

  make_rootfs.py --output rootfs.tar [--strip] [--lib_path DIR]...
      [--binary /usr/bin/ews-server=bazel-out/.../ews-server]...
      [--file /usr/share/ews/web/index.html=web/index.html[:MODE]]...
      [--dir /var/lib/ews:0750:101:101]... [--symlink /lib=usr/lib]...
      [--user ews:101:101:/var/lib/ews] [--group dialout:20:ews]...
      [--forbid libssl.so.3]...

Every --binary is copied (stripped with --strip) together with the closure of the shared
libraries it needs, resolved with ldd on the build machine (Debian 12, as the image);
--lib_path adds directories searched first (the BoringSSL shim that Bazel builds). Libraries
land in /usr/lib/x86_64-linux-gnu (on the loader's default path), BoringSSL's own in
/usr/lib/x86_64-linux-gnu/android (the binaries' runpath), the loader in /usr/lib64. A library
whose name matches a --forbid entry fails the build (OpenSSL must never be in the server).

The tarball is deterministic: sorted names, numeric owners (root unless --dir says otherwise),
mtime 0 for directories and links and, for a file, a time taken from its content's SHA-256: the
web server's ETag is size + mtime, so an updated index.html of the same size (the hashed asset
names have a fixed length) must not keep the old ETag and be answered 304 with the old assets.
It prints the uncompressed size of the files it holds.
"""

import argparse
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

MULTIARCH = "/usr/lib/x86_64-linux-gnu"


def fail(message):
    print("make_rootfs: " + message, file=sys.stderr)
    sys.exit(1)


def split_mapping(value):
    dest, sep, src = value.partition("=")
    if not sep or not dest.startswith("/") or not src:
        fail("expected /DEST=SOURCE, got %r" % value)
    return dest, src


def resolve_libraries(binary, lib_path):
    """Returns {soname: host path} of every library `binary` loads (ldd)."""
    env = dict(os.environ)
    if lib_path:
        env["LD_LIBRARY_PATH"] = ":".join(os.path.abspath(p) for p in lib_path)
    result = subprocess.run(["ldd", binary], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        fail("ldd %s: %s" % (binary, result.stderr.strip()))
    libraries = {}
    for line in result.stdout.splitlines():
        line = line.strip()
        if "=>" in line:
            name, _, rest = line.partition("=>")
            path = rest.strip().split(" ")[0]
            if path == "not" or not os.path.exists(path):
                fail("%s needs %s, which ldd cannot find" % (binary, name.strip()))
            libraries[name.strip()] = path
        elif line.startswith("/"):
            path = line.split(" ")[0]
            libraries[os.path.basename(path)] = path
    return libraries


def library_destination(name, path):
    if "ld-linux" in name:
        return "/usr/lib64/" + name
    if "/android/" in os.path.realpath(path):
        return MULTIARCH + "/android/" + name
    return MULTIARCH + "/" + name


class Rootfs:
    def __init__(self):
        self.entries = {}  # path -> TarInfo (data in self.data)
        self.data = {}

    def add_dir(self, path, mode=0o755, uid=0, gid=0):
        path = path.rstrip("/") or "/"
        parent = os.path.dirname(path)
        if parent != path and parent not in self.entries:
            self.add_dir(parent)
        if path == "/":
            return
        info = tarfile.TarInfo(path.lstrip("/"))
        info.type = tarfile.DIRTYPE
        info.mode, info.uid, info.gid = mode, uid, gid
        self.entries[path] = info

    def add_bytes(self, path, data, mode=0o644):
        self.add_dir(os.path.dirname(path))
        if path in self.entries and self.data.get(path) != data:
            fail("two different files for " + path)
        info = tarfile.TarInfo(path.lstrip("/"))
        info.size, info.mode = len(data), mode
        self.entries[path] = info
        self.data[path] = data

    def add_symlink(self, path, target):
        self.add_dir(os.path.dirname(path))
        info = tarfile.TarInfo(path.lstrip("/"))
        info.type, info.linkname, info.mode = tarfile.SYMTYPE, target, 0o777
        self.entries[path] = info

    def write(self, output):
        with open(output, "wb") as out:
            with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
                for path in sorted(self.entries):
                    info = self.entries[path]
                    data = self.data.get(path)
                    info.mtime = 0 if data is None else int.from_bytes(
                        hashlib.sha256(data).digest()[:4], "big") & 0x7FFFFFFF
                    info.uname = info.gname = ""
                    tar.addfile(info, io.BytesIO(data) if data is not None else None)
        return sum(len(d) for d in self.data.values())


def read_binary(path, strip, scratch):
    if not strip:
        with open(path, "rb") as f:
            return f.read()
    copy = os.path.join(scratch, "strip.tmp")
    shutil.copyfile(path, copy)
    subprocess.run(["strip", "--strip-unneeded", copy], check=True)
    with open(copy, "rb") as f:
        return f.read()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", required=True)
    parser.add_argument("--strip", action="store_true")
    parser.add_argument("--lib_path", action="append", default=[])
    parser.add_argument("--binary", action="append", default=[])
    parser.add_argument("--file", action="append", default=[])
    parser.add_argument("--dir", action="append", default=[])
    parser.add_argument("--symlink", action="append", default=[])
    parser.add_argument("--user", action="append", default=[])
    parser.add_argument("--group", action="append", default=[])
    parser.add_argument("--forbid", action="append", default=[])
    # A binary that runs in a process of its own and may need a --forbid library that is not
    # also in --helper_forbid (report_sender: libcurl-gnutls pulls OpenSSL's libcrypto.so.3 in
    # through libssh2, which must never be in ews-server's process).
    parser.add_argument("--helper_binary", action="append", default=[])
    parser.add_argument("--helper_forbid", action="append", default=[])
    args = parser.parse_args()

    rootfs = Rootfs()
    for link in args.symlink:
        path, target = split_mapping(link)
        rootfs.add_symlink(path, target)
    for directory in ("/etc", "/tmp", "/proc", "/sys", "/dev", "/run", "/var/lib"):
        rootfs.add_dir(directory, 0o1777 if directory == "/tmp" else 0o755)

    with tempfile.TemporaryDirectory() as scratch:
        libraries = {}  # host path -> its (stripped) bytes: binaries share most of them
        binaries = [(entry, args.forbid) for entry in args.binary]
        binaries += [(entry, args.helper_forbid) for entry in args.helper_binary]
        for binary, forbid in binaries:
            dest, src = split_mapping(binary)
            rootfs.add_bytes(dest, read_binary(src, args.strip, scratch), 0o755)
            for name, path in resolve_libraries(src, args.lib_path).items():
                for forbidden in forbid:
                    if name.startswith(forbidden):
                        fail("%s needs %s (%s), which must not be in the image" %
                             (src, name, forbidden))
                real = os.path.realpath(path)
                if real not in libraries:
                    libraries[real] = read_binary(real, args.strip and "ld-linux" not in name,
                                                  scratch)
                rootfs.add_bytes(library_destination(name, path), libraries[real], 0o755)

    for entry in args.file:
        dest, src = split_mapping(entry)
        mode = 0o644
        if ":" in src:
            src, _, mode_text = src.rpartition(":")
            mode = int(mode_text, 8)
        with open(src, "rb") as f:
            rootfs.add_bytes(dest, f.read(), mode)

    passwd = ["root:x:0:0:root:/root:/sbin/nologin"]
    group = ["root:x:0:"]
    for user in args.user:
        name, uid, gid, home = user.split(":")
        passwd.append("%s:x:%s:%s:EWS service:%s:/usr/sbin/nologin" % (name, uid, gid, home))
        group.append("%s:x:%s:" % (name, gid))
    for entry in args.group:
        name, gid, members = entry.split(":")
        group.append("%s:x:%s:%s" % (name, gid, members))
    rootfs.add_bytes("/etc/passwd", ("\n".join(passwd) + "\n").encode())
    rootfs.add_bytes("/etc/group", ("\n".join(group) + "\n").encode())
    rootfs.add_bytes("/etc/nsswitch.conf", b"passwd: files\ngroup: files\nhosts: files\n")
    rootfs.add_bytes("/etc/hosts", b"127.0.0.1 localhost\n::1 localhost\n")

    for entry in args.dir:
        path, mode, uid, gid = entry.split(":")
        rootfs.add_dir(path, int(mode, 8), int(uid), int(gid))

    size = rootfs.write(args.output)
    print("make_rootfs: %s: %d files, %.1f MB uncompressed" %
          (args.output, len(rootfs.data), size / 1e6))


if __name__ == "__main__":
    main()

"""rootfs(): a root filesystem tarball (for `docker import`) built by make_rootfs.py."""

def rootfs(name, binaries = {}, helper_binaries = {}, files = {}, trees = {}, dirs = [], symlinks = {}, users = [], groups = [], **kwargs):
    """Declares `name`.tar.

    Args:
      name: the target; the output is `name`.tar.
      binaries: {"/usr/bin/x": "//label"}: ELF binaries, stripped, with their shared libraries;
        none may need OpenSSL (libssl.so.3, libcrypto.so.3).
      helper_binaries: as binaries, for programs that run in a process of their own and may
        need OpenSSL's libcrypto.so.3 (never libssl.so.3).
      files: {"/etc/x": "//label"} (one file each); a destination ending in ":MODE" sets the mode.
      trees: {"/usr/share/ews/web": ("//web", "web/")}: every file of a label under a directory,
        with the given source prefix removed.
      dirs: ["/var/lib/ews:0750:101:101"] (path:mode:uid:gid).
      symlinks: {"/lib": "usr/lib"}.
      users: ["ews:101:101:/var/lib/ews"].
      groups: ["dialout:20:ews"].
      **kwargs: passed to the genrule (visibility, tags, testonly).
    """
    srcs = ["//third_party/boringssl:libssl.so", "//third_party/boringssl:libcrypto.so"]
    args = [
        "--output=$@",
        "--strip",
        "--forbid=libssl.so.3",
        "--forbid=libcrypto.so.3",
        "--helper_forbid=libssl.so.3",
        "--lib_path=$$(dirname $(location //third_party/boringssl:libssl.so))",
    ]
    for dest, label in binaries.items():
        srcs.append(label)
        args.append("--binary=%s=$(location %s)" % (dest, label))
    for dest, label in helper_binaries.items():
        srcs.append(label)
        args.append("--helper_binary=%s=$(location %s)" % (dest, label))
    for dest, label in files.items():
        srcs.append(label)
        mode = ""
        if ":" in dest:
            dest, mode = dest.split(":")
            mode = ":" + mode
        args.append("--file=%s=$(location %s)%s" % (dest, label, mode))
    tree_loops = []
    for dest, (label, prefix) in trees.items():
        srcs.append(label)
        tree_loops.append(
            "for f in $(locations %s); do rel=$${f#*%s}; args=\"$$args --file=%s/$$rel=$$f\"; done; " %
            (label, prefix, dest),
        )
    args += ["--dir=" + d for d in dirs]
    args += ["--symlink=%s=%s" % (p, t) for p, t in symlinks.items()]
    args += ["--user=" + u for u in users]
    args += ["--group=" + g for g in groups]
    native.genrule(
        name = name,
        srcs = srcs + ["//lab/image:make_rootfs.py"],
        outs = [name + ".tar"],
        cmd = "args=''; " + "".join(tree_loops) +
              "/usr/bin/python3 $(location //lab/image:make_rootfs.py) " + " ".join(args) + " $$args",
        **kwargs
    )

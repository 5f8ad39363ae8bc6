#!/usr/bin/env bash
# Runs tools/setup.sh and then ./test.sh in a minimal Debian 12 root, as on a fresh machine:
# proves that setup.sh installs everything the build and the tests need, and that nothing
# depends on what the developer's machine already has (packages, Bazel caches, pyenv, HOME).
#
#   sudo tools/fresh_machine_check.sh [--revision REV] [--rebuild-root] [--keep-root] [--log FILE]
#                                     [-- TARGET...]
#
#   --revision REV   the committed revision to test (default HEAD of the repository this script
#                    is in); uncommitted changes are not tested
#   --rebuild-root   debootstrap the root again instead of using the cached tarball
#   --keep-root      leave the unpacked root in the work directory for inspection
#   --log FILE       where the whole output goes (default: a file in the work directory)
#   -- TARGET...     passed to ./test.sh (a subset: skips the offline build check); default all
#   EWS_FRESH_CACHE  cache directory for the root tarball (default ~/.cache/ews-fresh-root)
#   EWS_FRESH_WORK   where the root is unpacked (default /var/tmp); needs a few GB free
#
# The root is `debootstrap --variant=minbase bookworm` (Debian's required packages only: no git,
# no iproute2, no sudo) from the mirror apt already uses, cached as a tarball. Each run unpacks a
# new copy, gives it the host's apt sources and resolver, and clones the revision into
# /root/ews. Inside a private mount and PID namespace it mounts /proc and binds /dev and /sys,
# then chroots in with an empty environment (HOME=/root): tools/setup.sh (timed, then run again
# to check it is silent), ./test.sh, `bazel shutdown`. When the namespace's first process ends,
# on success, failure or Ctrl-C, the kernel kills everything left inside and drops its mounts,
# so none outlive the run; then the root is deleted. Ends with ./test.sh's `N passed, N failed`
# line and the time of each phase; exit status 0 only if every phase passed.
set -euo pipefail

# Run as root in a checkout owned by a user: git's ownership check would refuse it (and a local
# clone's upload-pack does not see `-c`).
git() { command git -c safe.directory='*' "$@"; }
upload_pack="git -c safe.directory=* upload-pack"
note() { echo "fresh-machine: $*" | tee -a "$log" >&2; }

cleanup() {
  local status=$?
  trap '' INT TERM
  if [[ -n "$namespace_pid" ]] && kill -0 "$namespace_pid" 2>/dev/null; then
    # Ctrl-C reached the namespace too; give it time to shut Bazel down, then end it.
    for _ in $(seq 1 600); do kill -0 "$namespace_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$namespace_pid" 2>/dev/null || true
    wait "$namespace_pid" 2>/dev/null || true
  fi
  if grep -q " $work/" /proc/self/mountinfo; then  # cannot happen with a private namespace
    note "mounts left under $work, not deleting it:"; grep " $work/" /proc/self/mountinfo >&2
  elif ((keep)); then
    note "root kept in $root"
  else
    rm -rf --one-file-system "$root"
    rmdir "$work" 2>/dev/null || true  # kept if it holds the log
  fi
  ((status != 130)) || note "interrupted"
  exit $status
}

# The Debian mirror apt uses for bookworm (deb822 sources first, then the one-line format).
mirror() {
  local uri
  uri=$(awk '/^URIs:/ {u = $2} /^Suites:/ && / bookworm( |$)/ {print u; exit}' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [[ -n "$uri" ]] || uri=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

# PID 1 of the private namespace (see main, step 3): mount, chroot, run, shut down.
inside_namespace() {
  local root=$1 tests=$2 status=0 again
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mount --rbind /sys "$root/sys"
  local extra_ca=()
  [[ -s "$root/etc/host-extra-ca.crt" ]] && extra_ca=(NODE_EXTRA_CA_CERTS=/etc/host-extra-ca.crt)
  in_root() {
    chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root LANG=C.UTF-8 TERM=dumb \
      "${extra_ca[@]}" PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      /bin/bash -c "cd /root/ews && $1"
  }
  shut_down() {
    trap '' INT TERM
    if [[ -x "$root/usr/bin/bazel" ]]; then in_root 'bazel shutdown' >/dev/null 2>&1 || true; fi
  }
  trap 'shut_down; exit 130' INT TERM
  phase() {  # phase NAME COMMAND: runs COMMAND in the root, prints its time and its result
    local start=$SECONDS status=0
    echo "fresh-machine: == $1"
    in_root "$2" || status=$?
    echo "fresh-machine: $1 took $((SECONDS - start)) s, exit status $status"
    return $status
  }
  if phase setup.sh tools/setup.sh; then
    again=$(in_root 'tools/setup.sh 2>&1') || status=1
    if [[ -n "$again" ]]; then
      echo "fresh-machine: a second tools/setup.sh was not silent:"; echo "$again"; status=1
    fi
    phase test.sh "./test.sh $tests" || status=1
  else
    status=1
  fi
  shut_down
  exit $status
}

main() {
  repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
  revision=HEAD rebuild=0 keep=0 log= tests=
  while (($#)); do
    case $1 in
      --revision) revision=$2; shift 2 ;;
      --rebuild-root) rebuild=1; shift ;;
      --keep-root) keep=1; shift ;;
      --log) log=$(realpath -m "$2"); shift 2 ;;
      --) shift; tests=$(printf '%q ' "$@"); break ;;
      *) sed -n '6,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    esac
  done
  [[ $(id -u) -eq 0 ]] || { echo "run as root (debootstrap, mount, chroot): sudo $0" >&2; exit 2; }
  commit=$(git -C "$repo" rev-parse --verify "$revision^{commit}")
  cache=${EWS_FRESH_CACHE:-$HOME/.cache/ews-fresh-root}
  tarball=$cache/bookworm-minbase.tar
  work=$(mktemp -d "${EWS_FRESH_WORK:-/var/tmp}/ews-fresh.XXXXXX")
  root=$work/root
  log=${log:-$work/fresh-machine.log}
  namespace_pid=
  mkdir -p "$(dirname "$log")"
  : >>"$log"

  trap cleanup EXIT
  trap 'exit 130' INT TERM

  # 1. The root tarball: debootstrap from the mirror apt uses, once.
  if ((rebuild)) || [[ ! -s "$tarball" ]]; then
    command -v debootstrap >/dev/null || apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
      --no-install-recommends debootstrap >&2
    start=$SECONDS
    note "debootstrap --variant=minbase bookworm from $(mirror)"
    mkdir -p "$cache" "$work/build"
    debootstrap --variant=minbase bookworm "$work/build" "$(mirror)" >>"$log" 2>&1 ||
      { note "debootstrap failed, see $log"; tail -5 "$log" >&2; exit 1; }
    tar --numeric-owner -C "$work/build" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf --one-file-system "$work/build"
    note "debootstrap took $((SECONDS - start)) s; $tarball is $(du -h "$tarball" | cut -f1)"
  fi

  # 2. A new copy of the root with the host's apt sources and resolver, and the revision in it.
  mkdir "$root"
  tar --numeric-owner -C "$root" -xpf "$tarball"
  if [[ -s /etc/apt/sources.list.d/debian.sources ]]; then  # Debian 12's own format
    rm -f "$root/etc/apt/sources.list"
    cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
  elif grep -q '^deb ' /etc/apt/sources.list 2>/dev/null; then
    cp /etc/apt/sources.list "$root/etc/apt/sources.list"
  fi  # else debootstrap's: the main suite of the mirror it came from
  # How apt reaches the mirror (proxy, validity of a snapshot's Release files), nothing else.
  grep -lE '^[[:space:]]*Acquire::' /etc/apt/apt.conf.d/* 2>/dev/null |
    xargs -r cp -t "$root/etc/apt/apt.conf.d/"
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  # The certificate authorities this host's network adds (a TLS-intercepting proxy in front of
  # the npm registry, say): part of the machine's network like its resolver, not of the project.
  # Node reads them from NODE_EXTRA_CA_CERTS (in_root sets it when the file is there).
  if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
    cat /usr/local/share/ca-certificates/*.crt >"$root/etc/host-extra-ca.crt"
  fi
  [[ -s "$root/etc/hosts" ]] ||
    printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
  git clone --quiet --no-hardlinks --no-checkout --upload-pack="$upload_pack" "$repo" \
    "$root/root/ews"
  git -C "$root/root/ews" fetch --quiet --upload-pack="$upload_pack" origin "$commit"
  git -C "$root/root/ews" checkout --quiet --detach "$commit"
  note "testing $(git -C "$repo" log -1 --format='%h %s' "$commit" | cut -c1-80) in $root"

  # 3. setup.sh and test.sh inside, in a private mount and PID namespace.
  start=$SECONDS
  offset=$(($(stat -c %s "$log") + 1))
  unshare --mount --propagation private --pid --fork --kill-child \
    "$(realpath "$0")" --inside-namespace "$root" "$tests" >>"$log" 2>&1 &
  namespace_pid=$!
  tail -c "+$offset" -f --pid="$namespace_pid" "$log" &  # ends once unshare has ended
  tail_pid=$!
  status=0
  wait "$namespace_pid" || status=$?
  namespace_pid=
  wait "$tail_pid" || true
  grep -E '^fresh-machine: .* took ' "$log" >&2 || true
  note "setup.sh + test.sh took $((SECONDS - start)) s in all; log: $log"
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1) || true
  echo "${summary:-no test summary (see $log)}"
  exit $status
}

# Bash reads a script as it runs it: with everything in functions, editing this file during a
# run (it takes a while) does not break the run.
if [[ "${1:-}" == --inside-namespace ]]; then
  inside_namespace "$2" "$3"
else
  main "$@"
fi
exit

#!/usr/bin/env bash
# Builds Wharf's local base images without any registry (DOCKER-LAB §1), skipping each image
# whose inputs have not changed since it was built:
#   wharf-local/debian:bookworm  mmdebstrap → tar file → docker import, with the host's CAs
#   wharf-local/node:20          the host's /usr/bin/node + npm copied onto the Debian base
#   wharf-local/python:3.11      Debian's python3, pip, venv
#   wharf-local/postgres:15      Debian's postgresql-15, runs as postgres
#   wharf-local/redis:7          Debian's redis-server, runs as redis
#   wharf-local/mariadb:10.11    Debian's mariadb-server, runs as mysql
#
# The host's trusted CAs (/usr/local/share/ca-certificates/*.crt) are copied into the Debian base
# at build time, so apt, pip and npm inside containers trust what the host trusts: an egress
# proxy that re-signs TLS (this CI's, or a corporate one) included. They are never committed; they
# are part of the fingerprint, so a new per-boot CA rebuilds the images.
#
# Each image carries the label wharf.base.fingerprint, the sha256 of its inputs (this script, its
# Dockerfile, the mirror, the CA files' contents; for the others the Debian base's image id, and
# the host's node/npm versions for node). An image whose label matches is skipped.
#
# Usage: build-base-images.sh [--force] [--mirror URL] [--jobs N] [--list] [NAME...]
#   NAME       debian node python postgres redis mariadb (default: all; debian is always checked)
#   --force    rebuild even when the fingerprint matches
#   --mirror   the Debian mirror (default: the one /etc/apt/sources.list* names for bookworm)
#   --jobs N   images built at once after the Debian base (default 3)
#   --list     print "NAME TAG" for every image and exit
# Needs root (mmdebstrap), mmdebstrap, and a docker CLI talking to a running engine.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SUITE=bookworm
declare -A TAGS=(
  [debian]=wharf-local/debian:bookworm
  [node]=wharf-local/node:20
  [python]=wharf-local/python:3.11
  [postgres]=wharf-local/postgres:15
  [redis]=wharf-local/redis:7
  [mariadb]=wharf-local/mariadb:10.11
)
ORDER=(debian node python postgres redis mariadb)
LABEL=wharf.base.fingerprint
# The legacy builder works with every docker CLI (20.10's, and newer ones without buildx).
export DOCKER_BUILDKIT=0

die() { echo "build-base-images: $*" >&2; exit 1; }
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f s", b - a }'; }
sha() { sha256sum | cut -d' ' -f1; }

force=0 jobs=3 mirror='' wanted=()
while [ $# -gt 0 ]; do
  case $1 in
    --force) force=1 ;;
    --mirror) [ $# -ge 2 ] || die "--mirror needs a URL"; mirror=$2; shift ;;
    --jobs) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--jobs needs a positive number"; jobs=$2; shift ;;
    --list) for n in "${ORDER[@]}"; do echo "$n ${TAGS[$n]}"; done; exit 0 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) [ -n "${TAGS[$1]:-}" ] || die "unknown image $1: one of ${ORDER[*]}"; wanted+=("$1") ;;
  esac
  shift
done
[ ${#wanted[@]} -gt 0 ] || wanted=("${ORDER[@]}")

[ "$(id -u)" -eq 0 ] || die "run as root (mmdebstrap builds the root filesystem as root)"
command -v mmdebstrap >/dev/null || die "mmdebstrap is missing: apt-get install mmdebstrap"
command -v docker >/dev/null || die "the docker CLI is missing: apt-get install docker.io"
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || die "no Docker engine answers (start dockerd)"

# The first deb mirror for $SUITE in one-line sources.list files or deb822 .sources files.
ONE_LINE='{ line = $0; sub(/\[[^]]*\]/, "", line); n = split(line, f, /[ \t]+/)
  if (f[1] == "") { for (i = 1; i < n; i++) f[i] = f[i + 1] }
  if (f[1] == "deb" && f[3] == s) { print f[2]; exit } }'
DEB822='BEGIN { RS = ""; FS = "\n" }
  { types = uris = suites = ""; enabled = 1
    for (i = 1; i <= NF; i++) {
      if ($i ~ /^Types:/) types = " " substr($i, 7) " "
      else if ($i ~ /^URIs:/) uris = substr($i, 6)
      else if ($i ~ /^Suites:/) suites = " " substr($i, 8) " "
      else if ($i ~ /^Enabled:[ \t]*no/) enabled = 0
    }
    if (enabled && types ~ /[ \t]deb[ \t]/ && suites ~ ("[ \t]" s "[ \t]")) {
      split(uris, u, /[ \t]+/); print (u[1] != "" ? u[1] : u[2]); exit } }'
host_mirror() {
  local f m
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    case $f in *.sources) m=$(awk -v s="$SUITE" "$DEB822" "$f") ;; *) m=$(awk -v s="$SUITE" "$ONE_LINE" "$f") ;; esac
    if [ -n "$m" ]; then echo "$m"; return 0; fi
  done
}
[ -n "$mirror" ] || mirror=$(host_mirror)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

# The host's extra CAs, sorted so the fingerprint does not depend on directory order.
shopt -s nullglob
cas=(/usr/local/share/ca-certificates/*.crt)
shopt -u nullglob

# One build at a time on this machine: a second run waits, then finds everything up to date.
exec 9>"${TMPDIR:-/tmp}/wharf-base-images.lock"
flock -w 1800 9 || die "another build-base-images.sh run held ${TMPDIR:-/tmp}/wharf-base-images.lock for 30 min"

work=$(mktemp -d "${TMPDIR:-/tmp}/wharf-base-images.XXXXXX")
cleanup() {
  local pids
  pids=$(jobs -pr)
  [ -z "$pids" ] || kill $pids 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

label_of() { docker image inspect -f "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null || true; }
id_of() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }
# After a rebuild, the image the tag left behind is removed when nothing else uses it.
drop_old() { [ -z "$1" ] || [ "$1" = "$(id_of "$2")" ] || docker image rm "$1" >/dev/null 2>&1 || true; }

fingerprint() {
  local name=$1
  {
    echo "script"; sha <"$HERE/build-base-images.sh"
    if [ "$name" = debian ]; then
      echo "suite $SUITE mirror $mirror"
      echo "aptconf"; sha <"$HERE/aptconf/docker-clean"
      local ca
      for ca in "${cas[@]}"; do echo "ca ${ca##*/}"; sha <"$ca"; done
    else
      echo "base $(id_of "${TAGS[debian]}")"
      echo "dockerfile"; sha <"$HERE/$name.Dockerfile"
      if [ "$name" = node ]; then
        [ -x /usr/bin/node ] && [ -d /usr/lib/node_modules/npm ] || die "node: the host has no /usr/bin/node and /usr/lib/node_modules/npm to copy"
        echo "node $(/usr/bin/node --version) npm $(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' /usr/lib/node_modules/npm/package.json | head -n 1)"
      fi
    fi
  } | sha
}

build_debian() {
  local fp=$1 tar="$work/debian.tar" hooks=()
  # copy-in takes no globs (DOCKER-LAB §1.4): every CA file is named.
  [ ${#cas[@]} -eq 0 ] || hooks+=(--customize-hook="copy-in ${cas[*]} /usr/local/share/ca-certificates/")
  # A tar file, not a pipe into docker import: a failed mmdebstrap must not import an empty image.
  mmdebstrap --variant=apt --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --include=ca-certificates,passwd \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --aptopt='APT::Install-Recommends "false"' \
    --customize-hook="copy-in $HERE/aptconf/docker-clean /etc/apt/apt.conf.d/" \
    "${hooks[@]}" \
    --customize-hook='chroot "$1" update-ca-certificates' \
    --customize-hook='rm -rf "$1"/var/cache/apt/*.bin "$1"/var/lib/apt/lists/*' \
    "$SUITE" "$tar" "$mirror" >"$work/mmdebstrap.log" 2>&1 ||
    { tail -n 40 "$work/mmdebstrap.log" >&2; die "debian: mmdebstrap failed (its last lines are above)"; }
  # docker import leaves the config empty: PATH, LANG and CMD are set here.
  docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV LANG=C.UTF-8' -c "LABEL $LABEL=$fp" -c 'CMD ["bash"]' "$tar" "${TAGS[debian]}" >/dev/null
  rm -f "$tar"
}

build_from_dockerfile() {
  local name=$1 fp=$2 ctx="$work/$name"
  mkdir -p "$ctx"
  cp "$HERE/$name.Dockerfile" "$ctx/Dockerfile"
  if [ "$name" = node ]; then
    cp /usr/bin/node "$ctx/node"
    cp -a /usr/lib/node_modules/npm "$ctx/npm"
  fi
  # The build's own output goes to a file, shown only when the build fails.
  docker build --force-rm --label "$LABEL=$fp" -t "${TAGS[$name]}" "$ctx" >"$work/$name.build.log" 2>&1 ||
    { tail -n 40 "$work/$name.build.log" >&2; die "$name: docker build failed (its last lines are above)"; }
  rm -rf "$ctx"
}

# Builds one image unless it is up to date; prints one line with what happened and how long it took.
ensure() {
  local name=$1 start fp old
  start=$(now)
  fp=$(fingerprint "$name")
  old=$(id_of "${TAGS[$name]}")
  if [ "$force" -eq 0 ] && [ -n "$old" ] && [ "$(label_of "${TAGS[$name]}")" = "$fp" ]; then
    printf '%-9s %-28s up to date   %s\n' "$name" "${TAGS[$name]}" "$(since "$start")"
    return 0
  fi
  if [ "$name" = debian ]; then build_debian "$fp"; else build_from_dockerfile "$name" "$fp"; fi
  drop_old "$old" "${TAGS[$name]}"
  printf '%-9s %-28s built        %s  %s\n' "$name" "${TAGS[$name]}" "$(since "$start")" \
    "$(docker image inspect -f '{{.Size}}' "${TAGS[$name]}" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
}

total=$(now)
echo "base images (mirror $mirror, ${#cas[@]} host CA file(s), $jobs at a time after debian):"
ensure debian

# The others only need the Debian base: build them side by side, each logging to its own file.
declare -A pid_of=()
failed=()
reap() {
  local done_pid name
  wait -n -p done_pid "${pid_of[@]}" 2>/dev/null && rc=0 || rc=$?
  for name in "${!pid_of[@]}"; do
    [ "${pid_of[$name]}" = "$done_pid" ] || continue
    unset "pid_of[$name]"
    if [ "$rc" -eq 0 ]; then cat "$work/$name.log"; else
      failed+=("$name")
      echo "$name: build failed (exit $rc); last lines of its log:" >&2
      tail -n 40 "$work/$name.log" >&2
    fi
  done
}
for name in "${wanted[@]}"; do
  [ "$name" != debian ] || continue
  while [ ${#pid_of[@]} -ge "$jobs" ]; do reap; done
  ensure "$name" >"$work/$name.log" 2>&1 &
  pid_of[$name]=$!
done
while [ ${#pid_of[@]} -gt 0 ]; do reap; done

[ ${#failed[@]} -eq 0 ] || die "failed: ${failed[*]} (after $(since "$total"))"
echo "base images ready in $(since "$total")"

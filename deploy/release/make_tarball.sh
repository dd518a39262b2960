#!/bin/bash
# make_tarball.sh: the release tarball for any x86-64 Linux distribution,
# around the fully static cri-dockerd (link_static.sh). Run by the
# release-tarball CMake target (deploy/release/release.cmake):
#   make_tarball.sh STATIC_BINARY OUT.tar.gz SOURCE_DIR
# OUT.tar.gz holds one directory, cri-dockerd/, laid out as install.sh
# expects next to it (the same layout as deploy/):
#   cri-dockerd/cri-dockerd                      the static binary, stripped
#   cri-dockerd/install.sh                       node setup (--help)
#   cri-dockerd/systemd/cri-docker.{service,socket}
#   cri-dockerd/default/cri-dockerd              the daemon's flags
#   cri-dockerd/README.md, README.deploy.md
#   cri-dockerd/LICENSES/<component>             what is linked in
# Files are owned by root, dated by the binary, in a fixed order.
set -euo pipefail

binary=$1
out=$2
src=$3
die() {
  printf 'make_tarball.sh: error: %s\n' "$*" >&2
  exit 1
}
# The libcurl linked in (cached: prints its directory at once).
curl_dir=$("$(dirname "${BASH_SOURCE[0]}")/static_curl.sh") || die "no static libcurl"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
d=$stage/cri-dockerd
mkdir -p "$d/systemd" "$d/default" "$d/LICENSES"
strip -o "$d/cri-dockerd" "$binary"
install -m 0755 "$src/deploy/install.sh" "$d/install.sh"
install -m 0644 "$src/deploy/systemd/cri-docker.service" "$src/deploy/systemd/cri-docker.socket" "$d/systemd/"
install -m 0644 "$src/deploy/default/cri-dockerd" "$d/default/"
install -m 0644 "$src/README.md" "$d/README.md"
install -m 0644 "$src/deploy/README.md" "$d/README.deploy.md"

# Licences of what the binary contains: Debian's copyright file of the
# package each static archive comes from, curl's from its source, and the
# common licence texts those files refer to.
licence() { # NAME PACKAGE
  local f=/usr/share/doc/$2/copyright
  [[ -f $f ]] || die "no copyright file $f (package $2)"
  install -m 0644 "$f" "$d/LICENSES/$1"
}
licence grpc libgrpc-dev # gRPC, gpr, upb, address_sorting
licence protobuf libprotobuf-dev
licence abseil libabsl-dev
licence c-ares libc-ares-dev
licence re2 libre2-dev
licence openssl libssl-dev # libcrypto (SHA-1)
licence zlib zlib1g-dev
licence nlohmann-json nlohmann-json3-dev
licence glibc libc6-dev
licence gcc-runtime gcc-12-base # libstdc++, libgcc, libatomic
install -m 0644 "$curl_dir/COPYING" "$d/LICENSES/curl"
for l in Apache-2.0 LGPL-2.1 GPL-3; do
  install -m 0644 "/usr/share/common-licenses/$l" "$d/LICENSES/common-$l"
done
cat >"$d/LICENSES/README" <<'EOF'
cri-dockerd is linked statically. It contains, unmodified, the Debian 12
builds of: gRPC (with upb, gpr, address_sorting), protobuf, Abseil, c-ares,
re2, OpenSSL's libcrypto, zlib, nlohmann/json, the GNU C library and GCC's
runtime libraries (libstdc++, libgcc, libatomic), and libcurl built from
Debian 12's curl source package with HTTP only. Each file here is that
component's copyright and licence statement; common-* are the licence texts
they refer to.

The GNU C library is under the LGPL 2.1 (common-LGPL-2.1). As it permits
for a statically linked program, the object files and archives this binary
was linked from are available on request from whoever gave you this binary,
so that it can be relinked with a modified glibc; the project's source tree
builds them (`cmake --build build --target cri-dockerd-static`,
deploy/release/link_static.sh).
EOF

find "$stage" -exec touch -h -r "$binary" {} +
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner \
  -czf "$out.tmp" cri-dockerd
mv "$out.tmp" "$out"

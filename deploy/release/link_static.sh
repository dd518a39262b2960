#!/bin/bash
# link_static.sh: link the fully static cri-dockerd from the objects and
# archives of the normal build (no second compile), against Debian 12's
# static archives (gRPC's unsecure variant, protobuf, Abseil, c-ares, re2,
# upb, OpenSSL's libcrypto for the WebSocket handshake's SHA-1, zlib for
# SPDY), the minimal libcurl of static_curl.sh and a static glibc. Run by
# the cri-dockerd-static CMake target (deploy/release/release.cmake):
#   link_static.sh OUT CXX OBJECT_OR_ARCHIVE...
# The result is a static PIE (ASLR, no interpreter, no NEEDED entries).
# Linker warnings are errors, except those glibc prints for the NSS lookups
# that static_init.c (one of the inputs) answers: see there.
set -euo pipefail

out=$1
cxx=$2
shift 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() {
  printf 'link_static.sh: error: %s\n' "$*" >&2
  exit 1
}

curl_dir=$("$here/static_curl.sh") || die "no static libcurl"
libdir=$(pkg-config --variable=libdir absl_base) || die "no Abseil (libabsl-dev)"
# Every Abseil archive: the group takes only the members something needs.
absl=("$libdir"/libabsl_*.a)
[[ -f ${absl[0]} ]] || die "no Abseil static archives in $libdir"

log=$(mktemp)
trap 'rm -f "$log" "$out.tmp"' EXIT
# One group: the project's archives and the system's refer to each other.
if ! "$cxx" -static-pie -O2 -Wl,--gc-sections -o "$out.tmp" \
  -Wl,--start-group "$@" "$curl_dir/lib/libcurl.a" \
  -lgrpc++_unsecure -lgrpc_unsecure -lgpr -lupb -laddress_sorting -lcares -lre2 \
  -lprotobuf "${absl[@]}" -lcrypto -lz -latomic \
  -Wl,--end-group -pthread 2>"$log"; then
  cat "$log" >&2
  die "static link failed"
fi
# glibc marks its NSS entry points with a link-time warning. Expected: the
# lookups of the databases static_init.c pins to glibc's built-in services
# (hosts: ours, libcurl's, c-ares' and libcrypto's BIO; group: the socket's;
# services: c-ares'), and dlopen in libcrypto's module loader, which only
# a configuration file reaches and static_init.c keeps it from reading.
# Any other warning (getpwnam, a dlopen elsewhere, ...) fails here.
nss='getaddrinfo|gethostbyname|gethostbyname_r|gethostbyaddr|getgrnam|getservbyname|getservbyname_r|getservbyport|getservbyport_r'
unexpected=$(awk -v nss="^Using '($nss)' in statically linked" '
  /warning: / {
    msg = substr($0, index($0, "warning: ") + 9)
    if (msg ~ nss) next
    if (msg ~ /^Using .dlopen. in statically linked/ && prev ~ /libcrypto\.a\(libcrypto-lib-dso_dlfcn\.o\)/) next
    print
  }
  { prev = $0 }' "$log")
if [[ -n $unexpected ]]; then
  cat "$log" >&2
  die "unexpected linker warnings (see above)"
fi
if readelf -d "$out.tmp" | grep -q '(NEEDED)' || readelf -l "$out.tmp" | grep -q INTERP; then
  die "$out.tmp is not fully static"
fi
mv "$out.tmp" "$out"

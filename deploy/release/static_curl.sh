#!/bin/bash
# static_curl.sh: a minimal static libcurl for the fully static cri-dockerd
# (deploy/release/). Debian's libcurl.a needs LDAP, Kerberos, SSH, RTMP,
# PSL, IDN2, nghttp2 and TLS libraries, some without a static archive, so
# this builds libcurl from Debian 12's own curl source package (its patches
# applied) with what the docker client uses and nothing else: HTTP/1.1 over
# unix sockets and plain TCP, the multi interface, the threaded resolver. No
# TLS, no compression, no IDN/PSL, no authentication schemes, no other
# protocols. The version is the one Debian 12's libcurl4-openssl-dev headers
# have (the daemon's objects are compiled against those), and checked.
#   deploy/release/static_curl.sh [CACHE_DIR]
# prints the directory holding lib/libcurl.a and include/curl/. CACHE_DIR
# (default $CRID_STATIC_CACHE, else /tmp/crid-lab/static) keeps one build per
# recipe (a digest of this script and the curl version): a second run prints
# the cached one without touching the network. The source comes through a
# private apt state (the machine's own sources, lists and caches are never
# read or written). Needs dpkg-dev (dpkg-source) and a C compiler.
set -euo pipefail

cache=${1:-${CRID_STATIC_CACHE:-/tmp/crid-lab/static}}
jobs=${CRID_JOBS:-2}
die() {
  printf 'static_curl.sh: error: %s\n' "$*" >&2
  exit 1
}

# The headers the daemon is compiled against fix the version to build.
want=$(dpkg-query -W -f '${Version}' libcurl4-openssl-dev 2>/dev/null) ||
  die "libcurl4-openssl-dev is not installed"
recipe=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-12)
key=curl-${want//[^A-Za-z0-9.+-]/_}-$recipe
out=$cache/$key
if [[ -f $out/lib/libcurl.a && -f $out/include/curl/curl.h ]]; then
  echo "$out"
  exit 0
fi

mkdir -p "$cache"
work=$(mktemp -d "$cache/curl-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/apt/{sources,lists/partial,archives/partial,cache} "$work/src"

# --- source ---------------------------------------------------------------------
cat >"$work/apt/sources/bookworm-src.sources" <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
opts=(-qq -o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/apt/sources"
  -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache"
  -o "Dir::Cache::Archives=$work/apt/archives" -o Dir::State::status=/dev/null
  -o APT::Sandbox::User=root)
apt-get "${opts[@]}" update || die "apt-get update (bookworm deb-src) failed"
(cd "$work/src" && apt-get "${opts[@]}" source "curl=$want" >/dev/null) ||
  die "apt-get source curl=$want failed"
srcdir=$(find "$work/src" -mindepth 1 -maxdepth 1 -type d -name 'curl-*' | head -n1)
[[ -n $srcdir ]] || die "no unpacked curl source under $work/src"

# --- build ----------------------------------------------------------------------
# -fPIE like every object Debian's gcc makes; no symbol versions (static).
cd "$srcdir"
./configure --quiet --prefix="$work/prefix" \
  --disable-shared --enable-static --with-pic \
  --disable-dependency-tracking --disable-manual --disable-docs \
  --enable-http --enable-unix-sockets --enable-threaded-resolver --enable-proxy \
  --disable-ftp --disable-file --disable-ldap --disable-ldaps --disable-rtsp \
  --disable-dict --disable-telnet --disable-tftp --disable-pop3 --disable-imap \
  --disable-smb --disable-smtp --disable-gopher --disable-mqtt \
  --disable-ntlm --disable-ntlm-wb --disable-crypto-auth --disable-kerberos-auth \
  --disable-negotiate-auth --disable-aws --disable-tls-srp \
  --disable-alt-svc --disable-hsts --disable-cookies --disable-netrc \
  --disable-doh --disable-mime --disable-dateparse --disable-bindlocal \
  --disable-websockets --disable-versioned-symbols --disable-libcurl-option \
  --without-ssl --without-zlib --without-brotli --without-zstd \
  --without-libidn2 --without-libpsl --without-librtmp --without-libssh2 \
  --without-libssh --without-wolfssh --without-nghttp2 --without-nghttp3 \
  --without-ngtcp2 --without-quiche --without-msh3 --without-libgsasl \
  --without-gssapi --without-hyper --without-ca-bundle --without-ca-path \
  >"$work/configure.log" 2>&1 || {
  tail -n 30 "$work/configure.log" >&2
  die "curl's configure failed"
}
make -C lib -j"$jobs" >"$work/make.log" 2>&1 || {
  tail -n 30 "$work/make.log" >&2
  die "building libcurl failed"
}
{ make -C lib install && make -C include install; } >/dev/null ||
  die "installing libcurl into $work/prefix failed"

# Same API as the headers the daemon is built with.
have=$(sed -n 's/^#define LIBCURL_VERSION "\(.*\)"$/\1/p' "$work/prefix/include/curl/curlver.h")
sys=$(echo '#include <curl/curlver.h>
LIBCURL_VERSION' | cc -E -P - | tr -d '"' | tail -n1)
[[ $have == "$sys" ]] || die "built curl $have, but the system headers are curl $sys"
cp "$srcdir/COPYING" "$work/prefix/COPYING"
echo "$want" >"$work/prefix/VERSION"
rm -rf "$out"
mv "$work/prefix" "$out"
echo "$out"

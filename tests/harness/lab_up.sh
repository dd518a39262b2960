#!/bin/bash
# lab_up.sh: bring up the offline test lab the integration tests run against,
# then print one summary line. Run as root; idempotent (a second run only checks).
#   - packages (install_deps.sh), and the runc wrapper when root lacks CAP_SYS_RESOURCE
#   - dockerd on /var/run/docker.sock (an already running one is kept)
#   - registries: plain HTTP on 127.0.0.1:5000, and TLS on 127.0.0.1:443 answering
#     as registry.k8s.io and gcr.io (via /etc/hosts and a throwaway CA)
#   - test images built offline from Debian's busybox and pushed to both registries;
#     the local copies are removed again, so tests pull what they use
#   - a second engine, Docker 26 with the containerd image store (docker26_up.sh)
# Everything the lab owns lives under /tmp/crid-lab. LAB_VERBOSE=1 shows progress.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lab=/tmp/crid-lab
export DOCKER_HOST=unix:///var/run/docker.sock
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
t0=$(date +%s.%N)

lab_script=lab_up
# shellcheck source=tests/harness/lab_lib.sh
. "$here/lab_lib.sh"
# put_file DEST MODE < content: write DEST only when its content differs
put_file() {
  local content tmp
  content=$(cat && echo .) # the dot keeps trailing newlines
  content=${content%.}
  if [[ -f $1 ]] && cmp -s "$1" <(printf '%s' "$content"); then return 0; fi
  tmp=$(mktemp "$1.XXXXXX")
  printf '%s' "$content" >"$tmp"
  chmod "$2" "$tmp"
  mv -f "$tmp" "$1"
}

((EUID == 0)) || die "must run as root"
mkdir -p "$lab"
exec 9>>"$lab/.lock"
flock 9 # one lab_up at a time (daemons start through detach.sh: no fd 9)

"$here/install_deps.sh"

# --- runc wrapper -------------------------------------------------------------
wrapper_dst=/usr/local/sbin/runc
wrapper_tag='crid-lab runc wrapper'
cap_sys_resource() {
  local key value
  while read -r key value; do
    if [[ $key == CapEff: ]]; then
      (((16#$value >> 24) & 1))
      return
    fi
  done </proc/self/status
  return 1
}
if cap_sys_resource; then
  if [[ -e $wrapper_dst ]] && grep -q "$wrapper_tag" "$wrapper_dst"; then
    rm -f "$wrapper_dst"
    wrapper="removed (CAP_SYS_RESOURCE present)"
  else
    wrapper="not needed"
  fi
else
  if [[ -e $wrapper_dst ]] && ! grep -q "$wrapper_tag" "$wrapper_dst"; then
    mv "$wrapper_dst" "$lab/runc.displaced.$(date +%s)"
    say "moved a foreign $wrapper_dst to $lab/"
  fi
  mkdir -p "$(dirname "$wrapper_dst")"
  put_file "$wrapper_dst" 0755 <"$here/runc-wrapper"
  wrapper="runc wrapper in $wrapper_dst"
fi

# --- names and trust for the TLS registry ---------------------------------------
# Before dockerd starts, so it never caches name lookups without these hosts.
reg=$lab/registry
pki=$reg/pki
tls_hosts=(registry.k8s.io gcr.io)
mkdir -p "$reg" "$pki"
hosts_changed=0

if [[ ! -s $pki/server.crt || ! -s $pki/ca.crt ]]; then
  say "creating the throwaway CA"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=crid-lab CA" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=${tls_hosts[0]}" \
    -keyout "$pki/server.key" -out "$pki/server.csr" 2>/dev/null
  san="subjectAltName=IP:127.0.0.1"
  for h in "${tls_hosts[@]}"; do san+=",DNS:$h"; done
  openssl x509 -req -in "$pki/server.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 3650 -extfile <(echo "$san") -out "$pki/server.crt" 2>/dev/null
fi
# The registry with password auth is plain HTTP on localhost:5443: dockerd
# treats loopback registries as insecure and falls back from https to http,
# reporting the http attempt's error, so only over http does a refused
# login come back as docker's "unauthorized". (No CA entry for it, then.)
auth_host=localhost:5443
rm -rf "/etc/docker/certs.d/$auth_host"
for h in "${tls_hosts[@]}"; do
  mkdir -p "/etc/docker/certs.d/$h"
  put_file "/etc/docker/certs.d/$h/ca.crt" 0644 <"$pki/ca.crt"
  if ! grep -qE "^127\.0\.0\.1[[:space:]]+([^#]*[[:space:]])?${h//./\\.}([[:space:]]|\$)" /etc/hosts; then
    echo "127.0.0.1 $h # crid-lab" >>/etc/hosts
    hosts_changed=1
  fi
done

# --- dockerd ------------------------------------------------------------------
# Every cgroup v1 hierarchy mounted, as on a systemd host (cgroup_mounts.sh
# says why).
"$here/cgroup_mounts.sh"
if docker info >/dev/null 2>&1; then
  engine="dockerd kept"
  # Go re-reads /etc/hosts at most every 5 s: let a running dockerd see new entries.
  if ((hosts_changed)); then sleep 5; fi
  # A dockerd started elsewhere may find /usr/sbin/runc first on its PATH.
  dpid=$(cat /var/run/docker.pid 2>/dev/null || true)
  if [[ $wrapper == runc\ wrapper* && -n $dpid && -r /proc/$dpid/environ ]]; then
    dpath=$(tr '\0' '\n' <"/proc/$dpid/environ" | sed -n 's/^PATH=//p')
    IFS=: read -ra dirs <<<"$dpath"
    for d in "${dirs[@]}"; do
      if [[ -x $d/runc ]]; then
        [[ $d/runc == "$wrapper_dst" ]] ||
          engine+=" (WARNING: it runs $d/runc, not the wrapper: restart it with /usr/local/sbin first on PATH)"
        break
      fi
    done
  fi
else
  say "starting dockerd"
  "$here/detach.sh" "$lab/dockerd.log" dockerd -H unix:///var/run/docker.sock
  if ! wait_for 60 docker info; then
    tail -n 30 "$lab/dockerd.log" >&2
    die "dockerd did not come up within 60 s (log: $lab/dockerd.log)"
  fi
  engine="dockerd started"
fi

# A dockerd started with --bridge=none (a test's private engine, say) deletes
# the host's docker0 on startup, and the lab engine's default bridge network
# then fails every container ("could not find bridge docker0"). Put it back
# as the network expects it: same name, gateway = first address of the subnet.
bridge_if=$(docker network inspect bridge -f '{{index .Options "com.docker.network.bridge.name"}}' 2>/dev/null || true)
if [[ -n $bridge_if ]] && ! ip link show "$bridge_if" >/dev/null 2>&1; then
  subnet=$(docker network inspect bridge -f '{{range .IPAM.Config}}{{.Subnet}}{{end}}')
  net=${subnet%/*} prefix=${subnet#*/}
  ip link add "$bridge_if" type bridge
  ip addr add "${net%.*}.$((${net##*.} + 1))/$prefix" dev "$bridge_if"
  ip link set "$bridge_if" up
  engine+=" ($bridge_if re-created)"
fi

# --- registries ---------------------------------------------------------------
http_probe() { curl -fsS -m 2 http://127.0.0.1:5000/v2/; }
tls_probe() {
  curl -fsS -m 2 --cacert "$pki/ca.crt" --resolve "${tls_hosts[0]}:443:127.0.0.1" "https://${tls_hosts[0]}/v2/"
}
# start_registry NAME PROBE YAML-LINES...: (re)write NAME.yml, serve it unless PROBE answers
start_registry() {
  local name=$1 probe=$2
  shift 2
  printf '%s\n' "version: 0.1" "log: {level: warn, accesslog: {disabled: true}}" "$@" |
    put_file "$reg/$name.yml" 0644
  "$probe" >/dev/null 2>&1 && return 0
  say "starting registry $name"
  "$here/detach.sh" "$reg/$name.log" docker-registry serve "$reg/$name.yml"
  if ! wait_for 20 "$probe"; then
    tail -n 20 "$reg/$name.log" >&2
    die "registry $name did not answer (log: $reg/$name.log)"
  fi
}
start_registry http http_probe \
  "storage: {filesystem: {rootdirectory: $reg/http-data}, delete: {enabled: true}}" \
  "http: {addr: '127.0.0.1:5000'}"
start_registry tls tls_probe \
  "storage: {filesystem: {rootdirectory: $reg/tls-data}, delete: {enabled: true}}" \
  "http: {addr: '127.0.0.1:443', tls: {certificate: $pki/server.crt, key: $pki/server.key}}"

# Password-protected (htpasswd, bcrypt) registry for credential tests.
# shellcheck source=tests/harness/lab_env.sh disable=SC1091
. "$here/lab_env.sh"
if [[ ! -s $reg/htpasswd ]]; then
  htpasswd -Bbn "$LAB_AUTH_USER" "$LAB_AUTH_PASSWORD" >"$reg/htpasswd"
fi
auth_probe() { # up when it answers at all (401 without credentials)
  [[ $(curl -sS -m 2 -o /dev/null -w '%{http_code}' "http://$auth_host/v2/") == 401 ]]
}
start_registry auth auth_probe \
  "storage: {filesystem: {rootdirectory: $reg/auth-data}, delete: {enabled: true}}" \
  "auth: {htpasswd: {realm: crid-lab, path: $reg/htpasswd}}" \
  "http: {addr: '127.0.0.1:5443'}"

# --- images -------------------------------------------------------------------
R=localhost:5000
images=() # "LOCAL-REF|PUBLIC-REF|DOCKERFILE-LINES" (\n separates lines)
add() { images+=("$1|$2|$3"); }
pause_df='COPY pause /pause\nENTRYPOINT ["/pause"]'
nginx_cmd='CMD ["/usr/sbin/nginx", "-g", "daemon off;"]'
for v in 3.8 3.9 3.10; do add "$R/pause:$v" "registry.k8s.io/pause:$v" "$pause_df"; done
add "$R/busybox:1.36" "" ''
e2e='e2e-test-images'
add "$R/$e2e/busybox:1.29-2" "registry.k8s.io/$e2e/busybox:1.29-2" ''
add "$R/$e2e/busybox:1.29-4" "registry.k8s.io/$e2e/busybox:1.29-4" ''
add "$R/$e2e/nginx:1.14-2" "registry.k8s.io/$e2e/nginx:1.14-2" \
  "COPY tiny-nginx /usr/sbin/nginx\nEXPOSE 80\n$nginx_cmd"
add "$R/$e2e/httpd:2.4.39-4" "registry.k8s.io/$e2e/httpd:2.4.39-4" \
  'EXPOSE 80\nCMD ["sh", "-c", "echo Command line: httpd -D FOREGROUND; exec httpd -f -p 80 -h /usr/share/nginx/html"]'
add "$R/$e2e/nonewprivs:1.3" "registry.k8s.io/$e2e/nonewprivs:1.3" \
  'COPY nonewprivs /usr/local/bin/nnp\nRUN chmod 4755 /usr/local/bin/nnp\nCMD ["/usr/local/bin/nnp"]'
cri=k8s-staging-cri-tools
add "$R/$cri/hostnet-nginx-amd64:latest" "gcr.io/$cri/hostnet-nginx-amd64:latest" \
  "COPY tiny-nginx /usr/sbin/nginx\nENV PORT=12003\n$nginx_cmd"
add "$R/$cri/test-image-user-uid:latest" "gcr.io/$cri/test-image-user-uid:latest" 'USER 1002'
add "$R/$cri/test-image-user-username:latest" "gcr.io/$cri/test-image-user-username:latest" 'USER www-data'
add "$R/$cri/test-image-user-uid-group:latest" "gcr.io/$cri/test-image-user-uid-group:latest" 'USER 1003:1003'
add "$R/$cri/test-image-user-username-group:latest" "gcr.io/$cri/test-image-user-username-group:latest" \
  'USER www-data:www-data'
add "$R/$cri/test-image-predefined-group:latest" "gcr.io/$cri/test-image-predefined-group:latest" 'USER 1000'
for t in test-image-latest:latest test-image-tag:test test-image-tag:all test-image-1:latest \
  test-image-2:latest test-image-3:latest test-image-digest:latest test-image-tags:1; do
  add "$R/$cri/$t" "gcr.io/$cri/$t" ''
done
# extra tags: SOURCE|TARGET. One image under three tags; and critest's
# --registry-prefix drops tags, so those repositories also need :latest.
retags=(
  "$R/$cri/test-image-tags:1|$R/$cri/test-image-tags:2"
  "$R/$cri/test-image-tags:1|$R/$cri/test-image-tags:3"
  "$R/$cri/test-image-tags:1|gcr.io/$cri/test-image-tags:2"
  "$R/$cri/test-image-tags:1|gcr.io/$cri/test-image-tags:3"
  "$R/$e2e/busybox:1.29-2|$R/$e2e/busybox:latest"
  "$R/$e2e/nginx:1.14-2|$R/$e2e/nginx:latest"
  "$R/$cri/test-image-tag:test|$R/$cri/test-image-tag:latest"
  "$R/pause:3.9|$R/pause:latest"
)

# The stamp holds a digest of everything the images are made of: edit a source
# or the list above and the next run rebuilds.
stamp=$lab/.images-v1
recipe=$(
  {
    printf '%s\n' "${images[@]}" "${retags[@]}"
    cat "$here"/lab_up.sh "$here"/images/*
  } | sha256sum | cut -d' ' -f1
)
accept=application/vnd.docker.distribution.manifest.v2+json
has_manifest() { # REF (host/repo:tag) is served by its registry
  local ref=$1 host repo tag
  host=${ref%%/*} repo=${ref#*/}
  tag=${repo##*:} repo=${repo%:*}
  local get=(curl -fsS -m 5 -o /dev/null -I -H "Accept: $accept")
  if [[ $host == "$R" ]]; then
    "${get[@]}" "http://127.0.0.1:5000/v2/$repo/manifests/$tag" 2>/dev/null
  else
    "${get[@]}" --cacert "$pki/ca.crt" --resolve "$host:443:127.0.0.1" \
      "https://$host/v2/$repo/manifests/$tag" 2>/dev/null
  fi
}
images_served() {
  local ref
  for ref in "$R/pause:3.10" registry.k8s.io/pause:3.10 "$R/busybox:1.36" \
    "$R/$e2e/busybox:1.29-2" "gcr.io/$cri/test-image-tags:3" "$R/pause:latest"; do
    has_manifest "$ref" || return 1
  done
}

if [[ $(cat "$stamp" 2>/dev/null) == "$recipe" ]] && images_served; then
  built="images cached"
else
  say "building test images"
  rm -f "$stamp"
  work=$(mktemp -d "$lab/build.XXXXXX")
  base=crid-lab/base:$recipe
  # Whatever happens, leave the engine's image store as it was: tests pull
  # what they use. On success the precise rmi removes everything we made.
  drop_built_images() {
    local refs=("$base") spec pub pair
    for spec in "${images[@]}"; do
      refs+=("${spec%%|*}")
      pub=${spec#*|} pub=${pub%%|*}
      [[ -z $pub ]] || refs+=("$pub")
    done
    for pair in "${retags[@]}"; do refs+=("${pair#*|}"); done
    docker rmi "${refs[@]}" >/dev/null 2>&1 && return 0
    # a failed build: also leftovers of unfinished builds
    docker rmi -f "${refs[@]}" >/dev/null 2>&1 || true
    docker image prune -af --filter label=org.crid-lab.image >/dev/null 2>&1 || true
    docker rmi -f "$base" >/dev/null 2>&1 || true
  }
  trap 'wait; drop_built_images; rm -rf "$work"' EXIT
  ctx=$work/ctx
  mkdir -p "$ctx"
  for prog in pause tiny-nginx nonewprivs; do
    gcc -static -Os -s -o "$ctx/$prog" "$here/images/$prog.c" &
  done
  wait

  # Debian's dynamic busybox: its shell runs applets found on PATH, as the
  # upstream busybox image does (busybox-static would run them built in).
  bb=/bin/busybox
  if ! ldd "$bb" >/dev/null 2>&1; then
    deb=$(find "$lab/cache" -name 'busybox_*.deb' 2>/dev/null | head -n 1)
    if [[ -z $deb ]]; then
      mkdir -p "$lab/cache"
      (cd "$lab/cache" && { apt-get download -qq busybox 2>/dev/null ||
        { apt-get update -qq && apt-get download -qq busybox 2>/dev/null; }; })
      deb=$(find "$lab/cache" -name 'busybox_*.deb' | head -n 1)
    fi
    [[ -n $deb ]] || die "cannot get Debian's busybox package"
    dpkg-deb -x "$deb" "$work/bbdeb"
    bb=$work/bbdeb/bin/busybox
  fi

  root=$work/rootfs
  mkdir -p "$root"/{bin,etc,root,tmp,var/run,var/www,usr/sbin,usr/local/bin,usr/share/nginx/html}
  mkdir -p "$root/home/default-user"
  chmod 1777 "$root/tmp"
  cp "$bb" "$root/bin/busybox"
  while read -r lib; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done < <(ldd "$bb" | grep -oE '/[^ ]+\.so[^ ]*')
  for applet in $("$root/bin/busybox" --list); do
    [[ -e $root/bin/$applet ]] || ln "$root/bin/busybox" "$root/bin/$applet"
  done
  install -m 0755 "$here/images/pgrep" "$here/images/ipcs" "$root/bin/"
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
www-data:x:33:33:www-data:/var/www:/bin/sh
default-user:x:1000:1000::/home/default-user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
www-data:x:33:
default-user:x:1000:
group-defined-in-image:x:50000:default-user
nogroup:x:65534:
EOF
  echo '<html><body><h1>Welcome to nginx!</h1></body></html>' >"$root/usr/share/nginx/html/index.html"
  chown -R 1000:1000 "$root/home/default-user"
  tar -C "$root" --numeric-owner -cf - . |
    docker import -c 'CMD ["sh"]' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - "$base" >/dev/null

  # build_one INDEX: build image INDEX, push it under its local and public names
  build_one() {
    local spec=${images[$1]} local_ref pub_ref body log=$work/log.$1
    local_ref=${spec%%|*} spec=${spec#*|}
    pub_ref=${spec%%|*} body=${spec#*|}
    {
      printf 'FROM %s\nLABEL org.crid-lab.image="%s"\n' "$base" "$local_ref"
      printf '%b\n' "$body"
    } >"$work/Dockerfile.$1"
    local tags=(-t "$local_ref")
    [[ -z $pub_ref ]] || tags+=(-t "$pub_ref")
    if ! {
      DOCKER_BUILDKIT=0 docker build -q --force-rm --network=none "${tags[@]}" -f "$work/Dockerfile.$1" "$ctx" &&
        docker push -q "$local_ref" && { [[ -z $pub_ref ]] || docker push -q "$pub_ref"; }
    } >"$log" 2>&1; then
      touch "$work/failed.$1"
    fi
  }
  # Four at a time: builds and pushes mostly wait on dockerd, two cores suffice.
  for i in "${!images[@]}"; do
    while (($(jobs -rp | wc -l) >= 4)); do wait -n || true; done
    build_one "$i" &
  done
  wait
  for f in "$work"/failed.*; do
    [[ -e $f ]] || continue
    i=${f##*.}
    cat "$work/log.$i" >&2
    die "building ${images[$i]%%|*} failed"
  done
  pushes=()
  for pair in "${retags[@]}"; do
    docker tag "${pair%%|*}" "${pair#*|}"
    docker push -q "${pair#*|}" >"$work/push.${#pushes[@]}" 2>&1 &
    pushes+=($!)
  done
  for i in "${!pushes[@]}"; do
    wait "${pushes[$i]}" || { cat "$work/push.$i" >&2; die "pushing ${retags[$i]#*|} failed"; }
  done

  drop_built_images
  trap 'rm -rf "$work"' EXIT
  images_served || die "images pushed but not served by the registries"
  echo "$recipe" >"$stamp"
  built="${#images[@]} images built"
fi

# The private image: busybox under the auth registry (logged in through a
# throwaway docker config, so the node's own credentials stay untouched).
private_ref=$LAB_AUTH_IMAGE
auth_served() {
  local repo=${private_ref#*/}
  curl -fsS -m 5 -o /dev/null -I -H "Accept: $accept" \
    -u "$LAB_AUTH_USER:$LAB_AUTH_PASSWORD" \
    "http://$auth_host/v2/${repo%:*}/manifests/${private_ref##*:}" 2>/dev/null
}
if ! auth_served; then
  say "pushing $private_ref"
  cfg=$(mktemp -d "$lab/docker-config.XXXXXX")
  docker pull -q "$R/busybox:1.36" >/dev/null
  docker tag "$R/busybox:1.36" "$private_ref"
  DOCKER_CONFIG=$cfg docker login -u "$LAB_AUTH_USER" --password-stdin "$auth_host" \
    <<<"$LAB_AUTH_PASSWORD" >/dev/null 2>&1
  DOCKER_CONFIG=$cfg docker push -q "$private_ref" >/dev/null
  rm -rf "$cfg"
  docker rmi "$private_ref" "$R/busybox:1.36" >/dev/null
  auth_served || die "$private_ref pushed but not served"
fi

# --- the second engine: Docker 26 with the containerd image store ---------------
# (the integration_docker26 tests run on it). CRID_LAB_DOCKER26=0 skips it.
if [[ ${CRID_LAB_DOCKER26:-1} != 0 ]]; then
  docker26=$("$here/docker26_up.sh")
  docker26="; ${docker26#docker26 ready in *: }"
else
  docker26=""
fi

echo "crid-lab ready in $(elapsed)s: $engine on /var/run/docker.sock; registries" \
  "127.0.0.1:5000 (http), 127.0.0.1:443 (tls, as ${tls_hosts[*]}) and $auth_host" \
  "(http + password); $built; $wrapper$docker26"

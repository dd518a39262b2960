#!/bin/bash
# go_deb_build.sh OUTDIR VERSION: builds, with dpkg-deb --build, a stand-in
# for the Go cri-dockerd's Debian package (Mirantis' cri-dockerd_<VERSION>):
# the same package name and file layout, so that installing this project's
# package over it is the switch an admin makes:
#   /usr/bin/cri-dockerd                      a stand-in (shell script): prints
#                                             a Go-style --version, and as the
#                                             service tells systemd it is
#                                             ready, then waits; serves nothing
#   /lib/systemd/system/cri-docker.service    units with the Go project's
#   /lib/systemd/system/cri-docker.socket     names and socket
# and maintainer scripts doing what debhelper's generate for it (both units
# enabled and started; on removal stopped; on purge disabled). Prints the
# .deb's path. Runs in the node tier's node (node_test.sh pipes it in).
set -euo pipefail

out=${1:?OUTDIR}
version=${2:?VERSION, e.g. 0.3.15.3-0.debian-bookworm}
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/DEBIAN" "$tree/usr/bin" "$tree/lib/systemd/system" "$out"

cat >"$tree/usr/bin/cri-dockerd" <<'EOF'
#!/bin/sh
# Stand-in for the Go cri-dockerd (node tier test).
case "$1" in
--version) echo "cri-dockerd 0.3.15 (Go stand-in)"; exit 0 ;;
esac
# Type=notify: systemd-notify sends READY=1 in this shell's name.
systemd-notify --ready
exec sleep infinity
EOF
chmod 0755 "$tree/usr/bin/cri-dockerd"

# Units with the Go project's names, socket path and the settings this
# switch depends on (the socket's path, mode and group; the service
# socket-activated as Type=notify and enabled): what the package that is
# replaced leaves on a node.
cat >"$tree/lib/systemd/system/cri-docker.service" <<'EOF'
[Unit]
Description=cri-dockerd stand-in (the Go package's unit)
After=docker.service
Requires=cri-docker.socket

[Service]
Type=notify
ExecStart=/usr/bin/cri-dockerd --container-runtime-endpoint fd://
Restart=always

[Install]
WantedBy=multi-user.target
EOF
cat >"$tree/lib/systemd/system/cri-docker.socket" <<'EOF'
[Unit]
Description=cri-dockerd stand-in socket (the Go package's unit)
PartOf=cri-docker.service

[Socket]
ListenStream=%t/cri-dockerd.sock
SocketMode=0660
SocketGroup=docker

[Install]
WantedBy=sockets.target
EOF

cat >"$tree/DEBIAN/control" <<EOF
Package: cri-dockerd
Version: $version
Architecture: $(dpkg --print-architecture)
Maintainer: Go cri-dockerd stand-in <root@localhost>
Depends: docker.io | docker-ce
Section: admin
Priority: optional
Description: Go cri-dockerd stand-in (node tier test)
 The Go cri-dockerd package's name, version scheme and files.
EOF
cat >"$tree/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ] || [ "$1" = abort-upgrade ]; then
	for u in cri-docker.service cri-docker.socket; do
		deb-systemd-helper unmask "$u" >/dev/null || true
		if deb-systemd-helper --quiet was-enabled "$u"; then
			deb-systemd-helper enable "$u" >/dev/null || true
		else
			deb-systemd-helper update-state "$u" >/dev/null || true
		fi
	done
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null || true
		if [ -n "$2" ]; then action=restart; else action=start; fi
		deb-systemd-invoke $action cri-docker.socket cri-docker.service >/dev/null || true
	fi
fi
EOF
cat >"$tree/DEBIAN/prerm" <<'EOF'
#!/bin/sh
set -e
if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
	deb-systemd-invoke stop cri-docker.service cri-docker.socket >/dev/null || true
fi
EOF
cat >"$tree/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
fi
if [ "$1" = purge ] && [ -x /usr/bin/deb-systemd-helper ]; then
	deb-systemd-helper purge cri-docker.service cri-docker.socket >/dev/null || true
	deb-systemd-helper unmask cri-docker.service cri-docker.socket >/dev/null || true
fi
EOF
chmod 0755 "$tree/DEBIAN/postinst" "$tree/DEBIAN/prerm" "$tree/DEBIAN/postrm"

deb=$out/cri-dockerd_${version}_$(dpkg --print-architecture).deb
dpkg-deb --root-owner-group --build "$tree" "$deb" >/dev/null
printf '%s\n' "$deb"

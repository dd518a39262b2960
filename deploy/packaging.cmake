# Node install files and the Debian package (included from the top-level
# CMakeLists.txt). `cpack -G DEB` in the build directory (or `make package`)
# builds cri-dockerd_<version>_<arch>.deb with:
#   /usr/bin/cri-dockerd                        (the install(TARGETS) rule)
#   /lib/systemd/system/cri-docker.{service,socket}
#   /etc/default/cri-dockerd                    (a conffile)
#   /usr/share/cri-dockerd/install.sh           (node setup, with its data:
#   /usr/share/cri-dockerd/{systemd,default}/    the same layout as deploy/)
#   /usr/share/doc/cri-dockerd/
# and the maintainer scripts in deploy/debian/.
# `make install` and cpack package what is built and do not first build every
# target (tests included): build cri-dockerd, then run cpack.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY TRUE)

set(_crid_deploy ${CMAKE_SOURCE_DIR}/deploy)
set(_crid_units ${_crid_deploy}/systemd/cri-docker.service
  ${_crid_deploy}/systemd/cri-docker.socket)

install(FILES ${_crid_units} DESTINATION /lib/systemd/system)
install(FILES ${_crid_deploy}/default/cri-dockerd DESTINATION /etc/default)
install(PROGRAMS ${_crid_deploy}/install.sh DESTINATION share/cri-dockerd)
install(FILES ${_crid_units} DESTINATION share/cri-dockerd/systemd)
install(FILES ${_crid_deploy}/default/cri-dockerd
  DESTINATION share/cri-dockerd/default)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION share/doc/cri-dockerd)
install(FILES ${_crid_deploy}/README.md DESTINATION share/doc/cri-dockerd
  RENAME README.deploy.md)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cri-dockerd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# Epoch 1: the Go cri-dockerd's package has the same name and versions like
# 0.3.15.3-0.debian-bookworm, above this project's 0.1.0; with the epoch
# (Version: 1:0.1.0) installing this package over the Go one is an upgrade,
# as a drop-in replacement should be, and the Go package's own upgrades do
# not replace it again. Going back to the Go package is then a downgrade
# (apt-get install --allow-downgrades; README: "Switching from the Go
# cri-dockerd"). Tests get the package's version as CRID_DEB_VERSION.
set(CRID_DEB_EPOCH 1)
set(CRID_DEB_VERSION ${CRID_DEB_EPOCH}:${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_EPOCH ${CRID_DEB_EPOCH})
set(CPACK_PACKAGE_VENDOR "cri-dockerd C++")
set(CPACK_PACKAGE_CONTACT "cri-dockerd C++ developers <root@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Kubernetes CRI (runtime.v1) shim for Docker Engine")
set(CPACK_PACKAGE_DESCRIPTION
  "cri-dockerd serves the Kubernetes Container Runtime Interface on\n\
unix:///var/run/cri-dockerd.sock (cri-docker.socket) and carries each call\n\
out against Docker Engine, so kubelet runs pods on Docker. A native C++\n\
drop-in for the Go cri-dockerd: same binary, flags, units and socket.\n\
/usr/share/cri-dockerd/install.sh prepares the node for kubeadm.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES TRUE)
# Debian's file names leave the epoch out (dpkg-name): cpack's DEB-DEFAULT
# would name the file cri-dockerd_1:0.1.0_amd64.deb, so name it here,
# cri-dockerd_0.1.0_amd64.deb, with the architecture dpkg reports.
execute_process(COMMAND dpkg --print-architecture
  OUTPUT_VARIABLE _crid_deb_arch OUTPUT_STRIP_TRAILING_WHITESPACE
  ERROR_QUIET)
if(_crid_deb_arch)
  set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE ${_crid_deb_arch})
  set(CPACK_DEBIAN_FILE_NAME
    ${CPACK_PACKAGE_NAME}_${PROJECT_VERSION}_${_crid_deb_arch}.deb)
else()
  set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
endif()
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "docker.io | docker-ce")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "containernetworking-plugins")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "kubeadm, cri-tools")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${_crid_deploy}/debian/postinst
  ${_crid_deploy}/debian/prerm
  ${_crid_deploy}/debian/postrm
  ${_crid_deploy}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)

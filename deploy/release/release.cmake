# The release tarball for other distributions (included from the top-level
# CMakeLists.txt, after every library and packaging.cmake). Neither target
# is part of `all`:
#   cmake --build build --target cri-dockerd-static
#     build/release/cri-dockerd-static: the daemon fully static (no
#     interpreter, no shared library), linked by link_static.sh from the
#     objects of the normal build (main.cc's object and the project's
#     static libraries; nothing is compiled twice), static archives of
#     Debian 12 and a minimal libcurl (static_curl.sh, cached);
#   cmake --build build --target release-tarball
#     build/release/cri-dockerd-<version>.linux-<arch>.tar.gz
#     (make_tarball.sh: the binary, install.sh, units, licences).
set(_crid_release ${CMAKE_SOURCE_DIR}/deploy/release)
set(CRID_STATIC_BINARY ${CMAKE_BINARY_DIR}/release/cri-dockerd-static)

# The project's static libraries cri-dockerd links, from the dependencies
# crid_set_layer recorded (CMake's own closure would also bring the
# imported targets' shared libraries).
get_target_property(_crid_todo cri-dockerd LINK_LIBRARIES)
set(_crid_seen "")
while(_crid_todo)
  list(POP_FRONT _crid_todo _t)
  get_property(_layer GLOBAL PROPERTY CRID_LAYER_OF_${_t})
  if(NOT _layer OR _t IN_LIST _crid_seen)
    continue()
  endif()
  list(APPEND _crid_seen ${_t})
  get_property(_deps GLOBAL PROPERTY CRID_DEPS_OF_${_t})
  list(APPEND _crid_todo ${_deps})
endwhile()
set(_crid_archives "")
set(_crid_archive_targets "")
foreach(_t ${_crid_seen})
  get_target_property(_type ${_t} TYPE)
  if(_type STREQUAL "STATIC_LIBRARY")
    list(APPEND _crid_archives $<TARGET_FILE:${_t}>)
    list(APPEND _crid_archive_targets ${_t})
  endif()
endforeach()

# Keeps the static glibc and libcrypto from loading the host's NSS and
# OpenSSL modules (see the file).
add_library(crid_static_init OBJECT EXCLUDE_FROM_ALL ${_crid_release}/static_init.c)

add_custom_command(
  OUTPUT ${CRID_STATIC_BINARY}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/release
  COMMAND bash ${_crid_release}/link_static.sh ${CRID_STATIC_BINARY}
    ${CMAKE_CXX_COMPILER} $<TARGET_OBJECTS:crid_static_init>
    $<TARGET_OBJECTS:cri-dockerd> ${_crid_archives}
  DEPENDS cri-dockerd crid_static_init ${_crid_archive_targets}
    ${_crid_release}/link_static.sh ${_crid_release}/static_curl.sh
  COMMENT "Linking the fully static cri-dockerd"
  COMMAND_EXPAND_LISTS VERBATIM)
add_custom_target(cri-dockerd-static DEPENDS ${CRID_STATIC_BINARY})

if(_crid_deb_arch)
  set(_crid_release_arch ${_crid_deb_arch})
else()
  set(_crid_release_arch ${CMAKE_SYSTEM_PROCESSOR})
endif()
set(CRID_TARBALL
  ${CMAKE_BINARY_DIR}/release/cri-dockerd-${PROJECT_VERSION}.linux-${_crid_release_arch}.tar.gz)
add_custom_command(
  OUTPUT ${CRID_TARBALL}
  COMMAND bash ${_crid_release}/make_tarball.sh ${CRID_STATIC_BINARY}
    ${CRID_TARBALL} ${CMAKE_SOURCE_DIR}
  DEPENDS ${CRID_STATIC_BINARY} ${_crid_release}/make_tarball.sh
    ${CMAKE_SOURCE_DIR}/deploy/install.sh
    ${CMAKE_SOURCE_DIR}/deploy/systemd/cri-docker.service
    ${CMAKE_SOURCE_DIR}/deploy/systemd/cri-docker.socket
    ${CMAKE_SOURCE_DIR}/deploy/default/cri-dockerd
  COMMENT "Packing ${CRID_TARBALL}"
  VERBATIM)
add_custom_target(release-tarball DEPENDS ${CRID_TARBALL})

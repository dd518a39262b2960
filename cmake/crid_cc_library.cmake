# crid_cc_library: one project library in one call, in the spirit of
# Abseil's absl_cc_library.
#
#   crid_cc_library(NAME cri_convert LAYER leaf
#     SRCS naming.cc ...            # none: a header-only INTERFACE library
#     DEPS cri_proto docker_client  # PUBLIC: users of NAME see them too
#     PRIVATE_DEPS absl::strings)   # only NAME's own sources use them
#
# Every library gets the source root as its include directory and our
# warning flags, and is placed in a LAYER. crid_check_layers() (called
# once, after every folder is added) fails the configure step when a
# library depends on a project library of a higher layer, or a layer
# reaches for a dependency kept out of it (see ARCHITECTURE.md):
#   base     common/, proto/        nothing of ours
#   engine   docker_client/         base; never the CRI protos or gRPC
#   leaf     cri/<folder>/          base, engine, other leaves; never cri
#   service  cri/ (the two services and their gRPC adapter)
#   daemon   cmd/cri-dockerd/       anything
#   test     */testing/, tests/     anything
set(CRID_LAYERS base engine leaf service daemon test)

function(crid_cc_library)
  cmake_parse_arguments(L "" "NAME;LAYER" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  if(NOT L_NAME OR NOT L_LAYER)
    message(FATAL_ERROR "crid_cc_library needs NAME and LAYER")
  endif()
  list(FIND CRID_LAYERS ${L_LAYER} rank)
  if(rank LESS 0)
    message(FATAL_ERROR "${L_NAME}: unknown LAYER ${L_LAYER}")
  endif()
  if(L_SRCS)
    add_library(${L_NAME} STATIC ${L_SRCS})
    target_include_directories(${L_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(${L_NAME} PUBLIC ${L_DEPS} PRIVATE ${L_PRIVATE_DEPS})
    target_compile_options(${L_NAME} PRIVATE ${CRID_WARNINGS})
  else()
    if(L_PRIVATE_DEPS)
      message(FATAL_ERROR "${L_NAME}: a header-only library has no PRIVATE_DEPS")
    endif()
    add_library(${L_NAME} INTERFACE)
    target_include_directories(${L_NAME} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${L_NAME} INTERFACE ${L_DEPS})
  endif()
  crid_set_layer(${L_NAME} ${L_LAYER} "${L_DEPS};${L_PRIVATE_DEPS}")
endfunction()

# Records a target made without crid_cc_library (generated code,
# executables) in a layer, with the dependencies to check.
function(crid_set_layer target layer deps)
  set_property(GLOBAL APPEND PROPERTY CRID_LAYERED_TARGETS ${target})
  set_property(GLOBAL PROPERTY CRID_LAYER_OF_${target} ${layer})
  set_property(GLOBAL PROPERTY CRID_DEPS_OF_${target} "${deps}")
endfunction()

# What each layer may not link, whatever the ranks say.
set(CRID_FORBIDDEN_engine cri_proto gRPC::grpc++)
set(CRID_FORBIDDEN_leaf CURL::libcurl nlohmann_json::nlohmann_json)
set(CRID_FORBIDDEN_service CURL::libcurl nlohmann_json::nlohmann_json)

function(crid_check_layers)
  get_property(targets GLOBAL PROPERTY CRID_LAYERED_TARGETS)
  foreach(t ${targets})
    get_property(layer GLOBAL PROPERTY CRID_LAYER_OF_${t})
    get_property(deps GLOBAL PROPERTY CRID_DEPS_OF_${t})
    list(FIND CRID_LAYERS ${layer} rank)
    foreach(d ${deps})
      if(d IN_LIST CRID_FORBIDDEN_${layer})
        message(FATAL_ERROR
          "layer rule: ${t} (${layer}) may not depend on ${d}")
      endif()
      get_property(dlayer GLOBAL PROPERTY CRID_LAYER_OF_${d})
      if(NOT dlayer)
        continue()  # not ours (Abseil, gRPC, ...)
      endif()
      list(FIND CRID_LAYERS ${dlayer} drank)
      if(drank GREATER rank)
        message(FATAL_ERROR "layer rule: ${t} (${layer}) may not depend on "
          "${d} (${dlayer}); see ARCHITECTURE.md")
      endif()
    endforeach()
  endforeach()
endfunction()

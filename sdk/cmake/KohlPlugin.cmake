# kohl_add_plugin(<name> SOURCES <files...> [TORCH] [OUTPUT_DIRECTORY <dir>])
# Builds one Kohl plugin: a MODULE library named <name>.so that links the SDK (and
# LibTorch with TORCH). Symbols are hidden except the two entry points KOHL_PLUGIN exports.
# Used in-tree by plugins/ and out of tree after find_package(KohlSDK).
function(kohl_add_plugin name)
  cmake_parse_arguments(ARG "TORCH" "OUTPUT_DIRECTORY" "SOURCES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "kohl_add_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  if(ARG_TORCH)
    target_link_libraries(${name} PRIVATE KohlSDK::torch)
  else()
    target_link_libraries(${name} PRIVATE KohlSDK::sdk)
  endif()
  set(out_dir ${ARG_OUTPUT_DIRECTORY})
  if(NOT out_dir AND DEFINED KOHL_PLUGIN_OUTPUT_DIR)
    set(out_dir ${KOHL_PLUGIN_OUTPUT_DIR})
  endif()
  if(out_dir)
    set_target_properties(${name} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${out_dir})
  endif()
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    CXX_STANDARD 17
    CXX_STANDARD_REQUIRED ON)
  # Fail at link time, not at load time, when a symbol is missing.
  target_link_options(${name} PRIVATE -Wl,--no-undefined)
endfunction()

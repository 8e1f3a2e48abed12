# penrig_library(<layer> SOURCES <src>... [PUBLIC <dep>...] [PRIVATE <dep>...])
#
# One library of a layer, set up the same way everywhere: the target
# rig_<layer> with its alias rig::<layer> (what every link line names), its
# public headers (include/ beside the calling CMakeLists.txt, when there is
# one), its dependencies as stated, and the project's warnings and sanitizer
# flags (penrig_target: warnings, sanitizers, exact floating point).
function(penrig_library layer)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;PUBLIC;PRIVATE")
  if(arg_UNPARSED_ARGUMENTS OR NOT arg_SOURCES)
    message(FATAL_ERROR "penrig_library(${layer}): SOURCES required; unknown: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  set(name rig_${layer})
  add_library(${name} ${arg_SOURCES})
  add_library(rig::${layer} ALIAS ${name})
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  endif()
  target_link_libraries(${name} PUBLIC ${arg_PUBLIC} PRIVATE ${arg_PRIVATE})
  penrig_target(${name})
endfunction()

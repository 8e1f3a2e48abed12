# The software version and the git commit go into every run record. The commit
# is read at configure time; "unknown" outside a git checkout, "-dirty" when the
# work tree has uncommitted changes (a record made from such a build says so).
set(PENRIG_GIT_COMMIT "unknown")
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS "${CMAKE_SOURCE_DIR}/.git")
  execute_process(COMMAND ${GIT_EXECUTABLE} rev-parse HEAD
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} OUTPUT_VARIABLE _c
    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _r)
  if(_r EQUAL 0)
    set(PENRIG_GIT_COMMIT "${_c}")
    execute_process(COMMAND ${GIT_EXECUTABLE} status --porcelain --untracked-files=no
      WORKING_DIRECTORY ${CMAKE_SOURCE_DIR} OUTPUT_VARIABLE _d ERROR_QUIET)
    if(NOT "${_d}" STREQUAL "")
      set(PENRIG_GIT_COMMIT "${PENRIG_GIT_COMMIT}-dirty")
    endif()
  endif()
endif()

# Use ccache when it is installed: rebuilds of torch translation units (~20 s each on
# two cores) become near-free when nothing they include changed.
#
# CCACHE_BASEDIR rewrites absolute paths under the source tree to relative ones and
# CCACHE_NOHASHDIR keeps the build directory out of the hash (it is only in the -g debug
# info), so a fresh clone elsewhere on the same machine - what CI builds - hits the cache
# filled by earlier builds.
find_program(PTUNE_CCACHE ccache)
if(PTUNE_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(launcher ${CMAKE_COMMAND} -E env CCACHE_BASEDIR=${PROJECT_SOURCE_DIR}
               CCACHE_NOHASHDIR=1 ${PTUNE_CCACHE})
  set(CMAKE_C_COMPILER_LAUNCHER ${launcher})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${launcher})
  message(STATUS "ptune: compiling through ccache (${PTUNE_CCACHE})")
endif()

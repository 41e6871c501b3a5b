# Use ccache when it is installed: rebuilds of torch translation units (~20 s each on
# two cores) become near-free when nothing they include changed.
find_program(PTUNE_CCACHE ccache)
if(PTUNE_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_C_COMPILER_LAUNCHER ${PTUNE_CCACHE})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${PTUNE_CCACHE})
  message(STATUS "ptune: compiling through ccache (${PTUNE_CCACHE})")
endif()

# ptune_add_test(NAME <target> SOURCES <files...> LIBS <libs...> [LABELS <labels...>]
#                [TIMEOUT <seconds>])
#
# Builds one GoogleTest binary and registers ONE CTest test per test suite found in its
# sources (TEST/TEST_F/TEST_P/TYPED_TEST first argument), run with --gtest_filter. A
# torch-linked process costs ~0.6 s to start, so one process per test would waste
# minutes; one per suite keeps failures attributable and the run parallel.
function(ptune_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  set(suites "")
  foreach(src IN LISTS T_SOURCES)
    file(READ ${CMAKE_CURRENT_SOURCE_DIR}/${src} text)
    string(REGEX MATCHALL "(TEST|TEST_F|TEST_P|TYPED_TEST)\\([ \n]*[A-Za-z0-9_]+" found "${text}")
    foreach(m IN LISTS found)
      string(REGEX REPLACE ".*\\([ \n]*" "" suite "${m}")
      list(APPEND suites ${suite})
    endforeach()
  endforeach()
  list(REMOVE_DUPLICATES suites)
  if(NOT suites)
    message(FATAL_ERROR "ptune_add_test(${T_NAME}): no TEST(...) found in ${T_SOURCES}")
  endif()
  foreach(suite IN LISTS suites)
    add_test(NAME ${T_NAME}.${suite}
             COMMAND ${T_NAME} --gtest_filter=${suite}.*:*/${suite}.*:${suite}/*
             WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
    set_tests_properties(${T_NAME}.${suite} PROPERTIES TIMEOUT ${T_TIMEOUT}
                         LABELS "${T_LABELS}")
  endforeach()
endfunction()

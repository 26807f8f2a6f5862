# The layers of src/ (CONTRIBUTING.md, "Layers: where new code goes"): one
# static library per folder, ct_<folder>, that sees only its own headers and
# those of the layers it names below it.
#
# Each layer's headers reach the compiler through a directory of its own in
# the build tree, layers/<folder>/, that holds a link <folder> -> src/<folder>
# and, under carbontracker/, links to the public headers the layer defines.
# A layer links (PRIVATE) the layers below it and so gets their directories
# and nothing else: an include that climbs ("energy/x.h" from sensors/, or
# "carbontracker/results.h" from below model/) is not found, and a call that
# climbs has no library to link against. tests/layers checks both ways.
#
#   ct_layer(<folder> [BELOW <folder>...] [PUBLIC_HEADERS <file in include/carbontracker>...]
#            [SOURCES <generated source>...])
#
# The sources are every .cc of the folder and its subfolders except tests
# (*_test.cc), fuzz targets (*_fuzz.cc) and programs (main.cc).
set_property(GLOBAL PROPERTY CT_LAYERS "")

function(ct_layer name)
  cmake_parse_arguments(L "" "" "BELOW;PUBLIC_HEADERS;SOURCES" ${ARGN})
  get_property(declared GLOBAL PROPERTY CT_LAYERS)
  foreach(below IN LISTS L_BELOW)
    if(NOT below IN_LIST declared)
      message(FATAL_ERROR "layer ${name}: ${below} is not a layer declared before it")
    endif()
  endforeach()
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  list(FILTER srcs EXCLUDE REGEX "_test\\.cc$|_fuzz\\.cc$|/main\\.cc$")
  add_library(ct_${name} STATIC ${srcs} ${L_SOURCES})

  set(dir ${CMAKE_BINARY_DIR}/layers/${name})
  file(REMOVE_RECURSE ${dir})
  file(MAKE_DIRECTORY ${dir}/carbontracker)
  file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR} ${dir}/${name} SYMBOLIC)
  foreach(h IN LISTS L_PUBLIC_HEADERS)
    if(NOT EXISTS ${CMAKE_SOURCE_DIR}/include/carbontracker/${h})
      message(FATAL_ERROR "layer ${name}: no include/carbontracker/${h}")
    endif()
    file(CREATE_LINK ${CMAKE_SOURCE_DIR}/include/carbontracker/${h}
         ${dir}/carbontracker/${h} SYMBOLIC)
  endforeach()
  target_include_directories(ct_${name} PUBLIC $<BUILD_INTERFACE:${dir}>)

  set(below_targets)
  set(includes ${dir})
  foreach(below IN LISTS L_BELOW)
    list(APPEND below_targets ct_${below})
    list(APPEND includes ${CMAKE_BINARY_DIR}/layers/${below})
  endforeach()
  target_link_libraries(ct_${name}
    PUBLIC Threads::Threads
    PRIVATE ${below_targets} ${CT_FMT_TARGET} nlohmann_json::nlohmann_json ${CMAKE_DL_LIBS})
  # The directories the layer's sources see (tests/layers compiles with them).
  set_property(TARGET ct_${name} PROPERTY CT_LAYER_INCLUDES ${includes})
  set_property(GLOBAL APPEND PROPERTY CT_LAYERS ${name})
endfunction()

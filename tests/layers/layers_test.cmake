# Run by ctest (tests/layers/CMakeLists.txt): an include or a call that climbs
# the layers fails to build, each for the reason expected, and the same probe
# one layer lower builds.
file(MAKE_DIRECTORY ${WORK})
set(failures 0)

# Compiles probes/include.cc including `header` with the include directories
# of `layer`; `expect` is "ok" or "not found".
function(probe_include layer header expect)
  string(REPLACE "|" ";" dirs "${INCLUDES_${layer}}")
  set(flags)
  foreach(d IN LISTS dirs)
    list(APPEND flags -I${d})
  endforeach()
  execute_process(COMMAND ${CXX} -std=c++20 -fsyntax-only ${flags} "-DHEADER=\"${header}\""
                          ${PROBES}/include.cc
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  report("${layer} includes ${header}" "${expect}" "${rc}" "${err}"
         "${header}: No such file or directory")
  set(failures ${failures} PARENT_SCOPE)
endfunction()

# Links probes/link.cc with the sensors and common libraries only; with
# CLIMB it calls RunResult::energy_j, of the model layer.
function(probe_link climb expect)
  set(defs)
  if(climb)
    set(defs -DCLIMB)
  endif()
  execute_process(COMMAND ${CXX} -std=c++20 -I${PUBLIC_INCLUDE} ${defs} ${PROBES}/link.cc
                          ${LIB_sensors} ${LIB_common} ${LINK_FLAGS} -o ${WORK}/link_probe
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  report("sensors calls into model (climb=${climb})" "${expect}" "${rc}" "${err}"
         "undefined reference to `carbontracker::RunResult::energy_j")
  set(failures ${failures} PARENT_SCOPE)
endfunction()

function(report what expect rc err reason)
  if(expect STREQUAL "ok" AND rc EQUAL 0)
    message(STATUS "ok: ${what}: builds")
  elseif(NOT expect STREQUAL "ok" AND NOT rc EQUAL 0 AND err MATCHES "${reason}")
    message(STATUS "ok: ${what}: refused (${expect})")
  else()
    message(STATUS "FAILED: ${what}: expected ${expect}, got exit ${rc}:\n${err}")
    math(EXPR failures "${failures} + 1")
  endif()
  set(failures ${failures} PARENT_SCOPE)
endfunction()

# energy/ is below intensity/: the sampler takes its intensity through
# energy/intensity_feed.h, never intensity/source.h.
probe_include(energy "intensity/source.h" "not found")
probe_include(energy "energy/intensity_feed.h" ok)
probe_include(energy "sensors/sensor.h" ok)
# The public headers belong to layers too: results.h is the model's.
probe_include(sensors "carbontracker/results.h" "not found")
probe_include(sensors "carbontracker/device.h" ok)
# output/ is below tracker/.
probe_include(output "tracker/options.h" "not found")
probe_include(output "model/run_metadata.h" ok)
probe_link(OFF ok)
probe_link(ON "undefined reference")

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} layer probe(s) did not behave as expected")
endif()

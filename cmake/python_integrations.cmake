# The carbontracker.integrations subpackage (pure Python): copied into the
# build tree's package (build/python/carbontracker/integrations) whenever
# carbontracker_python is built, and installed next to the package by
# `cmake --install` (wheels take it from python/carbontracker as a whole).
set(CT_PY_INTEGRATIONS_DIR ${CMAKE_BINARY_DIR}/python/carbontracker/integrations)
file(GLOB CT_PY_INTEGRATIONS_SOURCES CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/python/carbontracker/integrations/*.py)
set(CT_PY_INTEGRATIONS_COPIES)
foreach(src IN LISTS CT_PY_INTEGRATIONS_SOURCES)
  get_filename_component(name ${src} NAME)
  add_custom_command(
    OUTPUT ${CT_PY_INTEGRATIONS_DIR}/${name}
    COMMAND ${CMAKE_COMMAND} -E copy_if_different ${src} ${CT_PY_INTEGRATIONS_DIR}/${name}
    DEPENDS ${src}
    COMMENT "Copying carbontracker/integrations/${name}")
  list(APPEND CT_PY_INTEGRATIONS_COPIES ${CT_PY_INTEGRATIONS_DIR}/${name})
endforeach()
add_custom_target(carbontracker_python_integrations ALL DEPENDS ${CT_PY_INTEGRATIONS_COPIES})
if(TARGET carbontracker_python)
  add_dependencies(carbontracker_python carbontracker_python_integrations)
endif()
if(NOT SKBUILD AND DEFINED CT_PYTHON_INSTALL_DIR)
  install(FILES ${CT_PY_INTEGRATIONS_SOURCES}
          DESTINATION ${CT_PYTHON_INSTALL_DIR}/carbontracker/integrations COMPONENT python)
endif()

# cmake -DSOURCE=<source tree> -DSCRATCH=<empty folder> -P check_layers_test.cmake
# The layer check passes on the source tree, and fails, naming the file, the line and the
# layer, on a copy of one layer's file that includes a header of a layer above it.
cmake_minimum_required(VERSION 3.25)
execute_process(COMMAND ${CMAKE_COMMAND} -DROOT=${SOURCE} -P ${SOURCE}/cmake/check_layers.cmake
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the source tree fails its own layer check:\n${err}")
endif()
# A deliberate back-include: the solver (lowest but io) reaching up into the site model.
file(REMOVE_RECURSE ${SCRATCH})
file(MAKE_DIRECTORY ${SCRATCH}/solver ${SCRATCH}/models)
file(WRITE ${SCRATCH}/solver/network.cpp "#include \"solver/network.hpp\"\n\n#include \"models/site_model.hpp\"\n")
file(WRITE ${SCRATCH}/models/site_model.cpp "#include \"solver/network.hpp\"\n")
execute_process(COMMAND ${CMAKE_COMMAND} -DROOT=${SCRATCH} -P ${SOURCE}/cmake/check_layers.cmake
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "a back-include from solver/ into models/ passed the layer check")
endif()
if(NOT err MATCHES "solver/network.cpp:3: layer 'solver' includes 'models/'")
  message(FATAL_ERROR "the layer check failed without naming the file, line and layer:\n${err}")
endif()
file(REMOVE_RECURSE ${SCRATCH})

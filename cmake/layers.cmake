# The layers of the twin, lowest first, and the layers each one may include and link. A layer
# is a directory and a static library (dctwin_<layer>); a source may include headers of its own
# layer and of those below it that it names here (transitively), never of a layer above it.
# cmake/check_layers.cmake enforces it at build time; `dctwin` is all of them together.
set(DCTWIN_LAYERS io solver input models sweep viz calib)
set(DCTWIN_LAYER_DEPS_io "")                          # the results file (HDF5), the terminal
set(DCTWIN_LAYER_DEPS_solver "")                      # network, state table, CVODE/ARKODE, steady state
set(DCTWIN_LAYER_DEPS_input "")                       # site format, units, file reading
set(DCTWIN_LAYER_DEPS_models io solver input)         # component kinds, the site model, the run
set(DCTWIN_LAYER_DEPS_sweep io input models)          # batches of runs, summaries, MPI
set(DCTWIN_LAYER_DEPS_viz io input models sweep)      # XDMF, pictures, reports
set(DCTWIN_LAYER_DEPS_calib io input viz)             # measured data, comparison
# app/ (the command line) may include every layer.

# The layers `layer` may include: itself and every layer below it that it names, transitively.
function(dctwin_layer_closure layer out)
  set(result ${layer})
  set(todo ${DCTWIN_LAYER_DEPS_${layer}})
  while(todo)
    list(POP_FRONT todo next)
    if(NOT next IN_LIST result)
      list(APPEND result ${next})
      list(APPEND todo ${DCTWIN_LAYER_DEPS_${next}})
    endif()
  endwhile()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

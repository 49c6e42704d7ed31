#pragma once
// A sweep across the ranks of an MPI job (OpenMPI): `mpirun -n N dctwin sweep ...`. Every
// rank reads the sweep file; rank 0 checks the output folder and its journal, and hands the
// cases still to run out as the ranks ask for them (a few at a time, so that a rank with
// slow cases takes fewer); each rank runs its cases on its own threads, writes their results
// files itself (serial HDF5), and sends each finished case's record to rank 0, which keeps
// the one journal and writes the summary. The summary is the threaded run's, whatever N.
//
// Built into its own library (dctwin_sweep_mpi), linked by the command line only.

#include <functional>
#include <string>

#include "sweep/runner.hpp"

namespace dctwin::sweep {

/// Whether this process was started by an MPI launcher (mpirun / mpiexec of OpenMPI, or a
/// PMI/PMIx launcher). Reads the environment only: MPI is not touched.
bool launched_by_mpi();

/// Initialises MPI, runs the sweep file's cases across the ranks, finalises MPI. Every rank
/// returns the same exit status (kSweep*). Only rank 0 prints, but for errors of its own.
int run_sweep_mpi(const std::string& sweep_file, const SweepOptions& options);
/// As above, with the cases from `load` (a fleet: sweep/fleet.hpp), called on every rank;
/// it throws InputError for bad input.
int run_sweep_mpi(const std::function<Sweep()>& load, const SweepOptions& options);

}  // namespace dctwin::sweep

#pragma once
// RAII ownership of SUNDIALS objects, and the linear-solver set-up shared by the transient
// integrator and the steady-state solver.

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include <nvector/nvector_serial.h>
#include <sundials/sundials_context.h>
#include <sundials/sundials_linearsolver.h>
#include <sundials/sundials_matrix.h>

namespace dctwin {
class WorkerPool;
class BlockElimination;
}

namespace dctwin::sun {

struct ContextDeleter {
    void operator()(SUNContext c) const { SUNContext_Free(&c); }
};
struct VectorDeleter {
    void operator()(_generic_N_Vector* v) const { N_VDestroy(v); }
};
struct MatrixDeleter {
    void operator()(_generic_SUNMatrix* m) const { SUNMatDestroy(m); }
};
struct LinSolDeleter {
    void operator()(_generic_SUNLinearSolver* s) const { SUNLinSolFree(s); }
};
using Context = std::unique_ptr<std::remove_pointer_t<SUNContext>, ContextDeleter>;
using Vector = std::unique_ptr<_generic_N_Vector, VectorDeleter>;
using Matrix = std::unique_ptr<_generic_SUNMatrix, MatrixDeleter>;
using LinSol = std::unique_ptr<_generic_SUNLinearSolver, LinSolDeleter>;

Context make_context();
/// A serial vector of n values whose operations are this project's (see use_fast_ops).
Vector make_vector(long n, SUNContext ctx);
/// Replaces the operations of a serial vector (and of every vector cloned from it) with
/// compiled loops of the same meaning. The library's own serial vector operations, as
/// Debian builds them, are unoptimised: a weighted norm of 130 000 values took 1 ms, 25
/// times the loop here, and a BDF step calls dozens of them.
void use_fast_ops(N_Vector v);
/// The threads for the vector operations called from this thread (long vectors only; null:
/// none); results do not depend on it. Set by the integrator around its calls into SUNDIALS.
void set_pool(WorkerPool* pool);
WorkerPool* pool();

/// Wraps a direct linear solver for a matrix whose pattern never changes: the wall time of
/// its set-ups and solves is added to *setup_s and *solve_s [s] (the profile of a run), and
/// it is initialised once only. CVODE initialises its linear solver again at every restart
/// (every input discontinuity), which makes KLU order and factorise from scratch; with a fixed
/// pattern a numeric refactorisation is enough. Takes ownership of `inner`.
LinSol fixed_pattern(LinSol inner, double* setup_s, double* solve_s);

/// A direct linear solver on the block elimination of solver/block_elimination.hpp, for
/// matrices with the pattern (col_ptr, row_idx), which never changes. Each set-up calls
/// `factor` with the solver and the SUNMatrix it was given (null `factor`: the matrix is a
/// CSC SUNSparseMatrix with that pattern, factored from its values); `factor` returns 0 or,
/// for a singular system, a recoverable failure (SUNLS_LUFACT_FAIL is reported). The wall
/// time of its set-ups and solves is added to *setup_s and *solve_s [s].
using BlockFactor = std::function<int(BlockElimination&, SUNMatrix)>;
LinSol block_solver(SUNContext ctx, std::span<const std::int64_t> col_ptr, std::span<const std::int64_t> row_idx,
                    WorkerPool* pool, BlockFactor factor, double* setup_s, double* solve_s);

}  // namespace dctwin::sun

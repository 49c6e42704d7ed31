#pragma once
// RAII ownership of SUNDIALS objects, and the linear-solver set-up shared by the transient
// integrator and the steady-state solver.

#include <memory>
#include <string>

#include <nvector/nvector_serial.h>
#include <sundials/sundials_context.h>
#include <sundials/sundials_linearsolver.h>
#include <sundials/sundials_matrix.h>

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
Vector make_vector(long n, SUNContext ctx);

}  // namespace dctwin::sun

#include "solver/sundials.hpp"

#include <sunmatrix/sunmatrix_sparse.h>

#include "solver/block_elimination.hpp"
#include "solver/parallel.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace dctwin::sun {

Context make_context() {
    SUNContext c = nullptr;
    if (SUNContext_Create(nullptr, &c) != 0 || !c) throw std::runtime_error("SUNDIALS: cannot create a context");
    return Context(c);
}

Vector make_vector(long n, SUNContext ctx) {
    N_Vector v = N_VNew_Serial(n, ctx);
    if (!v) throw std::runtime_error("SUNDIALS: cannot allocate a vector");
    use_fast_ops(v);
    return Vector(v);
}

// --- vector operations ------------------------------------------------------------------
// Same meaning as nvector_serial's. Long vectors are cut into fixed chunks of kChunk values:
// element-wise operations run their chunks on the threads set by set_threads(); reductions
// sum each chunk in four interleaved partial sums and then the chunks in order, so a result
// is the same to the bit for any thread count (and from run to run).
namespace {
using Real = realtype;
inline Real* data(N_Vector v) { return NV_DATA_S(v); }
inline sunindextype len(N_Vector v) { return NV_LENGTH_S(v); }

constexpr sunindextype kChunk = 4096;         // values per chunk of a reduction
constexpr sunindextype kParallel = 1 << 15;   // shorter vectors stay on one thread
thread_local WorkerPool* t_pool = nullptr;

// f(i) for i in [0, n), on the threads when the vector is long.
template <class F>
void each(sunindextype n, F&& f) {
    if (t_pool && n >= kParallel) {
        t_pool->run(n, [&f](std::int64_t b, std::int64_t e) {
            for (std::int64_t i = b; i < e; ++i) f(sunindextype(i));
        });
    } else {
        for (sunindextype i = 0; i < n; ++i) f(i);
    }
}
// f(c) for every chunk c of a vector of n values.
template <class F>
void each_chunk(sunindextype n, F&& f) {
    const sunindextype nch = (n + kChunk - 1) / kChunk;
    parallel_for(n >= kParallel ? t_pool : nullptr, nch, 2, [&f](std::int64_t c) { f(sunindextype(c)); });
}


// The sum of f(i) over [0, n): chunk by chunk, the chunks added in order.
template <class F>
Real sum4(sunindextype n, F&& f) {
    if (n <= kChunk) return dctwin::sum4(0, n, f);
    const sunindextype nch = (n + kChunk - 1) / kChunk;
    thread_local std::vector<Real> partial;
    partial.resize(std::size_t(nch));
    Real* p = partial.data();
    each_chunk(n, [&](sunindextype c) { p[c] = dctwin::sum4(c * kChunk, std::min(n, (c + 1) * kChunk), f); });
    Real s = 0;
    for (sunindextype c = 0; c < nch; ++c) s += p[c];
    return s;
}

// Maximum or minimum of f(i), by chunks (exact in any order).
template <class F, class Op>
Real fold(sunindextype n, Real init, F&& f, Op&& op) {
    const sunindextype nch = (n + kChunk - 1) / kChunk;
    thread_local std::vector<Real> partial;
    partial.resize(std::size_t(nch));
    Real* p = partial.data();
    each_chunk(n, [&](sunindextype c) {
        Real m = init;
        for (sunindextype i = c * kChunk, e = std::min(n, (c + 1) * kChunk); i < e; ++i) m = op(m, f(i));
        p[c] = m;
    });
    Real m = init;
    for (sunindextype c = 0; c < nch; ++c) m = op(m, p[c]);
    return m;
}

void linear_sum(Real a, N_Vector x, Real b, N_Vector y, N_Vector z) {
    const Real *xd = data(x), *yd = data(y);
    Real* zd = data(z);
    each(len(x), [=](sunindextype i) { zd[i] = a * xd[i] + b * yd[i]; });
}
void set_const(Real c, N_Vector z) {
    Real* zd = data(z);
    each(len(z), [=](sunindextype i) { zd[i] = c; });
}
void prod(N_Vector x, N_Vector y, N_Vector z) {
    const Real *xd = data(x), *yd = data(y);
    Real* zd = data(z);
    each(len(x), [=](sunindextype i) { zd[i] = xd[i] * yd[i]; });
}
void div(N_Vector x, N_Vector y, N_Vector z) {
    const Real *xd = data(x), *yd = data(y);
    Real* zd = data(z);
    each(len(x), [=](sunindextype i) { zd[i] = xd[i] / yd[i]; });
}
void scale(Real c, N_Vector x, N_Vector z) {
    const Real* xd = data(x);
    Real* zd = data(z);
    each(len(x), [=](sunindextype i) { zd[i] = c * xd[i]; });
}
void abs_(N_Vector x, N_Vector z) {
    const Real* xd = data(x);
    Real* zd = data(z);
    each(len(x), [=](sunindextype i) { zd[i] = std::abs(xd[i]); });
}
void inv(N_Vector x, N_Vector z) {
    const Real* xd = data(x);
    Real* zd = data(z);
    each(len(x), [=](sunindextype i) { zd[i] = 1.0 / xd[i]; });
}
void add_const(N_Vector x, Real b, N_Vector z) {
    const Real* xd = data(x);
    Real* zd = data(z);
    each(len(x), [=](sunindextype i) { zd[i] = xd[i] + b; });
}
Real dot(N_Vector x, N_Vector y) {
    const Real *xd = data(x), *yd = data(y);
    return sum4(len(x), [=](sunindextype i) { return xd[i] * yd[i]; });
}
Real max_norm(N_Vector x) {
    const Real* xd = data(x);
    return fold(len(x), Real(0), [=](sunindextype i) { return std::abs(xd[i]); },
                [](Real a, Real b) { return std::max(a, b); });
}
Real wsqr_sum(N_Vector x, N_Vector w) {
    const Real *xd = data(x), *wd = data(w);
    return sum4(len(x), [=](sunindextype i) {
        const Real p = xd[i] * wd[i];
        return p * p;
    });
}
Real wsqr_sum_mask(N_Vector x, N_Vector w, N_Vector id) {
    const Real *xd = data(x), *wd = data(w), *md = data(id);
    return sum4(len(x), [=](sunindextype i) {
        const Real p = md[i] > 0 ? xd[i] * wd[i] : 0.0;
        return p * p;
    });
}
Real wrms_norm(N_Vector x, N_Vector w) { return std::sqrt(wsqr_sum(x, w) / Real(len(x))); }
Real wrms_norm_mask(N_Vector x, N_Vector w, N_Vector id) { return std::sqrt(wsqr_sum_mask(x, w, id) / Real(len(x))); }
Real min_(N_Vector x) {
    const Real* xd = data(x);
    return fold(len(x), Real(BIG_REAL), [=](sunindextype i) { return xd[i]; },
                [](Real a, Real b) { return std::min(a, b); });
}
Real wl2_norm(N_Vector x, N_Vector w) { return std::sqrt(wsqr_sum(x, w)); }
Real l1_norm(N_Vector x) {
    const Real* xd = data(x);
    return sum4(len(x), [=](sunindextype i) { return std::abs(xd[i]); });
}
void compare(Real c, N_Vector x, N_Vector z) {
    const Real* xd = data(x);
    Real* zd = data(z);
    each(len(x), [=](sunindextype i) { zd[i] = std::abs(xd[i]) >= c ? 1.0 : 0.0; });
}
booleantype inv_test(N_Vector x, N_Vector z) {
    const Real* xd = data(x);
    Real* zd = data(z);
    booleantype ok = SUNTRUE;
    for (sunindextype i = 0, n = len(x); i < n; ++i) {
        if (xd[i] == 0.0)
            ok = SUNFALSE;
        else
            zd[i] = 1.0 / xd[i];
    }
    return ok;
}
booleantype constr_mask(N_Vector c, N_Vector x, N_Vector m) {
    // c[i] = +-2: x[i] must be > 0 (< 0); +-1: >= 0 (<= 0); 0: free. m[i] = 1 where violated.
    const Real *cd = data(c), *xd = data(x);
    Real* md = data(m);
    booleantype ok = SUNTRUE;
    for (sunindextype i = 0, n = len(x); i < n; ++i) {
        md[i] = 0.0;
        const Real ac = std::abs(cd[i]), v = xd[i] * cd[i];
        if ((ac > 1.5 && v <= 0.0) || (ac > 0.5 && v < 0.0)) md[i] = 1.0, ok = SUNFALSE;
    }
    return ok;
}
Real min_quotient(N_Vector num, N_Vector denom) {
    const Real *nd = data(num), *dd = data(denom);
    Real m = BIG_REAL;
    for (sunindextype i = 0, n = len(num); i < n; ++i)
        if (dd[i] != 0.0) m = std::min(m, nd[i] / dd[i]);
    return m;
}
int linear_combination(int nv, Real* c, N_Vector* X, N_Vector z) {
    Real* zd = data(z);
    const sunindextype n = len(z);
    // z may be X[0]: accumulate into z only after its first use. Each chunk does every pass
    // while it is in cache.
    const bool in_place = X[0] == z;
    const Real* x0 = data(X[0]);
    each_chunk(n, [&](sunindextype ch) {
        const sunindextype b = ch * kChunk, e = std::min(n, b + kChunk);
        if (in_place) {
            if (c[0] != 1.0)
                for (sunindextype i = b; i < e; ++i) zd[i] *= c[0];
        } else {
            for (sunindextype i = b; i < e; ++i) zd[i] = c[0] * x0[i];
        }
        int k = 1;
        for (; k + 1 < nv; k += 2) {  // two vectors per pass
            const Real *xa = data(X[k]), *xb = data(X[k + 1]);
            const Real ca = c[k], cb = c[k + 1];
            for (sunindextype i = b; i < e; ++i) zd[i] += ca * xa[i] + cb * xb[i];
        }
        for (; k < nv; ++k) {
            const Real* xa = data(X[k]);
            const Real ca = c[k];
            for (sunindextype i = b; i < e; ++i) zd[i] += ca * xa[i];
        }
    });
    return 0;
}
int scale_add_multi(int nv, Real* a, N_Vector x, N_Vector* Y, N_Vector* Z) {
    const Real* xd = data(x);
    for (int k = 0; k < nv; ++k) {
        const Real* yd = data(Y[k]);
        Real* zd = data(Z[k]);
        const Real ak = a[k];
        each(len(x), [=](sunindextype i) { zd[i] = ak * xd[i] + yd[i]; });
    }
    return 0;
}
int dot_multi(int nv, N_Vector x, N_Vector* Y, Real* d) {
    for (int k = 0; k < nv; ++k) d[k] = dot(x, Y[k]);
    return 0;
}
int linear_sum_array(int nv, Real a, N_Vector* X, Real b, N_Vector* Y, N_Vector* Z) {
    for (int k = 0; k < nv; ++k) linear_sum(a, X[k], b, Y[k], Z[k]);
    return 0;
}
int scale_array(int nv, Real* c, N_Vector* X, N_Vector* Z) {
    for (int k = 0; k < nv; ++k) scale(c[k], X[k], Z[k]);
    return 0;
}
int const_array(int nv, Real c, N_Vector* Z) {
    for (int k = 0; k < nv; ++k) set_const(c, Z[k]);
    return 0;
}
int wrms_array(int nv, N_Vector* X, N_Vector* W, Real* nrm) {
    for (int k = 0; k < nv; ++k) nrm[k] = wrms_norm(X[k], W[k]);
    return 0;
}
int wrms_mask_array(int nv, N_Vector* X, N_Vector* W, N_Vector id, Real* nrm) {
    for (int k = 0; k < nv; ++k) nrm[k] = wrms_norm_mask(X[k], W[k], id);
    return 0;
}
int scale_add_multi_array(int nv, int ns, Real* a, N_Vector* X, N_Vector** Y, N_Vector** Z) {
    // Z[j][i] = a[j] X[i] + Y[j][i]
    for (int i = 0; i < nv; ++i)
        for (int j = 0; j < ns; ++j) {
            const Real *xd = data(X[i]), *yd = data(Y[j][i]);
            Real* zd = data(Z[j][i]);
            for (sunindextype k = 0, n = len(X[i]); k < n; ++k) zd[k] = a[j] * xd[k] + yd[k];
        }
    return 0;
}
int linear_combination_array(int nv, int ns, Real* c, N_Vector** X, N_Vector* Z) {
    // Z[i] = sum_j c[j] X[j][i]
    std::vector<N_Vector> col(static_cast<std::size_t>(ns));
    for (int i = 0; i < nv; ++i) {
        for (int j = 0; j < ns; ++j) col[std::size_t(j)] = X[j][i];
        linear_combination(ns, c, col.data(), Z[i]);
    }
    return 0;
}
}  // namespace

void set_pool(WorkerPool* pool) { t_pool = pool; }
WorkerPool* pool() { return t_pool; }

void use_fast_ops(N_Vector v) {
    if (N_VGetVectorID(v) != SUNDIALS_NVEC_SERIAL) throw std::logic_error("use_fast_ops: not a serial vector");
    N_Vector_Ops o = v->ops;
    o->nvlinearsum = linear_sum;
    o->nvconst = set_const;
    o->nvprod = prod;
    o->nvdiv = div;
    o->nvscale = scale;
    o->nvabs = abs_;
    o->nvinv = inv;
    o->nvaddconst = add_const;
    o->nvdotprod = dot;
    o->nvmaxnorm = max_norm;
    o->nvwrmsnorm = wrms_norm;
    o->nvwrmsnormmask = wrms_norm_mask;
    o->nvmin = min_;
    o->nvwl2norm = wl2_norm;
    o->nvl1norm = l1_norm;
    o->nvcompare = compare;
    o->nvinvtest = inv_test;
    o->nvconstrmask = constr_mask;
    o->nvminquotient = min_quotient;
    o->nvlinearcombination = linear_combination;
    o->nvscaleaddmulti = scale_add_multi;
    o->nvdotprodmulti = dot_multi;
    o->nvlinearsumvectorarray = linear_sum_array;
    o->nvscalevectorarray = scale_array;
    o->nvconstvectorarray = const_array;
    o->nvwrmsnormvectorarray = wrms_array;
    o->nvwrmsnormmaskvectorarray = wrms_mask_array;
    o->nvscaleaddmultivectorarray = scale_add_multi_array;
    o->nvlinearcombinationvectorarray = linear_combination_array;
    o->nvdotprodlocal = dot;
    o->nvmaxnormlocal = max_norm;
    o->nvminlocal = min_;
    o->nvl1normlocal = l1_norm;
    o->nvinvtestlocal = inv_test;
    o->nvconstrmasklocal = constr_mask;
    o->nvminquotientlocal = min_quotient;
    o->nvwsqrsumlocal = wsqr_sum;
    o->nvwsqrsummasklocal = wsqr_sum_mask;
}

namespace {
struct Timed {
    SUNLinearSolver inner;
    double* setup_s;
    double* solve_s;
    bool initialised = false;
};
Timed& content(SUNLinearSolver S) { return *static_cast<Timed*>(S->content); }
double since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
}  // namespace

LinSol fixed_pattern(LinSol inner, double* setup_s, double* solve_s) {
    if (!inner) return inner;
    SUNLinearSolver S = SUNLinSolNewEmpty(inner->sunctx);
    if (!S) throw std::runtime_error("SUNDIALS: cannot allocate a linear solver");
    S->content = new Timed{inner.release(), setup_s, solve_s};
    S->ops->gettype = [](SUNLinearSolver s) { return SUNLinSolGetType(content(s).inner); };
    S->ops->getid = [](SUNLinearSolver s) { return SUNLinSolGetID(content(s).inner); };
    S->ops->initialize = [](SUNLinearSolver s) {
        if (content(s).initialised) return 0;
        content(s).initialised = true;
        return SUNLinSolInitialize(content(s).inner);
    };
    S->ops->setup = [](SUNLinearSolver s, SUNMatrix A) {
        const auto t0 = std::chrono::steady_clock::now();
        const int r = SUNLinSolSetup(content(s).inner, A);
        *content(s).setup_s += since(t0);
        return r;
    };
    S->ops->solve = [](SUNLinearSolver s, SUNMatrix A, N_Vector x, N_Vector b, realtype tol) {
        const auto t0 = std::chrono::steady_clock::now();
        const int r = SUNLinSolSolve(content(s).inner, A, x, b, tol);
        *content(s).solve_s += since(t0);
        return r;
    };
    S->ops->lastflag = [](SUNLinearSolver s) { return SUNLinSolLastFlag(content(s).inner); };
    S->ops->space = [](SUNLinearSolver s, long* lrw, long* liw) { return SUNLinSolSpace(content(s).inner, lrw, liw); };
    S->ops->free = [](SUNLinearSolver s) {
        if (s == nullptr) return 0;
        if (s->content) {
            SUNLinSolFree(content(s).inner);
            delete static_cast<Timed*>(s->content);
            s->content = nullptr;
        }
        SUNLinSolFreeEmpty(s);
        return 0;
    };
    return LinSol(S);
}

namespace {
struct Blocked {
    BlockElimination solver;
    BlockFactor factor;
    double* setup_s;
    double* solve_s;
    int last_flag = 0;
};
Blocked& blocked(SUNLinearSolver S) { return *static_cast<Blocked*>(S->content); }
}  // namespace

LinSol block_solver(SUNContext ctx, std::span<const std::int64_t> col_ptr, std::span<const std::int64_t> row_idx,
                    WorkerPool* pool, BlockFactor factor, double* setup_s, double* solve_s) {
    BlockEliminationOptions o;
    o.pool = pool;
    if (!factor) factor = [](BlockElimination& b, SUNMatrix A) { return b.factor(SUNSparseMatrix_Data(A)); };
    auto content = std::unique_ptr<Blocked>(
        new Blocked{BlockElimination(col_ptr, row_idx, o), std::move(factor), setup_s, solve_s});
    SUNLinearSolver S = SUNLinSolNewEmpty(ctx);
    if (!S) throw std::runtime_error("SUNDIALS: cannot allocate a linear solver");
    LinSol owner(S);
    S->content = content.release();
    S->ops->gettype = [](SUNLinearSolver) { return SUNLINEARSOLVER_DIRECT; };
    S->ops->getid = [](SUNLinearSolver) { return SUNLINEARSOLVER_CUSTOM; };
    S->ops->initialize = [](SUNLinearSolver) { return 0; };
    S->ops->setup = [](SUNLinearSolver s, SUNMatrix A) {
        const auto t0 = std::chrono::steady_clock::now();
        Blocked& b = blocked(s);
        b.last_flag = b.factor(b.solver, A) == 0 ? SUNLS_SUCCESS : SUNLS_LUFACT_FAIL;
        *b.setup_s += since(t0);
        return b.last_flag;
    };
    S->ops->solve = [](SUNLinearSolver s, SUNMatrix, N_Vector x, N_Vector b, realtype) {
        const auto t0 = std::chrono::steady_clock::now();
        Blocked& B = blocked(s);
        const double* bd = N_VGetArrayPointer(b);
        double* xd = N_VGetArrayPointer(x);
        if (xd != bd) std::copy(bd, bd + B.solver.size(), xd);
        B.solver.solve(xd);
        *B.solve_s += since(t0);
        B.last_flag = SUNLS_SUCCESS;
        return 0;
    };
    S->ops->lastflag = [](SUNLinearSolver s) { return sunindextype(blocked(s).last_flag); };
    S->ops->free = [](SUNLinearSolver s) {
        if (s == nullptr) return 0;
        delete static_cast<Blocked*>(s->content);
        s->content = nullptr;
        SUNLinSolFreeEmpty(s);
        return 0;
    };
    return owner;
}

}  // namespace dctwin::sun

// The block elimination (solver/block_elimination.hpp) against dense LU and against KLU, on
// random bordered matrices and on the Newton matrices of every example site.

#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <set>

#include <Eigen/Dense>
#include <fmt/format.h>
#include <sunlinsol/sunlinsol_klu.h>
#include <sunmatrix/sunmatrix_sparse.h>

#include "input/site_loader.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"
#include "solver/block_elimination.hpp"
#include "solver/integrator.hpp"
#include "solver/parallel.hpp"
#include "solver/sundials.hpp"

using namespace dctwin;

namespace {

struct Csc {
    std::size_t n = 0;
    std::vector<std::int64_t> cp, ri;
    std::vector<double> v;
    Eigen::MatrixXd dense() const {
        Eigen::MatrixXd M = Eigen::MatrixXd::Zero(long(n), long(n));
        for (std::size_t c = 0; c < n; ++c)
            for (auto k = cp[c]; k < cp[c + 1]; ++k) M(long(ri[std::size_t(k)]), long(c)) = v[std::size_t(k)];
        return M;
    }
};

// A site-like matrix: `blocks` groups of 1 to 4 local states, each tied to one of `shared`
// interface states ("rack coolant") both ways and feeding `sinks` dense accumulator rows;
// the interface states couple among themselves. Diagonally dominant like I - gamma J.
Csc bordered(int blocks, int shared, int sinks, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    std::uniform_int_distribution<int> size(1, 4);
    std::set<std::pair<std::int64_t, std::int64_t>> entries;  // (col, row)
    std::vector<std::int64_t> local_start;
    std::int64_t n = 0;
    std::vector<int> sizes;
    for (int b = 0; b < blocks; ++b) sizes.push_back(size(rng)), local_start.push_back(n), n += sizes.back();
    const std::int64_t first_shared = n;
    n += shared + sinks;
    for (std::int64_t i = 0; i < n; ++i) entries.insert({i, i});
    for (int b = 0; b < blocks; ++b) {
        const std::int64_t s0 = local_start[std::size_t(b)], m = sizes[std::size_t(b)];
        for (std::int64_t i = 0; i < m; ++i)
            for (std::int64_t j = 0; j < m; ++j)
                if (i == j || u(rng) > 0.0 || std::abs(i - j) == 1) entries.insert({s0 + j, s0 + i});
        const std::int64_t node = first_shared + b % shared;
        entries.insert({node, s0 + m - 1});  // the last local state sees the shared node
        entries.insert({s0 + m - 1, node});  // and the shared node sees it
        for (int k = 0; k < sinks; ++k) entries.insert({s0, first_shared + shared + k});  // power to accumulators
    }
    for (int a = 0; a < shared; ++a) entries.insert({first_shared + (a + 1) % shared, first_shared + a});
    Csc M;
    M.n = std::size_t(n);
    M.cp.assign(M.n + 1, 0);
    for (const auto& [c, r] : entries) ++M.cp[std::size_t(c) + 1], M.ri.push_back(r);
    for (std::size_t i = 0; i < M.n; ++i) M.cp[i + 1] += M.cp[i];
    M.v.resize(M.ri.size());
    // Off-diagonals small against a diagonal of 1 + (row sum): the Newton matrix's shape.
    std::vector<double> rowsum(M.n, 0.0);
    for (std::size_t c = 0; c < M.n; ++c)
        for (auto k = M.cp[c]; k < M.cp[c + 1]; ++k)
            if (std::size_t(M.ri[std::size_t(k)]) != c) {
                M.v[std::size_t(k)] = 0.5 * u(rng);
                rowsum[std::size_t(M.ri[std::size_t(k)])] += std::abs(M.v[std::size_t(k)]);
            }
    for (std::size_t c = 0; c < M.n; ++c)
        for (auto k = M.cp[c]; k < M.cp[c + 1]; ++k)
            if (std::size_t(M.ri[std::size_t(k)]) == c) M.v[std::size_t(k)] = 1.0 + rowsum[c] * (1.0 + 0.5 * u(rng));
    return M;
}

std::vector<double> random_vector(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    std::vector<double> b(n);
    for (auto& x : b) x = u(rng);
    return b;
}

// The Newton matrix I - gamma J of a network at its initial state, in the Newton pattern.
Csc newton_matrix(Network& net, double gamma) {
    std::vector<double> y = net.initial_state(), jac(net.nnz());
    net.jacobian(0.0, y.data(), jac);
    Csc M;
    M.n = net.size();
    M.cp = net.newton_col_ptr();
    M.ri = net.newton_row_idx();
    M.v.resize(M.ri.size());
    for (std::size_t k = 0; k < M.ri.size(); ++k) M.v[k] = -gamma * jac[std::size_t(net.newton_source()[k])];
    for (std::size_t c = 0; c < M.n; ++c)
        for (auto k = M.cp[c]; k < M.cp[c + 1]; ++k)
            if (std::size_t(M.ri[std::size_t(k)]) == c) M.v[std::size_t(k)] += 1.0;
    return M;
}

// KLU through SUNDIALS on the same matrix: x for b.
std::vector<double> klu_solve(const Csc& M, const std::vector<double>& b) {
    auto ctx = sun::make_context();
    auto x = sun::make_vector(long(M.n), ctx.get());
    auto rhs = sun::make_vector(long(M.n), ctx.get());
    std::copy(b.begin(), b.end(), N_VGetArrayPointer(rhs.get()));
    sun::Matrix A(SUNSparseMatrix(sunindextype(M.n), sunindextype(M.n), sunindextype(M.ri.size()), CSC_MAT, ctx.get()));
    std::copy(M.cp.begin(), M.cp.end(), SUNSparseMatrix_IndexPointers(A.get()));
    std::copy(M.ri.begin(), M.ri.end(), SUNSparseMatrix_IndexValues(A.get()));
    std::copy(M.v.begin(), M.v.end(), SUNSparseMatrix_Data(A.get()));
    sun::LinSol LS(SUNLinSol_KLU(x.get(), A.get(), ctx.get()));
    REQUIRE(SUNLinSolInitialize(LS.get()) == 0);
    REQUIRE(SUNLinSolSetup(LS.get(), A.get()) == 0);
    REQUIRE(SUNLinSolSolve(LS.get(), A.get(), x.get(), rhs.get(), 0.0) == 0);
    const double* xd = N_VGetArrayPointer(x.get());
    return {xd, xd + M.n};
}

double max_rel_diff(const std::vector<double>& a, const std::vector<double>& b) {
    double scale = 0.0, d = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) scale = std::max(scale, std::abs(b[i])), d = std::max(d, std::abs(a[i] - b[i]));
    return d / std::max(scale, 1e-300);
}

}  // namespace

TEST_CASE("block elimination: random bordered systems against dense LU") {
    for (unsigned seed = 1; seed <= 4; ++seed) {
        const Csc M = bordered(100, 5, 3, seed);
        BlockElimination be(M.cp, M.ri);
        CHECK(be.interface_size() == 8);  // the shared nodes and the sinks, found from the pattern
        CHECK(be.largest_block() <= 4);
        REQUIRE(be.factor(M.v.data()) == 0);
        const auto b = random_vector(M.n, seed);
        std::vector<double> x = b;
        be.solve(x.data());
        const Eigen::VectorXd ref = M.dense().partialPivLu().solve(Eigen::Map<const Eigen::VectorXd>(b.data(), long(M.n)));
        CHECK(max_rel_diff(x, {ref.data(), ref.data() + M.n}) < 1e-12);
    }
}

TEST_CASE("block elimination: the same answer to the bit on one and on two threads") {
    // Large enough that every threaded loop runs in parallel.
    const Csc M = bordered(20000, 40, 6, 7);
    WorkerPool pool(2);
    BlockEliminationOptions one, two;
    two.pool = &pool;
    BlockElimination a(M.cp, M.ri, one), b(M.cp, M.ri, two);
    REQUIRE(a.factor(M.v.data()) == 0);
    REQUIRE(b.factor(M.v.data()) == 0);
    const auto rhs = random_vector(M.n, 3);
    std::vector<double> xa = rhs, xb = rhs;
    a.solve(xa.data());
    b.solve(xb.data());
    CHECK(std::memcmp(xa.data(), xb.data(), xa.size() * sizeof(double)) == 0);
    CHECK(max_rel_diff(xa, klu_solve(M, rhs)) < 1e-12);
}

TEST_CASE("block elimination: a singular block is reported, not solved") {
    Csc M = bordered(10, 2, 1, 5);
    for (std::size_t k = std::size_t(M.cp[0]); k < std::size_t(M.cp[1]); ++k) M.v[k] = 0.0;  // state 0: a zero column
    BlockElimination be(M.cp, M.ri);
    CHECK(be.factor(M.v.data()) == 1);
}

TEST_CASE("block elimination: the Newton updates of every example site are KLU's") {
    // Each site's Newton matrix I - gamma J at its initial state, for a short and a long step.
    for (const char* site : {"example-pod", "hotspot-pod", "outage-pod", "h100-pod", "tower-pod", "training-campus",
                             "rack-power-pod", "gb200-hall", "frontier"}) {
        const std::string name = site;
        CAPTURE(name);
        const SiteSpec spec = load_site(fmt::format("{}/sites/{}.yaml", DCTWIN_SOURCE_DIR, site), {});
        SiteModel model(spec);
        Network& net = model.network();
        BlockElimination be(net.newton_col_ptr(), net.newton_row_idx());
        // Nearly every state is eliminated in small blocks; a few hundred are shared.
        CHECK(be.largest_block() <= 12);
        CHECK(be.interface_size() < std::max<std::size_t>(40, net.size() / 20));
        for (const double gamma : {0.01, 10.0}) {
            const Csc M = newton_matrix(net, gamma);
            REQUIRE(be.factor(M.v.data()) == 0);
            const auto b = random_vector(M.n, 11);
            std::vector<double> x = b;
            be.solve(x.data());
            CHECK(max_rel_diff(x, klu_solve(M, b)) < 1e-9);
        }
    }
}

TEST_CASE("block elimination: a run takes the same steps as with KLU and gives the same results") {
    for (const std::string site : {"example-pod", "hotspot-pod", "rack-power-pod"}) {
        CAPTURE(site);
        auto run = [&](const char* solver) {
            const SiteSpec spec = load_site(fmt::format("{}/sites/{}.yaml", DCTWIN_SOURCE_DIR, site),
                                            {fmt::format("simulation.solver.linear_solver={}", solver)});
            SiteModel model(spec);
            Network& net = model.network();
            SolverOptions o = solver_options(spec);
            Integrator integ(net, o);
            integ.start(0.0, net.initial_state());
            while (!integ.advance(600.0)) integ.take_events();
            return std::pair(integ.stats().steps, std::vector<double>(integ.y().begin(), integ.y().end()));
        };
        const auto [steps_klu, y_klu] = run("klu");
        const auto [steps_block, y_block] = run("block");
        CHECK(std::abs(steps_klu - steps_block) <= steps_klu / 50 + 2);
        // The two differ by rounding, which the error control sees: the same to the tolerance.
        const SiteSpec spec = load_site(fmt::format("{}/sites/{}.yaml", DCTWIN_SOURCE_DIR, site), {});
        SiteModel model(spec);
        // Tallies (device-seconds throttled, work) integrate counts that jump where a device
        // crosses a kink the solver places only to its tolerance: compared more loosely.
        double worst = 0.0;
        std::size_t at = 0;
        for (std::size_t i = 0; i < y_klu.size(); ++i) {
            const auto& st = model.network().states()[i];
            if (model.network().is_tally(i)) {
                CHECK(std::abs(y_block[i] - y_klu[i]) <= 1e-3 * std::abs(y_klu[i]) + 1e-3);
                continue;
            }
            const double atol = st.abstol * solver_options(spec).abstol_scale;
            const double e = std::abs(y_block[i] - y_klu[i]) / (spec.simulation.solver.rtol * std::abs(y_klu[i]) + atol);
            if (e > worst) worst = e, at = i;
        }
        INFO(model.network().states()[at].path << ": " << y_block[at] << " against " << y_klu[at]);
        CHECK(worst < 10.0);  // global differences of a few local tolerances
    }
}

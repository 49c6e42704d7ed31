// Solver faults: a recoverable failure is retried from the last good state with a smaller
// maximum step; a failure that stays names the states by path and says it retried; a site the
// solvers cannot run ends with exit 1, the states named and (transient) the results file marked
// `incomplete` with the time reached.

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "child.hpp"
#include "models/power/fixed_loads.hpp"
#include "solver/edges.hpp"
#include "solver/integrator.hpp"
#include "solver/network.hpp"
#include "io/results.hpp"

using namespace dctwin;
namespace fs = std::filesystem;

namespace {

// A heater whose right-hand side is NaN for `faults` evaluations once t > t_fault: a model
// that blows up at trial points far from the solution (an exponential at an extrapolated
// temperature), or, with faults = -1, for good.
struct Faulty final : Block {
    int state = 0;
    double t_fault = 1.0, power = 100.0;
    mutable long faults = 0;
    mutable long nan_returned = 0;
    std::string name() const override { return "faulty"; }
    void declare(Network&) override {}
    void eval(EvalContext& ctx) const override {
        if (ctx.t > t_fault && faults != 0) {
            if (faults > 0) --faults;
            ++nan_returned;
            ctx.flow[std::size_t(state)] += std::numeric_limits<double>::quiet_NaN();
            return;
        }
        ctx.flow[std::size_t(state)] += power;
    }
    void jacobian(const EvalContext&, JacobianFill&, LoadDerivatives&) const override {}
};

// C dT/dt = P - G (T - Tb) with a faulty heater; the integrator stops at t = 1 exactly (an
// input step there), so that every trial point after it is past the fault time.
struct Rc {
    static constexpr double C = 500.0, G = 10.0, P = 100.0, Tb = 300.0;
    Network net;
    Faulty* heater = nullptr;
    int T = -1;
    explicit Rc(long faults) {
        const int in = net.add_input(std::make_unique<ConstantSignal>(Tb));
        const int b = net.add_boundary("room", in);
        net.add_input(std::make_unique<StepSchedule>(std::vector<double>{0.0, 1.0}, std::vector<double>{0.0, 1.0}));
        T = net.add_state({"hall1/rowA/rack01/gpu0/T_junction", "K", C, Tb});
        auto g = std::make_unique<ConductanceBlock>("g");
        g->add(NodeRef::state(T), NodeRef::boundary(b), G);
        auto h = std::make_unique<Faulty>();
        h->state = T;
        h->faults = faults;
        heater = h.get();
        net.add_block(std::move(g));
        net.add_block(std::move(h));
        net.finalize();
    }
    double exact(double t) const { return Tb + P / G * (1 - std::exp(-t * G / C)); }
};

std::size_t count_kind(const std::vector<Event>& events, const std::string& kind) {
    std::size_t n = 0;
    for (const auto& e : events) n += e.kind == kind;
    return n;
}

}  // namespace

TEST_CASE("a transient fault that CVODE alone gives up on is retried with a smaller step and passed") {
    // 25 NaNs in a row: more than CVODE's 10 tries of one step, fewer than a retry's budget.
    Rc rc(25);
    SolverOptions o;
    o.rtol = 1e-8;
    Integrator integ(rc.net, o);
    integ.start(0.0, rc.net.initial_state());
    bool ok = false;
    try {
        ok = integ.advance(50.0);
    } catch (const SolverError& e) {
        FAIL("not retried: " << e.what());
    }
    CHECK(ok);
    CHECK(rc.heater->faults == 0);  // every fault was met
    const auto events = integ.take_events();
    CHECK(count_kind(events, "solver_retry") >= 1);
    CHECK(count_kind(events, "solver_retry") <= 3);
    for (const auto& e : events)
        if (e.kind == "solver_retry") {
            CHECK(e.path == "solver");
            CHECK(e.time >= 1.0);
            CHECK(e.message.find("maximum step") != std::string::npos);
        }
    CHECK(integ.stats().retries >= 1);
    // The fault left no trace in the solution.
    CHECK(integ.y()[std::size_t(rc.T)] == doctest::Approx(rc.exact(50.0)).epsilon(1e-6));
    // And the user's settings are back: the rest of the run takes ordinary steps.
    const long steps_before = integ.stats().steps;
    REQUIRE(integ.advance(5000.0));
    CHECK(integ.stats().steps - steps_before < 400);
    CHECK(integ.y()[std::size_t(rc.T)] == doctest::Approx(rc.exact(5000.0)).epsilon(1e-6));
}

TEST_CASE("a fault that stays: SolverError after 3 retries, naming the flag and the states by path") {
    Rc rc(-1);
    Integrator integ(rc.net, SolverOptions{});
    integ.start(0.0, rc.net.initial_state());
    try {
        integ.advance(10.0);
        FAIL("expected a solver failure");
    } catch (const SolverError& e) {
        const std::string msg = e.what();
        INFO(msg);
        CHECK(msg.find("CV_") != std::string::npos);
        CHECK(msg.find("after 3 retries from t = 1 s") != std::string::npos);
        CHECK(msg.find("hall1/rowA/rack01/gpu0/T_junction") != std::string::npos);
        CHECK(e.time >= 1.0);
        CHECK(e.time < 1.0 + 1e-6);
    }
    CHECK(count_kind(integ.take_events(), "solver_retry") == 3);
    CHECK(integ.stats().retries == 3);
}

TEST_CASE("solver statistics keep counting across restarts at input steps") {
    Network net;
    const int in = net.add_input(std::make_unique<StepSchedule>(std::vector<double>{0, 1, 2, 3, 4},
                                                                std::vector<double>{300, 310, 300, 320, 300}));
    const int b = net.add_boundary("supply", in);
    const int T = net.add_state({"node/T", "K", 100.0, 300});
    auto g = std::make_unique<ConductanceBlock>("g");
    g->add(NodeRef::state(T), NodeRef::boundary(b), 50.0);
    net.add_block(std::move(g));
    net.finalize();
    Integrator integ(net, SolverOptions{});
    integ.start(0.0, net.initial_state());
    SolverStats last;
    for (double t : {0.5, 1.5, 2.5, 3.5, 4.5, 6.0}) {
        REQUIRE(integ.advance(t));
        const SolverStats s = integ.stats();
        INFO("t = " << t);
        CHECK(s.steps > last.steps);
        CHECK(s.rhs_evals > last.rhs_evals);
        CHECK(s.jac_evals >= last.jac_evals);
        last = s;
    }
    CHECK(last.reinits == 4);
}

// --- the command line -------------------------------------------------------------------

TEST_CASE("a site without a steady state: exit 1, the drifting states named, no results file") {
    // The hall air's only way out is a conductance of 1 mW/K: it would settle near 950 K.
    const auto dir = robust::scratch_dir("steady-fail");
    const auto out = dir / "x.h5";
    const auto r = robust::run({"run", robust::site(), "-o", out.string(), "--duration", "10min", "--set",
                                "halls.hall1.air.cooling_conductance=0.001 W/K"},
                               dir, 60);
    INFO("stderr: " << r.err);
    CHECK_FALSE(r.timed_out);
    CHECK(r.signal == 0);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("steady state not reached") != std::string::npos);
    CHECK(r.err.find("hall1/air/T") != std::string::npos);
    CHECK_FALSE(fs::exists(out));
}

TEST_CASE("a transient the solver cannot carry: exit 1, states named, file `incomplete` with t_reached") {
    // Tolerances below what double precision can meet: the corrector never converges.
    const auto dir = robust::scratch_dir("transient-fail");
    const auto out = dir / "x.h5";
    const auto r = robust::run({"run", robust::site(), "-o", out.string(), "--duration", "10min", "--cold-start",
                                "--set", "simulation.solver.rtol=1e-12", "--set",
                                "simulation.solver.atol_temperature=1e-300 K"},
                               dir, 60);
    INFO("stderr: " << r.err);
    CHECK_FALSE(r.timed_out);
    CHECK(r.signal == 0);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("solver failure at t = ") != std::string::npos);
    // Either retried with smaller steps and said so, or stopped because the steps collapsed
    // far below a microsecond (how it ends depends on where the corrector gives up).
    CHECK(r.err.find("CVode returned CV_") != std::string::npos);
    const bool said = r.err.find(" after 1 retry from t = ") != std::string::npos ||
                      r.err.find(" retries from t = ") != std::string::npos ||
                      r.err.find("CV_TOO_MUCH_WORK") != std::string::npos;
    CHECK(said);
    CHECK(r.err.find("states with the largest weighted error") != std::string::npos);
    CHECK(r.err.find("is marked incomplete") != std::string::npos);
    REQUIRE(fs::exists(out));
    ResultsReader rr(out.string());
    CHECK(std::get<std::string>(rr.attribute("/", "status")) == "incomplete");
    const double t_reached = std::get<double>(rr.attribute("/", "t_reached"));
    CHECK(std::isfinite(t_reached));
    CHECK(t_reached >= 0.0);
    CHECK(t_reached < 600.0);
    CHECK(std::get<std::string>(rr.attribute("/", "error")).find("solver failure") != std::string::npos);
    const auto rows = std::get<std::int64_t>(rr.attribute("/", "rows"));
    CHECK(rows >= 1);  // the initial row
    CHECK(rr.time().size() == std::size_t(rows));
    // Any retries are in the file's events, and there are never more than three.
    std::size_t retries = 0;
    for (const auto& e : rr.events()) retries += e.kind == "solver_retry";
    if (r.err.find(" retr") != std::string::npos) CHECK(retries >= 1);
    CHECK(retries <= 3);
}

// A supply with states of its own at a rack shelf under a busway and a transformer: the
// network carries d(what it takes from upstream)/d(its states) up the chain, through another
// supply with states (a site battery at the transformer), into the grid and loss
// accumulators. Checked against central differences entry by entry.

#include <doctest/doctest.h>

#include <cmath>
#include <memory>

#include "models/power/rack_storage.hpp"
#include "models/power/site_battery.hpp"
#include "solver/edges.hpp"
#include "solver/integrator.hpp"
#include "solver/jacobian_check.hpp"
#include "solver/network.hpp"

using namespace dctwin;

namespace {

// A load P = p0 + k (T - t0) [W] heating its own node T: a dependency of a load on a state.
class HeaterLoad final : public Block {
public:
    HeaterLoad(int stage, int node, double p0, double k, double t0) : stage_(stage), node_(node), p0_(p0), k_(k), t0_(t0) {}
    std::string name() const override { return "heater"; }
    void declare(Network& net) override {
        load_ = net.add_load({"rack/heater", stage_, LoadCategory::it, NodeRef::state(node_), {node_}});
    }
    void eval(EvalContext& ctx) const override {
        ctx.load[std::size_t(load_)] = p0_ + k_ * (ctx.y[std::size_t(node_)] - t0_);
    }
    void jacobian(const EvalContext&, JacobianFill&, LoadDerivatives& dl) const override {
        dl.dvalues[std::size_t(dl.offset[std::size_t(load_)])] = k_;
    }

private:
    int stage_, node_, load_ = -1;
    double p0_, k_, t0_;
};

struct Chain {
    Network net;
    RackStorage* store = nullptr;
    SiteBattery* battery = nullptr;
    int rack = -1, room = -1, hall = -1;
};

// transformer (quadratic, heat to the room, a site battery) -> busway (I^2 R, heat to the hall)
// -> rack shelf (six PSUs on a curve, heat to the hall, an in-rack store) -> a 30 kW rack.
std::unique_ptr<Chain> chain(bool with_battery) {
    auto c = std::make_unique<Chain>();
    Network& net = c->net;
    const int in = net.add_input(std::make_unique<ConstantSignal>(300.0));
    const int out = net.add_boundary("outdoor", in);
    c->room = net.add_state({"room/T", "K", 2e6, 300.0});
    c->hall = net.add_state({"hall/T", "K", 5e6, 300.0});
    c->rack = net.add_state({"rack/T", "K", 1e4, 330.0});
    auto g = std::make_unique<ConductanceBlock>("g");
    g->add(NodeRef::state(c->room), NodeRef::boundary(out), 500.0);
    g->add(NodeRef::state(c->hall), NodeRef::boundary(out), 2000.0);
    g->add(NodeRef::state(c->rack), NodeRef::state(c->hall), 1500.0);
    const int x = net.add_stage({"power/transformer", -1, 1e6, NodeRef::state(c->room), LossModel::quad(1200, 0, 2e-8),
                                 net.add_loss_group("transformer")});
    const int b = net.add_stage({"hall/busway", x, 3e5, NodeRef::state(c->hall), LossModel::quad(0, 0, 5e-3 / (415.0 * 415.0)),
                                 net.add_loss_group("busways")});
    const int sh = net.add_stage({"rack/power_shelf", b, 27.5e3, NodeRef::state(c->hall),
                                  LossModel::efficiency_curve({0.1, 0.2, 0.5, 1.0}, {0.90, 0.94, 0.96, 0.91}, 5500, 6),
                                  net.add_loss_group("power_shelves")});
    StoreParams sp;
    sp.capacity = 3.6e6, sp.power = 20e3, sp.ramp_limit = 1e3, sp.response_time = 2.0, sp.recharge_time = 300.0;
    auto store = std::make_unique<RackStorage>();
    store->add("rack/power_shelf/storage", sp, sh, NodeRef::state(c->hall));
    c->store = store.get();
    net.add_block(std::move(g));
    net.add_block(std::make_unique<HeaterLoad>(sh, c->rack, 30e3, 150.0, 330.0));
    net.add_block(std::move(store));
    if (with_battery) {
        StoreParams bp;
        bp.capacity = 36e6, bp.power = 50e3, bp.ramp_limit = 500.0, bp.response_time = 1.0, bp.recharge_time = 900.0;
        auto sb = std::make_unique<SiteBattery>("power/site_battery", bp, x, -1, NodeRef::state(c->room));
        c->battery = sb.get();
        net.add_block(std::move(sb));
    }
    net.finalize();
    return c;
}

// Analytic against central differences, every entry of the dense matrices.
std::size_t mismatches(Network& net, const std::vector<double>& y) {
    const std::size_t n = net.size();
    const auto Ja = dense_jacobian(net, 0.0, y);
    const auto Jf = finite_difference_jacobian(net, 0.0, y, 1e-7);
    std::size_t bad = 0;
    for (std::size_t c = 0; c < n; ++c)
        for (std::size_t r = 0; r < n; ++r) {
            const double a = Ja[c * n + r], f = Jf[c * n + r];
            if (std::abs(a - f) > 1e-6 * std::max(1.0, std::abs(f))) {
                ++bad;
                MESSAGE("d(" << net.states()[r].path << ")/d(" << net.states()[c].path << "): analytic " << a
                             << ", finite difference " << f);
            }
        }
    return bad;
}

}  // namespace

TEST_CASE("a supply's own states enter the chain at its parent stage: Jacobian against finite differences") {
    for (bool battery : {false, true}) {
        auto c = chain(battery);
        Network& net = c->net;
        auto y = net.initial_state();
        for (std::size_t i = 0; i < y.size(); ++i)
            if (net.states()[i].accumulator) y[i] = 1e5;
        const auto& S = *c->store;
        const int g = S.target_state(0), e = S.energy_state(0);
        // The rack draws about 31.3 kW at its shelf input (30 kW + the PSUs' loss).
        struct Point {
            const char* what;
            double g, soc;
        } points[] = {{"discharging", 25e3, 0.5},
                      {"charging", 36e3, 0.5},
                      {"at its power limit", 5e3, 0.5},
                      {"tapering near empty", 25e3, 0.01},
                      {"tapering near full", 36e3, 0.995}};
        for (const auto& p : points) {
            INFO((battery ? "with a site battery, " : "") << p.what);
            y[std::size_t(g)] = p.g;
            y[std::size_t(e)] = p.soc * S.params(0).capacity;
            if (battery) y[std::size_t(c->battery->target_state())] = 28e3;  // the site battery delivers too
            std::vector<double> ydot(net.size());
            net.rhs(0.0, y.data(), ydot.data());
            CHECK(S.last_power(0) != 0.0);
            CHECK(mismatches(net, y) == 0);
        }
    }
}

TEST_CASE("the supply's columns reach the grid: d(grid)/d(store energy) is the chain's factor") {
    // Hand check of one entry: near empty the store's power tapers with E, d = (p - g) E / band;
    // the grid pays (1 + busway slope)(1 + transformer slope) per watt the store does not give.
    auto c = chain(false);
    Network& net = c->net;
    auto y = net.initial_state();
    const auto& S = *c->store;
    const double cap = S.params(0).capacity, band = 0.02 * cap;
    y[std::size_t(S.target_state(0))] = 25e3;
    y[std::size_t(S.energy_state(0))] = 0.5 * band;
    std::vector<double> ydot(net.size());
    net.rhs(0.0, y.data(), ydot.data());
    const double p_in = net.last_stage_input()[2];
    const double dd_de = (p_in - 25e3) / band;
    const double busway_out = net.last_stage_output()[1];
    const double k_b = 5e-3 / (415.0 * 415.0), k_x = 2e-8;
    const double expected = -dd_de * (1 + 2 * k_b * busway_out) * (1 + 2 * k_x * net.last_stage_output()[0]);
    const auto J = dense_jacobian(net, 0.0, y);
    const std::size_t n = net.size();
    CHECK(J[std::size_t(S.energy_state(0)) * n + std::size_t(net.accounting().grid)] == doctest::Approx(expected).epsilon(1e-9));
}

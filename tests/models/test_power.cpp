// The power chain: loss formulas against hand calculations, curves through their points.

#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "input/site_loader.hpp"
#include "models/site_model.hpp"
#include "solver/loss.hpp"
#include "solver/steady.hpp"

using namespace dctwin;

namespace {
const std::string kDir = std::string(DCTWIN_SOURCE_DIR) + "/sites/";

const StageInfo& stage(SiteModel& m, const std::string& path) {
    for (const auto& s : m.network().stages())
        if (s.path == path) return s;
    FAIL("no stage " << path);
    throw;
}

double efficiency_at(const LossModel& l, double p) { return p / (p + l.loss(p, nullptr)); }
}  // namespace

TEST_CASE("linear stage: P_in = (P_out + c) / eta") {
    const auto l = LossModel::linear(0.96, 17.0);  // Frontier rectifier [P] ExaDigiT RAPS
    double d = 0;
    CHECK(1000 + l.loss(1000, &d) == doctest::Approx((1000 + 17) / 0.96));
    CHECK(d == doctest::Approx(1 / 0.96 - 1));
}

TEST_CASE("transformer: no-load loss at zero load, the rated efficiency at the reference load") {
    // example-pod: 1000 kVA, 1.2 kW no-load, 99.28 % at 35 % [P] DOE 10 CFR 431.196.
    SiteModel m(load_site(kDir + "example-pod.yaml"));
    const auto& x = stage(m, "power/transformer").loss;
    CHECK(x.loss(0, nullptr) == doctest::Approx(1200));
    CHECK(efficiency_at(x, 350e3) == doctest::Approx(0.9928).epsilon(1e-12));
    // Load loss goes as the square of the load: hand calculation at full load.
    const double load_loss_ref = 350e3 * (1 / 0.9928 - 1) - 1200;
    CHECK(x.loss(1e6, nullptr) == doctest::Approx(1200 + load_loss_ref / (0.35 * 0.35)).epsilon(1e-12));
}

TEST_CASE("busway: loss = 3 I^2 R with I = P / (sqrt(3) V)") {
    SiteModel m(load_site(kDir + "example-pod.yaml"));
    const auto& b = stage(m, "hall1/busway");
    const double P = 120e3, V = 415, R = 5e-3;
    const double I = P / (std::sqrt(3.0) * V);
    CHECK(b.loss.loss(P, nullptr) == doctest::Approx(3 * I * I * R).epsilon(1e-12));
    CHECK(b.rating == doctest::Approx(std::sqrt(3.0) * V * 400));  // ampacity as power
}

TEST_CASE("PSU shelf: the curve goes through its defining points, shared by every PSU") {
    // 80 PLUS Titanium (230 V internal redundant): 90 / 94 / 96 / 91 % at 10 / 20 / 50 / 100 % [S].
    SiteModel m(load_site(kDir + "hotspot-pod.yaml"));
    const auto& sh = stage(m, "hall1/rowA/rack01/power_shelf");
    CHECK(sh.rating == doctest::Approx(5 * 5500));  // 6 PSUs, N+1
    const double loads[] = {0.1, 0.2, 0.5, 1.0}, effs[] = {0.90, 0.94, 0.96, 0.91};
    for (int i = 0; i < 4; ++i) {
        const double p = 6 * 5500 * loads[i];  // every PSU at that load
        CHECK(efficiency_at(sh.loss, p) == doctest::Approx(effs[i]).epsilon(1e-12));
    }
    // Between the points the curve stays within its neighbours (monotone interpolation).
    for (double x = 0.1; x <= 1.0; x += 0.01) {
        const double e = efficiency_at(sh.loss, 6 * 5500 * x);
        CHECK(e >= 0.90 - 1e-12);
        CHECK(e <= 0.96 + 1e-12);
    }
    // Below the first point the loss stays at its value there.
    CHECK(sh.loss.loss(100, nullptr) == doctest::Approx(sh.loss.loss(6 * 5500 * 0.1, nullptr)));
}

TEST_CASE("the curve's loss derivative matches finite differences") {
    const auto l = LossModel::efficiency_curve({0.1, 0.2, 0.5, 1.0}, {0.90, 0.94, 0.96, 0.91}, 5500, 6);
    for (double p : {5e3, 8e3, 12e3, 20e3, 30e3, 40e3}) {
        double d = 0;
        l.loss(p, &d);
        const double h = 1e-3;
        CHECK(d == doctest::Approx((l.loss(p + h, nullptr) - l.loss(p - h, nullptr)) / (2 * h)).epsilon(1e-6));
    }
}

TEST_CASE("UPS on its default double-conversion curve") {
    SiteModel m(load_site(kDir + "example-pod.yaml"));
    const auto& u = stage(m, "power/ups").loss;
    CHECK(efficiency_at(u, 0.5 * 300e3) == doctest::Approx(0.96).epsilon(1e-12));
    CHECK(efficiency_at(u, 300e3) == doctest::Approx(0.97).epsilon(1e-12));
}

TEST_CASE("every stage's loss lands as heat, and the losses by stage add up") {
    SiteModel m(load_site(kDir + "example-pod.yaml"));
    Network& net = m.network();
    const auto y = solve_steady(net, net.initial_state(), SteadyOptions{1200}).y;
    m.point(1200, y.data());
    const auto in = net.last_stage_input(), out = net.last_stage_output();
    double losses = 0;
    for (std::size_t s = 0; s < in.size(); ++s) {
        CHECK(in[s] > out[s]);
        losses += in[s] - out[s];
    }
    const SitePoint p = m.point(1200, y.data());
    CHECK(p.loss_power == doctest::Approx(losses).epsilon(1e-12));
    CHECK(p.grid_power == doctest::Approx(p.heat_rejection).epsilon(1e-9));  // steady: all of it leaves as heat
    // The UPS feeds the distribution; the transformer feeds the UPS and the cooling plant.
    CHECK(out[std::size_t(stage(m, "power/ups").parent)] == doctest::Approx(in[1] + p.cooling_power).epsilon(1e-12));
}

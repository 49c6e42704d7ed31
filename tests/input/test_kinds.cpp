// Kinds of the site format (input/site_spec.hpp) are parsed once into their enums: every name
// reads as its value, and an unknown name is an error at its place, naming the names.

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "input/site_loader.hpp"
#include "input/site_spec.hpp"

using namespace dctwin;

namespace {

const std::string kSites = std::string(DCTWIN_SOURCE_DIR) + "/sites/";

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

template <class E>
std::string names() {
    std::vector<std::string> n;
    for (auto v : KindNames<E>::names) n.emplace_back(v);
    return fmt::format("{}", fmt::join(n, ", "));
}

// Loads `site` with the first `from` (a "kind: ..." text) replaced by `to`; returns the error
// and the 1-based line and column where the replaced name starts.
struct Refusal {
    InputError error{{}, "", ""};
    int line = 0, col = 0;
};
Refusal refuse(const std::string& site, const std::string& from, const std::string& to) {
    std::string text = read_all(kSites + site);
    const auto at = text.find(from);
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size(), to);
    Refusal r;
    r.line = 1 + int(std::count(text.begin(), text.begin() + std::ptrdiff_t(at), '\n'));
    const auto bol = text.rfind('\n', at);
    r.col = int(at - (bol == std::string::npos ? 0 : bol + 1)) + 1 + int(std::string("kind: ").size());
    try {
        load_site_text(text, site);
        FAIL("no InputError for ", to);
    } catch (const InputError& e) {
        r.error = e;
    }
    return r;
}

}  // namespace

TEST_CASE("kinds: every name of every kind reads as its value, in the order of the values") {
    auto check = [](auto values) {
        using E = typename decltype(values)::value_type;
        REQUIRE(values.size() == KindNames<E>::names.size());
        for (std::size_t i = 0; i < values.size(); ++i) {
            CHECK(std::size_t(values[i]) == i);
            CHECK(kind_name(values[i]) == KindNames<E>::names[i]);
        }
    };
    check(std::vector{AmbientKind::constant, AmbientKind::design_day, AmbientKind::epw});
    check(std::vector{EconomiserKind::dry_cooler, EconomiserKind::cooling_tower});
    check(std::vector{DeviceKind::gpu, DeviceKind::cpu});
    check(std::vector{JobKind::training, JobKind::independent});
    check(std::vector{DeviceCooling::liquid, DeviceCooling::air});
    check(std::vector{CondenserKind::air, CondenserKind::tower});
    using S = ScenarioKind;
    check(std::vector{S::utility_outage, S::generator_failure, S::cdu_pump_trip, S::chiller_trip, S::economiser_fan_loss,
                      S::facility_supply_step, S::psu_failure, S::pdu_failure});

    // The example sites read their kinds as the values their files name.
    CHECK(load_site(kSites + "tower-pod.yaml").facility.plant.economiser.kind == EconomiserKind::cooling_tower);
    CHECK(load_site(kSites + "tower-pod.yaml").ambient.kind == AmbientKind::epw);
    CHECK(load_site(kSites + "tower-pod.yaml").facility.plant.chiller.condenser == CondenserKind::tower);
    CHECK(load_site(kSites + "h100-pod.yaml").facility.plant.economiser.kind == EconomiserKind::dry_cooler);
    CHECK(load_site(kSites + "h100-pod.yaml").ambient.kind == AmbientKind::design_day);
    const SiteSpec outage = load_site(kSites + "outage-pod.yaml");
    REQUIRE(outage.scenario.size() == 1);
    CHECK(outage.scenario[0].kind == ScenarioKind::utility_outage);
    const SiteSpec frontier = load_site(kSites + "frontier.yaml");
    CHECK(std::count_if(frontier.jobs.begin(), frontier.jobs.end(),
                        [](const JobSpec& j) { return j.kind == JobKind::independent; }) == 1);
}

TEST_CASE("kinds: an unknown kind is an error at its place, with the key path and the names") {
    struct Case {
        const char* site;
        const char* from;
        const char* to;
        const char* key;
        std::string expected;
    };
    const Case cases[] = {
        {"tower-pod.yaml", "kind: cooling_tower", "kind: hybrid_cooler", "facility.plant.economiser.kind",
         names<EconomiserKind>()},
        {"h100-pod.yaml", "kind: design_day", "kind: typical_year", "ambient.kind", names<AmbientKind>()},
        {"frontier.yaml", "kind: independent", "kind: inference", "workload.jobs", names<JobKind>()},
        {"outage-pod.yaml", "kind: utility_outage", "kind: grid_outage", "scenario.0.kind", names<ScenarioKind>()},
    };
    for (const Case& c : cases) {
        CAPTURE(c.to);
        const Refusal r = refuse(c.site, c.from, c.to);
        CHECK(r.error.loc.file == c.site);
        CHECK(r.error.loc.line == r.line);
        CHECK(r.error.loc.col == r.col);
        CHECK(r.error.key_path.rfind(c.key, 0) == 0);
        CHECK(r.error.key_path.size() > std::string(".kind").size());
        CHECK(r.error.key_path.substr(r.error.key_path.size() - 5) == ".kind");
        CHECK(r.error.detail.find("expected one of: " + c.expected) != std::string::npos);
        CHECK(std::string(r.error.what()).find(fmt::format("{}:{}:{}: error:", c.site, r.line, r.col)) != std::string::npos);
    }
    // A near miss is named.
    const Refusal near = refuse("outage-pod.yaml", "kind: utility_outage", "kind: utility_outages");
    CHECK(near.error.detail.find("utility_outage") != std::string::npos);
    CHECK(near.error.detail.find("did you mean") != std::string::npos);
}

TEST_CASE("kinds: an unknown device kind from --set is an error naming the names") {
    const SiteSpec s = load_site(kSites + "example-pod.yaml");
    REQUIRE(!s.device_types.empty());
    const std::string type = s.device_types.begin()->first;
    try {
        load_site(kSites + "example-pod.yaml", {fmt::format("device_types.{}.kind=tpu", type)});
        FAIL("no InputError");
    } catch (const InputError& e) {
        CHECK(e.key_path == fmt::format("device_types.{}.kind", type));
        CHECK(e.detail.find("expected one of: " + names<DeviceKind>()) != std::string::npos);
    }
}

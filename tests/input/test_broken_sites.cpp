// Every file in sites/broken/ must fail with the place and the words its header promises:
//   # expect-loc: <line>:<col>
//   # expect: <a substring of the message>      (one or more)
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "input/site_loader.hpp"
#include "models/site_model.hpp"

using namespace dctwin;
namespace fs = std::filesystem;

namespace {

struct Expectation {
    int line = 0, col = 0;
    std::string in;  ///< the file the place is in, when not the site file (a trace it reads)
    std::vector<std::string> parts;
};

Expectation read_header(const fs::path& file) {
    static const std::regex loc_re(R"(^# expect-loc: (\d+):(\d+)(?: in (\S+))?$)");
    Expectation e;
    std::ifstream in(file);
    std::string l;
    std::smatch m;
    while (std::getline(in, l) && l.rfind("#", 0) == 0) {
        if (std::regex_match(l, m, loc_re)) e.line = std::stoi(m[1]), e.col = std::stoi(m[2]), e.in = m[3];
        if (l.rfind("# expect: ", 0) == 0) e.parts.push_back(l.substr(10));
    }
    return e;
}

}  // namespace

TEST_CASE("broken sites: each fails at its expected place with its expected message") {
    const fs::path dir = fs::path(DCTWIN_SOURCE_DIR) / "sites" / "broken";
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(dir))
        if (entry.path().extension() == ".yaml") files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    CHECK(files.size() >= 20);

    for (const fs::path& file : files) {
        const std::string name = file.filename().string();
        INFO("sites/broken/", name);
        Expectation want = read_header(file);
        CHECK(want.line > 0);  // the header must be parseable: the CLI tests reuse it
        CHECK(want.col > 0);
        CHECK(!want.parts.empty());
        std::string message;
        try {
            // Some mistakes show only when the model is built (a CDU that cannot reach its
            // approach); `dctwin check` builds it too.
            SiteModel model(load_site(file.string()));
        } catch (const InputError& e) {
            message = e.what();
        }
        INFO("message: ", message);
        CHECK(message.find(fmt::format("sites/broken/{}:{}:{}: error: ", want.in.empty() ? name : want.in, want.line,
                                       want.col)) != std::string::npos);
        for (const std::string& part : want.parts) CHECK(message.find(part) != std::string::npos);
    }
}

TEST_CASE("broken sites: the example becomes broken by a single bad override") {
    // The same checks through --set, so that sweeps fail as clearly as files.
    const std::string example = std::string(DCTWIN_SOURCE_DIR) + "/sites/example-pod.yaml";
    CHECK_THROWS_WITH_AS(load_site(example, {"device_types.h100.max_power=700 Wats"}),
                         doctest::Contains("--set:1:29: error: device_types.h100.max_power: \"700 Wats\": unknown unit"),
                         InputError);
    CHECK_THROWS_WITH_AS(load_site(example, {"halls.hall1.rows.rowA.rack=nvl72"}),
                         doctest::Contains("unknown rack type \"nvl72\""), InputError);
}

TEST_CASE("broken sites: an invalid in-rack store and a PSU failure of a missing rack are among them") {
    // Both are checked by the test above like every other file; this one keeps them from
    // disappearing unnoticed.
    const fs::path dir = fs::path(DCTWIN_SOURCE_DIR) / "sites" / "broken";
    for (const char* name : {"rack-storage-zero-capacity.yaml", "psu-failure-unknown-rack.yaml"}) {
        INFO(name);
        REQUIRE(fs::exists(dir / name));
        CHECK_THROWS_AS(SiteModel(load_site((dir / name).string())), InputError);
    }
}

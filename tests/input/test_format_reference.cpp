// sites/README.md carries the generated format reference between two markers; this keeps
// it equal to format_reference_markdown(). To regenerate after changing a parameter table:
//   DCTWIN_UPDATE_DOCS=1 ./test_input -tc="format reference*"
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "input/site_loader.hpp"
#include "input/units.hpp"

using namespace dctwin;

namespace {
const std::string kReadme = std::string(DCTWIN_SOURCE_DIR) + "/sites/README.md";
const std::string kBegin = "<!-- BEGIN GENERATED -->\n";
const std::string kEnd = "<!-- END GENERATED -->";

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}
}  // namespace

TEST_CASE("format reference: sites/README.md holds the generated reference") {
    std::string readme = read_all(kReadme);
    auto begin = readme.find(kBegin);
    auto end = readme.find(kEnd);
    REQUIRE(begin != std::string::npos);
    REQUIRE(end != std::string::npos);
    REQUIRE(begin < end);
    begin += kBegin.size();
    std::string generated = format_reference_markdown();

    const char* update = std::getenv("DCTWIN_UPDATE_DOCS");
    if (update && std::string(update) == "1" && readme.substr(begin, end - begin) != generated) {
        readme.replace(begin, end - begin, generated);
        std::ofstream(kReadme, std::ios::binary) << readme;
        MESSAGE("rewrote the generated block of sites/README.md");
        return;
    }
    CHECK_MESSAGE(readme.substr(begin, end - begin) == generated,
                  "sites/README.md is out of date: run DCTWIN_UPDATE_DOCS=1 test_input -tc=\"format reference*\"");
}

TEST_CASE("format reference: every key of the example is documented") {
    std::string reference = format_reference_markdown();
    std::ifstream in(std::string(DCTWIN_SOURCE_DIR) + "/sites/example-pod.yaml");
    // Keys of the example ("  pump_head:" or "{ type: ..., count: ..." in flow maps).
    static const std::regex key_re(R"((?:^\s*|[{,]\s*)([a-z_]+):)");
    const std::string names[] = {"h100", "grace", "hgx", "hall1", "rowA", "rowB", "gpu", "cpu"};
    std::string line;
    int keys = 0;
    while (std::getline(in, line)) {
        if (line.rfind("#", 0) == 0) continue;
        for (auto it = std::sregex_iterator(line.begin(), line.end(), key_re); it != std::sregex_iterator(); ++it) {
            std::string key = (*it)[1];
            if (std::find(std::begin(names), std::end(names), key) != std::end(names)) continue;
            INFO(key);
            CHECK(reference.find("| `" + key + "` |") != std::string::npos);
            ++keys;
        }
    }
    CHECK(keys > 50);
    // Defaults are documented, never silent.
    CHECK(reference.find("| `duration` | time, e.g. `10 min` | `1 h` |") != std::string::npos);
    CHECK(reference.find("| `pitch` | length, e.g. `0.6 m` | `0.6 m` |") != std::string::npos);
    CHECK(reference.find("| `max_power` | power, e.g. `700 W` | **required** | 0 < x <= 10 kW |") != std::string::npos);
}

TEST_CASE("format reference: defaults are real values and examples lie inside their ranges") {
    // Each quantity row: | `key` | <dimension>, e.g. `EXAMPLE` | DEFAULT | LO <= x <= HI | ... |
    static const std::regex row_re(
        R"(^\| `[^`]+` \| [a-z ]+, e\.g\. `([^`]+)` \| ([^|]+) \| (?:(.+?) (<=?) )?x(?: (<=?) (.+?))? \|)");
    const std::string reference = format_reference_markdown();
    std::istringstream in(reference);
    std::string line;
    int rows = 0;
    while (std::getline(in, line)) {
        std::smatch m;
        if (!std::regex_search(line, m, row_re)) continue;
        ++rows;
        INFO(line);
        auto inside = [&](const std::string& text) {
            const double v = parse_any_quantity(text).si;
            bool ok = true;
            if (m[3].matched) {
                const double lo = parse_any_quantity(m[3].str()).si;
                ok = ok && (m[4].str() == "<" ? v > lo : v >= lo);
            }
            if (m[6].matched) {
                const double hi = parse_any_quantity(m[6].str()).si;
                ok = ok && (m[5].str() == "<" ? v < hi : v <= hi);
            }
            return ok;
        };
        CHECK(inside(m[1].str()));
        std::string def = m[2].str();
        if (def.size() > 2 && def.front() == '`' && def.back() == '`') {
            def = def.substr(1, def.size() - 2);
            bool is_value = true;
            try {
                parse_any_quantity(def);
            } catch (const UnitError&) {
                is_value = false;  // a default in words, e.g. `max_power`
            }
            if (is_value) CHECK(inside(def));
        }
    }
    CHECK(rows > 100);
    CHECK(reference.find("-273.15 degC") == std::string::npos);
}

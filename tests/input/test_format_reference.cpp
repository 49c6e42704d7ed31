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

// libFuzzer target for --set: each line of the input is one override (key.path=value) applied
// to sites/example-pod.yaml, as the command line gives them. An InputError is the expected way
// out; anything else escaping is a finding.

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "input/site_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string site = [] {
        std::ifstream f(std::string(DCTWIN_SOURCE_DIR) + "/sites/example-pod.yaml", std::ios::binary);
        std::ostringstream s;
        s << f.rdbuf();
        return s.str();
    }();
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> sets;
    std::size_t start = 0;
    while (start <= text.size() && sets.size() < 16) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        sets.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    try {
        (void)dctwin::load_site_text(site, "example-pod.yaml", sets);
    } catch (const dctwin::InputError&) {
    }
    return 0;
}

// Prints how the block elimination partitions a site's Newton matrix: states, blocks, the
// largest block, the interface (shared states) and the reduced system's entries.
//   build/bin/dctwin_structure SITE [--set k=v ...]
//   DCTWIN_STRUCTURE_STATE=PATH also lists the Newton matrix's row and column of that state.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "input/site_loader.hpp"
#include "models/site_model.hpp"
#include "solver/block_elimination.hpp"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: dctwin_structure SITE [--set k=v ...]\n");
        return 2;
    }
    std::vector<std::string> sets;
    for (int i = 2; i + 1 < argc; i += 2) sets.emplace_back(argv[i + 1]);
    try {
        const auto spec = dctwin::load_site(argv[1], sets);
        dctwin::SiteModel model(spec);
        auto& net = model.network();
        dctwin::BlockElimination be(net.newton_col_ptr(), net.newton_row_idx());
        fmt::print("{}: {} states, Newton entries {}, blocks {} (largest {}), interface {}, reduced entries {}\n",
                   argv[1], net.size(), net.newton_row_idx().size(), be.block_count(), be.largest_block(),
                   be.interface_size(), be.reduced_nnz());
        if (std::getenv("DCTWIN_STRUCTURE_STATE")) {
            const std::string want = std::getenv("DCTWIN_STRUCTURE_STATE");
            const auto& cp = net.newton_col_ptr();
            const auto& ri = net.newton_row_idx();
            for (std::size_t c = 0; c < net.size(); ++c) {
                if (net.states()[c].path != want) continue;
                fmt::print("column {} ({}):\n", c, want);
                for (auto k = cp[c]; k < cp[c + 1]; ++k) fmt::print("  row {} {}\n", ri[std::size_t(k)], net.states()[std::size_t(ri[std::size_t(k)])].path);
                fmt::print("row {}:\n", c);
                for (std::size_t cc = 0; cc < net.size(); ++cc)
                    for (auto k = cp[cc]; k < cp[cc + 1]; ++k)
                        if (std::size_t(ri[std::size_t(k)]) == c) fmt::print("  col {} {}\n", cc, net.states()[cc].path);
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
    return 0;
}

// libFuzzer target for a sweep folder's journal (cases.jsonl) and the summary made from it:
// the input is written as the journal of a small sweep, read back (a torn last line is cut),
// and tabulated. A SweepDirError is the expected way out; anything else is a finding.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "sweep/journal.hpp"
#include "sweep/summary.hpp"
#include "sweep/sweep_file.hpp"

namespace {

const dctwin::sweep::Sweep& small_sweep() {
    static const dctwin::sweep::Sweep s = dctwin::sweep::load_sweep_text(
        "dctwin_sweep: 1\nbase: ../example-pod.yaml\nrun: { mode: steady }\nparameters:\n"
        "  supply: { key: coolant.supply_temperature, values: [20 degC, 25 degC, 30 degC] }\n"
        "  flow: { key: rack_types.hgx-h100.coolant_flow, values: [40 L/min, 60 L/min] }\n",
        std::string(DCTWIN_SOURCE_DIR) + "/sites/sweeps/fuzz.yaml");
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // A scratch folder of this process, removed at exit.
    static const struct Scratch {
        std::string dir;
        Scratch() {
            const auto d = std::filesystem::temp_directory_path() / ("dctwin-fuzz-journal-" + std::to_string(::getpid()));
            std::filesystem::create_directories(d);
            dir = d.string();
        }
        ~Scratch() {
            std::error_code ec;
            std::filesystem::remove_all(dir, ec);
        }
    } scratch;
    const std::string& dir = scratch.dir;
    {
        std::ofstream f(dir + "/cases.jsonl", std::ios::binary | std::ios::trunc);
        f.write(reinterpret_cast<const char*>(data), std::streamsize(size));
    }
    try {
        const auto records = dctwin::sweep::read_journal(dir, small_sweep().cases.size());
        (void)dctwin::sweep::make_table(small_sweep(), records);
    } catch (const dctwin::sweep::SweepDirError&) {
    }
    return 0;
}

// libFuzzer target for a sweep folder's sweep.json: the input is written as the record of the
// folder, which prepare_dir then checks against a small sweep. A SweepDirError (another
// sweep's folder, or not a record at all) is the expected way out; anything else is a finding.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "sweep/journal.hpp"
#include "sweep/sweep_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const dctwin::sweep::Sweep sweep = dctwin::sweep::load_sweep_text(
        "dctwin_sweep: 1\nbase: ../example-pod.yaml\nrun: { mode: steady }\nparameters:\n"
        "  supply: { key: coolant.supply_temperature, values: [20 degC, 30 degC] }\n",
        std::string(DCTWIN_SOURCE_DIR) + "/sites/sweeps/fuzz.yaml");
    // A scratch folder of this process, removed at exit.
    static const struct Scratch {
        std::string dir;
        Scratch() {
            const auto d = std::filesystem::temp_directory_path() / ("dctwin-fuzz-sweep-json-" + std::to_string(::getpid()));
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
        std::ofstream f(dir + "/sweep.json", std::ios::binary | std::ios::trunc);
        f.write(reinterpret_cast<const char*>(data), std::streamsize(size));
    }
    try {
        dctwin::sweep::prepare_dir(sweep, dir, false);
    } catch (const dctwin::sweep::SweepDirError&) {
    }
    return 0;
}

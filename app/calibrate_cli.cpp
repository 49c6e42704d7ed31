#include "app/calibrate_cli.hpp"

#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "calib/calibrate.hpp"
#include "calib/measured.hpp"
#include "input/site_loader.hpp"
#include "input/units.hpp"

namespace dctwin::app {

CalibrateCommand::CalibrateCommand(CLI::App& app) {
    command = app.add_subcommand("calibrate", "fit site parameters to measured series by nonlinear least squares: "
                                              "values, 95 % intervals, correlations, metrics before and after "
                                              "(docs/calibration.md)");
    command->add_option("SITE", site, "site file (YAML)")->required();
    command->add_option("MEASURED", measured, "measured data, as dctwin compare reads it")->required();
    command->add_option("--fit", fits, "a parameter to fit: a --set key path, with a range: "
                                       "'rack_types.hgx-h100.coolant_flow=30 L/min..90 L/min' (repeatable); without "
                                       "a range: [value/4, 4 x value], or +/- 10 K for a temperature")
        ->required();
    command->add_option("-o,--output", output, "write the fitted values as a set file (YAML) for --set-file");
    command->add_flag("--force", force, "overwrite an existing -o file");
    command->add_option("--set", sets, "override a value by key path: key.path=value (repeatable)");
    command->add_option("--set-file", set_files, "apply the key.path: value overrides of a YAML file (repeatable; "
                                                 "before --set)");
    command->add_option("--duration", duration, "simulated time with its unit; default: up to the last measured sample");
    command->add_option("--start", start, "with a timestamp column: the timestamp at t = 0 of the run (ISO 8601); "
                                          "default: the first row's");
    command->add_option("-j,--jobs", threads, "runs at once on threads (the finite-difference columns); default 1")
        ->check(CLI::Range(1, 1024));
    command->add_option("--sensitivities", sensitivities,
                        "the Jacobian: auto (forward sensitivities with CVODES where the model takes the key in place, "
                        "finite differences of whole runs otherwise), forward (refuse a key that cannot), fd")
        ->check(CLI::IsMember({"auto", "forward", "fd"}));
    command->add_option("--max-iterations", max_iterations, "Levenberg-Marquardt iterations at most (default 50)")
        ->check(CLI::Range(1, 10000));
    command->add_flag("--json", json, "print the result as JSON on stdout");
    command->add_option("--format", format, "MEASURED's format: csv, nvidia-smi, prometheus, dcgmi, auto")
        ->check(CLI::IsMember({"auto", "csv", "nvidia-smi", "prometheus", "dcgmi"}));
    command->add_option("--gpus", gpus, "nvidia-smi, DCGM: the device path of GPU index 0 without its number");
    command->add_option("--metric", metrics, "prometheus: a metric onto a result path (repeatable)");
    command->add_option("--interval", interval, "dcgmi dmon: its sample interval, with its unit; default 1s");
}

int CalibrateCommand::run() const {
    if (!command->parsed()) return -1;
    if (!output.empty()) {
        const auto ext = std::filesystem::path(output).extension();
        if (ext != ".yaml" && ext != ".yml") {
            std::cerr << fmt::format("dctwin: error: -o {}: the fitted values are a YAML set file, name it with .yaml\n", output);
            return 2;
        }
        if (!force && std::filesystem::exists(output)) {
            std::cerr << fmt::format("dctwin: error: -o {}: exists; use --force to overwrite\n", output);
            return 1;
        }
    }
    calib::Calibration c;
    try {
        calib::CalibrateOptions opt;
        opt.sets = sets;
        opt.set_files = set_files;
        opt.threads = threads;
        opt.max_iterations = max_iterations;
        opt.sensitivities = sensitivities == "forward" ? calib::Sensitivities::forward
                            : sensitivities == "fd"    ? calib::Sensitivities::fd
                                                       : calib::Sensitivities::automatic;
        if (!duration.empty()) opt.duration = parse_duration(duration);
        calib::TelemetryOptions telemetry;
        telemetry.gpu_prefix = gpus;
        if (!interval.empty()) telemetry.interval = parse_duration(interval);
        for (const auto& m : metrics) telemetry.maps.push_back(calib::parse_metric_map(m));
        std::vector<calib::FitRequest> requests;
        for (const auto& f : fits) requests.push_back(calib::parse_fit(f));
        const calib::MeasuredData data = calib::read_measured(measured, *calib::measured_format(format), telemetry);
        if (!start.empty()) {
            const auto s = calib::parse_iso8601(start);
            if (!s) throw std::invalid_argument("--start: expected an ISO 8601 timestamp, e.g. 2026-03-01T00:00:00Z");
            if (!data.epoch)
                throw std::invalid_argument(fmt::format("--start: {} has a 'time [s]' column, already the run's time", measured));
            opt.start = *data.epoch - *s;
        }
        try {
            c = calib::calibrate(site, data, requests, opt);
        } catch (const InputError&) {
            throw;
        } catch (const std::invalid_argument&) {
            throw;
        } catch (const std::exception& e) {  // a run failed (solver, steady state): not the input's fault
            std::cerr << fmt::format("{}: error: {}\n", site, e.what());
            return 1;
        }
    } catch (const InputError& e) {
        std::cerr << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {  // UnitError, invalid_argument: the input is wrong
        std::cerr << fmt::format("dctwin: error: {}\n", e.what());
        return 2;
    }
    if (json)
        std::cout << c.to_json().dump(2) << "\n";
    else
        std::cout << c.to_text();
    std::cout.flush();
    if (output.empty()) return 0;
    std::error_code ec;
    if (const auto parent = std::filesystem::path(output).parent_path(); !parent.empty())
        std::filesystem::create_directories(parent, ec);
    // Written beside and renamed: an interrupted write never leaves half a set file.
    const std::string tmp = output + ".tmp";
    std::ofstream f(tmp, std::ios::trunc);
    f << c.to_yaml();
    f.close();
    std::filesystem::rename(tmp, output, ec);
    if (!f || ec) {
        std::filesystem::remove(tmp, ec);
        std::cerr << fmt::format("dctwin: error: -o {}: cannot write the set file\n", output);
        return 1;
    }
    if (!json) std::cout << fmt::format("fitted values: {}\n", output);
    return 0;
}

}  // namespace dctwin::app

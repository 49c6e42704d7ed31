// dctwin command line: parses, calls the library, prints. Exit status: 0 done, 1 the run
// failed (solver, results file), 2 bad input (site file, --set, command line), 130 interrupted.

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <new>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <hdf5.h>

#include "app/calibrate_cli.hpp"
#include "app/compare_cli.hpp"
#include "app/completion.hpp"
#include "app/constraints_cli.hpp"
#include "app/export_cli.hpp"
#include "dctwin_version.hpp"
#include "input/site_loader.hpp"
#include "io/terminal.hpp"
#include "input/units.hpp"
#include "models/plant_checks.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"
#include "solver/steady.hpp"
#include "viz/render.hpp"
#include "io/results.hpp"
#include "viz/paraview_state.hpp"
#include "viz/xdmf.hpp"
#include "app/sweep_cli.hpp"
#include "app/fleet_cli.hpp"

namespace {

constexpr int kOk = 0, kRunFailed = 1, kBadInput = 2, kInterrupted = 130;

extern "C" void on_signal(int) { dctwin::g_stop_requested.store(true); }

struct Loaded {
    dctwin::SiteSpec spec;
    std::unique_ptr<dctwin::SiteModel> model;
};

// Loads and builds a site; input errors are printed and reported as nullopt.
std::unique_ptr<Loaded> load(const std::string& path, const std::vector<std::string>& sets,
                             const std::vector<std::string>& set_files) {
    auto l = std::make_unique<Loaded>();
    try {
        l->spec = dctwin::load_site(path, sets, set_files);
        l->model = std::make_unique<dctwin::SiteModel>(l->spec);
    } catch (const dctwin::InputError& e) {
        std::cerr << e.what() << "\n";
        return nullptr;
    } catch (const std::invalid_argument& e) {
        // A network the loader accepted but the builder cannot assemble.
        std::cerr << fmt::format("{}: error: {}\n", path, e.what());
        return nullptr;
    }
    return l;
}

// The run's status line: simulated time, speed and ETA.
// Makes the folder an output goes into (every command's -o does, as `sweep -o DIR` does);
// false, with the reason printed, when it cannot.
bool make_folder_of(const std::string& output, const char* what) {
    const auto parent = std::filesystem::path(output).parent_path();
    if (parent.empty()) return true;
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec)
        std::cerr << fmt::format("dctwin: error: {} '{}': cannot create its folder '{}': {}\n", what, output,
                                 parent.string(), ec.message());
    return !ec;
}

class Progress {
public:
    explicit Progress(bool on) : line_(on), t0_(std::chrono::steady_clock::now()) {}
    void operator()(double t, double end) {
        if (!line_.due() && t < end) return;
        const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
        line_.draw(end > 0 ? t / end : 1.0, dctwin::io::run_status_text(t, end, wall));
    }
    /// Before anything else is printed: the next output starts on a line of its own.
    void end() { line_.end(); }

private:
    dctwin::io::StatusLine line_;
    std::chrono::steady_clock::time_point t0_;
};

// `render`, `plot` and `xdmf`: views of a results file (viz/). Built in place: the options
// are bound to its members.
struct ViewCommands {
    explicit ViewCommands(CLI::App& app) {
        render = app.add_subcommand("render", "render the floor view of a results file to a PNG (VTK)");
        render->add_option("RESULTS", r.input, "results file (HDF5)")->required();
        render->add_option("-o,--output", r.output, "picture (PNG)")->required();
        render->add_option("--time", r.time, "output time shown, with its unit (10min); default: the last");
        render->add_option("--field", r.field, "field colouring the boxes; default: max_junction_temperature");
        render->add_option("--width", r.width, "[pixels]")->check(CLI::Range(64, 8192));
        render->add_option("--height", r.height, "[pixels]")->check(CLI::Range(64, 8192));
        plot = app.add_subcommand("plot", "draw time-series charts of a results file to a PNG (VTK)");
        plot->add_option("RESULTS", p.input, "results file (HDF5)")->required();
        plot->add_option("-o,--output", p.output, "picture (PNG)")->required();
        plot->add_option("--series", p.series, "panels: power, pue, junction, outdoor, constraints, or a series path")
            ->delimiter(',');
        plot->add_option("--width", p.width, "[pixels]")->check(CLI::Range(64, 8192));
        plot->add_option("--height", p.height, "[pixels]")->check(CLI::Range(64, 8192));
        plot->add_option("--map", p.map, "of a sweep summary (DIR/summary.h5): the binding family over two swept "
                                         "parameters X,Y")->delimiter(',')->expected(2);
        plot->add_flag("--fleet", p.fleet, "of a fleet's output folder (dctwin fleet -o DIR): a bar chart per KPI "
                                           "across the sites and the map of what limits each placement");
        xdmf = app.add_subcommand("xdmf", "write the ParaView sidecar (XDMF, OUT.xmf) of a results file");
        xdmf->add_option("RESULTS", results, "results file (HDF5)")->required();
        xdmf->add_option("-o,--output", sidecar, "sidecar; default: RESULTS with .xmf");
        xdmf->add_flag("--legacy", legacy, "for ParaView's legacy \"XDMF Reader\" (XDMF 2) instead of its Xdmf3 readers");
        xdmf->add_flag("--all-steps", all_steps, "every output time, even when the sidecar gets larger than the results");
    }
    ViewCommands(const ViewCommands&) = delete;
    ViewCommands& operator=(const ViewCommands&) = delete;

    /// The exit status of the view command given, or -1 for another command.
    int run() const {
        for (const auto& [cmd, out] : {std::pair{render, &r.output}, std::pair{plot, &p.output}})
            if (cmd->parsed() && !out->empty() && std::filesystem::path(*out).extension() != ".png") {  // empty: its own message
                std::cerr << fmt::format("dctwin: error: -o {}: {} draws a PNG picture, name it with .png\n", *out,
                                         cmd->get_name());
                return kBadInput;
            }
        if (render->parsed() && !make_folder_of(r.output, "picture")) return kRunFailed;
        if (plot->parsed() && !make_folder_of(p.output, "picture")) return kRunFailed;
        if (render->parsed()) return dctwin::viz::render_command(r);
        if (plot->parsed()) return dctwin::viz::plot_command(p);
        if (xdmf->parsed())
            return dctwin::viz::xdmf_command(results, sidecar,
                                             legacy ? dctwin::viz::XdmfFlavour::legacy : dctwin::viz::XdmfFlavour::xdmf3,
                                             all_steps);
        return -1;
    }

    CLI::App *render = nullptr, *plot = nullptr, *xdmf = nullptr;
    dctwin::viz::RenderOptions r;
    dctwin::viz::PlotOptions p;
    std::string results, sidecar;
    bool legacy = false, all_steps = false;
};

int dctwin_main(int argc, char** argv) {
    // Results files are closed by their writers. HDF5's own atexit clean-up would close any
    // file a failed write left half-open (full disk) a second time, and HDF5 1.10 crashes in
    // it (H5F__close_cb from H5_term_library): skip it. Must come before any HDF5 call.
    H5dont_atexit();

    CLI::App app{"dctwin: a digital twin of a datacenter's power and cooling"};
    app.set_version_flag("--version", std::string("dctwin ") + DCTWIN_VERSION);
    app.set_help_all_flag("--help-all", "print the help of every command");
    app.require_subcommand(1);

    std::string site, output, duration, steady_at = "0 s";
    std::vector<std::string> sets, set_files;
    bool json = false, steady = false, force = false, cold = false;

    auto* check = app.add_subcommand("check", "validate a site file and build its network");
    check->add_option("SITE", site, "site file (YAML)")->required();
    check->add_option("--set", sets, "override a value by key path: key.path=value (repeatable)");
    check->add_option("--set-file", set_files, "apply the key.path: value overrides of a YAML file, e.g. dctwin "
                                               "calibrate's -o (repeatable; before --set)");

    auto* run = app.add_subcommand("run", "simulate a site and write its results file");
    run->add_option("SITE", site, "site file (YAML)")->required();
    run->add_option("-o,--output", output, "results file (HDF5)")->required();
    run->add_option("--duration", duration, "simulated time with its unit: 90s, 10min, 2h, 1d");
    run->add_option("--set", sets, "override a value by key path: key.path=value (repeatable)");
    run->add_option("--set-file", set_files, "apply the key.path: value overrides of a YAML file, e.g. dctwin "
                                             "calibrate's -o (repeatable; before --set)");
    run->add_flag("--json", json, "print the summary as JSON on stdout");
    auto* steady_flag =
        run->add_flag("--steady", steady, "solve the steady state (design point) instead of a transient run");
    run->add_option("--at", steady_at, "with --steady: the time whose inputs are used, with its unit, e.g. 20min")
        ->needs(steady_flag);
    run->add_flag("--force", force, "overwrite an existing results file");
    run->add_flag("--cold-start", cold, "start from the declared initial temperatures, not the steady state");

    auto* schema = app.add_subcommand("schema", "print the site format reference (Markdown), or its JSON Schema");
    bool schema_json = false;
    schema->add_flag("--json", schema_json, "the JSON Schema of site files (sites/site.schema.json) instead");
    ViewCommands views(app);  // not const: parsing writes its members
    ConstraintCommands limits(app);
    dctwin::app::SweepCommand sweep(app);
    dctwin::app::FleetCommand fleet(app);
    dctwin::app::ExportCommand export_csv(app);
    dctwin::app::CompareCommand compare(app);
    dctwin::app::CalibrateCommand calibrate(app);
    // Not listed in --help (empty group): `dctwin completion > .../completions/dctwin`.
    auto* completion = app.add_subcommand("completion", "print the bash completion script")->group("");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "dctwin: error: " << e.what() << "\n(run dctwin --help for usage)\n";
        return kBadInput;
    }

    if (const int status = views.run(); status >= 0) return status;
    if (const int status = limits.run(); status >= 0) return status;
    if (const int status = sweep.run(); status >= 0) return status;
    if (const int status = fleet.run(); status >= 0) return status;
    if (const int status = export_csv.run(); status >= 0) return status;
    if (const int status = compare.run(); status >= 0) return status;
    if (const int status = calibrate.run(); status >= 0) return status;
    if (completion->parsed()) {
        std::cout << dctwin::app::bash_completion(app);
        return kOk;
    }
    if (schema->parsed()) {
        std::cout << (schema_json ? dctwin::format_json_schema() : dctwin::format_reference_markdown());
        return kOk;
    }

    // An empty path would mean "no results file" to run_site (the summary-only mode of sweeps).
    if (run->parsed() && output.empty()) {
        std::cerr << "dctwin: error: --output: the results file's path is empty\n";
        return kBadInput;
    }
    if (run->parsed()) {
        // A results file is HDF5: a name that promises another format would be a silent surprise.
        if (const auto ext = std::filesystem::path(output).extension(); ext != ".h5" && ext != ".hdf5") {
            std::cerr << fmt::format("dctwin: error: -o {}: a results file is HDF5, name it with .h5 (or .hdf5){}\n", output,
                                     ext == ".csv" ? "; CSV comes from the results file (see viz/README.md)" : "");
            return kBadInput;
        }
        // An existing results file is refused before the site is built (seconds on a large site);
        // the writer refuses it again, atomically, when it opens the file. The ParaView sidecar and
        // state are written after the run: existing ones obey --force as the results file does.
        struct stat info {};
        if (!force && ::lstat(output.c_str(), &info) == 0) {
            std::cerr << fmt::format("dctwin: error: results file '{}' exists; use --force to overwrite\n", output);
            return kRunFailed;
        }
        for (const auto& [path, what] : {std::pair{dctwin::viz::sidecar_path(output), "sidecar"},
                                         {dctwin::viz::state_path(dctwin::viz::sidecar_path(output)), "state"}})
            if (!force && ::lstat(path.c_str(), &info) == 0) {
                std::cerr << fmt::format("dctwin: error: '{}' (the ParaView {} of {}) exists; use --force to overwrite\n",
                                         path, what, output);
                return kRunFailed;
            }
    }
    const auto load0 = std::chrono::steady_clock::now();
    auto loaded = load(site, sets, set_files);
    if (!loaded) return kBadInput;
    const double setup_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - load0).count();
    // Set points the plant cannot reach: the run is possible, but the user should know.
    auto warn = [&](double span) {
        for (const auto& w : dctwin::plant_warnings(*loaded->model, span)) std::cerr << w << "\n";
    };
    if (check->parsed()) {
        warn(loaded->spec.simulation.duration);
        try {
            // What a run of the site's own duration would find only after it started.
            loaded->model->check_weather_span(loaded->spec.simulation.duration);
            loaded->model->check_run_limits(loaded->spec.simulation.duration);
        } catch (const dctwin::InputError& e) {
            std::cerr << e.what() << "\n";
            return kBadInput;
        }
        fmt::print("{}: ok: site {}, {} racks, {} devices, {} states\n", site, loaded->spec.name,
                   loaded->model->racks().size(), loaded->model->device_count(), loaded->model->network().size());
        return kOk;
    }

    dctwin::RunOptions opt;
    opt.output = output;
    opt.steady = steady;
    opt.cold_start = cold;
    opt.force = force;
    try {
        // The range of simulation.duration in the site format (a run of 1e12 d is a typo, not
        // a plan: it would run until killed).
        constexpr double kMaxDuration = 36500 * 86400.0;
        if (!duration.empty()) opt.duration = dctwin::parse_duration(duration);
        if (opt.duration > kMaxDuration)
            throw std::invalid_argument(fmt::format("invalid duration \"{}\": at most 36500 d", duration));
        opt.steady_at = dctwin::parse_time_of_run(steady_at);
        if (opt.steady_at > kMaxDuration) throw std::invalid_argument("--at must be at most 36500 d");
    } catch (const std::exception& e) {
        std::cerr << fmt::format("dctwin: error: --duration/--at: {}\n", e.what());
        return kBadInput;
    }
    // The results file's folder is made as `sweep -o DIR` makes its own.
    if (!make_folder_of(output, "results file")) return kRunFailed;
    warn(opt.steady ? 0.0 : opt.duration >= 0 ? opt.duration : loaded->spec.simulation.duration);
    Progress progress(!json && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO));
    opt.progress = [&](double t, double end) { progress(t, end); };
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    try {
        auto sum = dctwin::run_site(*loaded->model, opt);
        progress.end();
        sum.setup_s = setup_s;
        if (json)
            std::cout << sum.to_json().dump(2) << "\n";
        else
            std::cout << sum.to_text();
        std::cout.flush();
        dctwin::viz::write_sidecar_after_run(output, !json);
        return sum.status == "interrupted" ? kInterrupted : kOk;
    } catch (const dctwin::InputError& e) {
        // Found before anything was written (the run's limits, its weather span).
        std::cerr << e.what() << "\n";
        return kBadInput;
    } catch (const dctwin::SolverError& e) {
        progress.end();
        std::cerr << fmt::format("{}: error: {}\n  results file {} is marked incomplete\n", site, e.what(), output);
        dctwin::viz::write_sidecar_after_run(output, false);
    } catch (const dctwin::SteadyStateError& e) {
        progress.end();
        std::cerr << fmt::format("{}: error: {}\n", site, e.what());
    } catch (const dctwin::ResultsError& e) {
        progress.end();
        std::cerr << fmt::format("dctwin: error: {}\n", e.what());
    } catch (const std::exception& e) {
        progress.end();
        std::cerr << fmt::format("dctwin: error: {}\n", e.what());
    }
    return kRunFailed;
}

}  // namespace

// Nothing escapes: an input error that surfaced late is still exit 2, anything else (out of
// memory, a library's exception) exit 1, each with a message instead of an abort.
int main(int argc, char** argv) {
    try {
        return dctwin_main(argc, argv);
    } catch (const dctwin::InputError& e) {
        std::cerr << e.what() << "\n";
        return kBadInput;
    } catch (const std::bad_alloc&) {
        std::cerr << "dctwin: error: out of memory\n";
    } catch (const std::exception& e) {
        std::cerr << fmt::format("dctwin: error: {}\n", e.what());
    } catch (...) {
        std::cerr << "dctwin: error: an unexpected failure\n";
    }
    return kRunFailed;
}

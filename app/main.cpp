// dctwin command line: parses, calls the library, prints. Exit status: 0 done, 1 the run
// failed (solver, results file), 2 bad input (site file, --set, command line), 130 interrupted.

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <new>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <hdf5.h>

#include "app/constraints_cli.hpp"
#include "dctwin_version.hpp"
#include "input/site_loader.hpp"
#include "input/units.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"
#include "solver/steady.hpp"
#include "viz/render.hpp"
#include "viz/results.hpp"
#include "viz/xdmf.hpp"
#include "app/sweep_cli.hpp"

namespace {

constexpr int kOk = 0, kRunFailed = 1, kBadInput = 2, kInterrupted = 130;

extern "C" void on_signal(int) { dctwin::g_stop_requested.store(true); }

struct Loaded {
    dctwin::SiteSpec spec;
    std::unique_ptr<dctwin::SiteModel> model;
};

// Loads and builds a site; input errors are printed and reported as nullopt.
std::unique_ptr<Loaded> load(const std::string& path, const std::vector<std::string>& sets) {
    auto l = std::make_unique<Loaded>();
    try {
        l->spec = dctwin::load_site(path, sets);
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

class Progress {
public:
    explicit Progress(bool on) : on_(on), t0_(std::chrono::steady_clock::now()) {}
    void operator()(double t, double end) {
        if (!on_) return;
        const auto now = std::chrono::steady_clock::now();
        if (now - last_ < std::chrono::milliseconds(200) && t < end) return;
        last_ = now;
        const double wall = std::chrono::duration<double>(now - t0_).count();
        const double frac = end > 0 ? t / end : 1.0;
        const int width = 30, done = int(frac * width);
        const double eta = frac > 0 ? wall * (1 - frac) / frac : 0.0;
        fmt::print(stderr, "\r[{}{}] {:.0f} / {:.0f} s simulated, {:.1f} s elapsed, ETA {:.1f} s ",
                   std::string(std::size_t(done), '#'), std::string(std::size_t(width - done), '.'), t, end, wall, eta);
        if (t >= end) fmt::print(stderr, "\n");
    }

private:
    bool on_;
    std::chrono::steady_clock::time_point t0_, last_{};
};

// `render`, `plot` and `xdmf`: views of a results file (viz/). Built in place: the options
// are bound to its members.
struct ViewCommands {
    explicit ViewCommands(CLI::App& app) {
        render = app.add_subcommand("render", "render the floor view of a results file to a PNG (VTK)");
        render->add_option("RESULTS", r.input, "results file (HDF5)")->required();
        render->add_option("-o,--output", r.output, "picture (PNG)")->required();
        render->add_option("--time", r.time, "output time shown, with its unit (10min) or in s; default: the last");
        render->add_option("--field", r.field, "field colouring the boxes; default: max_junction_temperature");
        render->add_option("--width", r.width, "[pixels]")->check(CLI::Range(64, 8192));
        render->add_option("--height", r.height, "[pixels]")->check(CLI::Range(64, 8192));
        plot = app.add_subcommand("plot", "draw time-series charts of a results file to a PNG (VTK)");
        plot->add_option("RESULTS", p.input, "results file (HDF5)")->required();
        plot->add_option("-o,--output", p.output, "picture (PNG)")->required();
        plot->add_option("--series", p.series, "panels: power, pue, junction, constraints, or a series path")
            ->delimiter(',');
        plot->add_option("--width", p.width, "[pixels]")->check(CLI::Range(64, 8192));
        plot->add_option("--height", p.height, "[pixels]")->check(CLI::Range(64, 8192));
        plot->add_option("--map", p.map, "of a sweep summary (DIR/summary.h5): the binding family over two swept "
                                         "parameters X,Y")->delimiter(',')->expected(2);
        xdmf = app.add_subcommand("xdmf", "write the ParaView sidecar (XDMF 2, OUT.xmf) of a results file");
        xdmf->add_option("RESULTS", results, "results file (HDF5)")->required();
        xdmf->add_option("-o,--output", sidecar, "sidecar; default: RESULTS with .xmf");
    }
    ViewCommands(const ViewCommands&) = delete;
    ViewCommands& operator=(const ViewCommands&) = delete;

    /// The exit status of the view command given, or -1 for another command.
    int run() const {
        if (render->parsed()) return dctwin::viz::render_command(r);
        if (plot->parsed()) return dctwin::viz::plot_command(p);
        if (xdmf->parsed()) return dctwin::viz::xdmf_command(results, sidecar);
        return -1;
    }

    CLI::App *render = nullptr, *plot = nullptr, *xdmf = nullptr;
    dctwin::viz::RenderOptions r;
    dctwin::viz::PlotOptions p;
    std::string results, sidecar;
};

int dctwin_main(int argc, char** argv) {
    // Results files are closed by their writers. HDF5's own atexit clean-up would close any
    // file a failed write left half-open (full disk) a second time, and HDF5 1.10 crashes in
    // it (H5F__close_cb from H5_term_library): skip it. Must come before any HDF5 call.
    H5dont_atexit();

    CLI::App app{"dctwin: a digital twin of a datacenter's power and cooling"};
    app.set_version_flag("--version", std::string("dctwin ") + DCTWIN_VERSION);
    app.require_subcommand(1);

    std::string site, output, duration, steady_at = "0 s";
    std::vector<std::string> sets;
    bool json = false, steady = false, force = false, cold = false;

    auto* check = app.add_subcommand("check", "validate a site file and build its network");
    check->add_option("SITE", site, "site file (YAML)")->required();
    check->add_option("--set", sets, "override a value by key path: key.path=value (repeatable)");

    auto* run = app.add_subcommand("run", "simulate a site and write its results file");
    run->add_option("SITE", site, "site file (YAML)")->required();
    run->add_option("-o,--output", output, "results file (HDF5)")->required();
    run->add_option("--duration", duration, "simulated time with its unit: 90s, 10min, 2h, 1d");
    run->add_option("--set", sets, "override a value by key path: key.path=value (repeatable)");
    run->add_flag("--json", json, "print the summary as JSON on stdout");
    run->add_flag("--steady", steady, "solve the steady state (design point) instead of a transient run");
    run->add_option("--at", steady_at, "with --steady: the time whose inputs are used, e.g. 20min");
    run->add_flag("--force", force, "overwrite an existing results file");
    run->add_flag("--cold-start", cold, "start from the declared initial temperatures, not the steady state");

    auto* schema = app.add_subcommand("schema", "print the site format reference (Markdown)");
    ViewCommands views(app);  // not const: parsing writes its members
    ConstraintCommands limits(app);
    dctwin::app::SweepCommand sweep(app);

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
    if (schema->parsed()) {
        std::cout << dctwin::format_reference_markdown();
        return kOk;
    }

    // An empty path would mean "no results file" to run_site (the summary-only mode of sweeps).
    if (run->parsed() && output.empty()) {
        std::cerr << "dctwin: error: --output: the results file's path is empty\n";
        return kBadInput;
    }
    const auto load0 = std::chrono::steady_clock::now();
    auto loaded = load(site, sets);
    if (!loaded) return kBadInput;
    const double setup_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - load0).count();
    if (check->parsed()) {
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

    // The ParaView sidecar is written after the run: an existing one obeys --force as the
    // results file does, and is refused before the run starts.
    struct stat info {};
    if (!force && ::lstat(output.c_str(), &info) != 0 && ::lstat(dctwin::viz::sidecar_path(output).c_str(), &info) == 0) {
        std::cerr << fmt::format("dctwin: error: '{}' (the ParaView sidecar of {}) exists; use --force to overwrite\n",
                                 dctwin::viz::sidecar_path(output), output);
        return kRunFailed;
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
        opt.steady_at = dctwin::parse_quantity(steady_at, dctwin::dims::time);
        if (!(opt.steady_at >= 0)) throw std::invalid_argument("--at must not be negative");
        if (opt.steady_at > kMaxDuration) throw std::invalid_argument("--at must be at most 36500 d");
    } catch (const std::exception& e) {
        std::cerr << fmt::format("dctwin: error: --duration/--at: {}\n", e.what());
        return kBadInput;
    }
    Progress progress(!json && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO));
    opt.progress = [&](double t, double end) { progress(t, end); };
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    try {
        auto sum = dctwin::run_site(*loaded->model, opt);
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
        std::cerr << fmt::format("{}: error: {}\n  results file {} is marked incomplete\n", site, e.what(), output);
        dctwin::viz::write_sidecar_after_run(output, false);
    } catch (const dctwin::SteadyStateError& e) {
        std::cerr << fmt::format("{}: error: {}\n", site, e.what());
    } catch (const dctwin::ResultsError& e) {
        std::cerr << fmt::format("dctwin: error: {}\n", e.what());
    } catch (const std::exception& e) {
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

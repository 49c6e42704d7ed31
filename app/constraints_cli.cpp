#include "app/constraints_cli.hpp"

#include <cmath>
#include <iostream>

#include <fmt/format.h>

#include "input/site_loader.hpp"
#include "input/units.hpp"
#include "models/headroom.hpp"
#include "viz/render.hpp"
#include "viz/report.hpp"

ConstraintCommands::ConstraintCommands(CLI::App& app) {
    report = app.add_subcommand("report", "the constraints of a run: what bound, when, and the work lost by cause");
    report->add_option("RESULTS", r.input, "results file (HDF5), also of an interrupted or killed run")->required();
    report->add_flag("--json", r.json, "print the report as JSON on stdout");
    report->add_option("--html", r.html, "write the report as one self-contained HTML page (charts embedded)");
    report->add_option("--top", r.top, "constraints in the table (default 15)")->check(CLI::Range(1, 1000000));
    headroom = app.add_subcommand("headroom",
                                  "scale the load until each family (silicon, cooling, power) binds, at the design point");
    headroom->add_option("SITE", site, "site file (YAML)")->required();
    headroom->add_option("--axis", axis, "load: every device's power and cap times k; racks: every row's racks times k")
        ->check(CLI::IsMember({"load", "racks"}));
    headroom->add_option("--at", at, "design time with its unit (e.g. 15h); default: the highest IT load of the run, hottest outdoors");
    headroom->add_option("--max-factor", max_factor, "largest load factor searched (default 8)");
    headroom->add_option("--set", sets, "override a value by key path: key.path=value (repeatable)");
    headroom->add_option("--set-file", set_files, "apply the key.path: value overrides of a YAML file, e.g. dctwin "
                                                  "calibrate's -o (repeatable; before --set)");
    headroom->add_flag("--json", json, "print the result as JSON on stdout");
}

int ConstraintCommands::run() const {
    if (report->parsed()) return r.html.empty() ? dctwin::viz::report_command(r) : dctwin::viz::report_html_command(r);
    if (!headroom->parsed()) return -1;
    dctwin::HeadroomOptions o;
    o.axis = axis;
    try {
        if (!at.empty()) {
            o.at = dctwin::parse_time_of_run(at);
        }
    } catch (const std::exception& e) {
        std::cerr << fmt::format("dctwin: error: --at \"{}\": {}\n", at, e.what());
        return 2;
    }
    try {
        std::size_t used = 0;
        o.max_factor = std::stod(max_factor, &used);
        if (used != max_factor.size() || !(o.max_factor > 1 && o.max_factor <= 1024)) throw std::invalid_argument("");
    } catch (const std::exception&) {
        std::cerr << fmt::format("dctwin: error: --max-factor \"{}\": expected a number above 1 and at most 1024\n", max_factor);
        return 2;
    }
    try {
        const dctwin::SiteSpec spec = dctwin::load_site(site, sets, set_files);
        const dctwin::HeadroomResult h = dctwin::headroom(spec, o);
        if (json) std::cout << h.to_json().dump(2) << "\n";
        else std::cout << h.to_text();
        return 0;
    } catch (const dctwin::InputError& e) {
        std::cerr << e.what() << "\n";
    } catch (const std::invalid_argument& e) {
        std::cerr << fmt::format("{}: error: {}\n", site, e.what());
    }
    return 2;
}

// `dctwin report OUT.h5 --html PAGE.html`: one self-contained page for people who do not open
// results files: the run, what bound and why, every constraint with its value, limit and
// margin, the work lost by cause, and the charts and the floor view, embedded.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <unistd.h>

#include "viz/render.hpp"
#include "viz/report.hpp"
#include "io/results.hpp"
#include "viz/scene.hpp"

namespace dctwin::viz {

namespace {


std::string base64(const std::string& bytes) {
    static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const unsigned v = unsigned(static_cast<unsigned char>(bytes[i])) << 16 |
                           unsigned(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                           unsigned(static_cast<unsigned char>(bytes[i + 2]));
        out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
    }
    if (const std::size_t rest = bytes.size() - i; rest > 0) {
        unsigned v = unsigned(static_cast<unsigned char>(bytes[i])) << 16;
        if (rest == 2) v |= unsigned(static_cast<unsigned char>(bytes[i + 1])) << 8;
        out += {k[v >> 18], k[(v >> 12) & 63], rest == 2 ? k[(v >> 6) & 63] : '=', '='};
    }
    return out;
}

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The text lines of a block as paragraphs (the headline's "why" lines indented in the text).
std::string paragraphs(const std::string& text) {
    std::string out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const auto start = line.find_first_not_of(' ');
        if (start == std::string::npos) continue;
        out += fmt::format("<p class=\"{}\">{}</p>\n", start > 2 ? "why" : "line", markup_escape(line.substr(start)));
    }
    return out;
}

}  // namespace

int report_html_command(const ReportOptions& o) {
    namespace fs = std::filesystem;
    fs::path tmp;
    try {
        FileReport r;
        read_retrying(o.input, [&] { r = read_report(o.input); });
        tmp = fs::temp_directory_path() / fmt::format("dctwin-report-{}", ::getpid());
        fs::create_directories(tmp);
        PlotOptions plot;
        plot.input = o.input;
        plot.output = (tmp / "series.png").string();
        read_retrying(o.input, [&] { render_plot(plot); });
        RenderOptions floor;
        floor.input = o.input;
        floor.output = (tmp / "floor.png").string();
        read_retrying(o.input, [&] { render_floor(floor); });

        const ConstraintReport& L = r.limits;
        std::string rows;
        for (const std::size_t i : L.ranking()) {
            const auto& c = L.constraints[i];
            const auto& s = L.stats[i];
            rows += fmt::format(
                "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{:.1f} %</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                "<td>{:.0f} s</td></tr>\n",
                s.peak >= 1 ? "over" : "under", family_name(c.family), markup_escape(c.path),
                std::isfinite(s.peak) ? 100 * s.peak : std::nan(""),
                markup_escape(constraint_value_text(s.peak_value, c.unit)), markup_escape(constraint_value_text(s.peak_limit, c.unit)),
                markup_escape(constraint_margin_text(s.peak_value, s.peak_limit, c.unit)),
                std::isnan(s.first_limit_time) ? "-" : fmt::format("{:.0f} s", s.first_limit_time), s.seconds_over);
        }
        std::string lost;
        for (int c = 0; c < kLostCauseCount; ++c)
            lost += fmt::format("<tr><td>{}</td><td>{:.3f} device-h</td></tr>\n", kLostCauseNames[c], L.lost[c] / 3600);
        const std::string page = fmt::format(
            R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{site}: dctwin report</title>
<style>
body {{ font-family: sans-serif; max-width: 1200px; margin: 1em auto; padding: 0 1.5em; color: #222; }}
h1 {{ font-size: 1.6em; }} h2 {{ font-size: 1.2em; margin-top: 1.6em; }}
table {{ border-collapse: collapse; font-size: 0.9em; }} td, th {{ border: 1px solid #ccc; padding: 3px 8px; text-align: right; }}
td:nth-child(2) {{ text-align: left; }} tr.over td {{ background: #fde2e1; }} th {{ background: #eee; }}
p.why {{ margin-left: 2em; color: #444; }} p.line {{ font-weight: bold; }} img {{ max-width: 100%; }}
</style></head><body>
<h1>{site}: what bound, and why</h1>
<p>Results file <code>{file}</code>: status <b>{status}</b>, {rows} output rows from t = {t0:.0f} s to {t1:.0f} s.</p>
{headline}
<h2>Over time</h2>
<img alt="site power, PUE, hottest junction, outdoor air and the constraints closest to their limit" src="data:image/png;base64,{series}">
<h2>Every constraint, at its peak</h2>
<p>Utilisation is value over limit (temperatures in degC); margin is limit less value (K for temperatures). Rows at or over their limit are shaded.</p>
<table><tr><th>family</th><th>constraint</th><th>peak</th><th>value</th><th>limit</th><th>margin</th><th>first at limit</th><th>over limit</th></tr>
{table}</table>
<h2>Work lost, by cause</h2>
<p>{lost_total:.3f} device-h of {possible:.1f} possible ({lost_pct:.3f} %).</p>
<table><tr><th>cause</th><th>work lost</th></tr>
{lost}</table>
<h2>The floor at the end</h2>
<img alt="the racks coloured by their hottest junction" src="data:image/png;base64,{floor}">
<p>Written by dctwin report from the results file alone.</p>
</body></html>
)",
            fmt::arg("site", markup_escape(r.site.empty() ? "site" : r.site)), fmt::arg("file", markup_escape(r.file)),
            fmt::arg("status", markup_escape(r.status)), fmt::arg("rows", r.rows), fmt::arg("t0", r.t_first),
            fmt::arg("t1", r.t_last), fmt::arg("headline", paragraphs(L.headline())),
            fmt::arg("series", base64(slurp(tmp / "series.png"))), fmt::arg("table", rows),
            fmt::arg("lost_total", L.lost_total / 3600), fmt::arg("possible", L.possible / 3600),
            fmt::arg("lost_pct", L.possible > 0 ? 100 * L.lost_total / L.possible : 0.0), fmt::arg("lost", lost),
            fmt::arg("floor", base64(slurp(tmp / "floor.png"))));
        fs::remove_all(tmp);
        const fs::path part = o.html + ".part";
        {
            std::ofstream out(part, std::ios::binary | std::ios::trunc);
            out << page;
            if (!out.flush()) throw std::runtime_error(fmt::format("cannot write '{}'", part.string()));
        }
        fs::rename(part, o.html);  // whole or not at all
        std::cout << fmt::format("wrote {}\n", o.html);
        return 0;
    } catch (const std::exception& e) {
        std::error_code ec;
        if (!tmp.empty()) fs::remove_all(tmp, ec);
        std::cerr << fmt::format("dctwin report: error: {}\n", e.what());
        return 2;
    }
}

}  // namespace dctwin::viz

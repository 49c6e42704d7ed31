#include "sweep/runner.hpp"
#include "io/terminal.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <exception>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "input/site_loader.hpp"
#include "models/simulation.hpp"
#include "models/site_model.hpp"
#include "sweep/summary.hpp"

namespace dctwin::sweep {

namespace {

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}


}  // namespace

CaseRecord run_case(const Sweep& sweep, std::size_t index, const std::string& results_file, int threads) {
    const double t0 = now_s();
    CaseRecord r = {{"case", index}};
    nlohmann::json values = nlohmann::json::object();
    for (std::size_t k = 0; k < sweep.parameters.size(); ++k) values[sweep.parameters[k].name] = sweep.cases[index].values[k];
    r["values"] = values;
    try {
        SiteSpec spec = load_site_text(sweep.site_text(index), sweep.site_path(index), sweep.overrides(index));
        if (threads > 0) spec.simulation.threads = threads;
        RunOptions opt;
        opt.output = results_file;
        opt.force = true;  // a file left by a killed attempt at this case
        opt.steady = sweep.steady;
        opt.steady_at = sweep.at_s;
        opt.duration = sweep.duration_s;
        opt.cold_start = sweep.cold_start;
        nlohmann::json extra = nlohmann::json::object();
        if (sweep.hooks && sweep.hooks->before && !sweep.hooks->before(index, spec, opt, extra)) {
            r["status"] = "complete";
            r["results"] = extra;
        } else {
            SiteModel model(spec);
            const RunSummary sum = run_site(model, opt);
            const nlohmann::json js = sum.to_json();
            r["status"] = sum.status;
            r["results"] = result_values(js);
            if (sweep.hooks && sweep.hooks->after) sweep.hooks->after(index, js, extra);
            for (auto& [k, v] : extra.items()) r["results"][k] = v;
        }
    } catch (const InputError& e) {
        // The case's overrides are numbered after the fixed ones: name the parameter.
        std::string what = e.what();
        const std::size_t fixed = sweep.fixed.size();
        if (e.loc.file == "--set" && sweep.case_sets.empty() && std::size_t(e.loc.line) > fixed &&
            std::size_t(e.loc.line) <= fixed + sweep.parameters.size()) {
            const Parameter& p = sweep.parameters[std::size_t(e.loc.line) - fixed - 1];
            what = fmt::format("parameter {} = {}: {}", p.name, sweep.cases[index].values[std::size_t(e.loc.line) - fixed - 1],
                               what);
        }
        r["status"] = "failed";
        r["error"] = what;
    } catch (const std::exception& e) {
        r["status"] = "failed";
        r["error"] = e.what();
    }
    std::error_code ec;
    if (r["status"] == "failed" && !results_file.empty() && std::filesystem::exists(results_file, ec))
        r["results"] = {{"results_file", results_file}};  // marked incomplete, with the error
    r["wall_s"] = now_s() - t0;
    return r;
}

void CaseQueue::push(const std::vector<std::size_t>& cases) {
    {
        std::lock_guard lock(m_);
        q_.insert(q_.end(), cases.begin(), cases.end());
    }
    cv_.notify_all();
}

void CaseQueue::close() {
    {
        std::lock_guard lock(m_);
        closed_ = true;
    }
    cv_.notify_all();
}

std::size_t CaseQueue::size() const {
    std::lock_guard lock(m_);
    return q_.size();
}

bool CaseQueue::closed() const {
    std::lock_guard lock(m_);
    return closed_;
}

std::optional<std::size_t> CaseQueue::pop(const std::atomic<bool>& stop) {
    std::unique_lock lock(m_);
    while (true) {
        if (stop.load() || g_stop_requested.load()) return std::nullopt;
        if (!q_.empty()) {
            const std::size_t i = q_.front();
            q_.pop_front();
            return i;
        }
        if (closed_) return std::nullopt;
        // A signal sets g_stop_requested without notifying: look again now and then.
        cv_.wait_for(lock, std::chrono::milliseconds(50));
    }
}

void run_pool(const Sweep& sweep, CaseQueue& queue, int threads, const std::string& dir,
              const std::function<void(CaseRecord&&)>& on_record, const std::function<void()>& on_tick,
              double tick_s, bool shared_machine) {
    std::mutex m;
    std::condition_variable cv;
    std::deque<CaseRecord> finished;
    std::atomic<bool> abort{false};
    const int workers = std::clamp(threads, 1, 4096);
    int running = workers;

    auto work = [&] {
        while (const auto i = queue.pop(abort)) {
            CaseRecord r;
            try {
                r = run_case(sweep, *i, sweep.keep_results ? case_results_path(dir, *i, sweep.cases.size()) : "",
                             workers > 1 || shared_machine ? 1 : 0);
            } catch (const std::exception& e) {  // out of memory building the record
                r = {{"case", *i}, {"status", "failed"}, {"error", e.what()}};
            } catch (...) {  // nothing may escape a thread: it would end the process
                r = {{"case", *i}, {"status", "failed"}, {"error", "an unexpected failure"}};
            }
            std::lock_guard lock(m);
            finished.push_back(std::move(r));
            cv.notify_one();
        }
        std::lock_guard lock(m);
        --running;
        cv.notify_one();
    };
    std::vector<std::thread> pool;
    pool.reserve(std::size_t(workers));
    for (int t = 0; t < workers; ++t) pool.emplace_back(work);

    std::exception_ptr failure;
    while (true) {
        std::deque<CaseRecord> batch;
        bool done = false;
        {
            std::unique_lock lock(m);
            cv.wait_for(lock, std::chrono::duration<double>(tick_s), [&] { return !finished.empty() || running == 0; });
            batch.swap(finished);
            done = running == 0;
        }
        try {
            for (auto& r : batch) on_record(std::move(r));
            on_tick();
        } catch (...) {
            // The journal cannot be written: stop launching, wait for the cases in flight.
            if (!failure) failure = std::current_exception();
            abort.store(true);
        }
        if (done) {
            std::lock_guard lock(m);
            if (finished.empty()) break;
        }
    }
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
}

std::vector<std::size_t> pending_cases(const Sweep& sweep, const std::map<std::size_t, CaseRecord>& records,
                                       bool retry_failed) {
    std::vector<std::size_t> todo;
    for (std::size_t i = 0; i < sweep.cases.size(); ++i) {
        const auto it = records.find(i);
        if (it == records.end() || (retry_failed && it->second.value("status", std::string()) != "complete"))
            todo.push_back(i);
    }
    return todo;
}

ProgressBar::ProgressBar(bool on, std::size_t total, std::size_t done_before, std::size_t failed_before)
    : line_(on), total_(total), done_(done_before), failed_(failed_before), t0_(now_s()) {}

void ProgressBar::add(bool failed) {
    ++done_;
    ++done_now_;
    failed_ += failed;
    draw();
}

void ProgressBar::draw(bool force) {
    if (!force && !line_.due()) return;
    const double wall = now_s() - t0_;
    const double rate = wall > 0 ? double(done_now_) / wall : 0.0;
    const double eta = rate > 0 ? double(total_ - std::min(total_, done_)) / rate : NAN;
    line_.draw(total_ ? double(done_) / double(total_) : 1.0,
               fmt::format("{}/{} cases, {} failed, {:.2g} cases/s, ETA {}", done_, total_, failed_, rate,
                           io::human_duration(eta)));
}

void ProgressBar::finish() {
    if (!line_.on()) return;
    draw(true);
    line_.end();
}

int finish_sweep(const Sweep& sweep, const std::string& dir, double wall_s, std::size_t ran_now) {
    try {
        const auto records = read_journal(dir, sweep.cases.size());
        if (records.size() < sweep.cases.size()) {
            fmt::print(stderr, "dctwin: error: {} of {} cases have no result; run the same command again\n",
                       sweep.cases.size() - records.size(), sweep.cases.size());
            return kSweepFailed;
        }
        const SummaryTable t = make_table(sweep, records);
        write_summary(t, dir);
        std::string rate;
        if (ran_now > 0 && wall_s > 0) rate = fmt::format(" ({} run in {:.1f} s: {:.2f} cases/s)", ran_now, wall_s, double(ran_now) / wall_s);
        fmt::print("{} {}: {} cases, {} failed{}; summary in {}/summary.csv and {}/summary.h5\n", sweep.kind, sweep.name, t.rows,
                   t.failed, rate, dir, dir);
        return kSweepDone;
    } catch (const SweepDirError& e) {
        fmt::print(stderr, "dctwin: error: {}\n", e.what());
        return kSweepFailed;
    }
}

int run_sweep_threads(const Sweep& sweep, const SweepOptions& o) {
    std::map<std::size_t, CaseRecord> records;
    std::optional<DirLock> lock;
    try {
        lock.emplace(o.dir);
        prepare_dir(sweep, o.dir, o.restart);
        records = read_journal(o.dir, sweep.cases.size());
    } catch (const SweepDirError& e) {
        fmt::print(stderr, "dctwin: error: {}\n", e.what());
        return e.bad_input ? kSweepBadInput : kSweepFailed;
    }
    const auto todo = pending_cases(sweep, records, o.retry_failed);
    std::size_t failed_before = 0;
    for (const auto& [i, r] : records) failed_before += r.value("status", std::string()) != "complete";
    if (!todo.empty() && todo.size() < sweep.cases.size())
        fmt::print(stderr, "{} {}: {} of {} cases already done; running the other {}\n", sweep.kind, sweep.name,
                   sweep.cases.size() - todo.size(), sweep.cases.size(), todo.size());
    const double t0 = now_s();
    std::size_t ran = 0, reported = 0;
    try {
        Journal journal(o.dir);
        ProgressBar bar(o.progress, sweep.cases.size(), sweep.cases.size() - todo.size(),
                        o.retry_failed ? 0 : failed_before);
        CaseQueue queue;
        queue.push(todo);
        queue.close();
        run_pool(
            sweep, queue, std::max(1, std::min<int>(o.threads, int(std::min<std::size_t>(todo.size(), 4096)))), o.dir,
            [&](CaseRecord&& r) {
                const std::string status = r.value("status", std::string());
                if (status == "interrupted") return;  // not a result: runs again on resume
                journal.append(r);
                ++ran;
                if (status != "complete" && reported++ < 5) {
                    if (o.progress) fmt::print(stderr, "\n");
                    fmt::print(stderr, "case {} failed: {}\n", r["case"].get<std::size_t>(),
                               r.value("error", std::string()).substr(0, r.value("error", std::string()).find('\n')));
                }
                bar.add(status != "complete");
            },
            [&] { bar.draw(); });
        bar.finish();
    } catch (const SweepDirError& e) {
        fmt::print(stderr, "dctwin: error: {}\n", e.what());
        return kSweepFailed;
    }
    if (g_stop_requested.load()) {
        const auto now = read_journal(o.dir, sweep.cases.size());
        fmt::print(stderr, "{} {}: interrupted; {} of {} cases done (kept in {}/cases.jsonl); run the same command "
                           "again to finish\n",
                   sweep.kind, sweep.name, now.size(), sweep.cases.size(), o.dir);
        return kSweepInterrupted;
    }
    return finish_sweep(sweep, o.dir, now_s() - t0, ran);
}

}  // namespace dctwin::sweep

#pragma once
// Running a sweep's cases: one case (load the base site with the case's overrides, build,
// run), a pool of threads over a list of cases, and the whole threaded sweep with its
// journal, progress bar and summary.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "io/terminal.hpp"
#include "sweep/journal.hpp"
#include "sweep/sweep_file.hpp"

namespace dctwin::sweep {

/// Runs case `index`; never throws for the case's own problems: a bad value, a site the
/// model cannot build or a solver failure gives a record with status "failed" and the
/// message. A run stopped by g_stop_requested gives status "interrupted" (not a result: the
/// case runs again on resume). `results_file` empty: summary only. `threads` > 0 overrides
/// the site's simulation.threads (the results do not depend on it).
CaseRecord run_case(const Sweep& sweep, std::size_t index, const std::string& results_file, int threads = 0);

/// The case indices waiting for run_pool's worker threads. The calling thread fills it: all
/// at once, or bit by bit (an MPI rank, as rank 0 hands cases out).
class CaseQueue {
public:
    void push(const std::vector<std::size_t>& cases);
    void close();  ///< nothing more will come
    std::size_t size() const;
    bool closed() const;
    /// The next case: waits for one; nullopt once closed and empty, or when `stop` or
    /// g_stop_requested is set.
    std::optional<std::size_t> pop(const std::atomic<bool>& stop);

private:
    mutable std::mutex m_;
    std::condition_variable cv_;
    std::deque<std::size_t> q_;
    bool closed_ = false;
};

/// Runs the cases of `queue` on `threads` worker threads. `on_record` and `on_tick` are
/// called on the calling thread only: on_record for each finished case as it finishes,
/// on_tick after each batch of records and at least every `tick_s` [s] (a progress bar,
/// MPI messages, refilling the queue). Stops launching cases once g_stop_requested is set;
/// in-flight cases end (a transient run stops at its next output time). Returns when the
/// queue is closed and empty (or stop is requested) and every launched case is reported.
/// Each case runs on one thread when several run at once (threads > 1, or `shared_machine`:
/// other MPI ranks), else on its site's simulation.threads.
void run_pool(const Sweep& sweep, CaseQueue& queue, int threads, const std::string& dir,
              const std::function<void(CaseRecord&&)>& on_record, const std::function<void()>& on_tick,
              double tick_s = 0.1, bool shared_machine = false);

/// What `dctwin sweep` was asked.
struct SweepOptions {
    std::string dir;            ///< output folder
    int threads = 1;            ///< worker threads (per MPI rank)
    bool restart = false;       ///< discard the folder's earlier results
    bool retry_failed = false;  ///< run failed cases again
    bool progress = false;      ///< a progress bar on stderr
    std::vector<std::string> set_files;  ///< --set-file: overrides of every case (apply_set_files)
};

/// Exit statuses of `dctwin sweep`.
inline constexpr int kSweepDone = 0, kSweepFailed = 1, kSweepBadInput = 2, kSweepInterrupted = 130;

/// The cases still to run: those without a record (and, with retry_failed, the failed ones).
std::vector<std::size_t> pending_cases(const Sweep& sweep, const std::map<std::size_t, CaseRecord>& records,
                                       bool retry_failed);

/// Cases done, failures, rate and ETA on one line of stderr (io::StatusLine).
class ProgressBar {
public:
    ProgressBar(bool on, std::size_t total, std::size_t done_before, std::size_t failed_before);
    void add(bool failed);
    void draw(bool force = false);
    void finish();

private:
    io::StatusLine line_;
    std::size_t total_, done_, failed_, done_now_ = 0;
    double t0_;
};

/// The threaded sweep, start to end (prepare DIR, skip finished cases, run, journal,
/// summary). Prints what it does and errors; returns the exit status.
int run_sweep_threads(const Sweep& sweep, const SweepOptions& options);

/// Writes the summary from the journal when every case has a record; prints the closing
/// line. Returns the exit status (done, or failed when the summary cannot be written).
int finish_sweep(const Sweep& sweep, const std::string& dir, double wall_s, std::size_t ran_now);

}  // namespace dctwin::sweep

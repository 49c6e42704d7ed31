#include "sweep/mpi_sweep.hpp"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "input/site_loader.hpp"
#include "models/simulation.hpp"

namespace dctwin::sweep {

namespace {

// Messages between rank 0 and the others (MPI keeps their order between two ranks).
constexpr int kRecordTag = 1;   // to rank 0: a finished case's record (JSON text)
constexpr int kDoneTag = 2;     // to rank 0: all this rank's cases are reported; payload '1' if interrupted
constexpr int kRequestTag = 3;  // to rank 0: send up to this many cases (int)
constexpr int kCasesTag = 4;    // from rank 0: case indices (uint64); none: there are no more

double now_s() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void bcast_string(std::string& s, int root) {
    std::uint64_t n = s.size();
    MPI_Bcast(&n, 1, MPI_UINT64_T, root, MPI_COMM_WORLD);
    s.resize(n);
    if (n) MPI_Bcast(s.data(), int(n), MPI_CHAR, root, MPI_COMM_WORLD);
}

bool all_true(bool mine) {
    int v = mine ? 1 : 0, all = 0;
    MPI_Allreduce(&v, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return all == 1;
}

// Closes MPI on every way out of run_sweep_mpi.
struct MpiSession {
    MpiSession() {
        int provided = 0;
        // Only the calling thread makes MPI calls; worker threads run cases.
        MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        MPI_Comm_size(MPI_COMM_WORLD, &size);
    }
    ~MpiSession() { MPI_Finalize(); }
    MpiSession(const MpiSession&) = delete;
    MpiSession& operator=(const MpiSession&) = delete;
    int rank = 0, size = 1;
};

int run(const MpiSession& mpi, const std::function<Sweep()>& load, const SweepOptions& o) {
    const bool root = mpi.rank == 0;

    // Every rank reads the sweep (the base site and weather files are needed where the
    // cases run); they must all read the same one.
    Sweep sweep;
    std::string error;
    try {
        sweep = load();
    } catch (const InputError& e) {
        error = e.what();
    } catch (const std::exception& e) {  // out of memory: every rank still takes part below
        error = fmt::format("dctwin: error: rank {}: {}", mpi.rank, e.what());
    }
    std::string root_error = error;
    bcast_string(root_error, 0);
    if (!all_true(error.empty())) {
        if (root) std::cerr << (error.empty() ? "dctwin: error: another rank cannot read the sweep file" : error) << "\n";
        else if (!error.empty() && root_error.empty()) std::cerr << fmt::format("rank {}: {}\n", mpi.rank, error);
        return kSweepBadInput;
    }
    std::string hash = sweep.hash;
    bcast_string(hash, 0);
    if (!all_true(hash == sweep.hash)) {
        if (hash != sweep.hash)
            std::cerr << fmt::format("dctwin: error: rank {} reads a different sweep (hash {}, rank 0: {}): the ranks "
                                     "must see the same sweep file and base site\n",
                                     mpi.rank, sweep.hash, hash);
        if (root) std::cerr << "dctwin: error: the ranks read different sweeps\n";
        return kSweepBadInput;
    }

    // Rank 0 owns the folder's state and decides what is left to run.
    int status = kSweepDone;
    std::vector<std::uint64_t> todo;
    std::size_t failed_before = 0;
    std::optional<DirLock> lock;
    if (root) {
        try {
            lock.emplace(o.dir);
            prepare_dir(sweep, o.dir, o.restart);
            const auto records = read_journal(o.dir, sweep.cases.size());
            for (const std::size_t i : pending_cases(sweep, records, o.retry_failed)) todo.push_back(i);
            for (const auto& [i, r] : records) failed_before += r.value("status", std::string()) != "complete";
        } catch (const SweepDirError& e) {
            std::cerr << fmt::format("dctwin: error: {}\n", e.what());
            status = e.bad_input ? kSweepBadInput : kSweepFailed;
        }
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (status != kSweepDone) return status;
    const std::size_t n = todo.size();  // rank 0 only
    if (root && n < sweep.cases.size() && n > 0)
        std::cerr << fmt::format("{} {}: {} of {} cases already done; running the other {} on {} ranks\n", sweep.kind, sweep.name,
                                 sweep.cases.size() - n, sweep.cases.size(), n, mpi.size);

    // Cases are handed out as the ranks ask for them (case costs differ: a steady solve
    // that fails to converge takes many times the others), a few at a time: each rank
    // keeps two to four cases per thread queued, so that its threads never wait for rank 0.
    const int per_request = 2 * std::max(1, o.threads);
    CaseQueue queue;
    if (!root && sweep.keep_results) {  // the per-case results folder on this rank's file system
        std::error_code ec;
        std::filesystem::create_directories(std::filesystem::path(o.dir) / "cases", ec);
    }

    const double t0 = now_s();
    if (root) {
        std::size_t next = 0;  // into todo
        auto take = [&](int count) {
            std::vector<std::uint64_t> out;
            while (!g_stop_requested.load() && status == kSweepDone && next < todo.size() && int(out.size()) < count)
                out.push_back(todo[next++]);
            return out;
        };
        std::optional<Journal> journal;
        try {
            journal.emplace(o.dir);
        } catch (const SweepDirError& e) {
            std::cerr << fmt::format("dctwin: error: {}\n", e.what());
            status = kSweepFailed;
        }
        ProgressBar bar(o.progress, sweep.cases.size(), sweep.cases.size() - n, o.retry_failed ? 0 : failed_before);
        std::size_t ran = 0, reported = 0;
        bool interrupted = false;
        auto keep = [&](CaseRecord&& r) {
            if (status != kSweepDone) return;  // the journal failed: nothing more is kept
            const std::string st = r.value("status", std::string());
            if (st == "interrupted") return;
            try {
                journal->append(r);
            } catch (const SweepDirError& e) {
                std::cerr << fmt::format("\ndctwin: error: {}\n", e.what());
                status = kSweepFailed;  // no case is handed out any more
                return;
            }
            ++ran;
            if (st != "complete" && reported++ < 5) {
                if (o.progress) fmt::print(stderr, "\n");
                const std::string e = r.value("error", std::string());
                fmt::print(stderr, "case {} failed: {}\n", r["case"].get<std::size_t>(), e.substr(0, e.find('\n')));
            }
            bar.add(st != "complete");
        };
        int done_ranks = 0;
        auto poll = [&] {
            // Rank 0's own threads first, then what the others sent.
            if (!queue.closed() && int(queue.size()) <= per_request) {
                const auto more = take(per_request);
                if (more.empty()) queue.close();
                else queue.push(std::vector<std::size_t>(more.begin(), more.end()));
            }
            int flag = 1;
            while (flag) {
                MPI_Status st;
                MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st);
                if (!flag) break;
                int count = 0;
                MPI_Get_count(&st, MPI_CHAR, &count);
                std::string text(std::size_t(count), '\0');
                MPI_Recv(text.data(), count, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
                if (st.MPI_TAG == kRequestTag) {
                    int wanted = 1;
                    if (text.size() == sizeof wanted) std::memcpy(&wanted, text.data(), sizeof wanted);
                    const auto cases = take(std::clamp(wanted, 1, 4096));
                    MPI_Send(cases.data(), int(cases.size()), MPI_UINT64_T, st.MPI_SOURCE, kCasesTag, MPI_COMM_WORLD);
                } else if (st.MPI_TAG == kDoneTag) {
                    ++done_ranks;
                    interrupted = interrupted || text == "1";
                } else {
                    auto j = nlohmann::json::parse(text, nullptr, false);
                    if (j.is_object()) keep(std::move(j));
                }
            }
            bar.draw();
        };
        poll();
        run_pool(sweep, queue, o.threads, o.dir, keep, poll, 0.01, mpi.size > 1);  // answers requests within 10 ms
        // The others' records and requests until each says it is done: a rank must never
        // wait on rank 0 forever.
        while (done_ranks < mpi.size - 1) {
            poll();
            if (done_ranks < mpi.size - 1) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        bar.finish();
        interrupted = interrupted || g_stop_requested.load();
        if (status == kSweepDone && interrupted) {
            const auto now = read_journal(o.dir, sweep.cases.size());
            std::cerr << fmt::format("{} {}: interrupted; {} of {} cases done (kept in {}/cases.jsonl); run the same "
                                     "command again to finish\n",
                                     sweep.kind, sweep.name, now.size(), sweep.cases.size(), o.dir);
            status = kSweepInterrupted;
        }
        journal.reset();
        if (status == kSweepDone) status = finish_sweep(sweep, o.dir, now_s() - t0, ran);
    } else {
        bool asked = false;  // a request is out
        auto request = [&] {
            MPI_Send(&per_request, int(sizeof per_request), MPI_CHAR, 0, kRequestTag, MPI_COMM_WORLD);
            asked = true;
        };
        auto receive = [&](bool wait) {
            int flag = 0;
            MPI_Status st;
            if (wait) MPI_Probe(0, kCasesTag, MPI_COMM_WORLD, &st), flag = 1;
            else MPI_Iprobe(0, kCasesTag, MPI_COMM_WORLD, &flag, &st);
            if (!flag) return;
            int count = 0;
            MPI_Get_count(&st, MPI_UINT64_T, &count);
            std::vector<std::uint64_t> cases(static_cast<std::size_t>(count));
            MPI_Recv(cases.data(), count, MPI_UINT64_T, 0, kCasesTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            asked = false;
            if (cases.empty()) queue.close();
            else queue.push(std::vector<std::size_t>(cases.begin(), cases.end()));
        };
        request();
        receive(true);
        run_pool(
            sweep, queue, o.threads, o.dir,
            [&](CaseRecord&& r) {
                const std::string text = r.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
                MPI_Send(text.data(), int(text.size()), MPI_CHAR, 0, kRecordTag, MPI_COMM_WORLD);
            },
            [&] {
                receive(false);
                if (!asked && !queue.closed() && int(queue.size()) <= per_request && !g_stop_requested.load()) request();
            },
            0.01, true);
        if (asked) receive(true);  // the answer to the last request (cases not run now run on resume)
        const char stopped = g_stop_requested.load() ? '1' : '0';
        MPI_Send(&stopped, 1, MPI_CHAR, 0, kDoneTag, MPI_COMM_WORLD);
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return status;
}

}  // namespace

bool launched_by_mpi() {
    for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
        if (const char* s = std::getenv(v); s != nullptr && *s != '\0') return true;
    return false;
}

int run_sweep_mpi(const std::string& sweep_file, const SweepOptions& options) {
    return run_sweep_mpi(
        [&] {
            Sweep s = load_sweep(sweep_file);
            apply_set_files(s, options.set_files);
            return s;
        },
        options);
}

int run_sweep_mpi(const std::function<Sweep()>& load, const SweepOptions& options) {
    const MpiSession mpi;
    SweepOptions o = options;
    o.progress = o.progress && mpi.rank == 0;
    // An exception on one rank must not leave the others waiting for it: it ends the job.
    try {
        return run(mpi, load, o);
    } catch (const std::exception& e) {
        std::cerr << fmt::format("dctwin: error: rank {}: {}\n", mpi.rank, e.what());
    } catch (...) {
        std::cerr << fmt::format("dctwin: error: rank {}: an unexpected failure\n", mpi.rank);
    }
    std::cerr.flush();
    MPI_Abort(MPI_COMM_WORLD, kSweepFailed);
    return kSweepFailed;
}

}  // namespace dctwin::sweep

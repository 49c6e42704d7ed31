#pragma once
// Threads inside one run: a small pool of workers for the loops over devices, solver blocks
// and vector chunks.
//
// A loop is split statically into one part per thread, and every part writes only its own
// outputs, so results never depend on the thread count. Waiting threads spin for a few
// microseconds (loops come back to back within a solver step) and then sleep on a futex
// (std::atomic::wait), so a run shares its cores gracefully with other processes: an OpenMP
// runtime that spins for long lost a factor of ten when a second process took one of two cores.

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace dctwin {

class WorkerPool {
public:
    /// threads >= 1: the calling thread and threads - 1 workers.
    explicit WorkerPool(int threads);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    int size() const { return int(workers_.size()) + 1; }

    /// Calls f(begin, end) on consecutive pieces that cover [0, n) and returns when all are
    /// done. The threads take pieces as they come free, so a thread that the system holds
    /// back (another process on its core) delays the loop by one piece, not by its share.
    /// f must not throw. Not reentrant: one loop at a time per pool.
    template <class F>
    void run(std::int64_t n, F&& f) {
        run_erased(n, [](void* c, std::int64_t b, std::int64_t e) { (*static_cast<F*>(c))(b, e); }, &f);
    }

private:
    using Fn = void (*)(void*, std::int64_t, std::int64_t);
    void run_erased(std::int64_t n, Fn fn, void* ctx);
    void work();
    /// Runs pieces of loop `gen` while there are any; false once that loop has no piece left.
    void take_pieces(std::uint32_t gen);

    std::vector<std::thread> workers_;
    // The loop's generation (24 bits), its piece count (20 bits) and its next piece (20 bits):
    // a thread takes a piece only by moving this on from a value of its own generation, and
    // judges whether pieces are left from the same value. (A count kept apart let a thread
    // still looking at the last loop take a piece of it as the next loop was being set up,
    // run the new loop's function on it and count it twice: a lost wake-up, seen as a hang.)
    std::atomic<std::uint64_t> next_{0};
    std::atomic<std::uint32_t> generation_{0};  // what the workers sleep on
    std::atomic<std::int64_t> done_{0};         // pieces finished in the current loop
    std::atomic<bool> stop_{false};
    // The current loop (written before next_ moves on to its generation, read only by a
    // piece's taker).
    Fn fn_ = nullptr;
    void* ctx_ = nullptr;
    std::int64_t n_ = 0;
};

/// The sum of f(i) over [b, e) in four interleaved partial sums, a fixed order: the one
/// summation of every chunked, thread-count-independent reduction (vectors, the block
/// elimination, the stored energy).
template <class F>
double sum4(std::int64_t b, std::int64_t e, F&& f) {
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    std::int64_t i = b;
    for (; i + 4 <= e; i += 4) s0 += f(i), s1 += f(i + 1), s2 += f(i + 2), s3 += f(i + 3);
    for (; i < e; ++i) s0 += f(i);
    return (s0 + s1) + (s2 + s3);
}

/// f(i) for i in [0, n): on the pool when there is one and n >= min_parallel, else here.
template <class F>
void parallel_for(WorkerPool* pool, std::int64_t n, std::int64_t min_parallel, F&& f) {
    if (pool && pool->size() > 1 && n >= min_parallel) {
        pool->run(n, [&f](std::int64_t b, std::int64_t e) {
            for (std::int64_t i = b; i < e; ++i) f(i);
        });
    } else {
        for (std::int64_t i = 0; i < n; ++i) f(i);
    }
}

}  // namespace dctwin

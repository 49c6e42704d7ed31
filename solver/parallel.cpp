#include "solver/parallel.hpp"

#include <algorithm>

namespace dctwin {

namespace {
// About 10-50 us of spinning before a waiting thread sleeps.
constexpr int kSpins = 4000;

inline void pause() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

// next_'s fields (parallel.hpp).
constexpr int kPieceBits = 20;
constexpr std::uint64_t kPieceMask = (std::uint64_t(1) << kPieceBits) - 1;
constexpr std::uint64_t kGenMask = (std::uint64_t(1) << (64 - 2 * kPieceBits)) - 1;
constexpr std::int64_t kMaxPieces = std::int64_t(kPieceMask);
inline std::uint64_t gen_of(std::uint64_t v) { return v >> (2 * kPieceBits); }
inline std::int64_t pieces_of(std::uint64_t v) { return std::int64_t((v >> kPieceBits) & kPieceMask); }
inline std::int64_t piece_of(std::uint64_t v) { return std::int64_t(v & kPieceMask); }

// Waits until a.load() != old: spins first, then sleeps on the futex.
template <class T>
void wait_change(const std::atomic<T>& a, T old) {
    for (int i = 0; i < kSpins; ++i) {
        if (a.load(std::memory_order_acquire) != old) return;
        pause();
    }
    while (a.load(std::memory_order_acquire) == old) a.wait(old, std::memory_order_acquire);
}
}  // namespace

WorkerPool::WorkerPool(int threads) {
    const int n = std::max(1, threads);
    workers_.reserve(std::size_t(n - 1));
    for (int i = 1; i < n; ++i) workers_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() {
    stop_.store(true, std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    for (auto& t : workers_) t.join();
}

void WorkerPool::take_pieces(std::uint32_t gen) {
    std::uint64_t cur = next_.load(std::memory_order_acquire);
    while (true) {
        if (gen_of(cur) != (gen & kGenMask)) return;  // that loop is over
        const std::int64_t piece = piece_of(cur), pieces = pieces_of(cur);
        if (piece >= pieces) return;
        if (!next_.compare_exchange_weak(cur, cur + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
        // The piece is ours: the loop cannot end before it is done, so its fields stay valid.
        const std::int64_t b = n_ * piece / pieces, e = n_ * (piece + 1) / pieces;
        if (b < e) fn_(ctx_, b, e);
        done_.fetch_add(1, std::memory_order_acq_rel);
        done_.notify_one();
        cur = next_.load(std::memory_order_acquire);
    }
}

void WorkerPool::work() {
    std::uint32_t seen = 0;
    while (true) {
        wait_change(generation_, seen);
        seen = generation_.load(std::memory_order_acquire);
        if (stop_.load(std::memory_order_acquire)) return;
        take_pieces(seen);
    }
}

void WorkerPool::run_erased(std::int64_t n, Fn fn, void* ctx) {
    if (workers_.empty() || n <= 1) {
        if (n > 0) fn(ctx, 0, n);
        return;
    }
    // A few pieces per thread: enough to balance, few enough to cost nothing.
    const std::int64_t pieces = std::min({n, 8 * std::int64_t(size()), kMaxPieces});
    fn_ = fn, ctx_ = ctx, n_ = n;
    done_.store(0, std::memory_order_relaxed);
    const std::uint32_t gen = generation_.load(std::memory_order_relaxed) + 1;
    // Publishes the loop's fields with its generation and piece count in one value.
    next_.store(((std::uint64_t(gen) & kGenMask) << (2 * kPieceBits)) | (std::uint64_t(pieces) << kPieceBits),
                std::memory_order_release);
    generation_.store(gen, std::memory_order_release);
    generation_.notify_all();
    take_pieces(gen);
    for (std::int64_t d = done_.load(std::memory_order_acquire); d != pieces; d = done_.load(std::memory_order_acquire))
        wait_change(done_, d);
}

}  // namespace dctwin

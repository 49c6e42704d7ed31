// The worker pool: every index of every loop exactly once, loop after loop, whatever the
// sizes. Loops of few pieces followed by loops of many are what once let a thread still
// looking at the last loop take a piece of it while the next was set up (run twice, counted
// twice: a lost wake-up and a hang). Many short loops on more threads than cores make the
// interleavings that reach such a window.

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "solver/parallel.hpp"

TEST_CASE("worker pool: every index exactly once over many loops of alternating sizes") {
    for (int threads : {2, 3, 4}) {
        CAPTURE(threads);
        dctwin::WorkerPool pool(threads);
        std::vector<std::atomic<int>> hits(4096);
        const auto t0 = std::chrono::steady_clock::now();
        long loops = 0, bad = 0;
        // About a second per thread count, at least 20 000 loops.
        for (; loops < 20000 || std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(700); ++loops) {
            const std::int64_t n = (loops % 3 == 0) ? 2 + loops % 5 : 64 + (loops * 37) % 4000;
            for (std::int64_t i = 0; i < n; ++i) hits[std::size_t(i)].store(0, std::memory_order_relaxed);
            pool.run(n, [&](std::int64_t b, std::int64_t e) {
                for (std::int64_t i = b; i < e; ++i) hits[std::size_t(i)].fetch_add(1, std::memory_order_relaxed);
            });
            for (std::int64_t i = 0; i < n; ++i) bad += hits[std::size_t(i)].load(std::memory_order_relaxed) != 1;
            if (bad) break;
            if (std::chrono::steady_clock::now() - t0 > std::chrono::seconds(3)) break;
        }
        CHECK(bad == 0);
        CHECK(loops > 1000);
    }
}

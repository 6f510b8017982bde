#include "core/parallel/ThreadPool.h"

#include <algorithm>
#include <stdexcept>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define FIRSTSPIKE_CPU_RELAX() _mm_pause()
#else
#define FIRSTSPIKE_CPU_RELAX() std::this_thread::yield()
#endif

namespace firstspike {

namespace {
// A few microseconds of spinning before a thread sleeps.
constexpr int kSpinIterations = 2000;

// Runs body(b, t) for the blocks taken from `next` below `end`; an exception stops every taker
// (through `failed`) and reaches run()'s caller.
void takeBlocks(std::atomic<int> &next, int end, std::atomic<bool> &failed, const std::function<void(int, int)> &body,
                int t)
{
    for (int b = next.fetch_add(1, std::memory_order_relaxed); b < end && !failed.load(std::memory_order_relaxed);
         b = next.fetch_add(1, std::memory_order_relaxed)) {
        try {
            body(b, t);
        } catch (...) {
            failed.store(true, std::memory_order_relaxed); // the others stop taking blocks
            throw;
        }
    }
}
} // namespace

int ThreadPool::hardwareThreads()
{
    return std::max(1u, std::thread::hardware_concurrency());
}

ThreadPool::ThreadPool(int threads)
    : threadCount_(threads <= 0 ? hardwareThreads() : std::min(threads, 256))
    , claims_(static_cast<std::size_t>(threadCount_))
{
    errors_.resize(threadCount_);
    for (int i = 1; i < threadCount_; ++i)
        workers_.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        quit_.store(true);
    }
    wake_.notify_all();
    for (std::thread &t : workers_)
        t.join();
}

void ThreadPool::run(const std::function<void(int)> &task)
{
    start(task, true);
}

void ThreadPool::runOnEachThread(const std::function<void(int)> &task)
{
    start(task, false);
}

bool ThreadPool::takeTasks(int first, unsigned long generation, const std::function<void(int)> *task, bool shared)
{
    bool finishedLast = false;
    for (int k = 0; k < (shared ? threadCount_ : 1); ++k) {
        const int t = (first + k) % threadCount_;
        // Every task is taken once in every generation, so before this one each claim holds the
        // previous generation. A thread that slept through this generation fails here with the
        // same test; a relaxed read first costs a taken task no write to its line.
        std::atomic<unsigned long> &claim = claims_[static_cast<std::size_t>(t)].generation;
        unsigned long expected = generation - 1;
        if (claim.load(std::memory_order_relaxed) != expected
            || !claim.compare_exchange_strong(expected, generation, std::memory_order_acq_rel))
            continue;
        try {
            (*task)(t);
        } catch (...) {
            errors_[static_cast<std::size_t>(t)] = std::current_exception();
        }
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1)
            finishedLast = true;
    }
    return finishedLast;
}

void ThreadPool::start(const std::function<void(int)> &task, bool shared)
{
    std::fill(errors_.begin(), errors_.end(), nullptr);
    unsigned long generation = 0;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        task_ = &task;
        shared_ = shared;
        pending_.store(threadCount_, std::memory_order_relaxed);
        generation = generation_.fetch_add(1, std::memory_order_release) + 1;
    }
    if (threadCount_ > 1)
        wake_.notify_all();
    takeTasks(0, generation, &task, shared);
    if (threadCount_ > 1) {
        for (int spin = 0; spin < kSpinIterations && pending_.load(std::memory_order_acquire) != 0; ++spin)
            FIRSTSPIKE_CPU_RELAX();
        if (pending_.load(std::memory_order_acquire) != 0) {
            std::unique_lock<std::mutex> lock(mutex_);
            done_.wait(lock, [this] { return pending_.load(std::memory_order_acquire) == 0; });
        }
    }
    for (const std::exception_ptr &e : errors_)
        if (e)
            std::rethrow_exception(e);
}

void ThreadPool::forEachBlock(int blocks, const std::function<void(int, int)> &body)
{
    if (blocks <= 0)
        return;
    if (threadCount_ == 1) {
        for (int b = 0; b < blocks; ++b)
            body(b, 0);
        return;
    }
    std::atomic<int> next{0};
    std::atomic<bool> failed{false};
    run([&](int t) { takeBlocks(next, blocks, failed, body, t); });
}

void ThreadPool::forEachBlock(const std::vector<int> &home, const std::function<void(int, int)> &body)
{
    if (static_cast<int>(home.size()) != threadCount_ + 1 || home.front() != 0)
        throw std::invalid_argument("ThreadPool::forEachBlock: one home range per thread is needed");
    for (int t = 0; t < threadCount_; ++t)
        if (home[static_cast<std::size_t>(t) + 1] < home[static_cast<std::size_t>(t)])
            throw std::invalid_argument("ThreadPool::forEachBlock: home ranges must ascend");
    if (home.back() <= 0)
        return;
    if (threadCount_ == 1) {
        for (int b = 0; b < home.back(); ++b)
            body(b, 0);
        return;
    }
    // One cursor per home range, each on its own cache line; a block is taken with a fetch_add
    // on its range's cursor, by the owner or by a helper, so each runs exactly once.
    struct alignas(64) Cursor {
        std::atomic<int> next{0};
    };
    std::vector<Cursor> cursors(static_cast<std::size_t>(threadCount_));
    for (int t = 0; t < threadCount_; ++t)
        cursors[static_cast<std::size_t>(t)].next.store(home[static_cast<std::size_t>(t)], std::memory_order_relaxed);
    std::atomic<bool> failed{false};
    run([&](int t) {
        for (int k = 0; k < threadCount_; ++k) { // its own range first, then the others'
            const int owner = (t + k) % threadCount_;
            takeBlocks(cursors[static_cast<std::size_t>(owner)].next, home[static_cast<std::size_t>(owner) + 1], failed, body, t);
        }
    });
}

void ThreadPool::workerLoop(int index)
{
    unsigned long seen = 0;
    for (;;) {
        for (int spin = 0; spin < kSpinIterations && generation_.load(std::memory_order_acquire) == seen
                           && !quit_.load(std::memory_order_relaxed);
             ++spin)
            FIRSTSPIKE_CPU_RELAX();
        const std::function<void(int)> *task = nullptr;
        bool shared = true;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] { return quit_.load() || generation_.load(std::memory_order_acquire) != seen; });
            if (quit_.load())
                return;
            seen = generation_.load(std::memory_order_acquire);
            task = task_;
            shared = shared_;
        }
        // A worker that wakes after the others took every task of this generation (and the
        // caller may have returned, `task` gone) finds them all claimed and runs nothing.
        if (takeTasks(index, seen, task, shared)) {
            std::lock_guard<std::mutex> lock(mutex_); // pairs with the caller's wait predicate
            done_.notify_all();
        }
    }
}

} // namespace firstspike

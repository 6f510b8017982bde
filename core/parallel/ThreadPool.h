#pragma once
// A fixed set of worker threads for data-parallel loops. run(f) calls f(t) for every thread
// index t, task t always on the same thread, so per-thread accumulators reduced in index order
// give bit-identical results for a given thread count.
//
// Mini-batches are short (~1 ms), so waking a sleeping thread through the kernel would cost a
// noticeable share of each one: workers and the caller spin briefly on an atomic generation
// counter before they block on the condition variable.

#include <atomic>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace firstspike {

class ThreadPool {
public:
    explicit ThreadPool(int threads); // threads <= 0: all hardware threads
    ~ThreadPool();
    ThreadPool(const ThreadPool &) = delete;
    ThreadPool &operator=(const ThreadPool &) = delete;

    int size() const { return threadCount_; }
    // Calls task(t) for t in [0, size()), task 0 on the calling thread; returns when all are done.
    // Exceptions thrown by a task are rethrown here (the first one, by thread index).
    void run(const std::function<void(int)> &task);
    // Calls body(block, t) once for every block in [0, blocks), handed out one at a time to
    // whichever thread is free: a thread the OS deschedules (another process, the GUI thread)
    // leaves its share to the others instead of holding them at the end of the loop. For loops
    // whose blocks are independent and write disjoint data: which thread runs a block must not
    // change the result (so no per-thread accumulators).
    void forEachBlock(int blocks, const std::function<void(int block, int t)> &body);
    // The same with a home range per thread, blocks [home[t], home[t + 1]) (home has size() + 1
    // ascending entries from 0 to the block count): each thread takes its own blocks first, in
    // order, then helps with the others' that are left. A thread that runs every mini-batch on
    // the same blocks finds their data in its own cache; data written by another core comes at
    // about DRAM speed on the 2-core machines we measure on.
    void forEachBlock(const std::vector<int> &home, const std::function<void(int block, int t)> &body);

    static int hardwareThreads();

private:
    void workerLoop(int index);

    int threadCount_ = 1;
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable done_;
    const std::function<void(int)> *task_ = nullptr;
    std::vector<std::exception_ptr> errors_;
    std::atomic<unsigned long> generation_{0};
    std::atomic<int> pending_{0};
    std::atomic<bool> quit_{false};
};

} // namespace firstspike

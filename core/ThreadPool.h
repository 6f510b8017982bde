#pragma once
// A fixed set of worker threads for data-parallel loops. run(n, f) calls f(0..n-1) with task t
// always on the same thread index, so per-thread accumulators reduced in index order give
// bit-identical results for a given thread count.

#include <condition_variable>
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
    unsigned long generation_ = 0;
    int pending_ = 0;
    bool quit_ = false;
};

} // namespace firstspike

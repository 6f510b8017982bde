#pragma once
// A fixed set of worker threads for data-parallel loops. run(f) calls f(t) for every task index
// t in [0, size()), each exactly once and never two with the same index at a time, so per-task
// accumulators reduced in index order give bit-identical results for a given thread count,
// whichever thread ran which task.
//
// A task goes to the first free thread, its own thread first. On a machine where the threads
// share the cores with other work (the GUI thread, other processes), a thread the OS has
// descheduled, or one still waking, leaves its task to a thread that is running; with fixed
// tasks every other thread would wait at the end of the loop for as long as the OS keeps it off
// a core. (A thread descheduled inside its task still holds the others until it runs again.)
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
    // Calls task(t) once for every t in [0, size()), each on whichever thread takes it first
    // (task 0 first on the calling thread, task t first on worker t); returns when all are done.
    // Exceptions thrown by a task are rethrown here (the first one, by task index).
    void run(const std::function<void(int)> &task);
    // The same with task t on thread t, all at once: for measurements of the threads themselves
    // (a task may wait for another task to start).
    void runOnEachThread(const std::function<void(int)> &task);
    // Calls body(block, t) once for every block in [0, blocks), handed out one at a time to
    // whichever thread is free: a thread the OS deschedules (another process, the GUI thread)
    // leaves its share to the others instead of holding them at the end of the loop. For loops
    // whose blocks are independent and write disjoint data: which thread runs a block must not
    // change the result (so no per-thread accumulators).
    void forEachBlock(int blocks, const std::function<void(int block, int t)> &body);
    // The same with a home range per task, blocks [home[t], home[t + 1]) (home has size() + 1
    // ascending entries from 0 to the block count): each task takes its own blocks first, in
    // order, then helps with the others' that are left. A thread that runs every mini-batch on
    // the same blocks finds their data in its own cache; data written by another core comes at
    // about DRAM speed on the 2-core machines we measure on.
    void forEachBlock(const std::vector<int> &home, const std::function<void(int block, int t)> &body);

    static int hardwareThreads();

private:
    void start(const std::function<void(int)> &task, bool shared);
    // Takes and runs the tasks this thread can take in `generation`: `first`, then (shared tasks
    // only) the others in turn; returns whether it finished the last one. `task` is called only
    // after a task is taken, so a thread that slept through the generation never touches it.
    bool takeTasks(int first, unsigned long generation, const std::function<void(int)> *task, bool shared);
    void workerLoop(int index);

    int threadCount_ = 1;
    std::vector<std::thread> workers_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable done_;
    const std::function<void(int)> *task_ = nullptr;
    bool shared_ = true;
    // claims_[t] holds the generation in which task t was last taken: a thread takes it by
    // replacing the previous generation with the current one.
    struct alignas(64) Claim {
        std::atomic<unsigned long> generation{0};
    };
    std::vector<Claim> claims_;
    std::vector<std::exception_ptr> errors_;
    std::atomic<unsigned long> generation_{0};
    std::atomic<int> pending_{0};
    std::atomic<bool> quit_{false};
};

} // namespace firstspike

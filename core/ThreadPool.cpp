#include "ThreadPool.h"

#include <algorithm>

namespace firstspike {

int ThreadPool::hardwareThreads()
{
    return std::max(1u, std::thread::hardware_concurrency());
}

ThreadPool::ThreadPool(int threads)
    : threadCount_(threads <= 0 ? hardwareThreads() : std::min(threads, 256))
{
    errors_.resize(threadCount_);
    for (int i = 1; i < threadCount_; ++i)
        workers_.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        quit_ = true;
    }
    wake_.notify_all();
    for (std::thread &t : workers_)
        t.join();
}

void ThreadPool::run(const std::function<void(int)> &task)
{
    std::fill(errors_.begin(), errors_.end(), nullptr);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        task_ = &task;
        pending_ = threadCount_ - 1;
        ++generation_;
    }
    wake_.notify_all();
    try {
        task(0);
    } catch (...) {
        errors_[0] = std::current_exception();
    }
    {
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait(lock, [this] { return pending_ == 0; });
        task_ = nullptr;
    }
    for (const std::exception_ptr &e : errors_)
        if (e)
            std::rethrow_exception(e);
}

void ThreadPool::workerLoop(int index)
{
    unsigned long seen = 0;
    for (;;) {
        const std::function<void(int)> *task = nullptr;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            wake_.wait(lock, [&] { return quit_ || generation_ != seen; });
            if (quit_)
                return;
            seen = generation_;
            task = task_;
        }
        try {
            (*task)(index);
        } catch (...) {
            errors_[index] = std::current_exception();
        }
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (--pending_ == 0)
                done_.notify_all();
        }
    }
}

} // namespace firstspike

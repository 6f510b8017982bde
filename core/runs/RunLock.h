#pragma once
// The lock a recording process holds on its run folder while it trains: flock(2) on the folder
// itself, so that the kernel releases it when the process ends in any way (kill -9 included).
// A run whose manifest says "running" but whose folder nobody holds was interrupted.
#include <stdexcept>
#include <string>

namespace firstspike {

struct RunBusyError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class RunLock {
public:
    static constexpr int kBusyRetryMs = 200;
    static constexpr int kBusyRetryStepMs = 10;

    // Takes the lock; throws RunBusyError when another process (or another RunLock) holds it
    // still after kBusyRetryMs of tries (isHeld's brief shared lock is waited out), FileError
    // when the folder cannot be opened.
    explicit RunLock(const std::string &folder);
    ~RunLock();
    RunLock(const RunLock &) = delete;
    RunLock &operator=(const RunLock &) = delete;

    // True when some process holds the lock on `folder` now.
    static bool isHeld(const std::string &folder);

private:
    int fd_ = -1;
};

} // namespace firstspike

#include "core/runs/RunLock.h"

#include "core/files/SafeFile.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace firstspike {

namespace {

int openFolder(const std::string &folder)
{
    return ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

} // namespace

RunLock::RunLock(const std::string &folder)
{
    fd_ = openFolder(folder);
    if (fd_ < 0)
        throw FileError(folder + ": cannot open the run folder (" + std::strerror(errno) + ")");
    // isHeld() of another process holds a shared lock for an instant: a lock that stays busy
    // for kBusyRetryMs is another recorder's.
    int err = 0;
    for (int waited = 0;; waited += kBusyRetryStepMs) {
        if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) {
            err = 0;
            break;
        }
        err = errno;
        if (err == EINTR)
            continue;
        if (err != EWOULDBLOCK || waited >= kBusyRetryMs)
            break;
        ::usleep(kBusyRetryStepMs * 1000);
    }
    if (err != 0) {
        ::close(fd_);
        fd_ = -1;
        if (err == EWOULDBLOCK)
            throw RunBusyError(folder + ": another process is recording this run");
        throw FileError(folder + ": cannot lock the run folder (" + std::strerror(err) + ")");
    }
}

RunLock::~RunLock()
{
    if (fd_ >= 0)
        ::close(fd_); // releases the lock
}

bool RunLock::isHeld(const std::string &folder)
{
    const int fd = openFolder(folder);
    if (fd < 0)
        return false;
    const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);
    return held;
}

} // namespace firstspike

#include "core/files/SafeFile.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

namespace firstspike {

namespace {

[[noreturn]] void fail(const std::string &path, const std::string &why)
{
    throw FileError(path + ": " + why);
}

std::string errnoText(int err)
{
    return std::strerror(err);
}

std::string kindOf(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a folder";
    if (S_ISFIFO(mode))
        return "a FIFO (named pipe)";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device";
    if (S_ISLNK(mode))
        return "a symbolic link";
    return "not a regular file";
}

std::string folderOf(const std::string &path)
{
    const std::string::size_type slash = path.find_last_of('/');
    if (slash == std::string::npos)
        return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

std::string formatBytes(std::uint64_t bytes)
{
    char text[32];
    if (bytes >= 1000ull * 1000 * 1000)
        std::snprintf(text, sizeof text, "%.1f GB", bytes / 1e9);
    else if (bytes >= 1000ull * 1000)
        std::snprintf(text, sizeof text, "%.1f MB", bytes / 1e6);
    else if (bytes >= 1000)
        std::snprintf(text, sizeof text, "%.1f kB", bytes / 1e3);
    else
        std::snprintf(text, sizeof text, "%llu bytes", static_cast<unsigned long long>(bytes));
    return text;
}

InputFile::InputFile(const std::string &path, const char *what, std::uint64_t maxBytes)
    : path_(path)
    , what_(what)
{
    if (path.empty())
        throw FileError(std::string("no ") + what + " file named");
    // O_NONBLOCK: opening a FIFO without a writer must not wait; it is refused just below.
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd_ < 0)
        fail(path, "cannot open (" + errnoText(errno) + ")");
    struct stat st{};
    if (::fstat(fd_, &st) != 0) {
        const int err = errno;
        ::close(fd_);
        fail(path, "cannot read its size (" + errnoText(err) + ")");
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd_);
        fail(path, "is " + kindOf(st.st_mode) + ", not a " + what_ + " file");
    }
    size_ = static_cast<std::uint64_t>(st.st_size);
    if (size_ > maxBytes) {
        ::close(fd_);
        fail(path, formatBytes(size_) + " is too large for a " + what_ + " file (limit " + formatBytes(maxBytes) + ")");
    }
    const int flags = ::fcntl(fd_, F_GETFL);
    if (flags >= 0)
        ::fcntl(fd_, F_SETFL, flags & ~O_NONBLOCK);
}

InputFile::~InputFile()
{
    if (fd_ >= 0)
        ::close(fd_);
}

std::size_t InputFile::read(void *out, std::size_t n)
{
    std::size_t done = 0;
    auto *p = static_cast<char *>(out);
    while (done < n) {
        const ssize_t got = ::read(fd_, p + done, n - done);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            fail(path_, "read error (" + errnoText(errno) + ")");
        }
        if (got == 0)
            break;
        done += static_cast<std::size_t>(got);
    }
    return done;
}

std::vector<std::uint8_t> InputFile::readAll()
{
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size_));
    const std::size_t got = read(bytes.data(), bytes.size());
    std::uint8_t extra = 0;
    if (got != bytes.size() || read(&extra, 1) != 0)
        fail(path_, "changed size while it was read");
    return bytes;
}

std::vector<std::uint8_t> readRegularFile(const std::string &path, const char *what, std::uint64_t maxBytes)
{
    InputFile file(path, what, maxBytes);
    return file.readAll();
}

void checkWritableTarget(const std::string &path)
{
    if (path.empty())
        throw FileError("no output file named");
    struct stat st{};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT)
            return;
        fail(path, "cannot check the target (" + errnoText(errno) + ")");
    }
    if (!S_ISREG(st.st_mode))
        fail(path, "is " + kindOf(st.st_mode) + "; refusing to replace it (write to a regular file or a new name)");
}

void writeFileAtomically(const std::string &path, const std::uint8_t *data, std::size_t size, long long failAfterBytes)
{
    checkWritableTarget(path);
    const std::string folder = folderOf(path);
    const std::string base = path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1);
    // An unpredictable name, created exclusively: a link or file planted there is never followed
    // or truncated (O_EXCL | O_NOFOLLOW); a clash just draws another name.
    std::random_device entropy;
    std::string tmp;
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
        char suffix[24];
        std::snprintf(suffix, sizeof suffix, ".%08x%08x", static_cast<unsigned>(entropy()), static_cast<unsigned>(entropy()));
        tmp = (folder == "." && path.find('/') == std::string::npos ? std::string() : folder + "/") + "." + base + suffix + ".tmp";
        fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST)
            fail(path, "cannot write in " + folder + " (" + errnoText(errno) + ")");
    }
    if (fd < 0)
        fail(path, "cannot create a temporary file in " + folder);
    auto abandon = [&](const std::string &why) {
        ::close(fd);
        ::unlink(tmp.c_str());
        fail(path, why + "; the previous file is unchanged");
    };
    const std::size_t limit = failAfterBytes >= 0 ? std::min<std::size_t>(size, static_cast<std::size_t>(failAfterBytes)) : size;
    std::size_t written = 0;
    while (written < limit) {
        const ssize_t n = ::write(fd, data + written, limit - written);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            abandon("write failed (" + errnoText(errno) + ")");
        }
        written += static_cast<std::size_t>(n);
    }
    if (failAfterBytes >= 0)
        abandon("write interrupted (simulated failure)");
    if (::fsync(fd) != 0)
        abandon("cannot flush to disk (" + errnoText(errno) + ")");
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        fail(path, "cannot flush to disk (" + errnoText(err) + "); the previous file is unchanged");
    }
    // The target may have been replaced by something else since the check above: check again
    // right before the rename (rename(2) replaces a link itself, never what it points to).
    try {
        checkWritableTarget(path);
    } catch (...) {
        ::unlink(tmp.c_str());
        throw;
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        fail(path, "cannot replace the file (" + errnoText(err) + "); the previous file is unchanged");
    }
    // Make the rename itself durable.
    const int dirFd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
}

void writeFileAtomically(const std::string &path, const std::vector<std::uint8_t> &bytes, long long failAfterBytes)
{
    writeFileAtomically(path, bytes.data(), bytes.size(), failAfterBytes);
}

void writeFileAtomically(const std::string &path, const std::string &text)
{
    writeFileAtomically(path, reinterpret_cast<const std::uint8_t *>(text.data()), text.size());
}

} // namespace firstspike

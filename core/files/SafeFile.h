#pragma once
// The two doors through which every file passes (docs/FORMATS.md, "Limits"):
//
//   reading a file we did not write: regular files only (a FIFO, socket, device or folder is
//   refused before any read can block), never more bytes than the caller's cap, checked against
//   the file's size before anything is allocated;
//
//   writing atomically: the bytes go to a temporary file created exclusively (O_CREAT | O_EXCL |
//   O_NOFOLLOW, an unpredictable name) in the target's folder, are flushed to disk, and replace
//   the target by rename(2); an existing target that is not a regular file (a symbolic link, a
//   device, a FIFO, a folder) is refused, and a failed write leaves the old file as it was.
//
// Errors are FileError (a std::runtime_error) whose what() is one line: "<path>: <problem>".

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace firstspike {

struct FileError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A regular file opened for reading (the descriptor is closed by the destructor). `what` names
// the kind of file in messages ("checkpoint", "session file"). Refuses what is not a regular
// file, and a file larger than maxBytes, naming both sizes.
class InputFile {
public:
    InputFile(const std::string &path, const char *what, std::uint64_t maxBytes);
    ~InputFile();
    InputFile(const InputFile &) = delete;
    InputFile &operator=(const InputFile &) = delete;

    int descriptor() const { return fd_; }
    std::uint64_t size() const { return size_; } // at open time
    const std::string &path() const { return path_; }
    // Reads up to n bytes (fewer only at the end of the file); throws FileError on a read error.
    std::size_t read(void *out, std::size_t n);
    // The whole file (size() bytes); refuses a file that changed size while it was read.
    std::vector<std::uint8_t> readAll();

private:
    std::string path_;
    std::string what_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
};

// The whole of a regular file of at most maxBytes.
std::vector<std::uint8_t> readRegularFile(const std::string &path, const char *what, std::uint64_t maxBytes);

// Throws FileError unless `path` may be replaced: it does not exist, or it is a regular file.
void checkWritableTarget(const std::string &path);

// Writes bytes to path atomically (see above). failAfterBytes >= 0 simulates a write that fails
// after that many bytes (for tests): the temporary file is removed and the target kept.
void writeFileAtomically(const std::string &path, const std::uint8_t *data, std::size_t size,
                         long long failAfterBytes = -1);
void writeFileAtomically(const std::string &path, const std::vector<std::uint8_t> &bytes, long long failAfterBytes = -1);
void writeFileAtomically(const std::string &path, const std::string &text);

// "1.4 GB", "512 kB": byte counts in messages.
std::string formatBytes(std::uint64_t bytes);

} // namespace firstspike

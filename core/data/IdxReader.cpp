#include "core/data/IdxReader.h"

#include "core/common/MemoryBudget.h"
#include "core/files/SafeFile.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <system_error>

namespace firstspike {

namespace {

namespace fs = std::filesystem;

constexpr std::uint32_t kImageMagic = 0x00000803; // unsigned byte, 3 dimensions
constexpr std::uint32_t kLabelMagic = 0x00000801; // unsigned byte, 1 dimension
constexpr std::size_t kImageHeaderBytes = 16;
constexpr std::size_t kLabelHeaderBytes = 8;

// zlib counts in uInt; hand it at most this much input or output per call.
constexpr std::size_t kZlibChunk = std::size_t{1} << 30;
// A gzip payload buffer starts at this size and doubles, so memory follows the data actually
// inflated rather than the size a header claims.
constexpr std::size_t kInitialInflateBuffer = std::size_t{16} << 20;
// How much trailing data is inflated (into a scratch buffer) before giving up counting it: a
// gzip bomb behind a valid payload costs at most this much work, never its inflated size.
constexpr std::size_t kTrailingCountCap = std::size_t{1} << 20;
// Compressed input is read from the file in pieces of this size, never as a whole.
constexpr std::size_t kInputChunk = std::size_t{256} << 10;

const char *kImageNames[] = {"train-images-idx3-ubyte", "t10k-images-idx3-ubyte"};
const char *kLabelNames[] = {"train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"};

[[noreturn]] void fail(const std::string &name, const std::string &problem)
{
    throw DataError(name + ": " + problem);
}

std::string hex32(std::uint32_t value)
{
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "0x%08X", static_cast<unsigned>(value));
    return buffer;
}

std::uint32_t bigEndian32(const std::uint8_t *bytes)
{
    return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) | (std::uint32_t{bytes[2]} << 8)
        | std::uint32_t{bytes[3]};
}

// Largest file accepted: a header, the payload limit, and room for gzip's framing (stored deflate
// blocks cost 5 bytes per 64 KiB, so maxBytes / 512 is generous).
std::uint64_t maxFileBytes(const IdxLimits &limits)
{
    return saturatingAdd(saturatingAdd(limits.maxBytes, limits.maxBytes / 512), 65536);
}

std::string errnoText(int error)
{
    return std::generic_category().message(error);
}

// Where the bytes of one IDX file come from: a buffer already in memory (parseIdxPair, the
// embedded data) or a regular file opened through SafeFile, read piece by piece so that no more
// than the header allows is ever held.
class ByteSource {
public:
    ByteSource(const std::uint8_t *data, std::size_t size) : memory_(data), size_(size) {}
    explicit ByteSource(InputFile &file) : file_(&file), size_(file.size()) {}

    // Bytes not handed out yet (for a file: by its size when it was opened).
    std::uint64_t remaining() const { return size_ - position_; }

    // Up to n bytes into out; fewer only at the end (or where a file shrank while read).
    std::size_t read(std::uint8_t *out, std::size_t n)
    {
        const std::size_t wanted = static_cast<std::size_t>(std::min<std::uint64_t>(n, remaining()));
        std::size_t got = wanted;
        if (wanted == 0)
            return 0;
        if (memory_)
            std::memcpy(out, memory_ + position_, wanted);
        else
            got = file_->read(out, wanted);
        position_ += got;
        if (got < wanted)
            size_ = position_; // the file ended early: nothing more will come
        return got;
    }

private:
    const std::uint8_t *memory_ = nullptr;
    InputFile *file_ = nullptr;
    std::uint64_t size_;
    std::uint64_t position_ = 0;
};

// The decoded bytes of one IDX file, in order: either the raw bytes themselves or the output of
// zlib inflating a gzip file (several concatenated gzip members are accepted, as gzip does).
// Only what the caller asks for is inflated, so the header bounds the work, not the stream.
class IdxStream {
public:
    IdxStream(ByteSource &source, const std::string &name) : source_(source), name_(name)
    {
        // Two bytes tell gzip from raw data; they are kept and handed out again.
        std::uint8_t sniff[2];
        const std::size_t n = source_.read(sniff, 2);
        gzip_ = n == 2 && sniff[0] == 0x1f && sniff[1] == 0x8b;
        if (!gzip_) {
            std::memcpy(pending_, sniff, n);
            pendingSize_ = n;
            return;
        }
        input_.resize(kInputChunk);
        input_[0] = sniff[0];
        input_[1] = sniff[1];
        std::memset(&zs_, 0, sizeof zs_);
        if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK)
            fail(name_, "cannot initialise zlib to inflate the gzip data");
        zlibReady_ = true;
        zs_.next_in = input_.data();
        zs_.avail_in = 2;
    }
    ~IdxStream()
    {
        if (zlibReady_)
            inflateEnd(&zs_);
    }
    IdxStream(const IdxStream &) = delete;
    IdxStream &operator=(const IdxStream &) = delete;

    bool isGzip() const { return gzip_; }
    // Raw data only: how many bytes are left.
    std::uint64_t rawRemaining() const { return pendingSize_ + source_.remaining(); }

    // Fills out[0..count) as far as the data goes; returns how many bytes were written.
    std::size_t read(std::uint8_t *out, std::size_t count)
    {
        if (!gzip_) {
            const std::size_t fromPending = std::min(count, pendingSize_);
            std::memcpy(out, pending_, fromPending);
            std::memmove(pending_, pending_ + fromPending, pendingSize_ - fromPending);
            pendingSize_ -= fromPending;
            std::size_t produced = fromPending;
            while (produced < count) {
                const std::size_t n = source_.read(out + produced, std::min(count - produced, kZlibChunk));
                if (n == 0)
                    break;
                produced += n;
            }
            return produced;
        }
        std::size_t produced = 0;
        while (produced < count && !finished_) {
            if (zs_.avail_in == 0)
                refill();
            const std::size_t outChunk = std::min(count - produced, kZlibChunk);
            zs_.next_out = out + produced;
            zs_.avail_out = static_cast<uInt>(outChunk);
            const int rc = inflate(&zs_, Z_NO_FLUSH);
            produced += outChunk - zs_.avail_out;
            inflated_ += outChunk - zs_.avail_out;
            if (rc == Z_OK)
                continue;
            if (rc == Z_STREAM_END) {
                nextMemberOrFinish();
                continue;
            }
            if (rc == Z_BUF_ERROR && zs_.avail_in == 0 && source_.remaining() == 0)
                fail(name_, "corrupt gzip data: the compressed stream is truncated (input ends after "
                                + std::to_string(inflated_) + " decompressed bytes, before the end of the stream)");
            if (rc == Z_BUF_ERROR)
                continue;
            fail(name_, std::string("corrupt gzip data (") + (zs_.msg ? zs_.msg : "zlib error " + std::to_string(rc))
                            + ") after " + std::to_string(inflated_) + " decompressed bytes");
        }
        return produced;
    }

    // Reads to the end (which, for gzip, also verifies the CRC) and counts what is left, stopping
    // the count at `cap`: what follows the payload is never inflated further than that.
    std::uint64_t countRemaining(std::size_t cap)
    {
        if (!gzip_)
            return rawRemaining();
        std::vector<std::uint8_t> scratch(64 * 1024);
        std::size_t total = 0;
        while (total < cap) {
            const std::size_t n = read(scratch.data(), std::min(scratch.size(), cap - total));
            if (n == 0)
                break;
            total += n;
        }
        return total;
    }

private:
    // Moves the unread input to the front of the buffer and tops it up from the source.
    void refill()
    {
        const std::size_t kept = zs_.avail_in;
        if (kept > 0 && zs_.next_in != input_.data())
            std::memmove(input_.data(), zs_.next_in, kept);
        const std::size_t got = source_.read(input_.data() + kept, input_.size() - kept);
        zs_.next_in = input_.data();
        zs_.avail_in = static_cast<uInt>(kept + got);
    }

    void nextMemberOrFinish()
    {
        if (zs_.avail_in < 2)
            refill(); // another member's magic may straddle two pieces of input
        if (zs_.avail_in == 0) {
            finished_ = true;
            return;
        }
        if (zs_.avail_in >= 2 && zs_.next_in[0] == 0x1f && zs_.next_in[1] == 0x8b) {
            const Bytef *next = zs_.next_in;
            const uInt available = zs_.avail_in;
            inflateReset(&zs_);
            zs_.next_in = const_cast<Bytef *>(next);
            zs_.avail_in = available;
            return;
        }
        fail(name_, "corrupt gzip data: " + std::to_string(zs_.avail_in + source_.remaining())
                        + " bytes of non-gzip data follow the end of the compressed stream");
    }

    ByteSource &source_;
    std::string name_;
    bool gzip_ = false;
    std::uint8_t pending_[2] = {0, 0}; // raw: the sniffed bytes not yet handed out
    std::size_t pendingSize_ = 0;
    std::vector<std::uint8_t> input_;  // gzip: compressed input, one piece at a time
    z_stream zs_{};
    bool zlibReady_ = false;
    bool finished_ = false;
    std::uint64_t inflated_ = 0;
};

struct ImageHeader {
    std::uint32_t count = 0;
    std::uint32_t rows = 0;
    std::uint32_t cols = 0;
    std::uint64_t payloadBytes = 0;
};

void readHeader(IdxStream &stream, std::uint8_t *header, std::size_t headerBytes, const std::string &name,
                const char *kind)
{
    const std::size_t got = stream.read(header, headerBytes);
    if (got < headerBytes)
        fail(name, std::string("truncated header: an IDX ") + kind + " file starts with " + std::to_string(headerBytes)
                       + " header bytes, found " + std::to_string(got));
}

void checkMagic(std::uint32_t magic, std::uint32_t expected, const std::string &name, const char *kind)
{
    if (magic == expected)
        return;
    std::string problem = "bad magic number " + hex32(magic) + ", expected " + hex32(expected) + " for an IDX " + kind
        + " file";
    if (magic == kLabelMagic)
        problem += " (found the magic of a label file)";
    else if (magic == kImageMagic)
        problem += " (found the magic of an image file)";
    fail(name, problem);
}

void checkCount(std::uint32_t count, const IdxLimits &limits, const std::string &name, const char *what)
{
    if (count == 0)
        fail(name, std::string("header declares 0 ") + what);
    if (count > limits.maxCount)
        fail(name, "absurd header: " + std::to_string(count) + " " + what + " exceeds the limit of "
                       + std::to_string(limits.maxCount));
}

void checkSide(std::uint32_t side, const IdxLimits &limits, const std::string &name, const char *what)
{
    if (side == 0)
        fail(name, std::string("header declares 0 ") + what + " per image");
    if (side > limits.maxSide)
        fail(name, "absurd header: " + std::to_string(side) + " " + what + " per image exceeds the limit of "
                       + std::to_string(limits.maxSide));
}

void checkPayloadSize(std::uint64_t bytes, const IdxLimits &limits, const std::string &name,
                      const std::string &description)
{
    if (bytes > limits.maxBytes || bytes > std::numeric_limits<std::size_t>::max())
        fail(name, "absurd header: " + description + " = " + std::to_string(bytes) + " bytes exceeds the limit of "
                       + std::to_string(limits.maxBytes) + " bytes");
}

ImageHeader readImageHeader(IdxStream &stream, const std::string &name, const IdxLimits &limits)
{
    std::uint8_t header[kImageHeaderBytes];
    readHeader(stream, header, sizeof header, name, "image");
    checkMagic(bigEndian32(header), kImageMagic, name, "image");
    ImageHeader result;
    result.count = bigEndian32(header + 4);
    result.rows = bigEndian32(header + 8);
    result.cols = bigEndian32(header + 12);
    checkCount(result.count, limits, name, "images");
    checkSide(result.rows, limits, name, "rows");
    checkSide(result.cols, limits, name, "columns");
    const std::string description = std::to_string(result.count) + " images of " + std::to_string(result.rows) + "x"
        + std::to_string(result.cols);
    // count * rows fits in 64 bits; the second product may not when the limits are raised.
    const std::uint64_t perColumn = std::uint64_t{result.count} * result.rows;
    if (perColumn > std::numeric_limits<std::uint64_t>::max() / result.cols)
        fail(name, "absurd header: " + description + " overflows 64 bits");
    result.payloadBytes = perColumn * result.cols;
    checkPayloadSize(result.payloadBytes, limits, name, description);
    return result;
}

std::uint32_t readLabelHeader(IdxStream &stream, const std::string &name, const IdxLimits &limits)
{
    std::uint8_t header[kLabelHeaderBytes];
    readHeader(stream, header, sizeof header, name, "label");
    checkMagic(bigEndian32(header), kLabelMagic, name, "label");
    const std::uint32_t count = bigEndian32(header + 4);
    checkCount(count, limits, name, "labels");
    checkPayloadSize(count, limits, name, std::to_string(count) + " labels");
    return count;
}

// Reads exactly `expected` bytes after the header (already validated against the limits) and
// insists that nothing follows them. A raw file's size is checked against the header before
// anything is read or allocated; gzip data is inflated only as far as the header allows, plus
// kTrailingCountCap to report what follows. The memory the header asks for is checked first.
std::vector<std::uint8_t> readPayload(IdxStream &stream, std::size_t expected, std::size_t headerBytes,
                                      const std::string &name, const std::string &description)
{
    const auto truncated = [&](std::uint64_t found) {
        fail(name, "truncated data: expected " + std::to_string(expected) + " bytes after the "
                       + std::to_string(headerBytes) + "-byte header (" + description + "), found "
                       + std::to_string(found));
    };
    const auto trailingData = [&](std::uint64_t trailing, const std::string &sizes) {
        fail(name, "trailing data: " + std::string(stream.isGzip() && trailing >= kTrailingCountCap ? "at least " : "")
                       + std::to_string(trailing) + " bytes follow the " + std::to_string(expected) + " bytes of "
                       + description + " that the header describes" + sizes);
    };
    if (!stream.isGzip()) {
        // The whole size is known: a file longer or shorter than its header says is refused
        // before anything is allocated or read.
        const std::uint64_t found = stream.rawRemaining();
        if (found < expected)
            truncated(found);
        if (found > expected)
            trailingData(found - expected, " (the file is " + std::to_string(headerBytes + found)
                                               + " bytes, the header declares "
                                               + std::to_string(headerBytes + expected) + ")");
    }
    try {
        requireMemory(expected, name + ": " + description);
    } catch (const ResourceError &e) {
        throw DataError(e.what());
    }
    std::vector<std::uint8_t> payload;
    if (!stream.isGzip()) {
        payload.resize(expected);
        const std::size_t got = stream.read(payload.data(), expected);
        if (got < expected)
            truncated(got); // the file shrank while it was read
    } else {
        std::size_t filled = 0;
        payload.resize(std::min(expected, kInitialInflateBuffer));
        for (;;) {
            filled += stream.read(payload.data() + filled, payload.size() - filled);
            if (filled < payload.size())
                truncated(filled);
            if (filled == expected)
                break;
            payload.resize(expected - payload.size() > payload.size() ? 2 * payload.size() : expected);
        }
        const std::uint64_t trailing = stream.countRemaining(kTrailingCountCap);
        if (trailing > 0)
            trailingData(trailing, "");
    }
    return payload;
}

// Opens one IDX file through SafeFile: a FIFO, device, socket or folder is refused before any
// read can block, and so is a file larger than the limits allow.
std::unique_ptr<InputFile> openIdxFile(const std::string &path, const IdxLimits &limits)
{
    try {
        return std::make_unique<InputFile>(path, "data", maxFileBytes(limits));
    } catch (const FileError &e) {
        throw DataError(e.what());
    }
}

std::string findIdxFile(const fs::path &folder, const std::string &baseName)
{
    std::error_code ec;
    const fs::path raw = folder / baseName;
    if (fs::exists(raw, ec))
        return raw.string();
    const fs::path gz = folder / (baseName + ".gz");
    if (fs::exists(gz, ec))
        return gz.string();
    fail(raw.string(), "missing: neither " + baseName + " nor " + baseName + ".gz is in " + folder.string());
}

// Both headers are read and checked against each other before any payload is allocated.
Dataset parsePair(ByteSource &imageSource, const std::string &imageName, ByteSource &labelSource,
                  const std::string &labelName, const IdxLimits &limits)
{
    IdxStream images(imageSource, imageName);
    IdxStream labels(labelSource, labelName);

    const ImageHeader imageHeader = readImageHeader(images, imageName, limits);
    const std::uint32_t labelCount = readLabelHeader(labels, labelName, limits);
    if (labelCount != imageHeader.count)
        fail(imageName, "count mismatch: " + std::to_string(imageHeader.count) + " images, but " + labelName + " has "
                            + std::to_string(labelCount) + " labels");

    Dataset dataset;
    dataset.name = imageName;
    dataset.rows = static_cast<int>(imageHeader.rows);
    dataset.cols = static_cast<int>(imageHeader.cols);
    dataset.pixels = readPayload(images, static_cast<std::size_t>(imageHeader.payloadBytes), kImageHeaderBytes,
                                 imageName,
                                 std::to_string(imageHeader.count) + " images of " + std::to_string(imageHeader.rows)
                                     + "x" + std::to_string(imageHeader.cols));
    dataset.labels = readPayload(labels, labelCount, kLabelHeaderBytes, labelName,
                                 std::to_string(labelCount) + " labels");

    for (std::size_t i = 0; i < dataset.labels.size(); ++i) {
        if (static_cast<int>(dataset.labels[i]) > limits.maxLabel)
            fail(labelName, "label " + std::to_string(dataset.labels[i]) + " at index " + std::to_string(i)
                                + " is out of range (labels must be 0.." + std::to_string(limits.maxLabel) + ")");
    }
    return dataset;
}

// Every failure as one DataError line naming a file: a read error from SafeFile, and an
// allocation that fails although the memory check passed (the machine's memory changed meanwhile).
template <typename Parse>
Dataset asDataErrors(const std::string &imageName, Parse parse)
{
    try {
        return parse();
    } catch (const FileError &e) {
        throw DataError(e.what());
    } catch (const std::bad_alloc &) {
        throw DataError(imageName + ": not enough memory to read the data set ("
                        + formatBytes(availableMemoryBytes()) + " available)");
    }
}

} // namespace

Dataset parseIdxPair(const std::vector<std::uint8_t> &imageFileBytes, const std::string &imageName,
                     const std::vector<std::uint8_t> &labelFileBytes, const std::string &labelName,
                     const IdxLimits &limits)
{
    ByteSource images(imageFileBytes.data(), imageFileBytes.size());
    ByteSource labels(labelFileBytes.data(), labelFileBytes.size());
    return asDataErrors(imageName, [&] { return parsePair(images, imageName, labels, labelName, limits); });
}

Dataset readIdxPair(const std::string &imagesPath, const std::string &labelsPath, const IdxLimits &limits)
{
    // Both files are opened (and refused if they are no regular files) before either is read.
    const std::unique_ptr<InputFile> imageFile = openIdxFile(imagesPath, limits);
    const std::unique_ptr<InputFile> labelFile = openIdxFile(labelsPath, limits);
    ByteSource images(*imageFile);
    ByteSource labels(*labelFile);
    return asDataErrors(imagesPath, [&] { return parsePair(images, imagesPath, labels, labelsPath, limits); });
}

DataSplit loadIdxFolder(const std::string &folder, const IdxLimits &limits)
{
    const fs::path dir(folder);
    std::error_code ec;
    const fs::file_status status = fs::status(dir, ec);
    if (!fs::exists(status))
        fail(folder, "cannot open folder (" + (ec ? ec.message() : errnoText(ENOENT)) + ")");
    if (!fs::is_directory(status))
        fail(folder, "not a folder");

    // Locate all four files first, so a missing one is reported before anything is read.
    const std::string trainImages = findIdxFile(dir, kImageNames[0]);
    const std::string trainLabels = findIdxFile(dir, kLabelNames[0]);
    const std::string testImages = findIdxFile(dir, kImageNames[1]);
    const std::string testLabels = findIdxFile(dir, kLabelNames[1]);

    DataSplit split;
    split.source = folder;
    split.train = readIdxPair(trainImages, trainLabels, limits);
    split.train.name = (dir / "train").string();
    split.test = readIdxPair(testImages, testLabels, limits);
    split.test.name = (dir / "t10k").string();
    if (split.test.rows != split.train.rows || split.test.cols != split.train.cols)
        fail(testImages, "images are " + std::to_string(split.test.rows) + "x" + std::to_string(split.test.cols) + " but "
                             + trainImages + " has " + std::to_string(split.train.rows) + "x"
                             + std::to_string(split.train.cols) + " images; a data set needs one image size");
    return split;
}

} // namespace firstspike

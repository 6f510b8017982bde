#include "core/data/IdxReader.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
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
// How much trailing data is inflated (into a scratch buffer) before giving up counting it.
constexpr std::size_t kTrailingCountCap = std::size_t{1} << 20;

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

std::uint64_t saturatingAdd(std::uint64_t a, std::uint64_t b)
{
    return a > std::numeric_limits<std::uint64_t>::max() - b ? std::numeric_limits<std::uint64_t>::max() : a + b;
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

// The decoded bytes of one IDX file, in order: either the raw bytes themselves or the output of
// zlib inflating a gzip file (several concatenated gzip members are accepted, as gzip does).
class IdxStream {
public:
    IdxStream(const std::uint8_t *data, std::size_t size, const std::string &name)
        : data_(data), size_(size), name_(name), gzip_(size >= 2 && data[0] == 0x1f && data[1] == 0x8b)
    {
        if (!gzip_)
            return;
        std::memset(&zs_, 0, sizeof zs_);
        if (inflateInit2(&zs_, 16 + MAX_WBITS) != Z_OK)
            fail(name_, "cannot initialise zlib to inflate the gzip data");
        zlibReady_ = true;
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
    std::size_t rawRemaining() const { return size_ - position_; }

    // Fills out[0..count) as far as the data goes; returns how many bytes were written.
    std::size_t read(std::uint8_t *out, std::size_t count)
    {
        if (!gzip_) {
            const std::size_t n = std::min(count, size_ - position_);
            if (n > 0)
                std::memcpy(out, data_ + position_, n);
            position_ += n;
            return n;
        }
        std::size_t produced = 0;
        while (produced < count && !finished_) {
            if (zs_.avail_in == 0 && position_ < size_) {
                const std::size_t chunk = std::min(size_ - position_, kZlibChunk);
                zs_.next_in = const_cast<Bytef *>(data_ + position_);
                zs_.avail_in = static_cast<uInt>(chunk);
                position_ += chunk;
            }
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
            if (rc == Z_BUF_ERROR && zs_.avail_in == 0 && position_ == size_)
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
    // the count at `cap`.
    std::size_t countRemaining(std::size_t cap)
    {
        if (!gzip_)
            return rawRemaining();
        std::vector<std::uint8_t> scratch(64 * 1024);
        std::size_t total = 0;
        while (total < cap) {
            const std::size_t n = read(scratch.data(), scratch.size());
            if (n == 0)
                break;
            total += n;
        }
        return total;
    }

private:
    void nextMemberOrFinish()
    {
        const std::size_t consumed = position_ - zs_.avail_in;
        if (consumed == size_) {
            finished_ = true;
            return;
        }
        if (size_ - consumed >= 2 && data_[consumed] == 0x1f && data_[consumed + 1] == 0x8b) {
            inflateReset(&zs_);
            const std::size_t chunk = std::min(size_ - consumed, kZlibChunk);
            zs_.next_in = const_cast<Bytef *>(data_ + consumed);
            zs_.avail_in = static_cast<uInt>(chunk);
            position_ = consumed + chunk;
            return;
        }
        fail(name_, "corrupt gzip data: " + std::to_string(size_ - consumed)
                        + " bytes of non-gzip data follow the end of the compressed stream");
    }

    const std::uint8_t *data_;
    std::size_t size_;
    std::string name_;
    bool gzip_;
    std::size_t position_ = 0; // raw: next byte to hand out; gzip: input handed to zlib so far
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
// insists that nothing follows them.
std::vector<std::uint8_t> readPayload(IdxStream &stream, std::size_t expected, std::size_t headerBytes,
                                      const std::string &name, const std::string &description)
{
    const auto truncated = [&](std::size_t found) {
        fail(name, "truncated data: expected " + std::to_string(expected) + " bytes after the "
                       + std::to_string(headerBytes) + "-byte header (" + description + "), found "
                       + std::to_string(found));
    };
    std::vector<std::uint8_t> payload;
    if (!stream.isGzip()) {
        // The whole file is known: refuse before allocating anything.
        if (stream.rawRemaining() < expected)
            truncated(stream.rawRemaining());
        payload.resize(expected);
        stream.read(payload.data(), expected);
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
    }
    const std::size_t trailing = stream.countRemaining(kTrailingCountCap);
    if (trailing > 0)
        fail(name, "trailing data: " + std::string(trailing >= kTrailingCountCap ? "at least " : "")
                       + std::to_string(trailing) + " bytes follow the " + std::to_string(expected) + " bytes of "
                       + description + " that the header describes");
    return payload;
}

std::vector<std::uint8_t> readWholeFile(const std::string &path, const IdxLimits &limits)
{
    errno = 0;
    std::unique_ptr<std::FILE, int (*)(std::FILE *)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!file)
        fail(path, "cannot open (" + errnoText(errno != 0 ? errno : ENOENT) + ")");
    std::error_code ec;
    if (fs::is_directory(path, ec))
        fail(path, "cannot open (" + errnoText(EISDIR) + ")");
    const std::uintmax_t size = fs::file_size(path, ec);
    if (ec)
        fail(path, "cannot determine the file size (" + ec.message() + ")");
    const std::uint64_t limit = maxFileBytes(limits);
    if (size > limit || size > std::numeric_limits<std::size_t>::max())
        fail(path, "file is " + std::to_string(size) + " bytes, larger than the limit of " + std::to_string(limit)
                       + " bytes");
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
    errno = 0;
    const std::size_t got = bytes.empty() ? 0 : std::fread(bytes.data(), 1, bytes.size(), file.get());
    if (got != bytes.size())
        fail(path, "read error after " + std::to_string(got) + " of " + std::to_string(size) + " bytes ("
                       + (std::ferror(file.get()) && errno != 0 ? errnoText(errno) : std::string("file shrank"))
                       + ")");
    if (std::fgetc(file.get()) != EOF)
        fail(path, "file grew while it was being read");
    return bytes;
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

} // namespace

Dataset parseIdxPair(const std::vector<std::uint8_t> &imageFileBytes, const std::string &imageName,
                     const std::vector<std::uint8_t> &labelFileBytes, const std::string &labelName,
                     const IdxLimits &limits)
{
    IdxStream images(imageFileBytes.data(), imageFileBytes.size(), imageName);
    IdxStream labels(labelFileBytes.data(), labelFileBytes.size(), labelName);

    // Both headers are checked against each other before any payload is allocated.
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

Dataset readIdxPair(const std::string &imagesPath, const std::string &labelsPath, const IdxLimits &limits)
{
    const std::vector<std::uint8_t> imageBytes = readWholeFile(imagesPath, limits);
    const std::vector<std::uint8_t> labelBytes = readWholeFile(labelsPath, limits);
    return parseIdxPair(imageBytes, imagesPath, labelBytes, labelsPath, limits);
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

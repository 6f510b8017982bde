// The IDX reader: good raw and gzip files, folders, every kind of bad file, and the embedded set.
// Fixtures are generated here into a QTemporaryDir; nothing is read from the source tree.

#include "core/data/IdxReader.h"

#include <QByteArray>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <zlib.h>

#include <sys/stat.h>
#include <sys/types.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

using namespace firstspike;

namespace {

void appendBigEndian32(QByteArray &bytes, std::uint32_t value)
{
    bytes.append(static_cast<char>((value >> 24) & 0xff));
    bytes.append(static_cast<char>((value >> 16) & 0xff));
    bytes.append(static_cast<char>((value >> 8) & 0xff));
    bytes.append(static_cast<char>(value & 0xff));
}

std::uint8_t pixelValue(int image, int pixel)
{
    return static_cast<std::uint8_t>((image * 31 + pixel * 7) % 256);
}

QByteArray imageHeader(std::uint32_t count, std::uint32_t rows, std::uint32_t cols, std::uint32_t magic = 0x00000803)
{
    QByteArray bytes;
    appendBigEndian32(bytes, magic);
    appendBigEndian32(bytes, count);
    appendBigEndian32(bytes, rows);
    appendBigEndian32(bytes, cols);
    return bytes;
}

QByteArray imageFile(int count, int rows, int cols)
{
    QByteArray bytes = imageHeader(count, rows, cols);
    for (int i = 0; i < count; ++i)
        for (int p = 0; p < rows * cols; ++p)
            bytes.append(static_cast<char>(pixelValue(i, p)));
    return bytes;
}

QByteArray labelFile(const std::vector<int> &labels, std::uint32_t magic = 0x00000801)
{
    QByteArray bytes;
    appendBigEndian32(bytes, magic);
    appendBigEndian32(bytes, static_cast<std::uint32_t>(labels.size()));
    for (int label : labels)
        bytes.append(static_cast<char>(label));
    return bytes;
}

std::vector<int> cyclicLabels(int count)
{
    std::vector<int> labels(count);
    for (int i = 0; i < count; ++i)
        labels[i] = i % 10;
    return labels;
}

QByteArray gzip(const QByteArray &data)
{
    z_stream zs{};
    if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        qFatal("deflateInit2 failed");
    QByteArray out(static_cast<int>(deflateBound(&zs, data.size())) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.constData()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef *>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
        qFatal("deflate failed");
    out.resize(static_cast<int>(zs.total_out));
    deflateEnd(&zs);
    return out;
}

std::vector<std::uint8_t> toBytes(const QByteArray &data)
{
    return std::vector<std::uint8_t>(data.begin(), data.end());
}

// The DataError message thrown by `action`, or an empty string when nothing (or something else) is thrown.
QString dataErrorOf(const std::function<void()> &action)
{
    try {
        action();
    } catch (const DataError &error) {
        return QString::fromStdString(error.what());
    } catch (const std::exception &error) {
        return QStringLiteral("<not a DataError: %1>").arg(QString::fromStdString(error.what()));
    }
    return {};
}

} // namespace

// Asserts that `expr` throws a DataError whose message starts with "<file>: " and contains `phrase`.
#define EXPECT_DATA_ERROR(expr, file, phrase)                                                                     \
    do {                                                                                                         \
        const QString message_ = dataErrorOf([&] { (void)(expr); });                                             \
        QVERIFY2(!message_.isEmpty(), "no DataError was thrown");                                                \
        QVERIFY2(message_.startsWith(QString(file) + QStringLiteral(": ")), qPrintable(message_));               \
        QVERIFY2(message_.contains(QString(phrase)), qPrintable(message_));                                      \
    } while (0)

class TestIdxReader : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;

    QString path(const QString &name) const { return dir_.filePath(name); }
    std::string stdPath(const QString &name) const { return path(name).toStdString(); }

    QString write(const QString &name, const QByteArray &bytes) const
    {
        QDir().mkpath(QFileInfo(path(name)).absolutePath());
        QFile file(path(name));
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(bytes) != bytes.size())
            qFatal("cannot write fixture %s", qPrintable(path(name)));
        return path(name);
    }

    // Writes a folder with the four standard files; `gz` appends .gz and compresses.
    QString writeFolder(const QString &folder, bool gz, bool skipTestLabels = false) const
    {
        const auto put = [&](const QString &base, const QByteArray &bytes) {
            write(folder + QLatin1Char('/') + base + (gz ? QStringLiteral(".gz") : QString()), gz ? gzip(bytes) : bytes);
        };
        put(QStringLiteral("train-images-idx3-ubyte"), imageFile(12, 5, 4));
        put(QStringLiteral("train-labels-idx1-ubyte"), labelFile(cyclicLabels(12)));
        put(QStringLiteral("t10k-images-idx3-ubyte"), imageFile(7, 5, 4));
        if (!skipTestLabels)
            put(QStringLiteral("t10k-labels-idx1-ubyte"), labelFile(cyclicLabels(7)));
        return path(folder);
    }

    static void verifySynthetic(const Dataset &data, int count, int rows, int cols)
    {
        QCOMPARE(data.size(), count);
        QCOMPARE(data.rows, rows);
        QCOMPARE(data.cols, cols);
        QCOMPARE(data.pixels.size(), std::size_t(count) * rows * cols);
        for (int i = 0; i < count; ++i) {
            QCOMPARE(int(data.labels[i]), i % 10);
            for (int p = 0; p < rows * cols; ++p)
                QCOMPARE(data.image(i)[p], pixelValue(i, p));
        }
    }

private slots:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    void goodRawFiles()
    {
        const QString images = write("raw-images", imageFile(10, 4, 3));
        const QString labels = write("raw-labels", labelFile(cyclicLabels(10)));
        const Dataset data = readIdxPair(images.toStdString(), labels.toStdString());
        verifySynthetic(data, 10, 4, 3);
        QCOMPARE(QString::fromStdString(data.name), images);
    }

    void goodGzipFiles()
    {
        const QString rawImages = write("cmp-images", imageFile(10, 4, 3));
        const QString rawLabels = write("cmp-labels", labelFile(cyclicLabels(10)));
        const QString gzImages = write("cmp-images.gz", gzip(imageFile(10, 4, 3)));
        const QString gzLabels = write("cmp-labels.gz", gzip(labelFile(cyclicLabels(10))));
        const Dataset raw = readIdxPair(rawImages.toStdString(), rawLabels.toStdString());
        const Dataset gz = readIdxPair(gzImages.toStdString(), gzLabels.toStdString());
        verifySynthetic(gz, 10, 4, 3);
        QVERIFY(raw.pixels == gz.pixels);
        QVERIFY(raw.labels == gz.labels);
    }

    void gzipOfSeveralMembers()
    {
        const QByteArray whole = imageFile(10, 4, 3);
        const QString images = write("multi-images.gz", gzip(whole.left(50)) + gzip(whole.mid(50)));
        const QString labels = write("multi-labels.gz", gzip(labelFile(cyclicLabels(10))));
        verifySynthetic(readIdxPair(images.toStdString(), labels.toStdString()), 10, 4, 3);
    }

    void parseFromMemory()
    {
        const Dataset data = parseIdxPair(toBytes(gzip(imageFile(3, 2, 2))), "mem-images",
                                          toBytes(labelFile(cyclicLabels(3))), "mem-labels");
        verifySynthetic(data, 3, 2, 2);
        EXPECT_DATA_ERROR(parseIdxPair(toBytes(imageFile(3, 2, 2)), "mem-images",
                                       toBytes(labelFile({0, 1, 12})), "mem-labels"),
                          "mem-labels", "label 12 at index 2");
    }

    void folderRaw()
    {
        const QString folder = writeFolder("folder-raw", false);
        const DataSplit split = loadIdxFolder(folder.toStdString());
        QCOMPARE(QString::fromStdString(split.source), folder);
        verifySynthetic(split.train, 12, 5, 4);
        verifySynthetic(split.test, 7, 5, 4);
        QCOMPARE(QString::fromStdString(split.train.name), folder + "/train");
        QCOMPARE(QString::fromStdString(split.test.name), folder + "/t10k");
    }

    void folderGzip()
    {
        const QString folder = writeFolder("folder-gz", true);
        const DataSplit split = loadIdxFolder(folder.toStdString());
        verifySynthetic(split.train, 12, 5, 4);
        verifySynthetic(split.test, 7, 5, 4);
    }

    void folderPrefersRaw()
    {
        const QString folder = writeFolder("folder-both", false);
        // A broken .gz next to every raw file must not be touched.
        for (const char *base : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                                 "t10k-labels-idx1-ubyte"})
            write(QStringLiteral("folder-both/%1.gz").arg(base), QByteArray("\x1f\x8b garbage", 10));
        const DataSplit split = loadIdxFolder(folder.toStdString());
        verifySynthetic(split.train, 12, 5, 4);
    }

    void badMagic()
    {
        const QString images = write("magic-images", imageFile(2, 2, 2).replace(0, 4, QByteArray("\0\0\x08\x01", 4)));
        const QString labels = write("magic-labels", labelFile({0, 1}));
        EXPECT_DATA_ERROR(readIdxPair(images.toStdString(), labels.toStdString()), images,
                          "bad magic number 0x00000801, expected 0x00000803");

        const QString goodImages = write("magic-good-images", imageFile(2, 2, 2));
        const QString badLabels = write("magic-bad-labels", labelFile({0, 1}, 0x12345678));
        EXPECT_DATA_ERROR(readIdxPair(goodImages.toStdString(), badLabels.toStdString()), badLabels,
                          "bad magic number 0x12345678, expected 0x00000801");
    }

    void truncatedData()
    {
        const QString labels = write("trunc-labels", labelFile(cyclicLabels(10)));
        const QString images = write("trunc-images", imageFile(10, 4, 3).chopped(20));
        EXPECT_DATA_ERROR(readIdxPair(images.toStdString(), labels.toStdString()), images,
                          "truncated data: expected 120 bytes after the 16-byte header (10 images of 4x3), found 100");

        // A well-formed gzip stream whose content is short.
        const QString gzImages = write("trunc-images.gz", gzip(imageFile(10, 4, 3).chopped(20)));
        EXPECT_DATA_ERROR(readIdxPair(gzImages.toStdString(), labels.toStdString()), gzImages,
                          "truncated data: expected 120 bytes");

        const QString header = write("trunc-header", imageFile(10, 4, 3).left(9));
        EXPECT_DATA_ERROR(readIdxPair(header.toStdString(), labels.toStdString()), header,
                          "truncated header: an IDX image file starts with 16 header bytes, found 9");

        const QString shortLabels = write("trunc-short-labels", labelFile(cyclicLabels(10)).chopped(3));
        const QString goodImages = write("trunc-good-images", imageFile(10, 4, 3));
        EXPECT_DATA_ERROR(readIdxPair(goodImages.toStdString(), shortLabels.toStdString()), shortLabels,
                          "expected 10 bytes after the 8-byte header (10 labels), found 7");
    }

    void trailingData()
    {
        const QString labels = write("trail-labels", labelFile(cyclicLabels(10)));
        const QString images = write("trail-images", imageFile(10, 4, 3) + QByteArray(5, '\x7f'));
        EXPECT_DATA_ERROR(readIdxPair(images.toStdString(), labels.toStdString()), images,
                          "trailing data: 5 bytes follow the 120 bytes of 10 images of 4x3 that the header describes "
                          "(the file is 141 bytes, the header declares 136)");

        const QString gzImages = write("trail-images.gz", gzip(imageFile(10, 4, 3) + QByteArray(5, '\x7f')));
        EXPECT_DATA_ERROR(readIdxPair(gzImages.toStdString(), labels.toStdString()), gzImages,
                          "trailing data: 5 bytes");

        const QString goodImages = write("trail-good-images", imageFile(10, 4, 3));
        const QString longLabels = write("trail-long-labels", labelFile(cyclicLabels(10)) + QByteArray(1, '\0'));
        EXPECT_DATA_ERROR(readIdxPair(goodImages.toStdString(), longLabels.toStdString()), longLabels,
                          "trailing data: 1 bytes");
    }

    void countMismatch()
    {
        const QString images = write("mismatch-images", imageFile(10, 4, 3));
        const QString labels = write("mismatch-labels", labelFile(cyclicLabels(9)));
        const QString message = dataErrorOf([&] { readIdxPair(images.toStdString(), labels.toStdString()); });
        QVERIFY2(message.startsWith(images + ": "), qPrintable(message));
        QVERIFY2(message.contains("count mismatch: 10 images, but " + labels + " has 9 labels"), qPrintable(message));
    }

    void labelOutOfRange()
    {
        const QString images = write("range-images", imageFile(5, 4, 3));
        const QString labels = write("range-labels", labelFile({1, 9, 0, 10, 11}));
        EXPECT_DATA_ERROR(readIdxPair(images.toStdString(), labels.toStdString()), labels,
                          "label 10 at index 3 is out of range (labels must be 0..9)");

        IdxLimits wide;
        wide.maxLabel = 11;
        QCOMPARE(readIdxPair(images.toStdString(), labels.toStdString(), wide).classCount(), 12);
    }

    void absurdImageCount()
    {
        // The header alone claims 2^31 images of 28x28 (1.7 TB): refused from the header, no allocation.
        const QString labels = write("absurd-labels", labelFile(cyclicLabels(10)));
        const QString images = write("absurd-images", imageHeader(0x80000000u, 28, 28));
        const QString gzImages = write("absurd-images.gz", gzip(imageHeader(0x80000000u, 28, 28)));
        QElapsedTimer timer;
        timer.start();
        EXPECT_DATA_ERROR(readIdxPair(images.toStdString(), labels.toStdString()), images,
                          "absurd header: 2147483648 images exceeds the limit of 10000000");
        EXPECT_DATA_ERROR(readIdxPair(gzImages.toStdString(), labels.toStdString()), gzImages, "absurd header");
        QVERIFY2(timer.elapsed() < 1000, qPrintable(QString::number(timer.elapsed()) + " ms"));

        // A plausible header (784 MB of pixels) over a file that holds none of them: reported as
        // truncated without allocating the claimed size (raw: the file size is known; gzip: the
        // buffer grows with the data actually inflated).
        const QString millionLabels = write("hollow-labels", labelFile({}).replace(4, 4, QByteArray("\0\x0f\x42\x40", 4)));
        const QString hollow = write("hollow-images", imageHeader(1000000, 28, 28));
        const QString hollowGz = write("hollow-images.gz", gzip(imageHeader(1000000, 28, 28)));
        timer.restart();
        EXPECT_DATA_ERROR(readIdxPair(hollow.toStdString(), millionLabels.toStdString()), hollow,
                          "truncated data: expected 784000000 bytes after the 16-byte header (1000000 images of 28x28), found 0");
        EXPECT_DATA_ERROR(readIdxPair(hollowGz.toStdString(), millionLabels.toStdString()), hollowGz,
                          "truncated data: expected 784000000 bytes");
        QVERIFY2(timer.elapsed() < 1000, qPrintable(QString::number(timer.elapsed()) + " ms"));

        // Within the count limit but over the byte limit.
        IdxLimits small;
        small.maxBytes = 1000;
        const QString bigImages = write("absurd-bytes-images", imageHeader(100, 28, 28));
        EXPECT_DATA_ERROR(readIdxPair(bigImages.toStdString(), labels.toStdString(), small), bigImages,
                          "absurd header: 100 images of 28x28 = 78400 bytes exceeds the limit of 1000 bytes");

        const QString wideImages = write("absurd-side-images", imageHeader(10, 28, 5000));
        EXPECT_DATA_ERROR(readIdxPair(wideImages.toStdString(), labels.toStdString()), wideImages,
                          "absurd header: 5000 columns per image exceeds the limit of 1024");

        const QString absurdLabels = write("absurd-count-labels", labelFile({}).replace(4, 4, "\xff\xff\xff\xff"));
        const QString goodImages = write("absurd-good-images", imageFile(10, 4, 3));
        EXPECT_DATA_ERROR(readIdxPair(goodImages.toStdString(), absurdLabels.toStdString()), absurdLabels,
                          "absurd header: 4294967295 labels");
    }

    void zeroDimensions()
    {
        const QString labels = write("zero-labels", labelFile(cyclicLabels(10)));
        const QString images = write("zero-rows-images", imageHeader(10, 0, 28));
        EXPECT_DATA_ERROR(readIdxPair(images.toStdString(), labels.toStdString()), images, "header declares 0 rows");
        const QString noImages = write("zero-count-images", imageHeader(0, 28, 28));
        EXPECT_DATA_ERROR(readIdxPair(noImages.toStdString(), labels.toStdString()), noImages,
                          "header declares 0 images");
    }

    void corruptGzip()
    {
        const QString labels = write("corrupt-labels", labelFile(cyclicLabels(10)));
        // A valid gzip member header followed by bytes that are no deflate stream.
        QByteArray garbage("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03", 10);
        garbage += QByteArray(64, '\xff');
        const QString images = write("corrupt-images.gz", garbage);
        EXPECT_DATA_ERROR(readIdxPair(images.toStdString(), labels.toStdString()), images, "corrupt gzip data");

        // A gzip file cut in the middle of its compressed stream.
        const QByteArray whole = gzip(imageFile(200, 28, 28));
        const QString cut = write("cut-images.gz", whole.left(whole.size() / 2));
        const QString cutLabels = write("cut-labels", labelFile(cyclicLabels(200)));
        EXPECT_DATA_ERROR(readIdxPair(cut.toStdString(), cutLabels.toStdString()), cut,
                          "corrupt gzip data: the compressed stream is truncated");

        // Intact deflate data but a wrong CRC-32 in the trailer.
        QByteArray badCrc = gzip(imageFile(10, 4, 3));
        badCrc[badCrc.size() - 8] = static_cast<char>(badCrc[badCrc.size() - 8] ^ 0x55);
        const QString crc = write("crc-images.gz", badCrc);
        EXPECT_DATA_ERROR(readIdxPair(crc.toStdString(), labels.toStdString()), crc, "incorrect data check");

        // Bytes after the end of the gzip stream that are not another member.
        const QString tail = write("tail-images.gz", gzip(imageFile(10, 4, 3)) + QByteArray("junk"));
        EXPECT_DATA_ERROR(readIdxPair(tail.toStdString(), labels.toStdString()), tail,
                          "4 bytes of non-gzip data follow the end of the compressed stream");
    }

    void missingFile()
    {
        const QString labels = write("missing-labels", labelFile(cyclicLabels(10)));
        const QString images = path("no-such-images");
        EXPECT_DATA_ERROR(readIdxPair(images.toStdString(), labels.toStdString()), images,
                          "cannot open (No such file or directory)");
        const QString goodImages = write("missing-good-images", imageFile(10, 4, 3));
        const QString noLabels = path("no-such-labels");
        EXPECT_DATA_ERROR(readIdxPair(goodImages.toStdString(), noLabels.toStdString()), noLabels,
                          "cannot open (No such file or directory)");
        const QString folder = path("missing-labels-dir");
        QDir().mkpath(folder);
        EXPECT_DATA_ERROR(readIdxPair(folder.toStdString(), labels.toStdString()), folder,
                          "is a folder, not a data file");
    }

    void fileOverSizeLimit()
    {
        IdxLimits small;
        small.maxBytes = 100;
        const QString images = write("big-images", QByteArray(200000, '\0'));
        const QString labels = write("big-labels", labelFile(cyclicLabels(10)));
        EXPECT_DATA_ERROR(readIdxPair(images.toStdString(), labels.toStdString(), small), images,
                          "200.0 kB is too large for a data file (limit 65.6 kB)");
    }

    // A FIFO (or device, or folder) given as a data file, alone or as a folder member, is refused
    // at once: opening or reading it would otherwise block forever (a hang shows as the ctest
    // TIMEOUT). Nothing writes to the FIFO.
    void fifoAndDeviceAreRefusedWithoutBlocking()
    {
        const QString labels = write("fifo-labels", labelFile(cyclicLabels(10)));
        const QString images = write("fifo-images", imageFile(10, 4, 3));
        const QString fifo = path("a-fifo");
        QVERIFY(::mkfifo(fifo.toLocal8Bit().constData(), 0600) == 0);
        EXPECT_DATA_ERROR(readIdxPair(fifo.toStdString(), labels.toStdString()), fifo,
                          "is a FIFO (named pipe), not a data file");
        EXPECT_DATA_ERROR(readIdxPair(images.toStdString(), fifo.toStdString()), fifo,
                          "is a FIFO (named pipe), not a data file");

        // /dev/zero would be an endless stream of zeros: refused as a device, nothing read.
        EXPECT_DATA_ERROR(readIdxPair("/dev/zero", labels.toStdString()), "/dev/zero", "is a device, not a data file");

        const QString folder = writeFolder("folder-fifo", false);
        const QString member = folder + "/t10k-labels-idx1-ubyte";
        QVERIFY(QFile::remove(member));
        QVERIFY(::mkfifo(member.toLocal8Bit().constData(), 0600) == 0);
        EXPECT_DATA_ERROR(loadIdxFolder(folder.toStdString()), member, "is a FIFO (named pipe), not a data file");

        const QString folderMember = writeFolder("folder-dir", true) + "/train-images-idx3-ubyte.gz";
        QVERIFY(QFile::remove(folderMember));
        QVERIFY(QDir().mkpath(folderMember));
        EXPECT_DATA_ERROR(loadIdxFolder(path("folder-dir").toStdString()), folderMember, "is a folder, not a data file");
    }

    // The memory a header asks for is checked before it is allocated: the message says how much
    // is needed and how much there is (FIRSTSPIKE_MEMORY_LIMIT stands in for a small machine).
    void headerAskingForMoreMemoryThanAvailable()
    {
        qputenv("FIRSTSPIKE_MEMORY_LIMIT", "10M");
        const auto restore = qScopeGuard([] { qunsetenv("FIRSTSPIKE_MEMORY_LIMIT"); });
        // gzip: the payload is not there, but the header alone must not make the reader try.
        const QString gz = write("memory-images.gz", gzip(imageHeader(100000, 28, 28) + QByteArray(1000, '\0')));
        const QString labels = write("memory-labels", labelFile(std::vector<int>(100000, 1)));
        EXPECT_DATA_ERROR(readIdxPair(gz.toStdString(), labels.toStdString()), gz,
                          "100000 images of 28x28 needs 78.4 MB, 10.0 MB available");
        // In memory (parseIdxPair) too.
        EXPECT_DATA_ERROR(parseIdxPair(toBytes(gzip(imageHeader(100000, 28, 28))), "mem-images",
                                       toBytes(labelFile(std::vector<int>(100000, 1))), "mem-labels"),
                          "mem-images", "100000 images of 28x28 needs 78.4 MB, 10.0 MB available");
        // Raw: a complete file whose pixels do not fit.
        qputenv("FIRSTSPIKE_MEMORY_LIMIT", "1M");
        const QString raw = write("memory-raw-images", imageFile(2000, 28, 28));
        const QString rawLabels = write("memory-raw-labels", labelFile(cyclicLabels(2000)));
        EXPECT_DATA_ERROR(readIdxPair(raw.toStdString(), rawLabels.toStdString()), raw,
                          "2000 images of 28x28 needs 1.6 MB, 1.0 MB available");
        // Within the limit, the same files load.
        qputenv("FIRSTSPIKE_MEMORY_LIMIT", "100M");
        QCOMPARE(readIdxPair(raw.toStdString(), rawLabels.toStdString()).size(), 2000);
    }

    // A gzip stream far longer than its header declares (a bomb: 30 MB of zeros in 30 kB) is
    // refused after inflating the declared payload and at most 1 MiB more, never the whole of it.
    void gzipBombBeyondTheDeclaredPayload()
    {
        const QString labels = write("bomb-labels", labelFile(cyclicLabels(10)));
        QByteArray inflated = imageFile(10, 4, 3);
        inflated += QByteArray(30 * 1000 * 1000, '\0');
        const QByteArray compressed = gzip(inflated);
        inflated.clear();
        inflated.squeeze();
        QVERIFY(compressed.size() < 1000 * 1000);
        const QString bomb = write("bomb-images.gz", compressed);
        qputenv("FIRSTSPIKE_MEMORY_LIMIT", "20M"); // the reader needs kilobytes, not 30 MB
        const auto restore = qScopeGuard([] { qunsetenv("FIRSTSPIKE_MEMORY_LIMIT"); });
        EXPECT_DATA_ERROR(readIdxPair(bomb.toStdString(), labels.toStdString()), bomb,
                          "trailing data: at least 1048576 bytes follow the 120 bytes of 10 images of 4x3");
        // The labels file as a bomb too.
        const QString images = write("bomb-good-images", imageFile(10, 4, 3));
        const QString labelBomb = write("bomb-labels.gz", gzip(labelFile(cyclicLabels(10)) + QByteArray(5 * 1000 * 1000, '\0')));
        EXPECT_DATA_ERROR(readIdxPair(images.toStdString(), labelBomb.toStdString()), labelBomb,
                          "trailing data: at least 1048576 bytes follow the 10 bytes of 10 labels");
    }

    // A raw file of the wrong size is refused from its size and header alone, naming both: the
    // pixels are neither allocated nor read (here they would not fit in memory).
    void rawSizeMismatchIsRefusedBeforeReading()
    {
        qputenv("FIRSTSPIKE_MEMORY_LIMIT", "100k");
        const auto restore = qScopeGuard([] { qunsetenv("FIRSTSPIKE_MEMORY_LIMIT"); });
        const QString labels = write("size-labels", labelFile(cyclicLabels(300)));
        const QString longer = write("size-long-images", imageFile(300, 28, 28) + QByteArray(7, '\1'));
        EXPECT_DATA_ERROR(readIdxPair(longer.toStdString(), labels.toStdString()), longer,
                          "trailing data: 7 bytes follow the 235200 bytes of 300 images of 28x28 that the header "
                          "describes (the file is 235223 bytes, the header declares 235216)");
        const QString shorter = write("size-short-images", imageFile(300, 28, 28).chopped(1000));
        EXPECT_DATA_ERROR(readIdxPair(shorter.toStdString(), labels.toStdString()), shorter,
                          "truncated data: expected 235200 bytes after the 16-byte header (300 images of 28x28), found 234200");
    }

    // Gzip input is read from the file in pieces: members and magic numbers that straddle two
    // pieces, and files larger than one piece, read whole.
    void gzipLargerThanOneInputPiece()
    {
        // Random-ish pixels compress badly, so the .gz is several input pieces long.
        QByteArray images = imageHeader(2000, 28, 28);
        std::uint32_t x = 12345;
        for (int i = 0; i < 2000 * 28 * 28; ++i) {
            x = x * 1103515245u + 12345u;
            images.append(static_cast<char>(x >> 24));
        }
        QByteArray members;
        for (int start = 0; start < images.size(); start += 99991)
            members += gzip(images.mid(start, 99991));
        QVERIFY(members.size() > 3 * 256 * 1024);
        const QString gz = write("pieces-images.gz", members);
        const QString raw = write("pieces-images", images);
        const QString labels = write("pieces-labels", labelFile(cyclicLabels(2000)));
        const Dataset fromGz = readIdxPair(gz.toStdString(), labels.toStdString());
        const Dataset fromRaw = readIdxPair(raw.toStdString(), labels.toStdString());
        QVERIFY(fromGz.pixels == fromRaw.pixels);
        QCOMPARE(fromGz.size(), 2000);
    }

    void missingFolderFile()
    {
        const QString folder = writeFolder("folder-incomplete", true, true);
        EXPECT_DATA_ERROR(loadIdxFolder(folder.toStdString()), folder + "/t10k-labels-idx1-ubyte",
                          "missing: neither t10k-labels-idx1-ubyte nor t10k-labels-idx1-ubyte.gz is in " + folder);
        const QString nowhere = path("no-such-folder");
        EXPECT_DATA_ERROR(loadIdxFolder(nowhere.toStdString()), nowhere,
                          "cannot open folder (No such file or directory)");
    }

    void trainAndTestImagesMustHaveOneSize()
    {
        const QString folder = path("folder-two-sizes");
        QDir().mkpath(folder);
        write("folder-two-sizes/train-images-idx3-ubyte", imageFile(10, 4, 3));
        write("folder-two-sizes/train-labels-idx1-ubyte", labelFile(cyclicLabels(10)));
        write("folder-two-sizes/t10k-images-idx3-ubyte", imageFile(5, 3, 3));
        write("folder-two-sizes/t10k-labels-idx1-ubyte", labelFile(cyclicLabels(5)));
        EXPECT_DATA_ERROR(loadIdxFolder(folder.toStdString()), folder + "/t10k-images-idx3-ubyte",
                          "images are 3x3 but");
    }

    void datasetHelpers()
    {
        Dataset data = parseIdxPair(toBytes(imageFile(12, 2, 3)), "help-images", toBytes(labelFile({3, 1, 3, 0, 1, 3, 0, 0, 1, 3, 3, 1})),
                                    "help-labels");
        QCOMPARE(data.classCount(), 4);
        QCOMPARE(data.classHistogram(), (std::vector<int>{3, 4, 0, 5}));
        const Dataset picked = data.subset({5, 0, 5}, "picked");
        QCOMPARE(picked.name, std::string("picked"));
        QCOMPARE(picked.size(), 3);
        QCOMPARE(picked.rows, 2);
        QCOMPARE(picked.cols, 3);
        QVERIFY(std::equal(picked.image(0), picked.image(0) + 6, data.image(5)));
        QVERIFY(std::equal(picked.image(1), picked.image(1) + 6, data.image(0)));
        QVERIFY(std::equal(picked.image(2), picked.image(2) + 6, data.image(5)));
        QCOMPARE(picked.labels, (std::vector<std::uint8_t>{3, 3, 3}));
        QVERIFY_THROWS_EXCEPTION(std::out_of_range, data.subset({0, 12}, "bad"));
        QCOMPARE(Dataset{}.classCount(), 0);
        QVERIFY(Dataset{}.classHistogram().empty());
    }

    void embeddedMnist()
    {
        QElapsedTimer timer;
        timer.start();
        const DataSplit split = loadEmbeddedMnist();
        qInfo("embedded MNIST inflated and checked in %lld ms", static_cast<long long>(timer.elapsed()));
        QCOMPARE(split.source, std::string("embedded"));
        QCOMPARE(split.train.name, std::string("embedded-mnist/train"));
        QCOMPARE(split.test.name, std::string("embedded-mnist/test"));
        QCOMPARE(split.train.size(), 7996);
        QCOMPARE(split.test.size(), 2004);
        for (const Dataset *data : {&split.train, &split.test}) {
            QCOMPARE(data->rows, 28);
            QCOMPARE(data->cols, 28);
            QCOMPARE(data->pixels.size(), std::size_t(data->size()) * 784);
            QCOMPARE(data->classCount(), 10);
            const auto [low, high] = std::minmax_element(data->pixels.begin(), data->pixels.end());
            QCOMPARE(int(*low), 0);
            QCOMPARE(int(*high), 255);
        }
        const std::vector<int> train = split.train.classHistogram();
        const std::vector<int> test = split.test.classHistogram();
        QCOMPARE(train, (std::vector<int>{800, 901, 792, 825, 784, 690, 811, 856, 755, 782}));
        QCOMPARE(test, (std::vector<int>{201, 226, 199, 207, 196, 173, 203, 214, 189, 196}));
        QCOMPARE(std::accumulate(train.begin(), train.end(), 0), 7996);
        QCOMPARE(std::accumulate(test.begin(), test.end(), 0), 2004);
        // Shuffled: the first 100 training labels are not all one class.
        QVERIFY(std::any_of(split.train.labels.begin(), split.train.labels.begin() + 100,
                            [&](std::uint8_t label) { return label != split.train.labels[0]; }));
    }
};

QTEST_APPLESS_MAIN(TestIdxReader)
#include "tst_idxreader.moc"

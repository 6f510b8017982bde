#include "app/cli/DataCommand.h"

#include "ui/data/DataDownloader.h"
#include "ui/data/DataSetLoader.h"
#include "core/data/IdxReader.h"
#include "core/common/OptionParsing.h"
#include "core/files/SafeFile.h"

#include <QCoreApplication>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QMap>
#include <QSettings>

#include <exception>
#include <new>

namespace firstspike {

namespace {

struct Parsed {
    QString sub;
    QMap<QString, QStringList> values; // option -> values (repeatable options keep all)
    bool help = false;
    QString problem;
};

Parsed parse(const QStringList &args, const QStringList &withValue, const QStringList &switches)
{
    Parsed p;
    for (int i = 0; i < args.size(); ++i) {
        const QString a = args[i];
        if (a == QLatin1String("--help") || a == QLatin1String("-h")) {
            p.help = true;
            continue;
        }
        if (i == 0 && !a.startsWith(QLatin1String("--"))) {
            p.sub = a;
            continue;
        }
        QString name = a.mid(2), value;
        const qsizetype eq = name.indexOf(QLatin1Char('='));
        const bool inlineValue = eq >= 0;
        if (inlineValue) {
            value = name.mid(eq + 1);
            name = name.left(eq);
        }
        if (!a.startsWith(QLatin1String("--"))) {
            p.problem = QStringLiteral("unexpected argument '%1'").arg(a);
            return p;
        }
        if (switches.contains(name) && !inlineValue) {
            p.values[name].append(QStringLiteral("1"));
        } else if (withValue.contains(name)) {
            if (!inlineValue) {
                if (i + 1 >= args.size()) {
                    p.problem = QStringLiteral("option --%1 needs a value").arg(name);
                    return p;
                }
                value = args[++i];
            }
            p.values[name].append(value);
        } else {
            p.problem = QStringLiteral("unknown option --%1 for 'data %2'").arg(name, p.sub);
            return p;
        }
    }
    return p;
}

QString folderOption(const Parsed &p)
{
    return p.values.contains(QStringLiteral("folder")) ? p.values[QStringLiteral("folder")].last()
                                                       : DataDownloader::defaultMnistFolder();
}

void describe(const DataSplit &split, QTextStream &out)
{
    out << "  " << DataSetLoader::summary(split) << "\n";
    const std::vector<int> train = split.train.classHistogram(), test = split.test.classHistogram();
    out << "  class  train   test\n";
    for (std::size_t c = 0; c < std::max(train.size(), test.size()); ++c)
        out << "  " << qSetFieldWidth(5) << c << qSetFieldWidth(0) << "  " << qSetFieldWidth(5)
            << (c < train.size() ? train[c] : 0) << qSetFieldWidth(0) << "  " << qSetFieldWidth(5)
            << (c < test.size() ? test[c] : 0) << qSetFieldWidth(0) << "\n";
}

// A checksum list is a few lines per file: 1 MB is far more than any data set needs.
constexpr std::uint64_t kMaxSumsBytes = 1 << 20;

bool isHex(const QString &text)
{
    for (const QChar c : text)
        if (!c.isDigit() && !(c.toLower() >= QLatin1Char('a') && c.toLower() <= QLatin1Char('f')))
            return false;
    return true;
}

// sha256sum's format: "HEX  NAME" per line. Every NAME must be a plain file name: the files are
// written into the data folder under these names, never elsewhere.
bool readSums(const QString &path, QList<DownloadFile> &files, QString &problem)
{
    QByteArray bytes;
    try {
        // A regular file only (a FIFO is refused, not waited on), and not an absurd one.
        const std::vector<std::uint8_t> data = readRegularFile(QFile::encodeName(path).toStdString(), "checksum list", kMaxSumsBytes);
        bytes = QByteArray(reinterpret_cast<const char *>(data.data()), static_cast<qsizetype>(data.size()));
    } catch (const std::exception &e) {
        problem = QString::fromLocal8Bit(e.what());
        return false;
    }
    files.clear();
    const QList<QByteArray> lines = bytes.split('\n');
    for (int number = 1; number <= lines.size(); ++number) {
        const QString line = QString::fromUtf8(lines[number - 1]).trimmed();
        if (line.isEmpty() || line.startsWith(QLatin1Char('#')))
            continue;
        const QStringList parts = line.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        if (parts.size() != 2 || parts[0].size() != 64 || !isHex(parts[0])) {
            problem = QStringLiteral("%1: line %2: '%3' is not like 'SHA256HEX  NAME'").arg(path).arg(number).arg(line);
            return false;
        }
        QString name = parts[1];
        if (name.startsWith(QLatin1Char('*')))
            name = name.mid(1);
        if (const QString bad = DataDownloader::fileNameProblem(name); !bad.isEmpty()) {
            problem = QStringLiteral("%1: line %2: %3; files are only ever written to plain names inside the data folder")
                          .arg(path)
                          .arg(number)
                          .arg(bad);
            return false;
        }
        files.append({name, {}, parts[0].toLatin1().toLower(), -1});
    }
    if (files.isEmpty()) {
        problem = QStringLiteral("%1: no files listed").arg(path);
        return false;
    }
    return true;
}

int list(const Parsed &p, QTextStream &out)
{
    out << "embedded: the 10,000 digits built into the program\n";
    try {
        describe(loadEmbeddedMnist(), out);
    } catch (const std::exception &e) {
        out << "  unreadable: " << e.what() << "\n";
    }
    const QString folder = folderOption(p);
    const DownloadSpec spec = DataDownloader::mnistSpec(folder);
    QStringList problems;
    if (DataDownloader::isComplete(spec, &problems)) {
        out << "mnist: " << folder << " (downloaded, checksums verified)\n";
    } else {
        out << "mnist: " << folder << " (not downloaded: firstspike-cli data download)\n";
    }
    const QString remembered = QSettings().value(QStringLiteral("data/folder")).toString();
    if (!remembered.isEmpty())
        out << "desktop app: trains on " << remembered << "\n";
    return 0;
}

int verify(const Parsed &p, QTextStream &out, QTextStream &err)
{
    const QString folder = folderOption(p);
    bool ok = true;
    // Checksums: those of --sha256sums, or the classic MNIST digests for the download folder
    // (or --mnist). Other sets (Fashion-MNIST, …) share MNIST's file names, not its digests.
    DownloadSpec spec = DataDownloader::mnistSpec(folder);
    bool checkSums = p.values.contains(QStringLiteral("mnist"))
        || QDir(folder).absolutePath() == QDir(DataDownloader::defaultMnistFolder()).absolutePath();
    if (p.values.contains(QStringLiteral("sha256sums"))) {
        QString problem;
        if (!readSums(p.values[QStringLiteral("sha256sums")].last(), spec.files, problem)) {
            err << "firstspike-cli data verify: " << problem << "\n";
            return 2;
        }
        checkSums = true;
    }
    if (checkSums) {
        for (const DownloadFile &file : spec.files) {
            const QString path = QDir(folder).filePath(file.name);
            QString problem;
            if (!QFileInfo::exists(path)) {
                out << file.name << ": missing\n";
                ok = false;
            } else if (DataDownloader::verify(path, file, &problem)) {
                out << file.name << ": " << (file.sha256.isEmpty() ? "MD5" : "SHA-256") << " ok\n";
            } else {
                out << problem << "\n";
                ok = false;
            }
        }
    } else {
        out << "checksums not checked (--mnist: the classic MNIST digests; --sha256sums FILE: yours)\n";
    }
    QString memberProblem;
    if (!DataSetLoader::checkMembers(folder, &memberProblem)) {
        err << "firstspike-cli data verify: " << memberProblem << "\n";
        return 1;
    }
    try {
        const DataSplit split = loadIdxFolder(QDir(folder).absolutePath().toStdString());
        QString problem;
        if (!DataSetLoader::check(split, 10, &problem)) {
            // Sets with more classes or other image sizes are readable but not trainable as is.
            out << "IDX files readable; not usable with the default 784-800-10 network: " << problem << "\n";
        } else {
            out << "IDX files ok: " << folder << "\n";
        }
        describe(split, out);
    } catch (const std::bad_alloc &) {
        err << "firstspike-cli data verify: " << folder << ": not enough memory to load this data set\n";
        return 1;
    } catch (const std::exception &e) {
        err << "firstspike-cli data verify: " << e.what() << "\n";
        return 1;
    }
    return ok ? 0 : 1;
}

int download(const Parsed &p, QTextStream &out, QTextStream &err)
{
    DownloadSpec spec = DataDownloader::mnistSpec(folderOption(p));
    if (p.values.contains(QStringLiteral("mirror"))) {
        spec.mirrors.clear();
        for (const QString &m : p.values[QStringLiteral("mirror")])
            spec.mirrors.append(QUrl(m));
    }
    if (p.values.contains(QStringLiteral("sha256sums"))) {
        QString problem;
        if (!readSums(p.values[QStringLiteral("sha256sums")].last(), spec.files, problem)) {
            err << "firstspike-cli data download: " << problem << "\n";
            return 2;
        }
        spec.title = QStringLiteral("data set");
    }
    const bool quiet = p.values.contains(QStringLiteral("quiet"));
    DataDownloader downloader;
    try { // the same strict parsing as every other option (core/common/OptionParsing.h)
        if (p.values.contains(QStringLiteral("attempts")))
            downloader.setAttemptsPerMirror(static_cast<int>(
                parseIntOption("--attempts", p.values[QStringLiteral("attempts")].last().toStdString(), 1, 100)));
        if (p.values.contains(QStringLiteral("stall-timeout")))
            downloader.setStallTimeout(static_cast<int>(
                1000 * parseDoubleOption("--stall-timeout", p.values[QStringLiteral("stall-timeout")].last().toStdString(), 0.001, 86400)));
    } catch (const OptionError &e) {
        err << "firstspike-cli data download: " << e.what() << "\n";
        return 2;
    }
    QObject::connect(&downloader, &DataDownloader::message, [&](const QString &text) {
        if (!quiet)
            err << text << "\n" << Qt::flush;
    });
    int lastPercent = -1;
    QObject::connect(&downloader, &DataDownloader::progress,
                     [&](int, int, const QString &, qint64, qint64, double overall) {
                         const int percent = static_cast<int>(overall * 100);
                         if (!quiet && percent / 10 != lastPercent / 10)
                             err << "  " << percent << "%\n" << Qt::flush;
                         lastPercent = percent;
                     });
    bool ok = false;
    QString error;
    QEventLoop loop;
    QObject::connect(&downloader, &DataDownloader::finished, &loop, [&](bool success, const QString &why) {
        ok = success;
        error = why;
        loop.quit();
    });
    downloader.start(spec);
    if (downloader.isRunning())
        loop.exec();
    if (!ok) {
        err << "firstspike-cli data download: " << error << "\n";
        // A refusal (a bad file name, a link in the folder) is one line; a network failure says
        // what stays in use.
        if (downloader.failedOnNetwork())
            err << "No network or no mirror answered: the embedded 10,000 digits stay the default.\n";
        return 1;
    }
    out << "downloaded and verified: " << spec.folder << "\n";
    out << "train on it: firstspike-cli train --data " << spec.folder << "\n";
    return 0;
}

} // namespace

void DataCommand::printUsage(QTextStream &out)
{
    out << "usage: firstspike-cli data list|verify|download [options]\n"
           "  list      the embedded set, the downloaded MNIST and the desktop app's data set\n"
           "  verify    the IDX files (counts, labels, image size) and, for the download folder, --mnist\n"
           "            or --sha256sums, the files' checksums\n"
           "  download  full MNIST (60,000 / 10,000) from its public mirrors, tried in order;\n"
           "            each file verified (MD5) before use, partial files resumed\n"
           "\noptions:\n"
           "  --folder DIR       data folder (default: " << DataDownloader::defaultMnistFolder() << ")\n"
           "  --mirror URL       download: a base URL to try (repeatable; replaces the built-in list)\n"
           "  --sha256sums FILE  the files and their SHA-256, as sha256sum writes them (download: what to fetch)\n"
           "  --mnist            verify: check against the classic MNIST digests\n"
           "  --attempts N       download: tries per mirror and file after a dropped connection (default 3)\n"
           "  --stall-timeout S  download: a mirror that sends nothing for S seconds is stopped (default 30)\n"
           "  --quiet            download: no progress on stderr\n";
}

int DataCommand::run(const QStringList &args, QTextStream &out, QTextStream &err)
{
    const Parsed p = parse(args, {QStringLiteral("folder"), QStringLiteral("mirror"), QStringLiteral("sha256sums"),
                                  QStringLiteral("attempts"), QStringLiteral("stall-timeout")},
                           {QStringLiteral("quiet"), QStringLiteral("mnist")});
    if (p.help || p.sub.isEmpty()) {
        printUsage(p.help ? out : err);
        return p.help ? 0 : 2;
    }
    if (!p.problem.isEmpty()) {
        err << "firstspike-cli data: " << p.problem << " (see firstspike-cli data --help)\n";
        return 2;
    }
    // Nothing below is expected to throw; should it, the user gets one line, not a crash.
    try {
        if (p.sub == QLatin1String("list"))
            return list(p, out);
        if (p.sub == QLatin1String("verify"))
            return verify(p, out, err);
        if (p.sub == QLatin1String("download"))
            return download(p, out, err);
    } catch (const std::bad_alloc &) {
        err << "firstspike-cli data " << p.sub << ": not enough memory\n";
        return 1;
    } catch (const std::exception &e) {
        err << "firstspike-cli data " << p.sub << ": " << e.what() << "\n";
        return 1;
    }
    err << "firstspike-cli data: unknown command '" << p.sub << "' (list, verify, download)\n";
    return 2;
}

} // namespace firstspike

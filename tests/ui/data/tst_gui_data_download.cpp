// DataDownloader against a local HTTP server started by the test on 127.0.0.1 (never the
// internet): success with checksums, a wrong checksum refused, a dropped connection resumed
// with Range (or restarted when the server ignores Range), a 404 falling through to the next
// mirror, an unreachable mirror, cancel and resume, verified files skipped. Hostile mirrors and
// manifests (issue 25): names escaping the folder, endless and stalled streams, FIFOs and links
// planted in the folder.

#include "app/cli/DataCommand.h"
#include "ui/data/DataDownloadDialog.h"
#include "ui/data/DataDownloader.h"
#include "ui/window/MainWindow.h"
#include "ui/training/TrainingController.h"
#include "core/data/IdxReader.h"
#include "tests/common/FifoGuard.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace firstspike;

namespace {

// A tiny HTTP/1.1 server over the embedded MNIST files. The first path segment picks the
// behaviour: ok (Range honoured), missing (404), corrupt (one byte flipped), drop (the first
// request for each file sends half the body, then closes), dropnorange (drop, and Range ignored),
// endless (no length, bytes without end), huge (announces 1 TB, then bytes without end), stall
// (half the body, then silence with the connection open).
class LocalHttpServer : public QObject {
public:
    explicit LocalHttpServer(const QString &root)
        : root_(root)
    {
        QObject::connect(&server_, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = server_.nextPendingConnection()) {
                QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
                QObject::connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onRequest(socket); });
            }
        });
        QVERIFY(server_.listen(QHostAddress::LocalHost));
    }
    QUrl url(const QString &mode) const
    {
        return QUrl(QStringLiteral("http://127.0.0.1:%1/%2/").arg(server_.serverPort()).arg(mode));
    }
    QStringList log; // "GET /mode/name range" per request
    qint64 streamed = 0; // bytes sent by endless and huge

private:
    void onRequest(QTcpSocket *socket)
    {
        QByteArray &buffer = pending_[socket];
        buffer += socket->readAll();
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        const QList<QByteArray> lines = buffer.left(end).split('\n');
        pending_.remove(socket);
        const QList<QByteArray> requestLine = lines.first().trimmed().split(' ');
        const QString path = QString::fromLatin1(requestLine.value(1));
        qint64 rangeStart = -1;
        for (const QByteArray &line : lines) {
            const QByteArray l = line.trimmed();
            if (l.toLower().startsWith("range: bytes="))
                rangeStart = l.mid(13, l.indexOf('-') - 13).toLongLong();
        }
        log.append(QStringLiteral("GET %1 %2").arg(path).arg(rangeStart));
        const QStringList parts = path.split(QLatin1Char('/'), Qt::SkipEmptyParts);
        const QString mode = parts.value(0), name = parts.value(1);
        QFile file(QDir(root_).filePath(name));
        if (mode == QLatin1String("missing") || !file.open(QIODevice::ReadOnly)) {
            reply(socket, "404 Not Found", "not here", -1, -1);
            return;
        }
        if (mode == QLatin1String("endless") || mode == QLatin1String("huge")) {
            QByteArray head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n";
            if (mode == QLatin1String("huge"))
                head += "Content-Length: 1000000000000\r\n";
            socket->write(head + "\r\n");
            // Keeps about 1 MB queued while the client reads; a safety stop at 64 MB keeps a
            // regressed client from filling the disk.
            auto pump = [this, socket] {
                while (socket->state() == QAbstractSocket::ConnectedState && socket->bytesToWrite() < (1 << 20)) {
                    if (streamed >= (64 << 20)) {
                        socket->disconnectFromHost();
                        return;
                    }
                    if (socket->write(QByteArray(64 * 1024, 'x')) < 0)
                        return;
                    streamed += 64 * 1024;
                }
            };
            QObject::connect(socket, &QTcpSocket::bytesWritten, this, pump);
            pump();
            return;
        }
        QByteArray body = file.readAll();
        if (mode == QLatin1String("stall")) {
            socket->write("HTTP/1.1 200 OK\r\nContent-Length: " + QByteArray::number(body.size())
                          + "\r\nContent-Type: application/octet-stream\r\n\r\n");
            socket->write(body.left(body.size() / 2)); // and then nothing, the connection left open
            return;
        }
        if (mode == QLatin1String("corrupt"))
            body[body.size() / 2] = static_cast<char>(body[body.size() / 2] ^ 0x55);
        const bool honourRange = mode != QLatin1String("dropnorange");
        const bool drop = mode.startsWith(QLatin1String("drop")) && !dropped_.contains(name);
        if (drop)
            dropped_.insert(name, true);
        if (honourRange && rangeStart > 0) {
            if (rangeStart >= body.size()) {
                reply(socket, "416 Range Not Satisfiable", {}, -1, body.size());
                return;
            }
            reply(socket, "206 Partial Content", body.mid(rangeStart), rangeStart, body.size(), drop);
            return;
        }
        reply(socket, "200 OK", body, -1, body.size(), drop);
    }
    static void reply(QTcpSocket *socket, const QByteArray &status, const QByteArray &body, qint64 rangeStart,
                      qint64 fullSize, bool drop = false)
    {
        QByteArray head = "HTTP/1.1 " + status + "\r\nContent-Length: " + QByteArray::number(body.size())
            + "\r\nContent-Type: application/octet-stream\r\nAccept-Ranges: bytes\r\nConnection: close\r\n";
        if (rangeStart >= 0)
            head += "Content-Range: bytes " + QByteArray::number(rangeStart) + '-'
                + QByteArray::number(rangeStart + body.size() - 1) + '/' + QByteArray::number(fullSize) + "\r\n";
        socket->write(head + "\r\n");
        socket->write(drop ? body.left(body.size() / 2) : body);
        socket->disconnectFromHost(); // after the buffered bytes: a dropped connection mid-body when `drop`
    }

    QTcpServer server_;
    QString root_;
    QHash<QTcpSocket *, QByteArray> pending_;
    QHash<QString, bool> dropped_;
};


const char *const kNames[] = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
                              "t10k-labels-idx1-ubyte.gz"};
// resources/mnist-embedded/README.md
const char *const kSha256[] = {"9188dd010ba19c0358543a62cde446d137656db5265f54b06d389d39e69bc41a",
                               "d25391128f314fecb1686226a60e2fb1d29dad4494e264ca07cf24a7098fa7a8",
                               "054a0779be214805c1920316b7ff550852d4ded8419d1162555a043f9fa01271",
                               "ab7b9dd92764a68c0a52b4b91907c6dfeac91fe8381c8adc46404f9b63e31a69"};

} // namespace

class TestDataDownload : public QObject {
    Q_OBJECT

private:
    QString root_ = QDir(QStringLiteral(FIRSTSPIKE_TEST_DATA_DIR "/../../resources/mnist-embedded")).absolutePath();
    QTemporaryDir tmp_;
    int folders_ = 0;

    DownloadSpec spec(const QList<QUrl> &mirrors)
    {
        DownloadSpec s;
        s.title = QStringLiteral("embedded");
        s.mirrors = mirrors;
        s.folder = tmp_.filePath(QStringLiteral("dl%1").arg(++folders_));
        for (int i = 0; i < 4; ++i) {
            QFile f(QDir(root_).filePath(QString::fromLatin1(kNames[i])));
            f.open(QIODevice::ReadOnly);
            const QByteArray md5 = QCryptographicHash::hash(f.readAll(), QCryptographicHash::Md5).toHex();
            s.files.append({QString::fromLatin1(kNames[i]), md5, kSha256[i], f.size()});
        }
        return s;
    }
    // Runs the download to its end; returns finished's arguments.
    static QList<QVariant> run(DataDownloader &d, const DownloadSpec &s)
    {
        QSignalSpy finished(&d, &DataDownloader::finished);
        QObject::connect(&d, &DataDownloader::message, [](const QString &m) { if (qEnvironmentVariableIsSet("DLDEBUG")) qInfo("%s", qPrintable(m)); });
        d.start(s);
        if (finished.isEmpty() && !finished.wait(30000))
            return {false, QStringLiteral("timed out")};
        return finished.takeFirst();
    }
    static bool noPartFiles(const QString &folder)
    {
        return QDir(folder).entryList({QStringLiteral("*.part")}, QDir::Files).isEmpty();
    }
    // firstspike-cli data ARGS in-process: the exit status, stdout and stderr.
    static int cli(const QStringList &args, QString *outText = nullptr, QString *errText = nullptr)
    {
        QString o, e;
        QTextStream out(&o), err(&e);
        const int rc = DataCommand::run(args, out, err);
        out.flush();
        err.flush();
        if (outText)
            *outText = o;
        if (errText)
            *errText = e;
        return rc;
    }
    QString writeSums(const QString &fileName, const QStringList &names)
    {
        const QString path = tmp_.filePath(fileName);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Text))
            return {};
        for (int i = 0; i < names.size(); ++i)
            f.write(QByteArray(kSha256[i % 4]) + "  " + names[i].toUtf8() + "\n");
        return path;
    }
    QString fileOf(const QString &name) const { return QDir(root_).filePath(name); }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // nothing of the user's settings or data is read
        QVERIFY(tmp_.isValid());
        QVERIFY2(QFile::exists(QDir(root_).filePath(QString::fromLatin1(kNames[0]))), qPrintable(root_));
    }

    void downloadsAndVerifies()
    {
        LocalHttpServer server(root_);
        DataDownloader d;
        QSignalSpy progress(&d, &DataDownloader::progress);
        QSignalSpy ready(&d, &DataDownloader::fileReady);
        const DownloadSpec s = spec({server.url(QStringLiteral("ok"))});
        const QList<QVariant> result = run(d, s);
        QVERIFY2(result.at(0).toBool(), qPrintable(result.at(1).toString()));
        QCOMPARE(ready.count(), 4);
        QVERIFY(progress.count() >= 4);
        QCOMPARE(progress.last().at(5).toDouble(), 1.0);
        QVERIFY(DataDownloader::isComplete(s));
        QVERIFY(noPartFiles(s.folder));
        const DataSplit split = loadIdxFolder(s.folder.toStdString());
        QCOMPARE(split.train.size(), 7996);
        QCOMPARE(split.test.size(), 2004);

        // A second run finds every file verified and asks the server nothing.
        server.log.clear();
        const QList<QVariant> again = run(d, s);
        QVERIFY(again.at(0).toBool());
        QVERIFY(server.log.isEmpty());
    }

    void wrongChecksumIsRefused()
    {
        LocalHttpServer server(root_);
        DataDownloader d;
        DownloadSpec s = spec({server.url(QStringLiteral("ok"))});
        s.files[1].sha256 = QByteArray(64, '0');
        const QList<QVariant> result = run(d, s);
        QVERIFY(!result.at(0).toBool());
        const QString error = result.at(1).toString();
        QVERIFY2(error.contains(QStringLiteral("checksum mismatch")) && error.contains(QString::fromLatin1(kNames[1])),
                 qPrintable(error));
        QVERIFY(QFile::exists(QDir(s.folder).filePath(QString::fromLatin1(kNames[0]))));
        QVERIFY(!QFile::exists(QDir(s.folder).filePath(QString::fromLatin1(kNames[1]))));
        QVERIFY(noPartFiles(s.folder));
        QVERIFY(!DataDownloader::isComplete(s));
    }

    void corruptMirrorFallsThroughToTheNext()
    {
        LocalHttpServer server(root_);
        DataDownloader d;
        const DownloadSpec s = spec({server.url(QStringLiteral("corrupt")), server.url(QStringLiteral("ok"))});
        const QList<QVariant> result = run(d, s);
        QVERIFY2(result.at(0).toBool(), qPrintable(result.at(1).toString()));
        QVERIFY(DataDownloader::isComplete(s));
        QCOMPARE(server.log.filter(QStringLiteral("/corrupt/")).size(), 4);
        QCOMPARE(server.log.filter(QStringLiteral("/ok/")).size(), 4);
    }

    void notFoundFallsThroughToTheNextMirror()
    {
        LocalHttpServer server(root_);
        DataDownloader d;
        QStringList messages;
        connect(&d, &DataDownloader::message, this, [&messages](const QString &m) { messages << m; });
        const DownloadSpec s = spec({server.url(QStringLiteral("missing")), server.url(QStringLiteral("ok"))});
        const QList<QVariant> result = run(d, s);
        QVERIFY2(result.at(0).toBool(), qPrintable(result.at(1).toString()));
        QVERIFY(DataDownloader::isComplete(s));
        QCOMPARE(server.log.filter(QStringLiteral("/missing/")).size(), 4);
        QVERIFY(!messages.filter(QStringLiteral("HTTP 404")).isEmpty());
    }

    void droppedConnectionIsResumed()
    {
        LocalHttpServer server(root_);
        DataDownloader d;
        const DownloadSpec s = spec({server.url(QStringLiteral("drop"))});
        const QList<QVariant> result = run(d, s);
        QVERIFY2(result.at(0).toBool(), qPrintable(result.at(1).toString()));
        QVERIFY(DataDownloader::isComplete(s));
        // Each file: one request from byte 0, cut in the middle, then one from where it stopped.
        const QStringList images = server.log.filter(QString::fromLatin1(kNames[0]));
        // (Qt itself may resend a request once on a connection the server closed.)
        QVERIFY2(images.size() >= 2, qPrintable(images.join(QLatin1Char(','))));
        QVERIFY(images.first().endsWith(QStringLiteral(" -1")));
        const qint64 resumedAt = images.last().section(QLatin1Char(' '), 2).toLongLong();
        const qint64 size = QFileInfo(QDir(s.folder).filePath(QString::fromLatin1(kNames[0]))).size();
        QVERIFY2(resumedAt > 0 && resumedAt <= size / 2, qPrintable(images.join(QLatin1Char(','))));
    }

    void serverIgnoringRangeRestarts()
    {
        LocalHttpServer server(root_);
        DataDownloader d;
        QStringList messages;
        connect(&d, &DataDownloader::message, this, [&messages](const QString &m) { messages << m; });
        const DownloadSpec s = spec({server.url(QStringLiteral("dropnorange"))});
        const QList<QVariant> result = run(d, s);
        QVERIFY2(result.at(0).toBool(), qPrintable(result.at(1).toString()));
        QVERIFY(DataDownloader::isComplete(s));
        QVERIFY(!messages.filter(QStringLiteral("ignored the range request")).isEmpty());
    }

    void unreachableMirrorsGiveAClearError()
    {
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost));
        const quint16 port = closed.serverPort();
        closed.close(); // nothing listens there now
        DataDownloader d;
        const DownloadSpec s = spec({QUrl(QStringLiteral("http://127.0.0.1:%1/a/").arg(port)),
                                     QUrl(QStringLiteral("http://127.0.0.1:%1/b/").arg(port))});
        const QList<QVariant> result = run(d, s);
        QVERIFY(!result.at(0).toBool());
        const QString error = result.at(1).toString();
        QVERIFY2(error.contains(QStringLiteral("could not download")) && error.contains(QStringLiteral("/a/"))
                     && error.contains(QStringLiteral("/b/")),
                 qPrintable(error));
        QVERIFY(noPartFiles(s.folder));
    }

    void cancelThenResume()
    {
        LocalHttpServer server(root_);
        DataDownloader d;
        const DownloadSpec s = spec({server.url(QStringLiteral("ok"))});
        connect(&d, &DataDownloader::progress, &d, &DataDownloader::cancel, Qt::SingleShotConnection);
        const QList<QVariant> first = run(d, s);
        QVERIFY(!first.at(0).toBool());
        QCOMPARE(first.at(1).toString(), QStringLiteral("cancelled"));
        QVERIFY(!d.isRunning());
        const QString part = QDir(s.folder).filePath(QString::fromLatin1(kNames[0]) + QStringLiteral(".part"));
        QVERIFY(QFile::exists(part));
        const qint64 kept = QFileInfo(part).size();
        QVERIFY(kept > 0);

        server.log.clear();
        const QList<QVariant> second = run(d, s);
        QVERIFY2(second.at(0).toBool(), qPrintable(second.at(1).toString()));
        QVERIFY(DataDownloader::isComplete(s));
        const qint64 whole = QFileInfo(QDir(root_).filePath(QString::fromLatin1(kNames[0]))).size();
        if (kept < whole)
            QCOMPARE(server.log.first(), QStringLiteral("GET /ok/%1 %2").arg(QString::fromLatin1(kNames[0])).arg(kept));
        else // the whole file had arrived before the cancel: verified where it lies, not asked for again
            QVERIFY(server.log.filter(QString::fromLatin1(kNames[0])).isEmpty());
    }

    // Issue 25: a manifest naming ../x, /abs or a/b must not make the download write outside
    // the folder; nothing is asked of any mirror and nothing is written.
    void escapingNamesAreRefused_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("parent") << QStringLiteral("../escaped.txt");
        QTest::newRow("absolute") << tmp_.filePath(QStringLiteral("absolute.txt"));
        QTest::newRow("subfolder") << QStringLiteral("a/b");
        QTest::newRow("backslash") << QStringLiteral("..\\escaped.txt");
        QTest::newRow("hidden") << QStringLiteral(".hidden");
        QTest::newRow("dots inside") << QStringLiteral("x..y");
        QTest::newRow("empty") << QString();
        QTest::newRow("control") << QStringLiteral("bad\nname");
    }
    void escapingNamesAreRefused()
    {
        QFETCH(QString, name);
        LocalHttpServer server(root_);
        DataDownloader d;
        DownloadSpec s = spec({server.url(QStringLiteral("ok"))});
        s.files[1].name = name;
        const QList<QVariant> result = run(d, s);
        QVERIFY(!result.at(0).toBool());
        const QString error = result.at(1).toString();
        QVERIFY2(error.contains(server.url(QStringLiteral("ok")).toString()) && error.contains(QStringLiteral("refusing"))
                     && (name.isEmpty() || name.contains(QLatin1Char('\n')) || error.contains(name)),
                 qPrintable(error));
        QVERIFY(!d.failedOnNetwork());
        QVERIFY2(server.log.isEmpty(), qPrintable(server.log.join(QLatin1Char(','))));
        QVERIFY(!QFile::exists(tmp_.filePath(QStringLiteral("escaped.txt"))));
        QVERIFY(!QFile::exists(tmp_.filePath(QStringLiteral("absolute.txt"))));
        QVERIFY(QDir(s.folder).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden).isEmpty());
    }

    void cliRefusesEscapingNamesInTheChecksumList()
    {
        LocalHttpServer server(root_);
        const QString folder = tmp_.filePath(QStringLiteral("cli-escape/data"));
        const QString outside = tmp_.filePath(QStringLiteral("cli-escape/escaped.txt"));
        const QString absolute = tmp_.filePath(QStringLiteral("cli-escape-absolute.txt"));
        for (const QString &bad : {QStringLiteral("../escaped.txt"), absolute, QStringLiteral("a/b")}) {
            const QString sums = writeSums(QStringLiteral("escape.sha256"),
                                           {QString::fromLatin1(kNames[0]), bad, QString::fromLatin1(kNames[2])});
            QString out, err;
            const int rc = cli({QStringLiteral("download"), QStringLiteral("--folder"), folder, QStringLiteral("--mirror"),
                                server.url(QStringLiteral("ok")).toString(), QStringLiteral("--sha256sums"), sums},
                               &out, &err);
            QVERIFY2(rc >= 1 && rc <= 127, qPrintable(err));
            QVERIFY2(!out.contains(QStringLiteral("downloaded and verified")), qPrintable(out));
            QVERIFY2(err.contains(sums) && err.contains(QStringLiteral("line 2")) && err.contains(bad), qPrintable(err));
            QCOMPARE(err.count(QLatin1Char('\n')), 1); // one line
            QVERIFY(server.log.isEmpty());
            QVERIFY(!QFile::exists(outside));
            QVERIFY(!QFile::exists(absolute));
            // verify reads the same list: refused too, not looked up outside the folder.
            QVERIFY(cli({QStringLiteral("verify"), QStringLiteral("--folder"), folder, QStringLiteral("--sha256sums"), sums},
                        &out, &err)
                    != 0);
            QVERIFY2(err.contains(bad), qPrintable(err));
        }
    }

    // Issue 25: a mirror streaming without end filled the disk; it is stopped just past the
    // file's known size, named, and the .part is kept for a resume elsewhere.
    void endlessStreamIsStoppedAtTheExpectedSize()
    {
        LocalHttpServer server(root_);
        DataDownloader d;
        const DownloadSpec s = spec({server.url(QStringLiteral("endless"))});
        const QList<QVariant> result = run(d, s);
        QVERIFY(!result.at(0).toBool());
        const QString error = result.at(1).toString();
        const qint64 expected = s.files[0].expectedBytes;
        QVERIFY2(error.contains(server.url(QStringLiteral("endless")).toString())
                     && error.contains(QStringLiteral("sent more than the expected 1.3 MB for %1").arg(QString::fromLatin1(kNames[0])))
                     && error.contains(QStringLiteral("partial download kept for resume")),
                 qPrintable(error));
        QVERIFY(d.failedOnNetwork());
        const QString part = QDir(s.folder).filePath(QString::fromLatin1(kNames[0]) + QStringLiteral(".part"));
        QVERIFY(QFile::exists(part));
        QVERIFY(QFileInfo(part).size() > 0 && QFileInfo(part).size() <= expected + DataDownloader::kSizeMarginBytes);
        QVERIFY(!QFile::exists(QDir(s.folder).filePath(QString::fromLatin1(kNames[0]))));
        // The client stopped reading soon after the limit (what the server had queued aside).
        QVERIFY2(server.streamed < expected + 16 * (1 << 20), qPrintable(QString::number(server.streamed)));

        // The next run, from a good mirror: the kept bytes do not verify, so it starts again.
        DownloadSpec good = s;
        good.mirrors = {server.url(QStringLiteral("ok"))};
        const QList<QVariant> again = run(d, good);
        QVERIFY2(again.at(0).toBool(), qPrintable(again.at(1).toString()));
        QVERIFY(DataDownloader::isComplete(good));
        QVERIFY(noPartFiles(s.folder));
    }

    void endlessStreamOfUnknownSizeStopsAtTheCap()
    {
        LocalHttpServer server(root_);
        DataDownloader d;
        d.setMaxUnknownBytes(200000);
        DownloadSpec s = spec({server.url(QStringLiteral("endless"))});
        for (DownloadFile &file : s.files)
            file.expectedBytes = -1;
        const QList<QVariant> result = run(d, s);
        QVERIFY(!result.at(0).toBool());
        const QString error = result.at(1).toString();
        QVERIFY2(error.contains(server.url(QStringLiteral("endless")).toString())
                     && error.contains(QStringLiteral("sent more than the 200.0 kB limit for %1").arg(QString::fromLatin1(kNames[0]))),
                 qPrintable(error));
        const QString part = QDir(s.folder).filePath(QString::fromLatin1(kNames[0]) + QStringLiteral(".part"));
        QVERIFY(QFileInfo(part).size() > 0 && QFileInfo(part).size() <= 200000);
    }

    void announcedHugeLengthIsRefusedAtOnce()
    {
        LocalHttpServer server(root_);
        DataDownloader d;
        const DownloadSpec s = spec({server.url(QStringLiteral("huge")), server.url(QStringLiteral("ok"))});
        QStringList messages;
        connect(&d, &DataDownloader::message, this, [&messages](const QString &m) { messages << m; });
        const QList<QVariant> result = run(d, s);
        // The honest mirror after it delivers everything.
        QVERIFY2(result.at(0).toBool(), qPrintable(result.at(1).toString()));
        QVERIFY(DataDownloader::isComplete(s));
        QVERIFY2(!messages.filter(QStringLiteral("announced 1000.0 GB for %1, more than the 1.3 MB").arg(QString::fromLatin1(kNames[0]))).isEmpty(), qPrintable(messages.join('\n')));
    }

    // Issue 25: a mirror that goes silent is stopped after the stall timeout and named; the
    // .part is resumed from another mirror.
    void stalledMirrorIsStoppedAndResumedElsewhere()
    {
        LocalHttpServer server(root_);
        DataDownloader d;
        d.setStallTimeout(1000);
        d.setAttemptsPerMirror(1);
        const DownloadSpec s = spec({server.url(QStringLiteral("stall"))});
        const QList<QVariant> result = run(d, s);
        QVERIFY(!result.at(0).toBool());
        const QString error = result.at(1).toString();
        QVERIFY2(error.contains(server.url(QStringLiteral("stall")).toString()) && error.contains(QStringLiteral("stalled for 1 s"))
                     && error.contains(QStringLiteral("partial download kept for resume")),
                 qPrintable(error));
        const QString part = QDir(s.folder).filePath(QString::fromLatin1(kNames[0]) + QStringLiteral(".part"));
        const qint64 kept = QFileInfo(part).size();
        QCOMPARE(kept, QFileInfo(fileOf(QString::fromLatin1(kNames[0]))).size() / 2);

        server.log.clear();
        DownloadSpec good = s;
        good.mirrors = {server.url(QStringLiteral("ok"))};
        const QList<QVariant> again = run(d, good);
        QVERIFY2(again.at(0).toBool(), qPrintable(again.at(1).toString()));
        QVERIFY(DataDownloader::isComplete(good));
        QCOMPARE(server.log.first(), QStringLiteral("GET /ok/%1 %2").arg(QString::fromLatin1(kNames[0])).arg(kept));
    }

    // Issue 25: a FIFO in the folder is refused at once, naming it (it blocked verify forever).
    void fifoInTheFolderIsRefusedPromptly()
    {
        const QString folder = tmp_.filePath(QStringLiteral("fifo"));
        QVERIFY(QDir().mkpath(folder));
        for (int i = 0; i < 4; ++i)
            QVERIFY(QFile::copy(fileOf(QString::fromLatin1(kNames[i])), QDir(folder).filePath(QString::fromLatin1(kNames[i]))));
        const QString fifo = QDir(folder).filePath(QString::fromLatin1(kNames[3]));
        QVERIFY(QFile::remove(fifo));
        QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
        const QString sums = writeSums(QStringLiteral("fifo.sha256"), {QString::fromLatin1(kNames[0]), QString::fromLatin1(kNames[1]),
                                                                        QString::fromLatin1(kNames[2]), QString::fromLatin1(kNames[3])});
        int rc = 0;
        QString out, err;
        QVERIFY(finishesWithoutBlocking(fifo, [&] {
            rc = cli({QStringLiteral("verify"), QStringLiteral("--folder"), folder, QStringLiteral("--sha256sums"), sums}, &out, &err);
        }));
        QCOMPARE(rc, 1);
        QVERIFY2(out.contains(fifo + QStringLiteral(": is a FIFO")), qPrintable(out));
        QVERIFY2(err.contains(fifo + QStringLiteral(": is a FIFO")), qPrintable(err));
        QCOMPARE(err.count(QLatin1Char('\n')), 1);

        // Without checksums: the IDX check refuses it the same way.
        QVERIFY(finishesWithoutBlocking(fifo, [&] { rc = cli({QStringLiteral("verify"), QStringLiteral("--folder"), folder}, &out, &err); }));
        QCOMPARE(rc, 1);
        QVERIFY2(err.contains(fifo + QStringLiteral(": is a FIFO")), qPrintable(err));

        // A checksum list that is a FIFO.
        const QString fifoSums = tmp_.filePath(QStringLiteral("sums.fifo"));
        QCOMPARE(::mkfifo(QFile::encodeName(fifoSums).constData(), 0600), 0);
        QVERIFY(finishesWithoutBlocking(fifoSums, [&] {
            rc = cli({QStringLiteral("verify"), QStringLiteral("--folder"), folder, QStringLiteral("--sha256sums"), fifoSums}, &out, &err);
        }));
        QVERIFY(rc >= 1 && rc <= 127);
        QVERIFY2(err.contains(fifoSums + QStringLiteral(": is a FIFO")), qPrintable(err));

        // download: the FIFO is neither read forever nor replaced.
        LocalHttpServer server(root_);
        QVERIFY(finishesWithoutBlocking(fifo, [&] {
            rc = cli({QStringLiteral("download"), QStringLiteral("--folder"), folder, QStringLiteral("--mirror"),
                      server.url(QStringLiteral("ok")).toString(), QStringLiteral("--sha256sums"), sums, QStringLiteral("--quiet")},
                     &out, &err);
        }));
        QCOMPARE(rc, 1);
        QVERIFY2(err.contains(fifo + QStringLiteral(": is a FIFO")) && err.contains(QStringLiteral("refusing to replace it")),
                 qPrintable(err));
        QCOMPARE(err.count(QLatin1Char('\n')), 1);
        struct stat st{};
        QCOMPARE(::lstat(QFile::encodeName(fifo).constData(), &st), 0);
        QVERIFY(S_ISFIFO(st.st_mode));
        QVERIFY(server.log.filter(QString::fromLatin1(kNames[3])).isEmpty());
    }

    // Issue 25: a link planted as NAME.part or NAME is never written through.
    void linksInTheFolderAreNotWrittenThrough_data()
    {
        QTest::addColumn<QString>("suffix");
        QTest::newRow("part") << QStringLiteral(".part");
        QTest::newRow("final") << QString();
    }
    void linksInTheFolderAreNotWrittenThrough()
    {
        QFETCH(QString, suffix);
        LocalHttpServer server(root_);
        DataDownloader d;
        const DownloadSpec s = spec({server.url(QStringLiteral("ok"))});
        QVERIFY(QDir().mkpath(s.folder));
        const QString victim = tmp_.filePath(QStringLiteral("victim-%1.txt").arg(folders_));
        {
            QFile f(victim);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("precious");
        }
        const QString link = QDir(s.folder).filePath(QString::fromLatin1(kNames[0]) + suffix);
        QVERIFY(QFile::link(victim, link));
        const QList<QVariant> result = run(d, s);
        QVERIFY(!result.at(0).toBool());
        const QString error = result.at(1).toString();
        QVERIFY2(error.contains(link) && error.contains(QStringLiteral("symbolic link")), qPrintable(error));
        QVERIFY(!d.failedOnNetwork());
        QFile f(victim);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), QByteArray("precious"));
        QVERIFY(QFileInfo(link).isSymLink());
    }

    // A link to the right file (a set kept elsewhere) is read, not refused.
    void linkToAVerifiedFileIsUsed()
    {
        LocalHttpServer server(root_);
        DataDownloader d;
        const DownloadSpec s = spec({server.url(QStringLiteral("ok"))});
        QVERIFY(QDir().mkpath(s.folder));
        QVERIFY(QFile::link(fileOf(QString::fromLatin1(kNames[0])), QDir(s.folder).filePath(QString::fromLatin1(kNames[0]))));
        const QList<QVariant> result = run(d, s);
        QVERIFY2(result.at(0).toBool(), qPrintable(result.at(1).toString()));
        QVERIFY(server.log.filter(QString::fromLatin1(kNames[0])).isEmpty());
    }

    void cliStallTimeoutOption()
    {
        QString out, err;
        QCOMPARE(cli({QStringLiteral("download"), QStringLiteral("--stall-timeout"), QStringLiteral("soon")}, &out, &err), 2);
        QVERIFY2(err.contains(QStringLiteral("--stall-timeout: 'soon' is not a number")), qPrintable(err));
        QCOMPARE(cli({QStringLiteral("download"), QStringLiteral("--attempts"), QStringLiteral("abc")}, &out, &err), 2);
        QVERIFY2(err.contains(QStringLiteral("--attempts: 'abc' is not an integer")), qPrintable(err));
        LocalHttpServer server(root_);
        const QString sums = writeSums(QStringLiteral("stall.sha256"), {QString::fromLatin1(kNames[0])});
        QCOMPARE(cli({QStringLiteral("download"), QStringLiteral("--folder"), tmp_.filePath(QStringLiteral("cli-stall")),
                      QStringLiteral("--mirror"), server.url(QStringLiteral("stall")).toString(), QStringLiteral("--sha256sums"),
                      sums, QStringLiteral("--stall-timeout"), QStringLiteral("0.5"), QStringLiteral("--attempts"),
                      QStringLiteral("1"), QStringLiteral("--quiet")},
                     &out, &err),
                 1);
        QVERIFY2(err.contains(server.url(QStringLiteral("stall")).toString()) && err.contains(QStringLiteral("stalled for 0.5 s")),
                 qPrintable(err));
    }

    // firstspike-cli data, run in-process (app/cli_data.cpp only forwards argv to it).
    void cliDownloadVerifyList()
    {
        LocalHttpServer server(root_);
        const QString sums = tmp_.filePath(QStringLiteral("embedded.sha256"));
        {
            QFile f(sums);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Text));
            for (int i = 0; i < 4; ++i)
                f.write(QByteArray(kSha256[i]) + "  " + kNames[i] + "\n");
        }
        const QString folder = tmp_.filePath(QStringLiteral("cli"));
        auto run = [](const QStringList &args, QString *outText = nullptr, QString *errText = nullptr) {
            QString o, e;
            QTextStream out(&o), err(&e);
            const int rc = DataCommand::run(args, out, err);
            out.flush();
            err.flush();
            if (outText)
                *outText = o;
            if (errText)
                *errText = e;
            return rc;
        };
        QString out, err;
        QCOMPARE(run({QStringLiteral("download"), QStringLiteral("--folder"), folder, QStringLiteral("--mirror"),
                      server.url(QStringLiteral("missing")).toString(), QStringLiteral("--mirror"),
                      server.url(QStringLiteral("drop")).toString(), QStringLiteral("--sha256sums"), sums},
                     &out, &err),
                 0);
        QVERIFY2(out.contains(QStringLiteral("downloaded and verified")), qPrintable(out + err));
        QVERIFY(err.contains(QStringLiteral("HTTP 404")));
        QCOMPARE(server.log.filter(QStringLiteral("/missing/")).size(), 4);

        QCOMPARE(run({QStringLiteral("verify"), QStringLiteral("--folder"), folder, QStringLiteral("--sha256sums"), sums},
                     &out),
                 0);
        QCOMPARE(out.count(QStringLiteral("SHA-256 ok")), 4);
        QVERIFY(out.contains(QStringLiteral("train 7996 / test 2004, 28x28, 10 classes")));
        // The embedded files are not the classic MNIST ones.
        QCOMPARE(run({QStringLiteral("verify"), QStringLiteral("--folder"), folder, QStringLiteral("--mnist")}, &out), 1);
        QVERIFY(out.contains(QStringLiteral("MD5 is")));

        QCOMPARE(run({QStringLiteral("list"), QStringLiteral("--folder"), folder}, &out), 0);
        QVERIFY(out.contains(QStringLiteral("embedded")));
        QVERIFY(out.contains(QStringLiteral("not downloaded")));

        // A truncated labels file: verify fails with the reason.
        QFile labels(QDir(folder).filePath(QString::fromLatin1(kNames[3])));
        QVERIFY(labels.open(QIODevice::ReadWrite));
        QVERIFY(labels.resize(labels.size() / 2));
        labels.close();
        QCOMPARE(run({QStringLiteral("verify"), QStringLiteral("--folder"), folder}, &out, &err), 1);
        QVERIFY2(err.contains(QString::fromLatin1(kNames[3]).left(10)), qPrintable(err));

        // No network: a clear message, exit status 1.
        QCOMPARE(run({QStringLiteral("download"), QStringLiteral("--folder"), tmp_.filePath(QStringLiteral("none")),
                      QStringLiteral("--mirror"), QStringLiteral("http://127.0.0.1:9/"), QStringLiteral("--quiet")},
                     &out, &err),
                 1);
        QVERIFY2(err.contains(QStringLiteral("No network")), qPrintable(err));

        QCOMPARE(run({}, &out, &err), 2);
        QCOMPARE(run({QStringLiteral("frob")}, &out, &err), 2);
        QCOMPARE(run({QStringLiteral("list"), QStringLiteral("--nope")}, &out, &err), 2);
        QCOMPARE(run({QStringLiteral("download"), QStringLiteral("--help")}, &out, &err), 0);
        QVERIFY(out.contains(QStringLiteral("usage: firstspike-cli data")));
    }

    // File ▸ Download Full MNIST…: the dialog downloads, the window then trains on the set.
    void guiDownloadSwitchesTheDataSet()
    {
        LocalHttpServer server(root_);
        MainWindowOptions o;
        RunConfig c;
        c.trainLimit = 200;
        c.testLimit = 100;
        o.config = c;
        o.useSettings = false;
        o.autosaveFolder = QString();
        o.watchedNeurons = 16;
        o.mnistDownload = spec({server.url(QStringLiteral("missing")), server.url(QStringLiteral("drop"))});
        MainWindow w(o);
        QTRY_VERIFY_WITH_TIMEOUT(w.controller()->data(), 30000);
        DataDownloadDialog *dialog = w.downloadMnist();
        QVERIFY(dialog->isVisible());
        QSignalSpy downloaded(dialog, &DataDownloadDialog::downloaded);
        QTRY_COMPARE_WITH_TIMEOUT(downloaded.count(), 1, 30000);
        QCOMPARE(dialog->progressBar()->value(), dialog->progressBar()->maximum());
        QVERIFY(!dialog->cancelButton()->isEnabled());
        QVERIFY2(dialog->statusText().contains(QStringLiteral("verified")), qPrintable(dialog->statusText()));
        QVERIFY(dialog->logText().contains(QStringLiteral("HTTP 404")));
        QCOMPARE(w.dataSetFolder(), o.mnistDownload->folder);
        QTRY_VERIFY_WITH_TIMEOUT(w.controller()->data() && w.controller()->data()->source != "embedded", 30000);
        QCOMPARE(w.controller()->data()->train.size(), 7996);
    }

    void guiDownloadWithoutNetworkKeepsTheSet()
    {
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost));
        const quint16 port = closed.serverPort();
        closed.close();
        MainWindowOptions o;
        o.useSettings = false;
        o.autosaveFolder = QString();
        o.mnistDownload = spec({QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(port))});
        MainWindow w(o);
        QTRY_VERIFY_WITH_TIMEOUT(w.controller()->data(), 30000);
        const auto before = w.controller()->data();
        DataDownloadDialog *dialog = w.downloadMnist();
        QSignalSpy failed(dialog, &DataDownloadDialog::failed);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 30000);
        QVERIFY2(dialog->statusText().contains(QStringLiteral("No network")), qPrintable(dialog->statusText()));
        QCOMPARE(w.controller()->data(), before);
        QVERIFY(w.dataSetFolder().isEmpty());
    }

    void guiDownloadCancel()
    {
        LocalHttpServer server(root_);
        MainWindowOptions o;
        o.useSettings = false;
        o.autosaveFolder = QString();
        o.mnistDownload = spec({server.url(QStringLiteral("ok"))});
        MainWindow w(o);
        QTRY_VERIFY_WITH_TIMEOUT(w.controller()->data(), 30000);
        const auto before = w.controller()->data();
        DataDownloadDialog *dialog = w.downloadMnist();
        QSignalSpy failed(dialog, &DataDownloadDialog::failed);
        connect(dialog->downloader(), &DataDownloader::progress, dialog,
                [dialog] { QTest::mouseClick(dialog->cancelButton(), Qt::LeftButton); }, Qt::SingleShotConnection);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 30000);
        QCOMPARE(failed.first().first().toString(), QStringLiteral("cancelled"));
        QVERIFY(dialog->statusText().contains(QStringLiteral("Cancelled")));
        QCOMPARE(w.controller()->data(), before);
    }

    void mnistSpecIsTheClassicSet()
    {
        const DownloadSpec s = DataDownloader::mnistSpec(QStringLiteral("/x"));
        QCOMPARE(s.files.size(), 4);
        QVERIFY(s.mirrors.size() >= 3);
        QCOMPARE(s.files[0].md5, QByteArray("f68b3c2dcbeaaa9fbdd348bbdeb94873"));
        for (const QUrl &mirror : s.mirrors)
            QVERIFY(mirror.toString().endsWith(QLatin1Char('/')));
    }
};

QTEST_MAIN(TestDataDownload)
#include "tst_gui_data_download.moc"

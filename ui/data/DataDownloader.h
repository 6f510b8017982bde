#pragma once
// Downloads the files of a data set from a list of mirrors into a folder, each verified against
// its known checksum before it is used (docs/FORMATS.md, "Downloaded data sets").
//
// Per file: skipped when the folder already holds it with the right checksum; else fetched into
// NAME.part from the mirrors in order. A dropped connection is resumed on the same mirror with
// an HTTP Range request (206), or restarted from byte 0 when the server ignores Range (200);
// a 404 or other HTTP error, an unreachable host, or a checksum mismatch moves on to the next
// mirror. A verified .part is renamed to NAME atomically. Cancel keeps the .part for a resume.
//
// Hostile mirrors and manifests (issue 25): every file name must be a plain name inside the
// folder (fileNameProblem), else nothing is fetched; a mirror is stopped when it sends more than
// the file's known size plus a small margin (kSizeMarginBytes), or, the size unknown, more than
// maxUnknownBytes (kMaxUnknownBytes by default), or nothing at all for the stall timeout; the
// .part stays for a resume and the message names the mirror. NAME and NAME.part are written
// only when they are regular files or absent: a link, FIFO or device planted there is refused,
// never written through.

#include <QByteArray>
#include <QElapsedTimer>
#include <QFile>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <algorithm>
#include <memory>

class QNetworkAccessManager;
class QNetworkReply;
class QTimer;

namespace firstspike {

struct DownloadFile {
    QString name;         // file name, appended to each mirror URL and kept in the folder
    QByteArray md5;       // expected digests, lower-case hex; at least one is set
    QByteArray sha256;
    // The file's size when known: the progress bar when the server sends no length, and the
    // most a mirror may send for it (plus kSizeMarginBytes).
    qint64 expectedBytes = -1;
};

struct DownloadSpec {
    QString title;            // "MNIST"
    QList<QUrl> mirrors;      // base URLs ending in '/', tried in order
    QList<DownloadFile> files;
    QString folder;           // created when missing
};

class DataDownloader : public QObject {
    Q_OBJECT
public:
    // The classic MNIST files (MD5s as published with torchvision) and their usual mirrors.
    static DownloadSpec mnistSpec(const QString &folder);
    // AppDataLocation/mnist: where the GUI and the CLI keep the downloaded MNIST.
    static QString defaultMnistFolder();

    // Bytes a mirror may send beyond a file's known size before it is stopped.
    static constexpr qint64 kSizeMarginBytes = 64 * 1024;
    // The most a mirror may send for a file of unknown size: a little more than the largest IDX
    // file the reader accepts (core/data/IdxReader.h, IdxLimits::maxBytes).
    static constexpr qint64 kMaxUnknownBytes = 2'000'000'000LL + 1024 * 1024;
    // Why `name` may not be written into the download folder (empty: a plain file name). Names
    // with '/', '\\', "..", a leading '.', control characters, or nothing at all are refused.
    static QString fileNameProblem(const QString &name);

    // Checks a file against the expected digests (error: which digest differs, or why unreadable).
    // Only a regular file is read: a FIFO, device or folder is refused without blocking.
    static bool verify(const QString &path, const DownloadFile &file, QString *error = nullptr);
    // True when every file of `spec` is in its folder with the right checksum.
    static bool isComplete(const DownloadSpec &spec, QStringList *problems = nullptr);

    explicit DataDownloader(QObject *parent = nullptr);
    ~DataDownloader() override;

    // Attempts per mirror and file when the connection drops (resume or retry), >= 1.
    void setAttemptsPerMirror(int attempts) { attemptsPerMirror_ = std::max(1, attempts); }
    // A transfer that receives nothing for this long fails like a dropped connection.
    void setStallTimeout(int ms) { stallTimeoutMs_ = std::max(1, ms); }
    int stallTimeout() const { return stallTimeoutMs_; }
    // The most a mirror may send for a file of unknown size (tests lower it).
    void setMaxUnknownBytes(qint64 bytes) { maxUnknownBytes_ = std::max<qint64>(1, bytes); }
    // After finished(false): true when the mirrors could not deliver (no network, HTTP errors,
    // misbehaving mirrors), false when the download was refused or cancelled locally.
    bool failedOnNetwork() const { return failedOnNetwork_; }

    bool isRunning() const { return running_; }
    void start(const DownloadSpec &spec);
    void cancel();

Q_SIGNALS:
    // Bytes of the current file (total -1: unknown) and overall fraction in [0, 1].
    void progress(int fileIndex, int fileCount, const QString &name, qint64 received, qint64 total, double overall);
    void message(const QString &text); // one line per event: mirror tried, resume, retry, verified
    void fileReady(const QString &path, const QUrl &from); // verified and renamed (from empty: already there)
    // ok: every file is there and verified. Else `error` says why (cancelled: "cancelled").
    void finished(bool ok, const QString &error);

private:
    void nextFile();
    void request();
    void onReadyRead();
    void onFinished();
    void onStalled();
    qint64 sizeCap() const;       // bytes of the current file that are written at most
    qint64 sizeAllowance() const; // bytes a mirror may send for it before it is stopped
    QString whyTooMuch() const;
    void failMirror(const QString &why);
    void done(bool ok, const QString &error);
    QString partPath() const;
    QString finalPath() const;

    QNetworkAccessManager *network_ = nullptr;
    QNetworkReply *reply_ = nullptr;
    DownloadSpec spec_;
    int fileIndex_ = -1;
    int mirrorIndex_ = 0;
    int attempt_ = 0;
    int attemptsPerMirror_ = 3;
    int stallTimeoutMs_ = 30000;
    qint64 maxUnknownBytes_ = kMaxUnknownBytes;
    QTimer *stallTimer_ = nullptr;
    bool running_ = false;
    bool cancelled_ = false;
    bool statusChecked_ = false;   // the current reply's status has been looked at
    bool stalled_ = false;         // the current reply was stopped: nothing came for the stall timeout
    bool tooMuch_ = false;         // the current reply was stopped: more bytes than the file can have
    QString tooMuchWhy_;
    QString writeError_;           // the .part could not be written
    bool failedOnNetwork_ = false;
    int httpStatus_ = 0;           // of the current reply, kept when it is aborted
    QString httpReason_;
    qint64 discarded_ = 0;         // bytes of an error page, read and dropped
    qint64 replyBytes_ = 0;        // body bytes of the current reply
    qint64 resumeOffset_ = 0;
    std::unique_ptr<QFile> part_;
    QStringList mirrorErrors_;     // why each mirror failed for the current file
};

} // namespace firstspike

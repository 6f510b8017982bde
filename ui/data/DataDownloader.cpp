#include "ui/data/DataDownloader.h"

#include "core/files/SafeFile.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QStandardPaths>
#include <QTimer>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <sys/stat.h>
#include <unistd.h>

namespace firstspike {

namespace {

QString mirrorBase(const QUrl &url)
{
    QString s = url.toString();
    if (!s.endsWith(QLatin1Char('/')))
        s += QLatin1Char('/');
    return s;
}

// Unreachable hosts are not retried: the next mirror is tried at once.
bool unreachable(QNetworkReply::NetworkError error)
{
    switch (error) {
    case QNetworkReply::ConnectionRefusedError:
    case QNetworkReply::HostNotFoundError:
    case QNetworkReply::ProtocolUnknownError:
    case QNetworkReply::SslHandshakeFailedError:
    case QNetworkReply::NetworkSessionFailedError:
    case QNetworkReply::UnknownNetworkError:
        return true;
    default:
        return false;
    }
}

QString bytesText(qint64 bytes)
{
    return QString::fromStdString(formatBytes(static_cast<std::uint64_t>(std::max<qint64>(0, bytes))));
}

QString secondsText(int ms)
{
    return QString::number(ms / 1000.0, 'g', 3);
}

// Opens NAME.part for appending, never through a link, FIFO or device planted under that name:
// O_NOFOLLOW refuses a link, O_NONBLOCK keeps a FIFO or device from blocking the open, and
// fstat refuses whatever is not a regular file. Null and `error` set when refused.
std::unique_ptr<QFile> openPart(const QString &path, QString *error)
{
    try {
        checkWritableTarget(QFile::encodeName(path).toStdString());
    } catch (const FileError &e) {
        *error = QString::fromStdString(e.what());
        return {};
    }
    const int fd = ::open(QFile::encodeName(path).constData(),
                          O_RDWR | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644);
    if (fd < 0) {
        const int err = errno;
        *error = err == ELOOP ? DataDownloader::tr("%1: is a symbolic link; a download is never written through it").arg(path)
                              : DataDownloader::tr("%1: cannot write (%2)").arg(path, QString::fromLocal8Bit(std::strerror(err)));
        return {};
    }
    struct stat st{};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        *error = DataDownloader::tr("%1: is not a regular file; a download is never written into it").arg(path);
        return {};
    }
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0)
        ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    auto file = std::make_unique<QFile>(path);
    if (!file->open(fd, QIODevice::ReadWrite | QIODevice::Append, QFileDevice::AutoCloseHandle)) {
        ::close(fd);
        *error = DataDownloader::tr("%1: cannot write (%2)").arg(path, file->errorString());
        return {};
    }
    return file;
}

// Size of a regular file (not following a link); -1 when absent or not a regular file.
qint64 regularFileSize(const QString &path)
{
    struct stat st{};
    if (::lstat(QFile::encodeName(path).constData(), &st) != 0 || !S_ISREG(st.st_mode))
        return -1;
    return static_cast<qint64>(st.st_size);
}

} // namespace

QString DataDownloader::fileNameProblem(const QString &name)
{
    if (name.isEmpty())
        return tr("the file name is empty");
    if (name.contains(QLatin1Char('/')) || name.contains(QLatin1Char('\\')))
        return tr("'%1' is a path, not a plain file name").arg(name);
    if (name.contains(QLatin1String("..")))
        return tr("'%1' contains '..'").arg(name);
    if (name.startsWith(QLatin1Char('.')))
        return tr("'%1' starts with '.'").arg(name);
    for (const QChar c : name) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7f || c.category() == QChar::Other_Control)
            return tr("'%1' contains a control character").arg(QString::fromLatin1(name.toUtf8().toPercentEncoding("'")));
    }
    if (QFile::encodeName(name).size() > 255)
        return tr("'%1…' is longer than 255 bytes").arg(name.left(40));
    return {};
}

DownloadSpec DataDownloader::mnistSpec(const QString &folder)
{
    DownloadSpec spec;
    spec.title = QStringLiteral("MNIST");
    spec.folder = folder;
    spec.mirrors = {QUrl(QStringLiteral("https://ossci-datasets.s3.amazonaws.com/mnist/")),
                    QUrl(QStringLiteral("https://storage.googleapis.com/cvdf-datasets/mnist/")),
                    QUrl(QStringLiteral("http://yann.lecun.com/exdb/mnist/"))};
    // MD5s of the classic gzip files as published with torchvision's MNIST.
    spec.files = {{QStringLiteral("train-images-idx3-ubyte.gz"), "f68b3c2dcbeaaa9fbdd348bbdeb94873", {}, 9912422},
                  {QStringLiteral("train-labels-idx1-ubyte.gz"), "d53e105ee54ea40749a09fcbcd1e9432", {}, 28881},
                  {QStringLiteral("t10k-images-idx3-ubyte.gz"), "9fb629c4189551a2d022fa330f9573f3", {}, 1648877},
                  {QStringLiteral("t10k-labels-idx1-ubyte.gz"), "ec29112dd5afa0611ce80d1b7f02629c", {}, 4542}};
    return spec;
}

QString DataDownloader::defaultMnistFolder()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).filePath(QStringLiteral("mnist"));
}

bool DataDownloader::verify(const QString &path, const DownloadFile &file, QString *error)
{
    if (file.md5.isEmpty() && file.sha256.isEmpty()) {
        if (error)
            *error = tr("%1: no checksum is known").arg(file.name);
        return false;
    }
    QCryptographicHash md5(QCryptographicHash::Md5), sha256(QCryptographicHash::Sha256);
    try {
        // Regular files only (a FIFO would block the read forever), and no more than a mirror
        // may send for this file: a larger one cannot be it.
        const qint64 cap = file.expectedBytes > 0 ? file.expectedBytes + kSizeMarginBytes : kMaxUnknownBytes;
        InputFile in(QFile::encodeName(path).toStdString(), "data", static_cast<std::uint64_t>(cap));
        QByteArray chunk(1 << 20, Qt::Uninitialized);
        while (const std::size_t got = in.read(chunk.data(), static_cast<std::size_t>(chunk.size()))) {
            if (!file.md5.isEmpty())
                md5.addData(QByteArrayView(chunk.constData(), static_cast<qsizetype>(got)));
            if (!file.sha256.isEmpty())
                sha256.addData(QByteArrayView(chunk.constData(), static_cast<qsizetype>(got)));
        }
    } catch (const std::exception &e) {
        if (error)
            *error = QString::fromLocal8Bit(e.what());
        return false;
    }
    if (!file.sha256.isEmpty() && sha256.result().toHex() != file.sha256.toLower()) {
        if (error)
            *error = tr("%1: SHA-256 is %2, expected %3")
                         .arg(file.name, QString::fromLatin1(sha256.result().toHex()), QString::fromLatin1(file.sha256));
        return false;
    }
    if (!file.md5.isEmpty() && md5.result().toHex() != file.md5.toLower()) {
        if (error)
            *error = tr("%1: MD5 is %2, expected %3")
                         .arg(file.name, QString::fromLatin1(md5.result().toHex()), QString::fromLatin1(file.md5));
        return false;
    }
    return true;
}

bool DataDownloader::isComplete(const DownloadSpec &spec, QStringList *problems)
{
    bool ok = true;
    for (const DownloadFile &file : spec.files) {
        const QString path = QDir(spec.folder).filePath(file.name);
        QString error;
        if (const QString bad = fileNameProblem(file.name); !bad.isEmpty()) {
            ok = false;
            error = tr("%1: %2").arg(spec.folder, bad);
        } else if (!QFileInfo::exists(path) && !QFileInfo(path).isSymLink()) {
            ok = false;
            error = tr("%1: missing").arg(path);
        } else if (!verify(path, file, &error)) {
            ok = false;
        }
        if (!error.isEmpty() && problems)
            problems->append(error);
    }
    return ok;
}

DataDownloader::DataDownloader(QObject *parent)
    : QObject(parent)
    , network_(new QNetworkAccessManager(this))
    , stallTimer_(new QTimer(this))
{
    stallTimer_->setSingleShot(true);
    connect(stallTimer_, &QTimer::timeout, this, &DataDownloader::onStalled);
}

DataDownloader::~DataDownloader()
{
    if (reply_) {
        reply_->disconnect(this);
        reply_->abort();
        reply_->deleteLater();
    }
}

QString DataDownloader::finalPath() const
{
    return QDir(spec_.folder).filePath(spec_.files[fileIndex_].name);
}

QString DataDownloader::partPath() const
{
    return finalPath() + QStringLiteral(".part");
}

void DataDownloader::start(const DownloadSpec &spec)
{
    if (running_)
        return;
    spec_ = spec;
    running_ = true;
    cancelled_ = false;
    failedOnNetwork_ = false;
    fileIndex_ = -1;
    if (spec_.files.isEmpty() || spec_.mirrors.isEmpty()) {
        done(false, tr("nothing to download: no files or no mirrors"));
        return;
    }
    // Every name first: a manifest naming "../x" or "/etc/x" gets nothing fetched or written.
    for (const DownloadFile &file : spec_.files) {
        if (const QString bad = fileNameProblem(file.name); !bad.isEmpty()) {
            done(false, tr("%1: refusing the file list of %2: %3; downloads are written only to plain file names "
                           "inside %4")
                            .arg(mirrorBase(spec_.mirrors.first()), spec_.title, bad, spec_.folder));
            return;
        }
    }
    const QFileInfo folderInfo(spec_.folder);
    if (folderInfo.exists() && !folderInfo.isDir()) {
        done(false, tr("%1: is not a folder").arg(spec_.folder));
        return;
    }
    if (!QDir().mkpath(spec_.folder)) {
        done(false, tr("%1: cannot create the folder").arg(spec_.folder));
        return;
    }
    nextFile();
}

void DataDownloader::cancel()
{
    if (!running_)
        return;
    cancelled_ = true;
    if (reply_)
        reply_->abort(); // onFinished reports the cancel
    else
        done(false, tr("cancelled"));
}

void DataDownloader::nextFile()
{
    while (++fileIndex_ < spec_.files.size()) {
        mirrorIndex_ = 0;
        attempt_ = 0;
        mirrorErrors_.clear();
        QString error;
        const QFileInfo existing(finalPath());
        if ((existing.exists() || existing.isSymLink()) && verify(finalPath(), spec_.files[fileIndex_], &error)) {
            Q_EMIT message(tr("%1 is already there and verified.").arg(spec_.files[fileIndex_].name));
            Q_EMIT fileReady(finalPath(), QUrl());
            continue;
        }
        // A link, FIFO or device under the name is never replaced: refused before any download.
        try {
            checkWritableTarget(QFile::encodeName(finalPath()).toStdString());
        } catch (const FileError &e) {
            done(false, QString::fromLocal8Bit(e.what()));
            return;
        }
        if (!error.isEmpty())
            Q_EMIT message(tr("%1; downloading it again.").arg(error));
        request();
        return;
    }
    done(true, QString());
}

void DataDownloader::request()
{
    if (!running_)
        return; // cancelled while this attempt was queued
    if (cancelled_) {
        done(false, tr("cancelled"));
        return;
    }
    const DownloadFile &file = spec_.files[fileIndex_];
    if (mirrorIndex_ >= spec_.mirrors.size()) {
        failedOnNetwork_ = true;
        done(false, tr("could not download %1 from any mirror (%2)").arg(file.name, mirrorErrors_.join(QStringLiteral("; "))));
        return;
    }
    // A .part that already holds the whole file (a mirror stopped for sending too much, or one
    // whose end was lost) is checked here: the verified file is used, anything else restarts
    // from byte 0 rather than asking a mirror for bytes past the end.
    const qint64 kept = regularFileSize(partPath());
    if (kept >= sizeCap()) {
        QString problem;
        if (verify(partPath(), file, &problem)) {
            try {
                checkWritableTarget(QFile::encodeName(finalPath()).toStdString());
            } catch (const FileError &e) {
                done(false, QString::fromLocal8Bit(e.what()));
                return;
            }
            if (std::rename(QFile::encodeName(partPath()).constData(), QFile::encodeName(finalPath()).constData()) != 0) {
                done(false, tr("%1: cannot rename the verified download into place").arg(finalPath()));
                return;
            }
            Q_EMIT message(tr("%1 verified.").arg(file.name));
            Q_EMIT fileReady(finalPath(), QUrl());
            nextFile();
            return;
        }
        Q_EMIT message(tr("%1: the %2 kept do not verify (%3); starting again.")
                           .arg(partPath(), bytesText(kept), problem));
        QFile::remove(partPath());
    }
    QString openError;
    part_ = openPart(partPath(), &openError);
    if (!part_) {
        done(false, openError);
        return;
    }
    resumeOffset_ = part_->size();
    statusChecked_ = false;
    stalled_ = false;
    tooMuch_ = false;
    tooMuchWhy_.clear();
    writeError_.clear();
    httpStatus_ = 0;
    httpReason_.clear();
    discarded_ = 0;
    replyBytes_ = 0;
    const QUrl url(mirrorBase(spec_.mirrors[mirrorIndex_])
                   + QString::fromLatin1(QUrl::toPercentEncoding(file.name)));
    QNetworkRequest request(url);
    // The digests are of the files as stored: no transfer compression.
    request.setRawHeader("Accept-Encoding", "identity");
    if (resumeOffset_ > 0) {
        request.setRawHeader("Range", "bytes=" + QByteArray::number(resumeOffset_) + '-');
        Q_EMIT message(tr("Resuming %1 at byte %2 from %3").arg(file.name).arg(resumeOffset_).arg(url.toString()));
    } else {
        Q_EMIT message(tr("Downloading %1 from %2").arg(file.name, url.toString()));
    }
    reply_ = network_->get(request);
    connect(reply_, &QNetworkReply::readyRead, this, &DataDownloader::onReadyRead);
    connect(reply_, &QNetworkReply::finished, this, &DataDownloader::onFinished);
    // Our own stall watchdog, restarted by every byte that arrives (headers included): a mirror
    // that goes silent is stopped with a message that says so.
    connect(reply_, &QNetworkReply::metaDataChanged, stallTimer_, qOverload<>(&QTimer::start));
    stallTimer_->start(stallTimeoutMs_);
}

qint64 DataDownloader::sizeCap() const
{
    const qint64 expected = spec_.files[fileIndex_].expectedBytes;
    return expected > 0 ? expected : maxUnknownBytes_;
}

qint64 DataDownloader::sizeAllowance() const
{
    const qint64 expected = spec_.files[fileIndex_].expectedBytes;
    return expected > 0 ? expected + kSizeMarginBytes : maxUnknownBytes_;
}

QString DataDownloader::whyTooMuch() const
{
    const DownloadFile &file = spec_.files[fileIndex_];
    return file.expectedBytes > 0 ? tr("sent more than the expected %1 for %2").arg(bytesText(file.expectedBytes), file.name)
                                  : tr("sent more than the %1 limit for %2 (its size is unknown)")
                                        .arg(bytesText(maxUnknownBytes_), file.name);
}

void DataDownloader::onStalled()
{
    if (!reply_ || stalled_ || tooMuch_)
        return;
    stalled_ = true;
    reply_->abort(); // onFinished reports it
}

void DataDownloader::onReadyRead()
{
    if (!reply_ || !part_ || stalled_ || tooMuch_ || !writeError_.isEmpty())
        return;
    if (reply_->bytesAvailable() > 0)
        stallTimer_->start(stallTimeoutMs_);
    const int status = reply_->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (!statusChecked_) {
        statusChecked_ = true;
        httpStatus_ = status;
        httpReason_ = reply_->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString();
        if (status == 200 && resumeOffset_ > 0) {
            Q_EMIT message(tr("The server ignored the range request; restarting %1.").arg(spec_.files[fileIndex_].name));
            // Truncated through the descriptor we hold: the path is not opened again.
            if (!part_->resize(0)) {
                writeError_ = tr("%1: cannot write (%2)").arg(partPath(), part_->errorString());
                reply_->abort();
                return;
            }
            resumeOffset_ = 0;
        }
        // A length announced beyond what the file can have is refused before any byte is kept.
        const qint64 length = reply_->header(QNetworkRequest::ContentLengthHeader).toLongLong();
        if ((status == 200 || status == 206) && length > 0 && resumeOffset_ + length > sizeAllowance()) {
            tooMuch_ = true;
            tooMuchWhy_ = tr("announced %1 for %2, more than the %3 it can have")
                              .arg(bytesText(resumeOffset_ + length), spec_.files[fileIndex_].name,
                                   bytesText(sizeCap()));
            reply_->abort();
            return;
        }
    }
    if (status != 200 && status != 206) {
        // An error page: read and dropped (not left to pile up in memory); onFinished moves on.
        discarded_ += reply_->readAll().size();
        if (discarded_ > (1 << 20))
            reply_->abort();
        return;
    }
    QByteArray body = reply_->readAll();
    replyBytes_ += body.size();
    // Never more than the file can have on disk; a mirror sending beyond the margin is stopped.
    const qint64 room = std::max<qint64>(0, sizeCap() - part_->size());
    const bool overflow = resumeOffset_ + replyBytes_ > sizeAllowance();
    if (body.size() > room)
        body.truncate(room);
    if (!body.isEmpty() && part_->write(body) != body.size()) {
        writeError_ = tr("%1: cannot write (%2)").arg(partPath(), part_->errorString());
        reply_->abort();
        return;
    }
    if (overflow) {
        part_->flush();
        tooMuch_ = true;
        tooMuchWhy_ = whyTooMuch();
        reply_->abort();
        return;
    }
    const DownloadFile &file = spec_.files[fileIndex_];
    const qint64 received = part_->size();
    const qint64 length = reply_->header(QNetworkRequest::ContentLengthHeader).toLongLong();
    const qint64 total = length > 0 ? resumeOffset_ + length : file.expectedBytes;
    qint64 allExpected = 0, before = 0;
    for (int i = 0; i < spec_.files.size(); ++i) {
        const qint64 bytes = spec_.files[i].expectedBytes;
        allExpected = bytes > 0 && allExpected >= 0 ? allExpected + bytes : -1;
        if (i < fileIndex_ && bytes > 0)
            before += bytes;
    }
    double overall = 0;
    if (allExpected > 0 && file.expectedBytes > 0)
        overall = (before + std::min(received, file.expectedBytes)) / static_cast<double>(allExpected);
    else
        overall = (fileIndex_ + (total > 0 ? std::min(1.0, received / static_cast<double>(total)) : 0.0))
            / spec_.files.size();
    Q_EMIT progress(fileIndex_, static_cast<int>(spec_.files.size()), file.name, received, total, overall);
}

void DataDownloader::onFinished()
{
    if (!reply_)
        return;
    if (!cancelled_)
        onReadyRead(); // whatever arrived with the end of the reply
    stallTimer_->stop();
    QNetworkReply *reply = reply_;
    reply_ = nullptr;
    reply->deleteLater();
    const int status = statusChecked_ ? httpStatus_ : reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    QNetworkReply::NetworkError error = reply->error();
    QString errorText = reply->errorString();
    if (stalled_)
        errorText = tr("stalled for %1 s (nothing received)").arg(secondsText(stallTimeoutMs_));
    // A connection closed before Content-Length bytes is a drop, whatever the reply says.
    const qint64 length = reply->header(QNetworkRequest::ContentLengthHeader).toLongLong();
    if (error == QNetworkReply::NoError && (status == 200 || status == 206) && length > 0 && replyBytes_ < length) {
        error = QNetworkReply::RemoteHostClosedError;
        errorText = tr("connection closed after %1 of %2 bytes").arg(replyBytes_).arg(length);
    }
    if (part_)
        part_->close();
    if (cancelled_) {
        done(false, tr("cancelled"));
        return;
    }
    const DownloadFile &file = spec_.files[fileIndex_];
    const qint64 kept = std::max<qint64>(0, regularFileSize(partPath()));
    if (!writeError_.isEmpty()) {
        done(false, kept > 0 ? tr("%1; %2 kept for a resume").arg(writeError_, bytesText(kept)) : writeError_);
        return;
    }
    // A mirror that sends more than the file can have is not asked again: the next one is.
    if (tooMuch_) {
        failMirror(tooMuchWhy_ + (kept > 0 ? tr("; partial download kept for resume") : QString()));
        return;
    }
    const bool wholeFileThere = status == 416 && resumeOffset_ > 0; // asked past the end of a complete .part
    if (!wholeFileThere && status >= 300) {
        failMirror(tr("HTTP %1 %2").arg(status).arg(httpReason_));
        return;
    }
    if (!wholeFileThere && error != QNetworkReply::NoError) {
        if (unreachable(error) || ++attempt_ >= attemptsPerMirror_) {
            if (stalled_)
                errorText = tr("%1 while sending %2").arg(errorText, file.name)
                    + (kept > 0 ? tr("; partial download kept for resume") : QString());
            failMirror(errorText);
            return;
        }
        Q_EMIT message(tr("%1: %2, %3 bytes kept; trying again (%4 of %5)")
                           .arg(file.name, errorText)
                           .arg(QFileInfo(partPath()).size())
                           .arg(attempt_ + 1)
                           .arg(attemptsPerMirror_));
        QTimer::singleShot(0, this, &DataDownloader::request);
        return;
    }
    QString problem;
    if (!verify(partPath(), file, &problem)) {
        QFile::remove(partPath());
        failMirror(tr("checksum mismatch (%1)").arg(problem));
        return;
    }
    // rename(2) replaces the target atomically: a reader sees the old file or the verified one.
    // It replaces a regular file only: a link or device put there meanwhile is refused.
    try {
        checkWritableTarget(QFile::encodeName(finalPath()).toStdString());
    } catch (const FileError &e) {
        done(false, QString::fromLocal8Bit(e.what()));
        return;
    }
    if (std::rename(QFile::encodeName(partPath()).constData(), QFile::encodeName(finalPath()).constData()) != 0) {
        done(false, tr("%1: cannot rename the verified download into place").arg(finalPath()));
        return;
    }
    Q_EMIT message(tr("%1 verified.").arg(file.name));
    Q_EMIT fileReady(finalPath(), reply->url());
    nextFile();
}

void DataDownloader::failMirror(const QString &why)
{
    const QString mirror = mirrorBase(spec_.mirrors[mirrorIndex_]);
    mirrorErrors_.append(mirror + QStringLiteral(": ") + why);
    Q_EMIT message(tr("%1 from %2 failed: %3").arg(spec_.files[fileIndex_].name, mirror, why));
    ++mirrorIndex_;
    attempt_ = 0;
    QTimer::singleShot(0, this, &DataDownloader::request);
}

void DataDownloader::done(bool ok, const QString &error)
{
    running_ = false;
    stallTimer_->stop();
    part_.reset();
    // An empty .part (no mirror answered) is no partial download to resume. Only a regular file
    // of ours is removed, never a link or FIFO found under that name.
    if (!ok && fileIndex_ >= 0 && fileIndex_ < spec_.files.size() && regularFileSize(partPath()) == 0)
        QFile::remove(partPath());
    Q_EMIT finished(ok, error);
}

} // namespace firstspike

#include "ui/data/DataDownloader.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QStandardPaths>
#include <QTimer>

#include <cstdio>

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

} // namespace

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
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        if (error)
            *error = tr("%1: cannot read (%2)").arg(path, f.errorString());
        return false;
    }
    QCryptographicHash md5(QCryptographicHash::Md5), sha256(QCryptographicHash::Sha256);
    while (!f.atEnd()) {
        const QByteArray chunk = f.read(1 << 20);
        if (chunk.isEmpty() && f.error() != QFileDevice::NoError) {
            if (error)
                *error = tr("%1: read error (%2)").arg(path, f.errorString());
            return false;
        }
        if (!file.md5.isEmpty())
            md5.addData(chunk);
        if (!file.sha256.isEmpty())
            sha256.addData(chunk);
    }
    if (file.md5.isEmpty() && file.sha256.isEmpty()) {
        if (error)
            *error = tr("%1: no checksum is known").arg(file.name);
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
        if (!QFileInfo::exists(path)) {
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
{
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
    fileIndex_ = -1;
    if (spec_.files.isEmpty() || spec_.mirrors.isEmpty()) {
        done(false, tr("nothing to download: no files or no mirrors"));
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
        if (QFileInfo::exists(finalPath()) && verify(finalPath(), spec_.files[fileIndex_], &error)) {
            Q_EMIT message(tr("%1 is already there and verified.").arg(spec_.files[fileIndex_].name));
            Q_EMIT fileReady(finalPath(), QUrl());
            continue;
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
        done(false, tr("could not download %1 from any mirror (%2)").arg(file.name, mirrorErrors_.join(QStringLiteral("; "))));
        return;
    }
    part_ = std::make_unique<QFile>(partPath());
    if (!part_->open(QIODevice::ReadWrite | QIODevice::Append)) {
        done(false, tr("%1: cannot write (%2)").arg(partPath(), part_->errorString()));
        return;
    }
    resumeOffset_ = part_->size();
    statusChecked_ = false;
    replyBytes_ = 0;
    const QUrl url(mirrorBase(spec_.mirrors[mirrorIndex_]) + file.name);
    QNetworkRequest request(url);
    request.setTransferTimeout(stallTimeoutMs_);
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
}

void DataDownloader::onReadyRead()
{
    if (!reply_ || !part_)
        return;
    const int status = reply_->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (!statusChecked_) {
        statusChecked_ = true;
        if (status == 200 && resumeOffset_ > 0) {
            Q_EMIT message(tr("The server ignored the range request; restarting %1.").arg(spec_.files[fileIndex_].name));
            part_->close();
            if (!part_->open(QIODevice::WriteOnly | QIODevice::Truncate)) {
                reply_->abort();
                return;
            }
            resumeOffset_ = 0;
        }
    }
    if (status != 200 && status != 206)
        return; // an error page: onFinished moves on
    const QByteArray body = reply_->readAll();
    replyBytes_ += body.size();
    if (part_->write(body) != body.size()) {
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
    QNetworkReply *reply = reply_;
    reply_ = nullptr;
    reply->deleteLater();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    QNetworkReply::NetworkError error = reply->error();
    QString errorText = reply->errorString();
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
    const bool wholeFileThere = status == 416 && resumeOffset_ > 0; // asked past the end of a complete .part
    if (!wholeFileThere && status >= 300) {
        failMirror(tr("HTTP %1 %2").arg(status).arg(reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString()));
        return;
    }
    if (!wholeFileThere && error != QNetworkReply::NoError) {
        if (unreachable(error) || ++attempt_ >= attemptsPerMirror_) {
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
    part_.reset();
    // An empty .part (no mirror answered) is no partial download to resume.
    if (!ok && fileIndex_ >= 0 && fileIndex_ < spec_.files.size() && QFileInfo(partPath()).size() == 0)
        QFile::remove(partPath());
    Q_EMIT finished(ok, error);
}

} // namespace firstspike

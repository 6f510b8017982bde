#include "ui/data/DataSetLoader.h"

#include "core/data/IdxReader.h"
#include "core/files/SafeFile.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <exception>
#include <limits>
#include <new>

namespace firstspike {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("DataSetLoader", text);
}

int maxLabel(const Dataset &set)
{
    return set.labels.empty() ? -1 : *std::max_element(set.labels.begin(), set.labels.end());
}

} // namespace

bool DataSetLoader::checkMembers(const QString &folder, QString *error)
{
    const QDir dir(folder);
    for (const char *base : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                             "t10k-labels-idx1-ubyte"}) {
        // The reader's choice (core/data/IdxReader.cpp): the raw file when it exists, else .gz.
        QString path = dir.filePath(QString::fromLatin1(base));
        if (!QFileInfo::exists(path))
            path += QStringLiteral(".gz");
        if (!QFileInfo::exists(path))
            continue;
        try {
            // Opened without blocking and refused unless regular; nothing is read.
            InputFile probe(QFile::encodeName(path).toStdString(), "data", std::numeric_limits<std::uint64_t>::max());
        } catch (const std::exception &e) {
            if (error)
                *error = QString::fromLocal8Bit(e.what());
            return false;
        }
    }
    return true;
}

std::shared_ptr<const DataSplit> DataSetLoader::open(const QString &folder, int outputSize, QString *error)
{
    const QFileInfo info(folder);
    if (!info.exists()) {
        if (error)
            *error = tr("%1: no such folder").arg(folder);
        return {};
    }
    if (!info.isDir()) {
        if (error)
            *error = tr("%1: not a folder").arg(folder);
        return {};
    }
    if (!checkMembers(folder, error))
        return {};
    auto split = std::make_shared<DataSplit>();
    try {
        IdxLimits limits;
        // Labels are checked against the output layer below, with a message that says so.
        limits.maxLabel = 255;
        *split = loadIdxFolder(QDir(folder).absolutePath().toStdString(), limits);
    } catch (const std::bad_alloc &) {
        if (error)
            *error = tr("%1: not enough memory to load this data set").arg(folder);
        return {};
    } catch (const std::exception &e) {
        if (error)
            *error = QString::fromStdString(e.what());
        return {};
    }
    if (!check(*split, outputSize, error))
        return {};
    return split;
}

bool DataSetLoader::check(const DataSplit &split, int outputSize, QString *error)
{
    auto fail = [error](const QString &message) {
        if (error)
            *error = message;
        return false;
    };
    const QString source = QString::fromStdString(split.source);
    if (split.train.size() == 0)
        return fail(tr("%1: the training set is empty").arg(source));
    if (split.train.pixels.size() != static_cast<std::size_t>(split.train.size()) * split.train.pixelCount()
        || split.test.pixels.size() != static_cast<std::size_t>(split.test.size()) * split.test.pixelCount())
        return fail(tr("%1: image and label counts differ").arg(source));
    for (const Dataset *set : {&split.train, &split.test}) {
        if (set->size() == 0)
            continue;
        if (set->rows != kImageSide || set->cols != kImageSide)
            return fail(tr("%1: the images are %2x%3 pixels; the network and its views take %4x%4 images only "
                           "(no cropping or scaling is done)")
                            .arg(QString::fromStdString(set->name))
                            .arg(set->rows)
                            .arg(set->cols)
                            .arg(kImageSide));
        const int top = maxLabel(*set);
        if (top >= outputSize)
            return fail(tr("%1: label %2 does not fit the output layer of %3 neurons (labels 0-%4)")
                            .arg(QString::fromStdString(set->name))
                            .arg(top)
                            .arg(outputSize)
                            .arg(outputSize - 1));
    }
    return true;
}

QString DataSetLoader::summary(const DataSplit &split)
{
    const int classes = std::max(split.train.classCount(), split.test.classCount());
    return tr("train %1 / test %2, %3x%4, %5 classes")
        .arg(split.train.size())
        .arg(split.test.size())
        .arg(split.train.rows)
        .arg(split.train.cols)
        .arg(classes);
}

} // namespace firstspike

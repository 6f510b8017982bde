#pragma once
// Opening an IDX data set folder for training (File ▸ Open Data Set…): reads the four standard
// files (core/IdxReader.h) and checks that the network can use them. A refused set leaves
// nothing behind; the caller keeps the set it had.

#include "core/data/Dataset.h"

#include <QString>

#include <memory>

namespace firstspike {

class DataSetLoader {
public:
    // The image side the network's input layer and every view are built for.
    static constexpr int kImageSide = 28;

    // Null and `error` set (one line: which file, what is wrong) when the folder is not a folder,
    // a member is not a regular file (checkMembers), the folder lacks a file,
    // a file is malformed, image and label counts differ, a label does not fit an output
    // layer of `outputSize` neurons, or the images are not 28x28.
    static std::shared_ptr<const DataSplit> open(const QString &folder, int outputSize, QString *error);

    // The folder's four IDX files (each raw or .gz, the one the reader would pick) are regular
    // files: false and `error` set ("<path>: is a FIFO (named pipe), not a data file") for a
    // FIFO, device, socket or folder under such a name, found without reading (so without
    // blocking). A missing file is left to the reader, which names it.
    static bool checkMembers(const QString &folder, QString *error);

    // The same checks for a set already in memory (true: usable).
    static bool check(const DataSplit &split, int outputSize, QString *error);

    // "train 60000 / test 10000, 28x28, 10 classes".
    static QString summary(const DataSplit &split);
};

} // namespace firstspike

#pragma once
// `firstspike-cli data list|verify|download`: the data sets on this machine, their checks, and
// the download of full MNIST (DataDownloader). Lives here, next to the downloader, so the tests
// can run it in-process; app/cli_data.cpp only forwards argv. Needs a QCoreApplication.

#include <QStringList>
#include <QTextStream>

namespace firstspike {

class DataCommand {
public:
    // args: what follows "data" (e.g. {"download", "--folder", "/x"}). Returns the exit status:
    // 0 done, 1 failed (a check, the network), 2 usage error.
    static int run(const QStringList &args, QTextStream &out, QTextStream &err);
    static void printUsage(QTextStream &out);
};

} // namespace firstspike

// libFuzzer target: the session parser (ui/window/SessionParser.cpp, Qt Core only) on hostile
// bytes. Every input must end in a session or in one line "<path>: <reason>"; never an
// exception, a crash, a message without its reason, or a session that does not survive being
// written and read again.

#include "ui/window/SessionParser.h"

#include <QByteArray>
#include <QDir>
#include <QString>

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    using namespace firstspike;
    if (size > Session::kMaxFileBytes)
        return 0; // readSession() refuses these before parsing
    const QString path = QStringLiteral("/fuzz/run.fssession");
    const QByteArray json(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    Session session;
    QString error;
    if (!parseSession(json, path, session, &error)) {
        // One line naming the file and why.
        if (!error.startsWith(path + QStringLiteral(": ")) || error.size() <= path.size() + 2
            || error.endsWith(QStringLiteral(": ")) || error.contains(QLatin1Char('\n'))
            || error.contains(QStringLiteral("std::")) || error.contains(QStringLiteral("no error occurred")))
            std::abort();
        return 0;
    }
    // What was accepted is written back and read again to the same settings.
    Session again;
    QString againError;
    if (!parseSession(sessionToJson(session, path), path, again, &againError))
        std::abort();
    const RunConfig &a = session.config, &b = again.config;
    if (a.network.layerSizes != b.network.layerSizes || a.network.threshold != b.network.threshold
        || a.network.maxSpikeTime != b.network.maxSpikeTime || a.training.batchSize != b.training.batchSize
        || a.training.optimizer.learningRate != b.training.optimizer.learningRate || a.training.seed != b.training.seed
        || a.training.threads != b.training.threads || a.trainLimit != b.trainLimit || a.testLimit != b.testLimit
        || QDir::cleanPath(session.checkpoint) != QDir::cleanPath(again.checkpoint) || session.inspectSample != again.inspectSample)
        std::abort();
    return 0;
}

#include "ui/runs/RunsLocation.h"

#include <QDir>
#include <QStandardPaths>

namespace firstspike {

QString RunsLocation::defaultFolder()
{
    const QString env = qEnvironmentVariable("FIRSTSPIKE_RUNS_DIR");
    if (!env.isEmpty())
        return env;
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)).filePath(QStringLiteral("runs"));
}

} // namespace firstspike

#include "ui/runs/RunsLocation.h"

#include "core/runs/RunsFolder.h"

#include <QFile>
#include <QStandardPaths>

namespace firstspike {

QString RunsLocation::defaultFolder()
{
    const QString base = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    return QFile::decodeName(
        QByteArray::fromStdString(RunsFolder::choose({}, base.isEmpty() ? std::string() : QFile::encodeName(base).toStdString())));
}

} // namespace firstspike

#include "ui/window/SessionFile.h"

#include "ui/export/FigureExporter.h"

namespace firstspike {

QByteArray SessionFile::toJson(const Session &session, const QString &sessionPath)
{
    return sessionToJson(session, sessionPath);
}

bool SessionFile::fromJson(const QByteArray &json, const QString &sessionPath, Session &session, QString *error)
{
    return parseSession(json, sessionPath, session, error);
}

bool SessionFile::save(const Session &session, const QString &path, QString *error)
{
    return writeFileSafely(path, toJson(session, path), error);
}

bool SessionFile::load(const QString &path, Session &session, QString *error)
{
    return readSession(path, session, error);
}

} // namespace firstspike

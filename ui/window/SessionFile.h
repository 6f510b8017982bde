#pragma once
// A session file (`.fssession`, JSON, docs/FORMATS.md "Session"): the settings, the checkpoint
// the run was saved to, and the view layout, so one file reopens the whole workspace. The
// format itself (Qt Core only, for the fuzz target) is in SessionParser.h.

#include "ui/window/SessionParser.h"

#include <QByteArray>
#include <QString>

namespace firstspike {

class SessionFile {
public:
    // The checkpoint path is written relative to the session file's folder when it lies inside it.
    static QByteArray toJson(const Session &session, const QString &sessionPath);
    // False and *error (naming the file, the field and why) on malformed input.
    static bool fromJson(const QByteArray &json, const QString &sessionPath, Session &session, QString *error);
    static bool save(const Session &session, const QString &path, QString *error);
    // Regular files of at most Session::kMaxFileBytes only: a FIFO, a device or a huge file is
    // refused with the reason before anything blocks or is allocated.
    static bool load(const QString &path, Session &session, QString *error);
};

} // namespace firstspike

#pragma once
// A session file (`.fssession`, JSON, docs/FORMATS.md "Session"): the settings, the checkpoint
// the run was saved to, and the view layout, so one file reopens the whole workspace.

#include "ui/training/TrainingSnapshot.h"

#include <QByteArray>
#include <QString>

namespace firstspike {

struct Session {
    static constexpr int kFormatVersion = 1;

    RunConfig config;
    QString checkpoint;        // absolute; empty when the run had not been trained
    QString dataFolder;        // absolute IDX folder the run trains on; empty: the embedded set
    QByteArray windowGeometry; // QMainWindow::saveGeometry()
    QByteArray windowState;    // QMainWindow::saveState(): docks and tool bars
    bool inspectTab = false;
    double smoothing = 0.9;
    bool logScale = false;
    int watchedNeurons = 64;
    int inspectSample = 0;
};

class SessionFile {
public:
    // The checkpoint path is written relative to the session file's folder when it lies inside it.
    static QByteArray toJson(const Session &session, const QString &sessionPath);
    // False and *error (naming the file) on malformed input.
    static bool fromJson(const QByteArray &json, const QString &sessionPath, Session &session, QString *error);
    static bool save(const Session &session, const QString &path, QString *error);
    static bool load(const QString &path, Session &session, QString *error);
};

} // namespace firstspike

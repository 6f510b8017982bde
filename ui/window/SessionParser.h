#pragma once
// The session file's contents (docs/FORMATS.md "Session") and its JSON form, with Qt Core only:
// the GUI's SessionFile writes and reads through these, and the fuzz target (built without the
// widgets) compiles this file alone.

#include "ui/training/TrainingSnapshot.h"

#include <QByteArray>
#include <QString>

#include <cstdint>

namespace firstspike {

struct Session {
    static constexpr int kFormatVersion = 1;
    // The largest session file read. The app writes about 3 kB (most of it the base64 window
    // layout); 4 MB leaves room for any real layout and keeps /dev/zero or a huge file from
    // being read at all.
    static constexpr std::uint64_t kMaxFileBytes = 4000000;

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

// The checkpoint path is written relative to the session file's folder when it lies inside it.
QByteArray sessionToJson(const Session &session, const QString &sessionPath);
// False and *error on anything but a well-formed session: one line "<sessionPath>: <problem>"
// naming the field and why (a JSON syntax error with its byte offset, a missing or wrong-typed
// field, a setting outside its range, SettingsLimits.h). Never throws.
bool parseSession(const QByteArray &json, const QString &sessionPath, Session &session, QString *error);
// Reads (through SafeFile: regular files of at most Session::kMaxFileBytes only, so a FIFO or
// a device is refused without blocking) and parses the file.
bool readSession(const QString &path, Session &session, QString *error);

} // namespace firstspike

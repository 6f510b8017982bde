// MainWindow: the File menu — checkpoints, sessions, recent files, autosave. The figure and
// data exports it offers are in MainWindowExport.cpp.

#include "ui/window/MainWindow.h"

#include "core/files/Checkpoint.h"
#include "ui/training/ConfigPanel.h"
#include "ui/curves/CurvesView.h"
#include "core/files/DataExport.h"
#include "core/data/Dataset.h"
#include "ui/inspect/DigitCausalView.h"
#include "ui/export/FigureExportDialog.h"
#include "ui/inspect/InspectPanel.h"
#include "ui/runs/RunsView.h"
#include "ui/inspect/MembranePotentialView.h"
#include "ui/training/NetworkHistory.h"
#include "ui/weights/NeuronDetailView.h"
#include "ui/inspect/OutputTimingView.h"
#include "ui/inspect/SamplePanel.h"
#include "ui/window/SessionFile.h"
#include "ui/inspect/SpikeRasterView.h"
#include "ui/weights/WeightMapView.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QChartView>
#include <QDir>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>

namespace firstspike {

namespace {

constexpr int kRecentFiles = 8;

} // namespace

void MainWindow::createFileMenu(QMenu *file)
{
    QAction *open = file->addAction(tr("&Open Checkpoint or Session…"), this, &MainWindow::openInteractively);
    open->setShortcut(QKeySequence::Open);
    recentMenu_ = file->addMenu(tr("Open &Recent"));
    QAction *openData = file->addAction(tr("Open &Data Set…"), this, &MainWindow::openDataSetInteractively);
    openData->setObjectName(QStringLiteral("openDataSetAction"));
    openData->setToolTip(tr("Train on a folder with the four IDX files of an MNIST-style set (raw or .gz)"));
    QAction *download = file->addAction(tr("Do&wnload Full MNIST…"), this, [this] {
        if (confirmNewRun())
            downloadMnist();
    });
    download->setObjectName(QStringLiteral("downloadMnistAction"));
    download->setToolTip(tr("60,000 training and 10,000 test digits from the public mirrors, checksums verified"));
    QAction *embedded = file->addAction(tr("Use &Embedded Digits"), this, [this] {
        if (confirmNewRun())
            useEmbeddedData();
    });
    embedded->setObjectName(QStringLiteral("useEmbeddedDataAction"));
    QAction *save = file->addAction(tr("&Save Checkpoint"), this, [this] { saveCheckpointInteractively(false); });
    save->setShortcut(QKeySequence::Save);
    save->setToolTip(tr("Save the network, optimiser state and metrics history (atomically)"));
    QAction *saveAs = file->addAction(tr("Save Checkpoint &As…"), this, [this] { saveCheckpointInteractively(true); });
    saveAs->setShortcut(QKeySequence::SaveAs);
    file->addAction(tr("Save Sessio&n…"), this, &MainWindow::saveSessionInteractively);
    file->addAction(tr("A&utosave Folder…"), this, &MainWindow::chooseAutosaveFolder);
    QAction *runsFolder = file->addAction(tr("R&uns Folder…"), this, &MainWindow::chooseRunsFolder);
    runsFolder->setObjectName(QStringLiteral("runsFolderAction"));
    runsFolder->setToolTip(tr("Where every run is recorded, and whose runs the Runs tab shows"));
    file->addSeparator();
    QAction *importNetwork = file->addAction(tr("&Import Network…"), this, &MainWindow::importNetworkInteractively);
    importNetwork->setObjectName(QStringLiteral("importNetworkAction"));
    importNetwork->setToolTip(tr("Open a network from a NIR file (HDF5): Input → Affine → LI → IF … → Output"));
    QAction *exportNetwork = file->addAction(tr("Export &Network…"), this, &MainWindow::exportNetworkInteractively);
    exportNetwork->setObjectName(QStringLiteral("exportNetworkAction"));
    exportNetwork->setToolTip(tr("Save the current network as a NIR graph (HDF5) for other neuromorphic tools"));

    QMenu *figures = file->addMenu(tr("&Export Figure"));
    const std::pair<const char *, const char *> names[] = {
        {"curves", QT_TR_NOOP("Loss and Accuracy &Curves…")}, {"weights", QT_TR_NOOP("&Weight Maps…")},
        {"sample", QT_TR_NOOP("Test &Sample…")},             {"raster", QT_TR_NOOP("Spike &Raster…")},
        {"digit", QT_TR_NOOP("Causal Set on the &Digit…")},   {"membrane", QT_TR_NOOP("&Membrane Potential V(t)…")},
        {"timing", QT_TR_NOOP("Per-Digit Output &Timing…")},  {"dashboard", QT_TR_NOOP("Whole &Dashboard…")}};
    for (const auto &[name, text] : names) {
        const QString figure = QString::fromLatin1(name);
        figures->addAction(tr(text), this, [this, figure] { exportFigureInteractively(figure); });
    }
    figures->addSeparator();
    figures->addAction(tr("&All Figures to a Folder…"), this, &MainWindow::exportAllFiguresInteractively);

    QMenu *data = file->addMenu(tr("Export &Data"));
    const std::pair<DataExportKind, const char *> kinds[] = {
        {DataExportKind::MetricsCsv, QT_TR_NOOP("&Metrics History (CSV)…")},
        {DataExportKind::MetricsJson, QT_TR_NOOP("Metrics History (&JSON)…")},
        {DataExportKind::SampleSpikesCsv, QT_TR_NOOP("Spike Times of the &Shown Sample (CSV)…")},
        {DataExportKind::SampleSpikesJson, QT_TR_NOOP("Spike Times of the Shown Sample (JS&ON)…")},
        {DataExportKind::TestSpikesCsv, QT_TR_NOOP("Spike Times of the &Test Set (CSV)…")},
        {DataExportKind::TestSpikesJson, QT_TR_NOOP("Spike Times of the Test Set (JSO&N)…")},
        {DataExportKind::WeightsCsv, QT_TR_NOOP("&Weights (CSV)…")},
        {DataExportKind::InspectedSpikesCsv, QT_TR_NOOP("Spike Raster of the &Inspected Sample (CSV)…")},
        {DataExportKind::InspectedSpikesNir, QT_TR_NOOP("Spike Raster of the Inspected Sample (N&IR)…")}};
    for (const auto &[kind, text] : kinds) {
        const DataExportKind k = kind;
        data->addAction(tr(text), this, [this, k] { exportDataInteractively(k); });
    }
    file->addAction(exportAction_);
    file->addSeparator();
    file->addAction(quitAction_);
}

// ---- the folder file dialogs start in -------------------------------------------------

QString MainWindow::lastFolder() const
{
    if (!lastFolder_.isEmpty() && QFileInfo(lastFolder_).isDir())
        return lastFolder_;
    return QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
}

void MainWindow::rememberFolder(const QString &path)
{
    lastFolder_ = QFileInfo(path).absolutePath();
    if (options_.useSettings) {
        QSettings settings;
        settings.setValue(QStringLiteral("export/folder"), lastFolder_);
        settings.setValue(QStringLiteral("export/format"), FigureExporter::extension(lastFigureFormat_));
    }
}

// ---- checkpoints, sessions, recent files -------------------------------------------------

quint64 MainWindow::saveCheckpoint(const QString &path)
{
    return controller_->saveCheckpoint(path);
}

bool MainWindow::openCheckpoint(const QString &path)
{
    return controller_->openCheckpoint(path);
}

bool MainWindow::openFile(const QString &path)
{
    if (path.endsWith(QLatin1String(".fssession"), Qt::CaseInsensitive)) {
        QString error;
        if (openSession(path, &error))
            return true;
        showOpenError(error);
        return false;
    }
    return openCheckpoint(path);
}

void MainWindow::saveCheckpointInteractively(bool askPath)
{
    QString path = askPath ? QString() : controller_->checkpointPath();
    if (path.isEmpty())
        path = QFileDialog::getSaveFileName(this, tr("Save Checkpoint"), QDir(lastFolder()).filePath(QStringLiteral("run.fsck")),
                                            tr("Firstspike checkpoints (*.fsck)"));
    if (path.isEmpty())
        return;
    rememberFolder(path);
    saveCheckpoint(path);
}

void MainWindow::openInteractively()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open Checkpoint or Session"), lastFolder(),
        tr("Checkpoints and sessions (*.fsck *.fssession);;Checkpoints (*.fsck);;Sessions (*.fssession);;All files (*)"));
    if (path.isEmpty())
        return;
    rememberFolder(path);
    openFile(path);
}

Session MainWindow::currentSession() const
{
    Session s;
    s.config = controller_->config();
    s.checkpoint = controller_->checkpointPath();
    s.dataFolder = dataFolder_;
    s.windowGeometry = saveGeometry();
    s.windowState = saveState();
    s.inspectTab = tabs_->currentWidget() == inspect_;
    s.smoothing = curves_->smoothing();
    s.logScale = curves_->logScale();
    s.watchedNeurons = controller_->watchedNeurons();
    s.inspectSample = inspect_->sampleIndex();
    return s;
}

void MainWindow::saveSession(const QString &path)
{
    auto writeSession = [this, path](const QString &checkpoint) {
        Session s = currentSession();
        s.checkpoint = checkpoint;
        QString error;
        if (SessionFile::save(s, path, &error)) {
            addRecentFile(path);
            statusBar()->showMessage(tr("Saved session %1.").arg(path), 6000);
            Q_EMIT sessionSaved(path, QString());
        } else {
            showSaveError(path, error);
            Q_EMIT sessionSaved(path, error);
        }
    };
    if (!latest_ || latest_->step == 0) {
        writeSession(QString()); // nothing trained: the settings and layout are the session
        return;
    }
    const QFileInfo info(path);
    const QString checkpoint = info.absoluteDir().filePath(info.completeBaseName() + QStringLiteral(".fsck"));
    const quint64 id = controller_->saveCheckpoint(checkpoint);
    auto *context = new QObject(this);
    connect(controller_, &TrainingController::checkpointSaved, context,
            [context, id, checkpoint, writeSession](quint64 done) {
                if (done != id)
                    return;
                context->deleteLater();
                writeSession(checkpoint);
            });
    connect(controller_, &TrainingController::saveFailed, context,
            [this, context, id, path](quint64 done, const QString &, const QString &error) {
                if (done != id)
                    return;
                context->deleteLater();
                Q_EMIT sessionSaved(path, error);
            });
}

bool MainWindow::openSession(const QString &path, QString *error)
{
    Session s;
    if (!SessionFile::load(path, s, error))
        return false;
    if (!s.checkpoint.isEmpty() && !QFileInfo::exists(s.checkpoint)) {
        if (error)
            *error = tr("%1: its checkpoint %2 is missing").arg(path, s.checkpoint);
        return false;
    }
    // The session's own network must fit before anything changes (the checkpoint's is checked
    // when it is read, below).
    if (s.checkpoint.isEmpty()) {
        if (const QString problem = TrainingController::checkNetworkFits(s.config.network); !problem.isEmpty()) {
            if (error)
                *error = tr("%1: %2").arg(path, problem);
            return false;
        }
    }
    // The run's data set first: the checkpoint is then restored onto it.
    if (s.dataFolder != dataFolder_) {
        QString problem;
        if (s.dataFolder.isEmpty())
            useEmbeddedData();
        else if (!openDataSet(s.dataFolder, &problem)) {
            if (error)
                *error = tr("%1: its data set cannot be opened: %2").arg(path, problem);
            return false;
        }
    }
    if (!s.windowGeometry.isEmpty())
        restoreGeometry(s.windowGeometry);
    if (!s.windowState.isEmpty())
        restoreState(s.windowState);
    curves_->setSmoothing(s.smoothing);
    curves_->setLogScale(s.logScale);
    controller_->setWatchedNeurons(s.watchedNeurons);
    for (QAction *a : watchedGroup_->actions())
        a->setChecked(a->data().toInt() == s.watchedNeurons);
    if (s.checkpoint.isEmpty()) {
        config_->setConfig(s.config);
        controller_->setConfig(s.config);
    } else {
        // The checkpoint's settings win; the session adds the data limits.
        RunConfig limits = controller_->config();
        limits.trainLimit = s.config.trainLimit;
        limits.testLimit = s.config.testLimit;
        controller_->setConfig(limits);
        if (!controller_->openCheckpoint(s.checkpoint)) {
            if (error)
                *error = tr("%1: its checkpoint cannot be opened: %2").arg(path, controller_->lastOpenError());
            return false;
        }
    }
    showInspect(s.inspectTab);
    // The Inspect panel takes a digit once it has the (re)loaded data; poll until then.
    const int sample = s.inspectSample;
    auto *poll = new QTimer(this);
    poll->setInterval(50);
    auto tries = std::make_shared<int>(0);
    connect(poll, &QTimer::timeout, this, [this, poll, sample, tries] {
        if (inspect_->testSize() > 0 && inspect_->entries().size() > 0) {
            inspect_->setSample(sample);
            poll->deleteLater();
        } else if (++*tries > 600) {
            poll->deleteLater();
        }
    });
    poll->start();
    if (inspect_->testSize() > 0)
        inspect_->setSample(sample);
    addRecentFile(path);
    statusBar()->showMessage(tr("Opened session %1.").arg(path), 6000);
    return true;
}

void MainWindow::saveSessionInteractively()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Save Session"),
                                                      QDir(lastFolder()).filePath(QStringLiteral("session.fssession")),
                                                      tr("Firstspike sessions (*.fssession)"));
    if (path.isEmpty())
        return;
    rememberFolder(path);
    saveSession(path);
}

void MainWindow::setAutosaveFolder(const QString &folder)
{
    controller_->setAutosave(folder, 3);
    if (options_.useSettings)
        QSettings().setValue(QStringLiteral("autosave/folder"), folder);
}

void MainWindow::setRunsFolder(const QString &folder)
{
    controller_->setRunRecording(folder);
    if (runsView_->folder() != folder)
        runsView_->setFolder(folder);
    if (options_.useSettings)
        QSettings().setValue(QStringLiteral("runs/folder"), folder);
}

QString MainWindow::runsFolder() const
{
    return controller_->runsFolder();
}

bool MainWindow::openRunCheckpoint(const QString &checkpointPath)
{
    // As File ▸ Open Checkpoint: the checkpoint replaces the current run.
    if (!openCheckpoint(checkpointPath))
        return false;
    showInspect(true);
    return true;
}

void MainWindow::chooseRunsFolder()
{
    QMessageBox box(QMessageBox::Question, tr("Runs Folder"),
                    controller_->runsFolder().isEmpty()
                        ? tr("Runs are not recorded.")
                        : tr("Every run is recorded in a folder of %1, and the Runs tab shows the runs there.")
                              .arg(controller_->runsFolder()),
                    QMessageBox::NoButton, this);
    QPushButton *choose = box.addButton(tr("Choose Folder…"), QMessageBox::AcceptRole);
    QPushButton *off = box.addButton(tr("Stop Recording"), QMessageBox::DestructiveRole);
    box.addButton(QMessageBox::Cancel);
    box.exec();
    if (box.clickedButton() == off) {
        controller_->setRunRecording(QString());
        if (options_.useSettings)
            QSettings().setValue(QStringLiteral("runs/folder"), QString());
    } else if (box.clickedButton() == choose) {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Runs Folder"), controller_->runsFolder());
        if (!folder.isEmpty())
            setRunsFolder(folder);
    }
}

void MainWindow::chooseAutosaveFolder()
{
    QMessageBox box(QMessageBox::Question, tr("Autosave"),
                    controller_->autosaveFolder().isEmpty()
                        ? tr("Autosave is off.")
                        : tr("At the end of every epoch the run is saved to %1 (the newest 3 are kept).")
                              .arg(controller_->autosaveFolder()),
                    QMessageBox::NoButton, this);
    QPushButton *choose = box.addButton(tr("Choose Folder…"), QMessageBox::AcceptRole);
    QPushButton *off = box.addButton(tr("Turn Off"), QMessageBox::DestructiveRole);
    box.addButton(QMessageBox::Cancel);
    box.exec();
    if (box.clickedButton() == off) {
        setAutosaveFolder(QString());
    } else if (box.clickedButton() == choose) {
        const QString folder = QFileDialog::getExistingDirectory(this, tr("Autosave Folder"), controller_->autosaveFolder());
        if (!folder.isEmpty())
            setAutosaveFolder(folder);
    }
}

void MainWindow::addRecentFile(const QString &path)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    recentFiles_.removeAll(absolute);
    recentFiles_.prepend(absolute);
    while (recentFiles_.size() > kRecentFiles)
        recentFiles_.removeLast();
    if (options_.useSettings)
        QSettings().setValue(QStringLiteral("recentFiles"), recentFiles_);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu()
{
    if (!recentMenu_)
        return;
    recentMenu_->clear();
    int n = 0;
    for (const QString &path : recentFiles_) {
        QAction *a = recentMenu_->addAction(QStringLiteral("&%1 %2").arg(++n).arg(QFileInfo(path).fileName()), this,
                                            [this, path] { openFile(path); });
        a->setToolTip(path);
        a->setStatusTip(path);
        a->setEnabled(QFileInfo::exists(path));
    }
    if (recentFiles_.isEmpty())
        recentMenu_->addAction(tr("(none)"))->setEnabled(false);
    recentMenu_->addSeparator();
    recentMenu_->addAction(tr("&Clear Menu"), this, [this] {
        recentFiles_.clear();
        if (options_.useSettings)
            QSettings().remove(QStringLiteral("recentFiles"));
        rebuildRecentMenu();
    });
}

void MainWindow::showOpenError(const QString &error)
{
    statusBar()->showMessage(tr("Could not open: %1").arg(error));
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Could not open"), error, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setModal(false);
    box->setObjectName(QStringLiteral("openErrorBox"));
    box->show();
}

void MainWindow::showSaveError(const QString &path, const QString &error)
{
    statusBar()->showMessage(tr("Could not save: %1").arg(error));
    // Not modal, like the training errors: the run and the views go on.
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Could not save"), error, QMessageBox::Ok, this);
    box->setInformativeText(QFileInfo::exists(path) ? tr("The previous file is unchanged.")
                                                    : tr("Nothing was written."));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setModal(false);
    box->setObjectName(QStringLiteral("saveErrorBox"));
    box->show();
}

} // namespace firstspike

// MainWindow: the File menu — checkpoints, sessions, recent files, autosave, figure and data
// exports. (Split from MainWindow.cpp to keep that file about the views and the run.)

#include "MainWindow.h"

#include "Checkpoint.h"
#include "ConfigPanel.h"
#include "CurvesView.h"
#include "DataExport.h"
#include "Dataset.h"
#include "DigitCausalView.h"
#include "FigureExportDialog.h"
#include "InspectPanel.h"
#include "MembranePotentialView.h"
#include "NetworkHistory.h"
#include "NeuronDetailView.h"
#include "OutputTimingView.h"
#include "SamplePanel.h"
#include "SessionFile.h"
#include "SpikeRasterView.h"
#include "WeightMapView.h"

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

QString dataFilter(DataExportKind kind)
{
    switch (kind) {
    case DataExportKind::MetricsJson:
    case DataExportKind::SampleSpikesJson:
    case DataExportKind::TestSpikesJson: return QObject::tr("JSON files (*.json)");
    default: return QObject::tr("CSV files (*.csv)");
    }
}

QString dataDefaultName(DataExportKind kind)
{
    switch (kind) {
    case DataExportKind::MetricsCsv: return QStringLiteral("metrics.csv");
    case DataExportKind::MetricsJson: return QStringLiteral("metrics.json");
    case DataExportKind::SampleSpikesCsv: return QStringLiteral("spikes-sample.csv");
    case DataExportKind::SampleSpikesJson: return QStringLiteral("spikes-sample.json");
    case DataExportKind::TestSpikesCsv: return QStringLiteral("spikes-test.csv");
    case DataExportKind::TestSpikesJson: return QStringLiteral("spikes-test.json");
    case DataExportKind::WeightsCsv: return QStringLiteral("weights.csv");
    }
    return {};
}

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
    file->addSeparator();

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
        {DataExportKind::WeightsCsv, QT_TR_NOOP("&Weights (CSV)…")}};
    for (const auto &[kind, text] : kinds) {
        const DataExportKind k = kind;
        data->addAction(tr(text), this, [this, k] { exportDataInteractively(k); });
    }
    file->addAction(exportAction_);
    file->addSeparator();
    file->addAction(quitAction_);
}

// ---- figures ---------------------------------------------------------------------------

std::vector<Figure> MainWindow::figures()
{
    refreshViews();
    return FigureExporter::windowFigures(*this);
}

bool MainWindow::exportFigure(const QString &name, const QString &path, FigureFormat format,
                              const FigureOptions &options, QString *error)
{
    for (const Figure &f : figures())
        if (f.name == name)
            return FigureExporter::write(f, path, format, options, error);
    if (error)
        *error = tr("there is no figure '%1'").arg(name);
    return false;
}

bool MainWindow::waitInspectSettled(int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (!inspect_->settled() && t.elapsed() < timeoutMs)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    QCoreApplication::processEvents();
    return inspect_->settled();
}

bool MainWindow::exportAllFigures(const QString &folder, const QList<FigureFormat> &formats,
                                  const FigureOptions &options, int sample, QStringList *written, QString *error)
{
    if (!QDir().mkpath(folder)) {
        if (error)
            *error = tr("%1: cannot create the folder").arg(folder);
        return false;
    }
    // The Inspect views compute when shown: show them, let them settle, then draw everything.
    const bool wasInspecting = tabs_->currentWidget() == inspect_;
    showInspect(true);
    if (sample >= 0)
        inspect_->setSample(std::min(sample, std::max(0, inspect_->testSize() - 1)));
    if (!waitInspectSettled()) {
        if (error)
            *error = tr("the Inspect views did not finish computing");
        showInspect(wasInspecting);
        return false;
    }
    // The Inspect views are drawn while their tab is up, the others (and the dashboard) with
    // the Training tab and its docks back.
    const QStringList inspectFigures{QStringLiteral("raster"), QStringLiteral("digit"), QStringLiteral("membrane"),
                                     QStringLiteral("timing")};
    bool ok = true;
    auto writeFigures = [&](bool inspectPass) {
        for (const Figure &f : figures()) {
            if (inspectFigures.contains(f.name) != inspectPass || f.size.isEmpty())
                continue;
            for (FigureFormat format : formats) {
                const QString path = QDir(folder).filePath(f.name + QLatin1Char('.') + FigureExporter::extension(format));
                QString why;
                if (FigureExporter::write(f, path, format, options, &why)) {
                    if (written)
                        *written << path;
                } else {
                    ok = false;
                    if (error)
                        *error = why;
                }
            }
        }
    };
    writeFigures(true);
    showInspect(false);
    QCoreApplication::processEvents();
    refreshViews();
    writeFigures(false);
    showInspect(wasInspecting);
    return ok;
}

void MainWindow::installFigureMenus()
{
    auto attach = [this](QWidget *view, const QString &figure) {
        view->setContextMenuPolicy(Qt::CustomContextMenu);
        connect(view, &QWidget::customContextMenuRequested, this,
                [this, view, figure](const QPoint &pos) { showFigureMenu(view, figure, pos); });
    };
    attach(curves_->lossChart(), QStringLiteral("curves"));
    attach(curves_->accuracyChart(), QStringLiteral("curves"));
    attach(weights_, QStringLiteral("weights"));
    attach(detail_, QStringLiteral("weights"));
    attach(sample_, QStringLiteral("sample"));
    attach(inspect_->raster(), QStringLiteral("raster"));
    attach(inspect_->digitView(), QStringLiteral("digit"));
    attach(inspect_->membraneView(), QStringLiteral("membrane"));
    attach(inspect_->timingView(), QStringLiteral("timing"));
}

void MainWindow::showFigureMenu(QWidget *view, const QString &figure, const QPoint &pos)
{
    QMenu menu(this);
    menu.setObjectName(QStringLiteral("figureMenu"));
    if (auto *chart = qobject_cast<QChartView *>(view)) {
        // Right-click used to zoom out here; it stays the first entry.
        menu.addAction(tr("Zoom &Out"), this, [this, chart] {
            chart->chart()->zoomOut();
            curves_->refresh();
        });
        menu.addAction(resetZoomAction_);
        menu.addSeparator();
    }
    menu.addAction(tr("&Export Figure…"), this, [this, figure] { exportFigureInteractively(figure); });
    menu.addAction(tr("Export &Dashboard…"), this, [this] { exportFigureInteractively(QStringLiteral("dashboard")); });
    menu.exec(view->mapToGlobal(pos));
}

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

void MainWindow::exportFigureInteractively(const QString &name)
{
    for (const Figure &f : figures()) {
        if (f.name != name)
            continue;
        FigureExportDialog dialog(f, lastFolder(), lastFigureFormat_, this);
        if (dialog.exec() != QDialog::Accepted || dialog.path().isEmpty())
            return;
        lastFigureFormat_ = dialog.format();
        rememberFolder(dialog.path());
        QString error;
        if (FigureExporter::write(f, dialog.path(), dialog.format(), dialog.options(), &error))
            statusBar()->showMessage(tr("Exported %1.").arg(dialog.path()), 6000);
        else
            showSaveError(dialog.path(), error);
        return;
    }
}

void MainWindow::exportAllFiguresInteractively()
{
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Export All Figures To"), lastFolder());
    if (folder.isEmpty())
        return;
    rememberFolder(QDir(folder).filePath(QStringLiteral("x")));
    QStringList written;
    QString error;
    QApplication::setOverrideCursor(Qt::WaitCursor);
    const bool ok = exportAllFigures(folder, {FigureFormat::Png, FigureFormat::Svg, FigureFormat::Pdf},
                                     FigureOptions{{}, 192}, -1, &written, &error);
    QApplication::restoreOverrideCursor();
    if (ok)
        statusBar()->showMessage(tr("Exported %1 figure files to %2.").arg(written.size()).arg(folder), 8000);
    else
        showSaveError(folder, error);
}

// ---- data ------------------------------------------------------------------------------

bool MainWindow::exportData(DataExportKind kind, const QString &path, QString *error)
{
    auto fail = [&](const QString &why) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, why);
        return false;
    };
    std::string text;
    if (kind == DataExportKind::MetricsCsv || kind == DataExportKind::MetricsJson) {
        const std::vector<EpochMetrics> history = latest_ ? latest_->history : std::vector<EpochMetrics>{};
        text = kind == DataExportKind::MetricsCsv ? metricsToCsv(history) : metricsToJson(history);
    } else {
        const std::vector<HistoryEntryPtr> entries = controller_->history()->entries();
        const std::shared_ptr<const DataSplit> data = controller_->history()->data();
        if (entries.empty() || !entries.back()->network || !data)
            return fail(tr("there is no network yet"));
        const SpikeNetwork &net = *entries.back()->network; // the weights the run is at
        if (kind == DataExportKind::WeightsCsv) {
            text = weightsToCsv(net.allWeights());
        } else {
            const Dataset &set = data->test;
            int first = 0, last = set.size();
            if (kind == DataExportKind::SampleSpikesCsv || kind == DataExportKind::SampleSpikesJson) {
                first = std::clamp(inspect_->sampleIndex(), 0, std::max(0, set.size() - 1));
                last = std::min(set.size(), first + 1);
            }
            const bool csv = kind == DataExportKind::SampleSpikesCsv || kind == DataExportKind::TestSpikesCsv;
            std::vector<SampleSpikes> samples;
            if (csv)
                text = spikesCsvHeader();
            for (int i = first; i < last; ++i) {
                SampleSpikes s;
                s.sample = i;
                s.label = set.labels[i];
                net.forward(set.image(i), s.pass);
                if (csv)
                    text += spikesToCsv(s);
                else
                    samples.push_back(std::move(s));
            }
            if (!csv)
                text = spikesToJson(samples);
        }
    }
    return writeFileSafely(path, QByteArray::fromStdString(text), error);
}

void MainWindow::exportDataInteractively(DataExportKind kind)
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Data"),
                                                      QDir(lastFolder()).filePath(dataDefaultName(kind)), dataFilter(kind));
    if (path.isEmpty())
        return;
    rememberFolder(path);
    QString error;
    QApplication::setOverrideCursor(Qt::WaitCursor);
    const bool ok = exportData(kind, path, &error);
    QApplication::restoreOverrideCursor();
    if (ok)
        statusBar()->showMessage(tr("Exported %1.").arg(path), 6000);
    else
        showSaveError(path, error);
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
        showSaveError(path, error);
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
                *error = tr("%1: %2").arg(path, controller_->lastError());
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

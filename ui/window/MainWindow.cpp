#include "ui/window/MainWindow.h"

#include "core/files/Checkpoint.h"
#include "ui/training/ConfigPanel.h"
#include "ui/curves/CurvesView.h"
#include "core/files/DataExport.h"
#include "ui/data/DataSetLoader.h"
#include "ui/data/DataSetView.h"
#include "ui/runs/RunsLocation.h"
#include "ui/runs/RunsView.h"
#include "core/data/Dataset.h"
#include "ui/inspect/DigitCausalView.h"
#include "ui/export/FigureExportDialog.h"
#include "ui/inspect/InspectPanel.h"
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
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QPushButton>
#include <QStandardPaths>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QThread>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>

#include <QChartView>

#include <algorithm>
#include <cmath>

namespace firstspike {

namespace {

QString formatDuration(double seconds)
{
    if (!std::isfinite(seconds) || seconds < 0)
        return QStringLiteral("–");
    const long long s = std::llround(seconds);
    if (s >= 3600)
        return QStringLiteral("%1:%2:%3").arg(s / 3600).arg(s / 60 % 60, 2, 10, QLatin1Char('0')).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
}

QLabel *statusField(const QString &tip, int minWidth)
{
    auto *l = new QLabel;
    l->setToolTip(tip);
    l->setMinimumWidth(minWidth);
    return l;
}

void saveRunConfig(QSettings &s, const RunConfig &c)
{
    s.beginGroup(QStringLiteral("config"));
    s.setValue(QStringLiteral("layers"), QString::fromStdString(layerSizesToString(c.network.layerSizes)));
    s.setValue(QStringLiteral("encoding"), QString::fromStdString(encodingName(c.network.encoding.kind)));
    s.setValue(QStringLiteral("optimizer"), QString::fromStdString(optimizerName(c.training.optimizer.kind)));
    s.setValue(QStringLiteral("learningRate"), c.training.optimizer.learningRate);
    s.setValue(QStringLiteral("batchSize"), c.training.batchSize);
    s.setValue(QStringLiteral("epochs"), c.training.epochs);
    s.setValue(QStringLiteral("seed"), static_cast<qulonglong>(c.training.seed));
    s.setValue(QStringLiteral("threads"), c.training.threads);
    s.setValue(QStringLiteral("trainLimit"), c.trainLimit);
    s.endGroup();
}

RunConfig loadRunConfig(QSettings &s)
{
    RunConfig c;
    s.beginGroup(QStringLiteral("config"));
    std::vector<int> sizes;
    if (parseLayerSizes(s.value(QStringLiteral("layers")).toString().toStdString(), sizes) && sizes.front() == 784
        && sizes.back() >= 10)
        c.network.layerSizes = sizes;
    parseEncoding(s.value(QStringLiteral("encoding")).toString().toStdString(), c.network.encoding.kind);
    parseOptimizer(s.value(QStringLiteral("optimizer")).toString().toStdString(), c.training.optimizer.kind);
    const double lr = s.value(QStringLiteral("learningRate"), c.training.optimizer.learningRate).toDouble();
    if (lr > 0 && lr <= 1)
        c.training.optimizer.learningRate = lr;
    c.training.batchSize = std::clamp(s.value(QStringLiteral("batchSize"), c.training.batchSize).toInt(), 1, 4096);
    c.training.epochs = std::clamp(s.value(QStringLiteral("epochs"), c.training.epochs).toInt(), 1, 10000);
    c.training.seed = s.value(QStringLiteral("seed"), static_cast<qulonglong>(c.training.seed)).toULongLong();
    c.training.threads = std::clamp(s.value(QStringLiteral("threads"), 0).toInt(), 0, 256);
    c.trainLimit = std::max(0, s.value(QStringLiteral("trainLimit"), 0).toInt());
    s.endGroup();
    return c;
}

} // namespace

MainWindow::MainWindow(const MainWindowOptions &options, QWidget *parent)
    : QMainWindow(parent)
    , options_(options)
{
    setObjectName(QStringLiteral("MainWindow"));
    RunConfig config;
    if (options_.config) {
        config = *options_.config;
    } else if (options_.useSettings) {
        QSettings settings;
        config = loadRunConfig(settings);
    }

    std::shared_ptr<const DataSplit> data = options_.data;
    if (!data && options_.useSettings) {
        const QString folder = QSettings().value(QStringLiteral("data/folder")).toString();
        if (!folder.isEmpty()) {
            // The loader refuses what is not a regular file (a FIFO named like an IDX file would
            // block this constructor at every start) and reports why; the embedded set is used.
            try {
                data = DataSetLoader::open(folder, config.network.outputSize(), &dataRestoreError_);
            } catch (const std::exception &) {
                data.reset();
            }
            if (data)
                dataFolder_ = folder;
            else if (dataRestoreError_.isEmpty() || dataRestoreError_.startsWith(QLatin1String("std::")))
                dataRestoreError_ = tr("%1: the data set cannot be opened").arg(folder);
        }
    }
    controller_ = new TrainingController(config, this, data);
    controller_->setWatchedNeurons(options_.watchedNeurons);

    curves_ = new CurvesView;
    inspect_ = new InspectPanel(controller_->history());
    inspect_->setObjectName(QStringLiteral("inspectPanel"));
    // Its views' minimum sizes must not force the window above 1280x800 when the docks are back.
    inspect_->setMinimumSize(320, 240);
    tabs_ = new QTabWidget;
    tabs_->setObjectName(QStringLiteral("centralTabs"));
    tabs_->addTab(curves_, tr("Training"));
    tabs_->addTab(inspect_, tr("Inspect"));
    dataView_ = new DataSetView;
    dataView_->setObjectName(QStringLiteral("dataSetView"));
    tabs_->addTab(dataView_, tr("Data"));
    runsView_ = new RunsView;
    runsView_->setObjectName(QStringLiteral("runsView"));
    runsView_->setMinimumSize(320, 240); // as the Inspect panel: the window's minimum stays small
    tabs_->addTab(runsView_, tr("Runs"));
    tabs_->setTabToolTip(3, tr("Every recorded run: compare curves, accuracy against spikes, open one in Inspect (Ctrl+4)"));
    tabs_->setTabToolTip(2, tr("The data set in use: sizes, digits per class and a preview (Ctrl+3)"));
    tabs_->setTabToolTip(0, tr("Loss and accuracy curves (Ctrl+1)"));
    tabs_->setTabToolTip(1, tr("Spike rasters, causal sets, V(t) and per-digit output timing; scrub through test digits "
                               "and training history (Ctrl+2)"));
    tabs_->setDocumentMode(true);
    setCentralWidget(tabs_);
    config_ = new ConfigPanel;
    config_->setConfig(config);

    createActions();
    createMenus();
    createDocks();
    createStatusBar();

    connect(controller_, &TrainingController::snapshotReady, this, &MainWindow::onSnapshot);
    connect(controller_, &TrainingController::stateChanged, this, &MainWindow::onStateChanged);
    connect(controller_, &TrainingController::runReset, this, &MainWindow::onRunReset);
    connect(controller_, &TrainingController::errorOccurred, this, &MainWindow::showError);
    connect(controller_, &TrainingController::message, this, [this](const QString &text) {
        statusBar()->showMessage(text, 6000);
    });
    connect(controller_, &TrainingController::dataLoaded, this, [this](int train, int test, const QString &source) {
        trainSize_ = train;
        testSize_ = test;
        const QString name = source == QLatin1String("embedded") ? tr("embedded MNIST") : QFileInfo(source).fileName();
        config_->setDataSetDescription(tr("%1, %2 / %3").arg(name).arg(train).arg(test),
                                       source == QLatin1String("embedded") ? tr("The 10,000 digits built into the program")
                                                                           : source);
        setWindowTitle(tr("Firstspike — %1 on %2 (%3 train / %4 test)")
                           .arg(QString::fromStdString(layerSizesToString(controller_->config().network.layerSizes)),
                                name)
                           .arg(train)
                           .arg(test));
        if (!dataRestoreError_.isEmpty() && !restoreErrorShown_) {
            // Shown once the embedded set is in, so this message is not replaced by the one above.
            restoreErrorShown_ = true;
            statusBar()->showMessage(tr("The last data set could not be opened (%1); using the embedded digits.")
                                         .arg(dataRestoreError_),
                                     20000);
            return;
        }
        statusBar()->showMessage(tr("Data loaded. Press Space or click Train."), 5000);
    });
    connect(inspect_, &InspectPanel::inspectionFailed, this,
            [this](const QString &message) { statusBar()->showMessage(message, 15000); });
    connect(controller_, &TrainingController::dataSetChanged, this, &MainWindow::showDataSet);
    connect(config_, &ConfigPanel::configChanged, controller_, &TrainingController::setConfig);
    connect(weights_, &WeightMapView::tileSelected, detail_, [this](int tile, int) { detail_->showTile(tile); });

    connect(tabs_, &QTabWidget::currentChanged, this, [this](int index) {
        // The Inspect and Runs views need the width: the docks step aside while one is shown
        // (and come back as they were when another tab is).
        const bool inspecting = tabs_->widget(index) == inspect_ || tabs_->widget(index) == runsView_;
        if (inspecting) {
            if (dockVisibility_.empty()) {
                for (QDockWidget *d : {configDock_, weightsDock_, sampleDock_}) {
                    dockVisibility_.emplace_back(d, d->isVisible());
                    d->hide();
                }
            }
            tabs_->widget(index)->setFocus();
        } else {
            for (auto &[dock, visible] : dockVisibility_)
                dock->setVisible(visible);
            dockVisibility_.clear();
        }
    });

    connect(controller_, &TrainingController::saveFailed, this,
            [this](quint64, const QString &path, const QString &error) { showSaveError(path, error); });
    connect(controller_, &TrainingController::checkpointSaved, this,
            [this](quint64, const QString &path) { addRecentFile(path); });
    connect(controller_, &TrainingController::checkpointOpened, this, [this](const QString &path) {
        config_->setConfig(controller_->config());
        if (!path.isEmpty())
            addRecentFile(path);
    });
    installFigureMenus();
    if (options_.useSettings) {
        QSettings settings;
        recentFiles_ = settings.value(QStringLiteral("recentFiles")).toStringList();
        lastFolder_ = settings.value(QStringLiteral("export/folder")).toString();
        FigureExporter::parseFormat(settings.value(QStringLiteral("export/format")).toString(), lastFigureFormat_);
    }
    QString autosave;
    if (options_.autosaveFolder) {
        autosave = *options_.autosaveFolder;
    } else if (options_.useSettings) {
        const QString fallback = QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
                                     .filePath(QStringLiteral("autosave"));
        autosave = QSettings().value(QStringLiteral("autosave/folder"), fallback).toString();
    }
    controller_->setAutosave(autosave, 3);
    QString runs;
    if (options_.runsFolder)
        runs = *options_.runsFolder;
    else if (options_.useSettings && !qEnvironmentVariable("FIRSTSPIKE_RUNS_DIR").isEmpty())
        runs = RunsLocation::defaultFolder();
    else if (options_.useSettings)
        runs = QSettings().value(QStringLiteral("runs/folder"), RunsLocation::defaultFolder()).toString();
    controller_->setRunRecording(runs);
    runsView_->setFolder(runs);
    connect(controller_, &TrainingController::runRecorded, runsView_, [this] { runsView_->refresh(); });
    connect(runsView_, &RunsView::openRunRequested, this,
            [this](const QString &checkpoint, const QString &) { openRunCheckpoint(checkpoint); });
    connect(runsView_, &RunsView::folderChosen, this, &MainWindow::setRunsFolder);
    rebuildRecentMenu();

    refreshTimer_ = new QTimer(this);
    refreshTimer_->setInterval(kRefreshMs);
    connect(refreshTimer_, &QTimer::timeout, this, &MainWindow::refreshViews);
    refreshTimer_->start();

    setWindowTitle(tr("Firstspike"));
    setWindowIcon(style()->standardIcon(QStyle::SP_MediaPlay));
    resize(1280, 800);
    if (options_.useSettings)
        readSettings();
    updateActions();
    updateStatus();
    if (!dataRestoreError_.isEmpty())
        statusBar()->showMessage(tr("The last data set could not be opened (%1); using the embedded digits.")
                                     .arg(dataRestoreError_));
}

MainWindow::~MainWindow()
{
    refreshTimer_->stop();
    // The controller (a child) joins the training thread when it is destroyed; disconnect
    // first so no late signal reaches half-destroyed views.
    controller_->disconnect(this);
    inspect_->detachHistory(); // the history belongs to the controller
    delete controller_;
    controller_ = nullptr;
}

void MainWindow::createActions()
{
    trainAction_ = new QAction(style()->standardIcon(QStyle::SP_MediaPlay), tr("&Train"), this);
    trainAction_->setShortcut(Qt::Key_Space);
    trainAction_->setObjectName(QStringLiteral("trainAction"));
    connect(trainAction_, &QAction::triggered, controller_, &TrainingController::togglePause);

    stepAction_ = new QAction(style()->standardIcon(QStyle::SP_MediaSkipForward), tr("&Step"), this);
    stepAction_->setShortcut(Qt::Key_F10);
    stepAction_->setObjectName(QStringLiteral("stepAction"));
    stepAction_->setToolTip(tr("Train one mini-batch, then pause (F10)"));
    connect(stepAction_, &QAction::triggered, controller_, &TrainingController::step);

    stopAction_ = new QAction(style()->standardIcon(QStyle::SP_MediaStop), tr("St&op"), this);
    stopAction_->setShortcut(QKeySequence(Qt::SHIFT | Qt::Key_F5));
    stopAction_->setObjectName(QStringLiteral("stopAction"));
    stopAction_->setToolTip(tr("End the run after the current mini-batch; the settings unlock (Shift+F5)"));
    connect(stopAction_, &QAction::triggered, controller_, &TrainingController::stop);

    resetAction_ = new QAction(style()->standardIcon(QStyle::SP_BrowserReload), tr("&Reset"), this);
    resetAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_R));
    resetAction_->setObjectName(QStringLiteral("resetAction"));
    resetAction_->setToolTip(tr("New weights from the seed with the current settings; clears the curves (Ctrl+R)"));
    connect(resetAction_, &QAction::triggered, controller_, &TrainingController::reset);

    quitAction_ = new QAction(tr("&Quit"), this);
    quitAction_->setShortcut(QKeySequence::Quit);
    quitAction_->setMenuRole(QAction::QuitRole);
    connect(quitAction_, &QAction::triggered, this, &QWidget::close);

    exportAction_ = new QAction(tr("&Export Window Image..."), this);
    exportAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    exportAction_->setToolTip(tr("Save the window as a PNG image"));
    connect(exportAction_, &QAction::triggered, this, &MainWindow::exportImage);

    logScaleAction_ = new QAction(tr("&Log-Scale Loss"), this);
    logScaleAction_->setCheckable(true);
    logScaleAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    connect(logScaleAction_, &QAction::toggled, curves_, &CurvesView::setLogScale);
    connect(curves_, &CurvesView::logScaleChanged, logScaleAction_, &QAction::setChecked);

    resetZoomAction_ = new QAction(tr("Reset &Zoom"), this);
    resetZoomAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_0));
    connect(resetZoomAction_, &QAction::triggered, curves_, &CurvesView::resetZoom);
}

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    createFileMenu(file);

    QMenu *training = menuBar()->addMenu(tr("&Training"));
    for (QAction *a : {trainAction_, stepAction_, stopAction_})
        training->addAction(a);
    training->addSeparator();
    training->addAction(resetAction_);

    toolBar_ = addToolBar(tr("Training"));
    toolBar_->setObjectName(QStringLiteral("trainingToolBar"));
    toolBar_->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolBar_->setMovable(false);
    for (QAction *a : {trainAction_, stepAction_, stopAction_, resetAction_})
        toolBar_->addAction(a);
}

void MainWindow::createDocks()
{
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);
    // Settings and the test sample run the full height; the weights sit under the curves.
    setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
    setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);

    configDock_ = new QDockWidget(tr("Settings"), this);
    configDock_->setObjectName(QStringLiteral("settingsDock"));
    configDock_->setWidget(config_);
    configDock_->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable
                             | QDockWidget::DockWidgetClosable);
    addDockWidget(Qt::LeftDockWidgetArea, configDock_);

    weights_ = new WeightMapView;
    weights_->setObjectName(QStringLiteral("weightMap"));
    detail_ = new NeuronDetailView;
    detail_->setObjectName(QStringLiteral("neuronDetail"));
    auto *weightsSplit = new QSplitter(Qt::Horizontal);
    weightsSplit->addWidget(weights_);
    weightsSplit->addWidget(detail_);
    weightsSplit->setStretchFactor(0, 3);
    weightsSplit->setStretchFactor(1, 2);
    weightsDock_ = new QDockWidget(tr("Hidden-neuron input weights"), this);
    weightsDock_->setObjectName(QStringLiteral("weightsDock"));
    weightsDock_->setWidget(weightsSplit);
    addDockWidget(Qt::BottomDockWidgetArea, weightsDock_);

    sample_ = new SamplePanel;
    sample_->setObjectName(QStringLiteral("samplePanel"));
    sampleDock_ = new QDockWidget(tr("Test sample"), this);
    sampleDock_->setObjectName(QStringLiteral("sampleDock"));
    sampleDock_->setWidget(sample_);
    addDockWidget(Qt::RightDockWidgetArea, sampleDock_);
    resizeDocks({configDock_, sampleDock_}, {240, 290}, Qt::Horizontal);
    resizeDocks({weightsDock_}, {290}, Qt::Vertical);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    for (QDockWidget *d : {configDock_, weightsDock_, sampleDock_})
        view->addAction(d->toggleViewAction());
    view->addAction(toolBar_->toggleViewAction());
    view->addSeparator();
    QAction *curvesTab = view->addAction(tr("Training &Curves"), this, [this] { showInspect(false); });
    curvesTab->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_1));
    QAction *inspectTab = view->addAction(tr("&Inspect"), this, [this] { showInspect(true); });
    inspectTab->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_2));
    QAction *dataTab = view->addAction(tr("&Data Set"), this, [this] { tabs_->setCurrentWidget(dataView_); });
    dataTab->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_3));
    QAction *runsTab = view->addAction(tr("&Runs"), this, [this] { tabs_->setCurrentWidget(runsView_); });
    runsTab->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_4));
    view->addSeparator();
    view->addAction(logScaleAction_);
    view->addAction(resetZoomAction_);
    QMenu *watched = view->addMenu(tr("&Watched Neurons"));
    watchedGroup_ = new QActionGroup(this);
    for (int n : {16, 36, 64, 100, 144, 256}) {
        QAction *a = watched->addAction(tr("%1 neurons").arg(n));
        a->setCheckable(true);
        a->setData(n);
        a->setChecked(n == options_.watchedNeurons);
        watchedGroup_->addAction(a);
    }
    connect(watchedGroup_, &QActionGroup::triggered, this,
            [this](QAction *a) { controller_->setWatchedNeurons(a->data().toInt()); });

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Firstspike"), this, &MainWindow::about);
    help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
}

void MainWindow::createStatusBar()
{
    stateLabel_ = statusField(tr("Run state"), 70);
    epochLabel_ = statusField(tr("Epoch running / maximum"), 80);
    sampleLabel_ = statusField(tr("Training samples done in this epoch"), 110);
    lossLabel_ = statusField(tr("Mini-batch loss, smoothed"), 80);
    accuracyLabel_ = statusField(tr("Test accuracy of the last epoch (mini-batch training accuracy before the first)"), 110);
    speedLabel_ = statusField(tr("Training throughput, wall clock"), 90);
    etaLabel_ = statusField(tr("Estimated time left in the run"), 70);
    progress_ = new QProgressBar;
    progress_->setRange(0, 1000);
    progress_->setMaximumWidth(220);
    progress_->setToolTip(tr("Progress of the run over all epochs"));
    for (QLabel *l : {stateLabel_, epochLabel_, sampleLabel_, lossLabel_, accuracyLabel_, speedLabel_, etaLabel_})
        statusBar()->addPermanentWidget(l);
    statusBar()->addPermanentWidget(progress_);
    // The bar paints its own background: its numbers changing do not repaint the window behind.
    statusBar()->setAutoFillBackground(true);
}

void MainWindow::showInspect(bool inspect)
{
    tabs_->setCurrentWidget(inspect ? static_cast<QWidget *>(inspect_) : curves_);
}

QToolButton *MainWindow::buttonFor(QAction *action) const
{
    return qobject_cast<QToolButton *>(toolBar_->widgetForAction(action));
}

QWidget *MainWindow::weightsPanel() const
{
    return weightsDock_->widget();
}

void MainWindow::onSnapshot(const SnapshotPtr &snapshot)
{
    // Cheap: move the data into the views' buffers; drawing waits for the refresh timer.
    ++snapshotsReceived_;
    curves_->appendBatches(snapshot->newBatches);
    curves_->setHistory(snapshot->history);
    for (const BatchPoint &b : snapshot->newBatches) {
        const double beta = 0.98;
        ++smoothedBatches_;
        lastBatchLoss_ = beta * lastBatchLoss_ + (1 - beta) * b.loss;
        lastBatchAccuracy_ = beta * lastBatchAccuracy_ + (1 - beta) * b.accuracy;
    }
    if (snapshot->weights)
        pendingTiles_ = snapshot->weights;
    if (snapshot->activity)
        pendingActivity_ = snapshot->activity;
    if (snapshot->sample)
        pendingSample_ = snapshot->sample;
    latest_ = snapshot;
    dirty_ = true;
}

void MainWindow::refreshViews()
{
    const bool running = controller_->state() == TrainingController::State::Running;
    // Parts held back while running (slow views, below) are shown as soon as the run is not.
    const bool slowPending = pendingTiles_ || pendingActivity_ || pendingSample_;
    if (!dirty_ && (running || !slowPending))
        return;
    dirty_ = false;
    if (running) {
        const int threads = controller_->config().training.threads;
        const bool crowded = threads <= 0 || threads >= QThread::idealThreadCount();
        refreshTimer_->setInterval(frameBudget_.nextIntervalMs(FrameBudget::threadCpuSeconds(), crowded));
    } else {
        frameBudget_.reset(); // the next run measures its own frames from its first
        if (refreshTimer_->interval() != kRefreshMs)
            refreshTimer_->setInterval(kRefreshMs);
    }
    curves_->refresh();
    // The curves move at the refresh rate. The weight maps, the test sample and the status bar
    // (its numbers are read, not watched) change every kSlowViewFrames frames at most: each of
    // them costs more to draw than a frame of the curves. A paused or finished run, and every
    // state change, still show at once.
    const int slowPeriodMs = std::max(kStatusMs, kSlowViewFrames * refreshTimer_->interval());
    if (slowPeriodMs != shownPeriodMs_) { // the worker builds these parts no more often
        shownPeriodMs_ = slowPeriodMs;
        controller_->setShownPeriod(slowPeriodMs);
    }
    const bool finished = latest_ && latest_->runFinished;
    if (!running || finished || !slowViewsClock_.isValid() || slowViewsClock_.elapsed() >= slowPeriodMs) {
        bool shown = false;
        if (pendingTiles_) {
            weights_->setTiles(pendingTiles_);
            detail_->setTiles(pendingTiles_);
            pendingTiles_.reset();
            shown = true;
        }
        if (pendingActivity_) {
            weights_->setActivity(pendingActivity_);
            detail_->setActivity(pendingActivity_);
            pendingActivity_.reset();
            shown = true;
        }
        if (pendingSample_) {
            sample_->setSample(pendingSample_);
            pendingSample_.reset();
            shown = true;
        }
        if (shown)
            slowViewsClock_.start();
    }
    if (!running || !statusClock_.isValid() || statusClock_.elapsed() >= slowPeriodMs || finished) {
        updateStatus();
        statusClock_.start();
    } else if (!statusPending_) {
        // Skipped: show the latest state when the period is up even if no snapshot follows
        // (e.g. "evaluating epoch k" while the epoch-end evaluation runs).
        statusPending_ = true;
        QTimer::singleShot(static_cast<int>(std::max<qint64>(1, slowPeriodMs - statusClock_.elapsed())), this, [this] {
            statusPending_ = false;
            updateStatus();
            statusClock_.start();
        });
    }
    ++framesRendered_;
    Q_EMIT viewsRefreshed(latest_ ? latest_->step : 0);
}

void MainWindow::onRunReset()
{
    curves_->clear();
    curves_->refresh();
    latest_.reset();
    lastBatchLoss_ = lastBatchAccuracy_ = 0;
    smoothedBatches_ = 0;
    updateStatus();
}

void MainWindow::onStateChanged(TrainingController::State state)
{
    if (state != TrainingController::State::Running)
        dirty_ = true; // the next tick shows what the last frames of the run held back
    frameBudget_.reset();
    curves_->setLiveRendering(state == TrainingController::State::Running);
    updateActions();
    updateStatus();
}

void MainWindow::updateActions()
{
    using State = TrainingController::State;
    const State s = controller_->state();
    const bool running = s == State::Running;
    trainAction_->setText(running ? tr("&Pause") : (s == State::Paused ? tr("&Resume") : tr("&Train")));
    trainAction_->setIcon(style()->standardIcon(running ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
    trainAction_->setToolTip(running ? tr("Pause after the current mini-batch (Space)")
                                     : (s == State::Paused ? tr("Resume training (Space)")
                                                           : tr("Start training (Space)")));
    trainAction_->setEnabled(true);
    stepAction_->setEnabled(true);
    stopAction_->setEnabled(controller_->isLive());
    resetAction_->setEnabled(s != State::Loading);
    config_->setLive(controller_->isLive());
}

QString MainWindow::statusText() const
{
    QStringList parts;
    for (QLabel *l : {stateLabel_, epochLabel_, sampleLabel_, lossLabel_, accuracyLabel_, speedLabel_, etaLabel_})
        if (!l->text().isEmpty())
            parts << l->text();
    return parts.join(QStringLiteral(" · "));
}

void MainWindow::updateStatus()
{
    stateLabel_->setText(TrainingController::stateName(controller_->state()));
    const SnapshotPtr &s = latest_;
    if (!s) {
        epochLabel_->clear();
        sampleLabel_->clear();
        lossLabel_->clear();
        accuracyLabel_->clear();
        speedLabel_->clear();
        etaLabel_->clear();
        progress_->setValue(0);
        progress_->setFormat(QStringLiteral("%p%"));
        return;
    }
    const int epochShown = std::min(s->epochsCompleted + 1, std::max(1, s->epochs));
    epochLabel_->setText(s->evaluating ? tr("evaluating epoch %1").arg(s->epochsCompleted + 1)
                                       : tr("epoch %1 / %2").arg(epochShown).arg(s->epochs));
    sampleLabel_->setText(tr("sample %L1 / %L2").arg(s->cursor).arg(s->epochSize));
    if (smoothedBatches_ > 0) {
        const double debias = 1 - std::pow(0.98, static_cast<double>(smoothedBatches_));
        lossLabel_->setText(tr("loss %1").arg(lastBatchLoss_ / debias, 0, 'f', 3));
        if (!s->history.empty() && std::isfinite(s->history.back().testAccuracy))
            accuracyLabel_->setText(tr("test acc. %1 %").arg(100 * s->history.back().testAccuracy, 0, 'f', 2));
        else
            accuracyLabel_->setText(tr("train acc. %1 %").arg(100 * lastBatchAccuracy_ / debias, 0, 'f', 1));
    }
    speedLabel_->setText(s->samplesPerSecond > 0 ? tr("%L1 samples/s").arg(s->samplesPerSecond, 0, 'f', 0) : QString());
    const double total = static_cast<double>(s->epochs) * s->epochSize;
    const double done = static_cast<double>(s->epochsCompleted) * s->epochSize + (s->epochsCompleted < s->epochs ? s->cursor : 0);
    progress_->setValue(total > 0 ? static_cast<int>(1000 * std::min(1.0, done / total)) : 0);
    progress_->setFormat(tr("%1 %").arg(total > 0 ? 100 * done / total : 0.0, 0, 'f', 1));
    if (s->samplesPerSecond > 0 && controller_->state() == TrainingController::State::Running) {
        // Training time left plus the epoch-end evaluations still to come.
        double evalSeconds = 0;
        if (!s->history.empty())
            evalSeconds = std::max(0.0, s->history.back().seconds - s->history.back().trainSeconds);
        const double left = (total - done) / s->samplesPerSecond + evalSeconds * (s->epochs - s->epochsCompleted);
        etaLabel_->setText(tr("%1 left").arg(formatDuration(left)));
    } else {
        etaLabel_->clear();
    }
}

void MainWindow::showError(const QString &message)
{
    statusBar()->showMessage(tr("Training stopped: %1").arg(message));
    // Not modal: a blocked event loop would stall the views (and tests).
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Training stopped"), message, QMessageBox::Ok, this);
    box->setInformativeText(tr("Lower the learning rate and press Train to go on, or Reset to start over."));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setModal(false);
    box->setObjectName(QStringLiteral("errorBox"));
    box->show();
}

void MainWindow::exportImage()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Window Image"), QStringLiteral("firstspike.png"),
                                                      tr("PNG images (*.png)"));
    if (path.isEmpty())
        return;
    refreshViews();
    if (!grab().save(path, "PNG"))
        showError(tr("Could not write %1").arg(path));
}

QuitChoice MainWindow::askQuit()
{
    QuitChoice choice = options_.quitChoice.value_or(QuitChoice::Ask);
    if (choice == QuitChoice::Ask && QGuiApplication::platformName() == QLatin1String("offscreen"))
        choice = QuitChoice::QuitWithoutSaving; // nobody can answer a dialog
    if (choice != QuitChoice::Ask)
        return choice;
    QMessageBox box(QMessageBox::Question, tr("Quit Firstspike"),
                    controller_->isLive() ? tr("A training run is going on and has not been saved.")
                                          : tr("The training run has not been saved."),
                    QMessageBox::NoButton, this);
    box.setInformativeText(tr("Save a checkpoint before quitting?"));
    QPushButton *save = box.addButton(tr("&Save and Quit"), QMessageBox::AcceptRole);
    QPushButton *discard = box.addButton(tr("Quit &Without Saving"), QMessageBox::DestructiveRole);
    box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(save);
    box.exec();
    if (box.clickedButton() == save)
        return QuitChoice::SaveAndQuit;
    if (box.clickedButton() == discard)
        return QuitChoice::QuitWithoutSaving;
    return QuitChoice::Cancel;
}

void MainWindow::about()
{
    QMessageBox::about(this, tr("About Firstspike"),
                       tr("<h3>Firstspike %1</h3>"
                          "<p>Watch a spiking neural network learn MNIST: Mostafa's exact spike-time network "
                          "(temporal coding, non-leaky integrate-and-fire neurons, one spike per neuron), "
                          "trained by exact gradients in z = exp(t).</p>"
                          "<p>H. Mostafa, <i>Supervised learning based on temporal coding in spiking neural "
                          "networks</i>, IEEE TNNLS 29(7), 2018.</p>")
                           .arg(QStringLiteral("0.1.0")));
}

void MainWindow::readSettings()
{
    QSettings settings;
    const QByteArray geometry = settings.value(QStringLiteral("window/geometry")).toByteArray();
    if (!geometry.isEmpty())
        restoreGeometry(geometry);
    const QByteArray state = settings.value(QStringLiteral("window/state")).toByteArray();
    if (!state.isEmpty())
        restoreState(state);
    curves_->setSmoothing(settings.value(QStringLiteral("view/smoothing"), curves_->smoothing()).toDouble());
    curves_->setLogScale(settings.value(QStringLiteral("view/logScale"), false).toBool());
}

void MainWindow::writeSettings() const
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    settings.setValue(QStringLiteral("view/smoothing"), curves_->smoothing());
    settings.setValue(QStringLiteral("view/logScale"), curves_->logScale());
    settings.setValue(QStringLiteral("autosave/folder"), controller_->autosaveFolder());
    saveRunConfig(settings, config_->config());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (closePending_) {
        event->ignore(); // a Save and quit is under way
        return;
    }
    if (!closeApproved_ && controller_->hasUnsavedTraining()) {
        const QuitChoice choice = askQuit();
        if (choice == QuitChoice::Cancel) {
            event->ignore();
            return;
        }
        if (choice == QuitChoice::SaveAndQuit) {
            controller_->pause();
            QString path = controller_->checkpointPath();
            if (path.isEmpty())
                path = options_.quitSavePath;
            if (path.isEmpty())
                path = QFileDialog::getSaveFileName(this, tr("Save Checkpoint"),
                                                    QDir(lastFolder()).filePath(QStringLiteral("run.fsck")),
                                                    tr("Firstspike checkpoints (*.fsck)"));
            if (path.isEmpty()) {
                event->ignore();
                return;
            }
            const quint64 id = controller_->saveCheckpoint(path);
            closePending_ = true;
            auto *context = new QObject(this);
            connect(controller_, &TrainingController::checkpointSaved, context, [this, id, context](quint64 done) {
                if (done != id)
                    return;
                context->deleteLater();
                closePending_ = false;
                closeApproved_ = true;
                close();
            });
            connect(controller_, &TrainingController::saveFailed, context, [this, id, context](quint64 done) {
                if (done != id)
                    return;
                context->deleteLater();
                closePending_ = false; // the error is shown; the window stays open
            });
            Q_EMIT closeDeferred();
            event->ignore();
            return;
        }
    }
    if (tabs_->currentWidget() == inspect_)
        showInspect(false); // save the dock layout the user chose, not the one Inspect made
    if (options_.useSettings)
        writeSettings();
    QMainWindow::closeEvent(event);
}

} // namespace firstspike

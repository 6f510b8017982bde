#pragma once
// The application window: settings on the left, loss and accuracy curves in the middle, the
// weight maps and the test sample in docks. Snapshots from the controller are coalesced by a
// timer (kRefreshMs) so the views redraw at a steady rate whatever the training speed; while
// the trainer takes every core, FrameBudget spaces the frames out.

#include "ui/data/DataDownloader.h"
#include "ui/export/FigureExporter.h"
#include "ui/training/TrainingController.h"
#include "ui/training/TrainingSnapshot.h"
#include "ui/window/FrameBudget.h"

#include <QElapsedTimer>
#include <QMainWindow>

#include <memory>
#include <optional>

class QAction;
class QActionGroup;
class QDockWidget;
class QLabel;
class QMenu;
class QProgressBar;
class QTabWidget;
class QTimer;
class QToolButton;

namespace firstspike {

class ConfigPanel;
class DataDownloadDialog;
class DataSetView;
class CurvesView;
class InspectPanel;
class NeuronDetailView;
class RunsView;
class SamplePanel;
class WeightMapView;

struct Session;

// What to do when the window closes with training that was not saved.
enum class QuitChoice { Ask, SaveAndQuit, QuitWithoutSaving, Cancel };

// The data exports of File ▸ Export Data (core/DataExport.h formats, docs/FORMATS.md). The
// Inspected kinds write the Inspect tab's current forward pass (its sample through the history
// entry it shows), as CSV or as NIR event data (core/files/NirEvents.h).
enum class DataExportKind { MetricsCsv, MetricsJson, SampleSpikesCsv, SampleSpikesJson, TestSpikesCsv, TestSpikesJson, WeightsCsv,
                            InspectedSpikesCsv, InspectedSpikesNir };

struct MainWindowOptions {
    std::optional<RunConfig> config;        // default: the last config from QSettings, else defaults
    bool useSettings = true;                // read and write QSettings (tests turn this off)
    std::shared_ptr<const DataSplit> data;  // default: the embedded MNIST set, loaded in the worker
    int watchedNeurons = 64;
    // Autosave at every epoch end into this folder (keeping the newest 3); empty: off. Unset:
    // the folder from QSettings or AppDataLocation/autosave when useSettings, else off.
    std::optional<QString> autosaveFolder;
    // Record every run into this runs folder and show its runs in the Runs tab; empty: off.
    // Unset, with useSettings: $FIRSTSPIKE_RUNS_DIR when set, else the folder from QSettings,
    // else AppDataLocation/runs; without useSettings: off.
    std::optional<QString> runsFolder;
    // Unset: ask (on the offscreen platform, where nobody can answer, quit without saving).
    std::optional<QuitChoice> quitChoice;
    QString quitSavePath; // Save and quit without a checkpoint file yet: save here (else ask)
    // File ▸ Download Full MNIST: mirrors, files and folder (default: DataDownloader::mnistSpec
    // into AppDataLocation/mnist). Tests point it at a local server.
    std::optional<DownloadSpec> mnistDownload;
};

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    static constexpr int kRefreshMs = FrameBudget::kFastestMs; // coalescing period: 25 frames per second

    explicit MainWindow(const MainWindowOptions &options = {}, QWidget *parent = nullptr);
    ~MainWindow() override;

    TrainingController *controller() const { return controller_; }
    CurvesView *curvesView() const { return curves_; }
    WeightMapView *weightMapView() const { return weights_; }
    NeuronDetailView *neuronDetailView() const { return detail_; }
    SamplePanel *samplePanel() const { return sample_; }
    ConfigPanel *configPanel() const { return config_; }
    InspectPanel *inspectPanel() const { return inspect_; }
    DataSetView *dataSetView() const { return dataView_; } // the Data tab
    RunsView *runsView() const { return runsView_; }       // the Runs tab
    // Records new runs into `folder` and shows its runs (empty: recording off); with
    // useSettings the folder is remembered.
    void setRunsFolder(const QString &folder);
    QString runsFolder() const;
    // The run library's "open": the run's checkpoint becomes the current run, shown in Inspect.
    bool openRunCheckpoint(const QString &checkpointPath);
    QTabWidget *centralTabs() const { return tabs_; }
    // Shows the Inspect tab (the docks step aside for it) or the training curves.
    void showInspect(bool inspect);
    QProgressBar *progressBar() const { return progress_; }
    QAction *trainAction() const { return trainAction_; }
    QAction *stepAction() const { return stepAction_; }
    QAction *stopAction() const { return stopAction_; }
    QAction *resetAction() const { return resetAction_; }
    QToolButton *buttonFor(QAction *action) const; // the toolbar button of an action
    QWidget *weightsPanel() const;                 // tiles + enlarged neuron, as docked
    SnapshotPtr latestSnapshot() const { return latest_; }
    long long snapshotsReceived() const { return snapshotsReceived_; }
    long long framesRendered() const { return framesRendered_; }
    QString statusText() const;
    // Applies pending snapshots to the views now (the timer does this every kRefreshMs).
    void refreshViews();

    // Figures (FigureExporter): by name ("curves", "raster", ..., "dashboard").
    std::vector<Figure> figures();
    bool exportFigure(const QString &name, const QString &path, FigureFormat format, const FigureOptions &options = {},
                      QString *error = nullptr);
    // Every figure into `folder` as NAME.EXT per format; the Inspect views are brought up to
    // date first (test digit `sample`, or the shown one when < 0). Used by the GUI's "All
    // Figures" and by `firstspike-cli figures`.
    bool exportAllFigures(const QString &folder, const QList<FigureFormat> &formats, const FigureOptions &options,
                          int sample = -1, QStringList *written = nullptr, QString *error = nullptr);
    // Waits (event loop running) until the Inspect views have computed what they show.
    bool waitInspectSettled(int timeoutMs = 30000);
    bool exportData(DataExportKind kind, const QString &path, QString *error = nullptr);
    // File ▸ Export Network / Import Network: the run's current network as a NIR graph
    // (core/files/NirFile.h), and a NIR graph as a new, untrained-so-far run (the data set's
    // image size must match its input layer). False with `error` (one line) when refused.
    bool exportNetworkNir(const QString &path, QString *error = nullptr);
    bool importNetworkNir(const QString &path, QString *error = nullptr);

    // Checkpoints and sessions (asynchronous saves report through the controller's signals).
    quint64 saveCheckpoint(const QString &path);
    bool openCheckpoint(const QString &path);
    bool openFile(const QString &path); // a session (.fssession) or a checkpoint
    // Saves the run next to the session (NAME.fsck) when it has been trained, then the
    // session; emits sessionSaved.
    void saveSession(const QString &path);
    bool openSession(const QString &path, QString *error = nullptr);
    Session currentSession() const;
    QStringList recentFiles() const { return recentFiles_; }
    void setAutosaveFolder(const QString &folder);

    // Data sets (File ▸ Open Data Set…): a folder with the four IDX files, checked by
    // DataSetLoader. Refused (false, `error` says why): the set in use stays. Accepted: a new
    // run starts on it, and with useSettings the folder is used again at the next start.
    bool openDataSet(const QString &folder, QString *error = nullptr);
    void useEmbeddedData();
    QString dataSetFolder() const { return dataFolder_; } // empty: the embedded set
    // Why the data set remembered from the last run was not opened at start ("" when it was,
    // or none was remembered); the embedded digits are used instead.
    QString dataRestoreError() const { return dataRestoreError_; }
    // Starts the download of full MNIST in a non-modal dialog; when every file is verified the
    // window opens the folder as its data set. Returns the dialog (it deletes itself on close).
    DataDownloadDialog *downloadMnist();

Q_SIGNALS:
    void viewsRefreshed(long long step);
    void sessionSaved(const QString &path, const QString &error); // error empty: saved
    void closeDeferred(); // closing waits for a save (Save and quit)

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void createActions();
    void createMenus();
    void createDocks();
    void createStatusBar();
    void onSnapshot(const SnapshotPtr &snapshot);
    void onStateChanged(TrainingController::State state);
    void onRunReset();
    void updateActions();
    void updateStatus();
    void readSettings();
    void writeSettings() const;
    void showError(const QString &message);
    void exportImage();
    void about();
    void createFileMenu(QMenu *file);
    void installFigureMenus();
    void showFigureMenu(QWidget *view, const QString &figure, const QPoint &pos);
    void exportFigureInteractively(const QString &name);
    void exportAllFiguresInteractively();
    void exportDataInteractively(DataExportKind kind);
    void exportNetworkInteractively();
    void importNetworkInteractively();
    void saveCheckpointInteractively(bool askPath);
    void openInteractively();
    void openDataSetInteractively();
    bool confirmNewRun(); // switching the data set discards unsaved training: ask first
    void showDataSet(const std::shared_ptr<const DataSplit> &data);
    void saveSessionInteractively();
    void chooseAutosaveFolder();
    void chooseRunsFolder();
    void addRecentFile(const QString &path);
    void rebuildRecentMenu();
    void showSaveError(const QString &path, const QString &error);
    void showOpenError(const QString &error);
    QuitChoice askQuit();
    QString lastFolder() const;
    void rememberFolder(const QString &path);

    MainWindowOptions options_;
    TrainingController *controller_ = nullptr;
    CurvesView *curves_ = nullptr;
    WeightMapView *weights_ = nullptr;
    NeuronDetailView *detail_ = nullptr;
    SamplePanel *sample_ = nullptr;
    ConfigPanel *config_ = nullptr;
    InspectPanel *inspect_ = nullptr;
    DataSetView *dataView_ = nullptr;
    RunsView *runsView_ = nullptr;
    QString dataFolder_;
    QString dataRestoreError_; // the remembered data set could not be opened at start
    bool restoreErrorShown_ = false;
    QTabWidget *tabs_ = nullptr;
    std::vector<std::pair<QDockWidget *, bool>> dockVisibility_; // before the Inspect tab hid them
    QDockWidget *configDock_ = nullptr, *weightsDock_ = nullptr, *sampleDock_ = nullptr;
    QToolBar *toolBar_ = nullptr;

    QAction *trainAction_ = nullptr, *stepAction_ = nullptr, *stopAction_ = nullptr, *resetAction_ = nullptr;
    QAction *quitAction_ = nullptr, *exportAction_ = nullptr, *logScaleAction_ = nullptr, *resetZoomAction_ = nullptr;
    QActionGroup *watchedGroup_ = nullptr;
    QMenu *recentMenu_ = nullptr;
    QStringList recentFiles_;
    QString lastFolder_;
    FigureFormat lastFigureFormat_ = FigureFormat::Png;
    bool closeApproved_ = false;
    bool closePending_ = false;

    QLabel *stateLabel_ = nullptr, *epochLabel_ = nullptr, *sampleLabel_ = nullptr, *lossLabel_ = nullptr,
           *accuracyLabel_ = nullptr, *speedLabel_ = nullptr, *etaLabel_ = nullptr;
    QProgressBar *progress_ = nullptr;

    QTimer *refreshTimer_ = nullptr;
    FrameBudget frameBudget_; // the refresh period while training (FrameBudget.h)
    SnapshotPtr latest_;
    bool dirty_ = false;
    std::shared_ptr<const WeightTiles> pendingTiles_;
    std::shared_ptr<const NeuronActivity> pendingActivity_;
    std::shared_ptr<const SampleRecord> pendingSample_;
    double lastBatchLoss_ = 0;  // EMA of the mini-batch loss, for the status bar
    double lastBatchAccuracy_ = 0;
    long long smoothedBatches_ = 0;
    long long snapshotsReceived_ = 0;
    long long framesRendered_ = 0;
    QElapsedTimer statusClock_; // the status bar's numbers change at most kStatusMs apart while running
    QElapsedTimer slowViewsClock_; // the same for the weight maps and the test sample
    static constexpr int kStatusMs = 200;
    static constexpr int kSlowViewFrames = 5; // the slow views' period in frames, while running
    int shownPeriodMs_ = 0;                   // the slow views' period the worker was last told
    bool statusPending_ = false;
    int trainSize_ = 0, testSize_ = 0;
};

} // namespace firstspike

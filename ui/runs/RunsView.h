#pragma once
// The Runs tab: the run library of a runs folder (every run the desktop app, `firstspike-cli
// train` and `sweep` recorded) as a sortable, filterable table; the curves of the ticked runs
// overlaid; the accuracy of every shown run against its spikes or decision time with the Pareto
// front; a run opened in the Inspect tab; figures and the table exported.
//
// The folder is read off the GUI thread (QtConcurrent): a scan of thousands of runs, or a
// damaged one, never stalls the window. A scan reads the manifests only (the table and the
// scatter need nothing else); the curves of the ticked runs are read apart, off the GUI thread
// too, and kept by run while the scan finds the run unchanged (same manifest update time,
// state and epochs). The folder is read again when it changes (a watcher on it), when a
// recorded run starts or ends (MainWindow), on Refresh, and every kLivePollMs while a run of
// the table is running (a run folder's own changes do not reach the watcher). A scan in
// progress is cancelled between run folders when the view is destroyed.
#include "ui/export/FigureExporter.h"
#include "ui/runs/RunsTableModel.h"

#include <QFutureWatcher>
#include <QWidget>

#include <atomic>
#include <map>
#include <string>
#include <utility>
#include <vector>

class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
class QTimer;
class QFileSystemWatcher;
class QToolButton;

namespace firstspike {

class RunsFilterProxy;
class RunsOverlayView;
class RunsScatterView;

class RunsView : public QWidget {
    Q_OBJECT
public:
    explicit RunsView(QWidget *parent = nullptr);
    ~RunsView() override;

    // The runs folder shown (and read again now). Empty: none.
    void setFolder(const QString &folder);
    QString folder() const { return folder_; }
    static constexpr int kLivePollMs = 3000;
    static constexpr int kFilterDelayMs = 150;

    // Reads the folder again off the GUI thread; scanFinished follows.
    void refresh();
    bool isScanning() const;
    // True while the curves of a ticked run are being read.
    bool isLoadingCurves() const;
    // True while typed filter text waits for its kFilterDelayMs to be applied.
    bool isFilterPending() const;
    // Tests and scripts: runs the event loop until the running scan (and a queued one), the
    // ticked runs' curves and a pending filter are in.
    bool waitForScan(int timeoutMs = 10000);

    RunsTableModel *model() const { return model_; }
    RunsFilterProxy *proxy() const { return proxy_; }
    QTableView *table() const { return table_; }
    QLineEdit *filterEdit() const { return filter_; }
    RunsOverlayView *overlay() const { return overlay_; }
    RunsScatterView *scatter() const { return scatter_; }
    QPushButton *openButton() const { return openButton_; }
    QString statusText() const;

    // Ticks (or unticks) the run's overlay box; false when it has no curves (damaged, refused).
    bool setRunChecked(const QString &id, bool checked);
    // The shown rows (filter and sort applied) as CSV: a header of the filter keys, then one
    // line per run (numbers at full precision), written atomically.
    bool exportTableCsv(const QString &path, QString *error = nullptr) const;
    QString tableCsv() const;
    // "runs-curves" (the overlay) and "runs-pareto" (the scatter).
    std::vector<Figure> figures() const;
    bool exportFigure(const QString &name, const QString &path, FigureFormat format, const FigureOptions &options = {},
                      QString *error = nullptr) const;
    // Asks to open the run's checkpoint in the Inspect tab (openRunRequested); false and *error
    // when the run has none or cannot be read.
    bool openRun(const QString &id, QString *error = nullptr);

Q_SIGNALS:
    void scanFinished(int runs);
    void openRunRequested(const QString &checkpointPath, const QString &runName);
    // The user chose another runs folder (the window records new runs there too).
    void folderChosen(const QString &folder);

protected:
    void showEvent(QShowEvent *event) override;

private:
    struct ScanResult {
        std::vector<RunPtr> runs;
        QString error;
        bool truncated = false;
    };
    // A ticked run's record read with its curves, and the key of the scanned record it was read for.
    struct Curves {
        std::string key;
        RunPtr run;
    };
    struct CurveRequest {
        QString id;
        std::string key;
        std::string folder;
    };
    using CurveResults = std::vector<std::pair<CurveRequest, RunPtr>>;
    // What a change of the run folder changes in its manifest.
    static std::string curveKey(const RunRecord &run);
    void scanDone();
    void curvesDone();
    void loadMissingCurves();
    void applyFilter();
    void livePoll();
    void updatePlots();
    void updateOverlay();
    void updateScatter();
    void updateStatus();
    void chooseFolder();
    void exportInteractively(const QString &what);
    void toggleSelected();
    QString selectedRunId() const;
    // Legend texts: each run's name without the words all of `runs` share.
    static QStringList legendLabels(const std::vector<RunPtr> &runs);

    QString folder_;
    bool scanInFlight_ = false;   // from refresh() to scanDone()
    bool curvesInFlight_ = false; // from loadMissingCurves() to curvesDone()
    bool rescanPending_ = false;
    QString scanError_;
    bool truncated_ = false;
    QString message_;
    QFutureWatcher<ScanResult> *watcher_ = nullptr;
    QFutureWatcher<CurveResults> *curveWatcher_ = nullptr;
    std::map<QString, Curves> curves_; // ticked run id -> its curves
    QString curveProblem_;
    std::atomic<bool> cancel_{false};  // set when the view goes: scans and curve reads stop
    QFileSystemWatcher *folderWatcher_ = nullptr;
    QTimer *debounce_ = nullptr;
    QTimer *livePoll_ = nullptr;
    QTimer *filterDelay_ = nullptr;
    RunsTableModel *model_ = nullptr;
    RunsFilterProxy *proxy_ = nullptr;
    QTableView *table_ = nullptr;
    QLineEdit *filter_ = nullptr;
    QLabel *folderLabel_ = nullptr;
    QLabel *status_ = nullptr;
    QPushButton *openButton_ = nullptr;
    QToolButton *exportButton_ = nullptr;
    RunsOverlayView *overlay_ = nullptr;
    RunsScatterView *scatter_ = nullptr;
};

} // namespace firstspike

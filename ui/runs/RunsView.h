#pragma once
// The Runs tab: the run library of a runs folder (every run the desktop app, `firstspike-cli
// train` and `sweep` recorded) as a sortable, filterable table; the curves of the ticked runs
// overlaid; the accuracy of every shown run against its spikes or decision time with the Pareto
// front; a run opened in the Inspect tab; figures and the table exported.
//
// The folder is read off the GUI thread (QtConcurrent): a scan of thousands of runs, or a
// damaged one, never stalls the window. It is read again when the folder changes (a watcher on
// it), when a recorded run starts or ends (MainWindow), and on Refresh.
#include "ui/export/FigureExporter.h"
#include "ui/runs/RunsTableModel.h"

#include <QFutureWatcher>
#include <QWidget>

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
    // Reads the folder again off the GUI thread; scanFinished follows.
    void refresh();
    bool isScanning() const;
    // Tests and scripts: runs the event loop until the running scan (and a queued one) is in.
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
    void scanDone();
    void updatePlots();
    void updateStatus();
    void chooseFolder();
    void exportInteractively(const QString &what);
    void toggleSelected();
    QString selectedRunId() const;
    // Legend texts: each run's name without the words all of `runs` share.
    static QStringList legendLabels(const std::vector<RunPtr> &runs);

    QString folder_;
    bool rescanPending_ = false;
    QString scanError_;
    bool truncated_ = false;
    QString message_;
    QFutureWatcher<ScanResult> *watcher_ = nullptr;
    QFileSystemWatcher *folderWatcher_ = nullptr;
    QTimer *debounce_ = nullptr;
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

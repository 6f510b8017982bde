#include "ui/runs/RunsView.h"

#include "core/files/SafeFile.h"
#include "core/runs/RunIndex.h"
#include "core/runs/RunReader.h"
#include "ui/runs/RunsFilterProxy.h"
#include "ui/runs/RunsOverlayView.h"
#include "ui/runs/RunsScatterView.h"

#include <QAction>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QTableView>
#include <QThread>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>
#include <cmath>
#include <new>

namespace firstspike {

RunsView::RunsView(QWidget *parent) : QWidget(parent)
{
    model_ = new RunsTableModel(this);
    proxy_ = new RunsFilterProxy(this);
    proxy_->setSourceModel(model_);

    folderLabel_ = new QLabel;
    folderLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    folderLabel_->setMinimumWidth(120);
    auto *folderButton = new QPushButton(tr("Folder…"));
    folderButton->setObjectName(QStringLiteral("runsFolderButton"));
    folderButton->setToolTip(tr("Show (and record new runs into) another runs folder"));
    auto *refreshButton = new QPushButton(tr("Refresh"));
    refreshButton->setObjectName(QStringLiteral("runsRefreshButton"));
    filter_ = new QLineEdit;
    filter_->setObjectName(QStringLiteral("runsFilter"));
    filter_->setClearButtonEnabled(true);
    filter_->setPlaceholderText(tr("Filter: text, or accuracy>90 lr<=0.001 status=complete layers~800"));
    filter_->setToolTip(tr("Words that must all match: plain text (any column contains it), or KEY=VALUE, KEY~TEXT, "
                           "KEY<N, KEY>N, KEY<=N, KEY>=N\nwith KEY one of: %1")
                            .arg(RunsTableModel::columnKeys().mid(1).join(QStringLiteral(", "))));
    openButton_ = new QPushButton(tr("Open in Inspect"));
    openButton_->setObjectName(QStringLiteral("runsOpenButton"));
    openButton_->setToolTip(tr("Open the selected run's checkpoint as the current run and show it in the Inspect tab "
                               "(or double-click a row)"));
    openButton_->setEnabled(false);
    exportButton_ = new QToolButton;
    exportButton_->setText(tr("Export"));
    exportButton_->setPopupMode(QToolButton::InstantPopup);
    auto *exportMenu = new QMenu(exportButton_);
    exportMenu->addAction(tr("Table as CSV…"), this, [this] { exportInteractively(QStringLiteral("csv")); });
    exportMenu->addAction(tr("Curves Figure…"), this, [this] { exportInteractively(QStringLiteral("runs-curves")); });
    exportMenu->addAction(tr("Pareto Figure…"), this, [this] { exportInteractively(QStringLiteral("runs-pareto")); });
    exportButton_->setMenu(exportMenu);

    auto *bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Runs in")));
    bar->addWidget(folderLabel_, 1);
    bar->addWidget(folderButton);
    bar->addWidget(refreshButton);
    bar->addSpacing(12);
    bar->addWidget(filter_, 2);
    bar->addWidget(openButton_);
    bar->addWidget(exportButton_);

    table_ = new QTableView;
    table_->setObjectName(QStringLiteral("runsTable"));
    table_->setModel(proxy_);
    table_->setSortingEnabled(true);
    table_->sortByColumn(RunsTableModel::Started, Qt::DescendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->verticalHeader()->hide();
    table_->verticalHeader()->setDefaultSectionSize(22);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->setAlternatingRowColors(true);
    table_->setWordWrap(false);
    table_->setToolTip(tr("Tick a run (first column, or Space on the selected rows) to overlay its curves; "
                          "double-click to open it in the Inspect tab"));

    overlay_ = new RunsOverlayView;
    scatter_ = new RunsScatterView;
    status_ = new QLabel;
    status_->setObjectName(QStringLiteral("runsStatus"));

    auto *plots = new QSplitter(Qt::Horizontal);
    plots->addWidget(overlay_);
    plots->addWidget(scatter_);
    plots->setStretchFactor(0, 3);
    plots->setStretchFactor(1, 2);
    auto *split = new QSplitter(Qt::Vertical);
    split->addWidget(table_);
    split->addWidget(plots);
    split->setStretchFactor(0, 2);
    split->setStretchFactor(1, 3);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(split, 1);
    layout->addWidget(status_);

    watcher_ = new QFutureWatcher<ScanResult>(this);
    connect(watcher_, &QFutureWatcher<ScanResult>::finished, this, &RunsView::scanDone);
    curveWatcher_ = new QFutureWatcher<CurveResults>(this);
    connect(curveWatcher_, &QFutureWatcher<CurveResults>::finished, this, &RunsView::curvesDone);
    livePoll_ = new QTimer(this);
    livePoll_->setInterval(kLivePollMs);
    connect(livePoll_, &QTimer::timeout, this, &RunsView::livePoll);
    filterDelay_ = new QTimer(this);
    filterDelay_->setSingleShot(true);
    filterDelay_->setInterval(kFilterDelayMs);
    connect(filterDelay_, &QTimer::timeout, this, &RunsView::applyFilter);
    folderWatcher_ = new QFileSystemWatcher(this);
    debounce_ = new QTimer(this);
    debounce_->setSingleShot(true);
    debounce_->setInterval(400);
    connect(debounce_, &QTimer::timeout, this, &RunsView::refresh);
    connect(folderWatcher_, &QFileSystemWatcher::directoryChanged, debounce_, qOverload<>(&QTimer::start));

    connect(refreshButton, &QPushButton::clicked, this, &RunsView::refresh);
    connect(folderButton, &QPushButton::clicked, this, &RunsView::chooseFolder);
    // Typing is applied once it pauses (each application matches every row); clearing at once.
    connect(filter_, &QLineEdit::textChanged, this, [this](const QString &text) {
        if (text.isEmpty())
            applyFilter();
        else
            filterDelay_->start();
    });
    connect(model_, &RunsTableModel::checkedChanged, this, &RunsView::updatePlots);
    connect(table_, &QTableView::clicked, this, [this](const QModelIndex &index) {
        if (index.column() != RunsTableModel::Overlay)
            return;
        const RunPtr run = model_->run(proxy_->mapToSource(index).row());
        if (run)
            setRunChecked(QString::fromStdString(run->id), !model_->isChecked(QString::fromStdString(run->id)));
    });
    connect(table_, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        if (index.column() == RunsTableModel::Overlay)
            return;
        const RunPtr run = model_->run(proxy_->mapToSource(index).row());
        if (run)
            openRun(QString::fromStdString(run->id));
    });
    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        const QString id = selectedRunId();
        const int row = model_->rowOf(id);
        openButton_->setEnabled(row >= 0 && !model_->run(row)->checkpointPath().empty());
    });
    connect(openButton_, &QPushButton::clicked, this, [this] { openRun(selectedRunId()); });
    auto *space = new QShortcut(QKeySequence(Qt::Key_Space), table_, nullptr, nullptr, Qt::WidgetShortcut);
    connect(space, &QShortcut::activated, this, &RunsView::toggleSelected);
    updateStatus();
}

RunsView::~RunsView()
{
    // The scan and the curve reads hold no GUI objects: told to stop before their next run
    // folder, they are waited for.
    cancel_ = true;
    watcher_->disconnect(this);
    curveWatcher_->disconnect(this);
    watcher_->waitForFinished();
    curveWatcher_->waitForFinished();
}

void RunsView::setFolder(const QString &folder)
{
    if (!folderWatcher_->directories().isEmpty())
        folderWatcher_->removePaths(folderWatcher_->directories());
    folder_ = folder;
    folderLabel_->setText(folder.isEmpty() ? tr("(none)") : QDir::toNativeSeparators(folder));
    folderLabel_->setToolTip(folder);
    if (!folder.isEmpty() && QFileInfo(folder).isDir())
        folderWatcher_->addPath(folder);
    refresh();
}

void RunsView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (!folder_.isEmpty() && !isScanning())
        refresh(); // runs another process may have added or changed
}

bool RunsView::isScanning() const
{
    return scanInFlight_ || rescanPending_;
}

bool RunsView::isLoadingCurves() const
{
    return curvesInFlight_;
}

bool RunsView::isFilterPending() const
{
    return filterDelay_->isActive();
}

void RunsView::applyFilter()
{
    filterDelay_->stop();
    proxy_->setFilterText(filter_->text());
    updateScatter();
    updateStatus();
}

void RunsView::livePoll()
{
    if (isScanning() || !isVisible())
        return; // a scan in flight brings the news; a hidden view is read again when shown
    refresh();
}

void RunsView::refresh()
{
    if (scanInFlight_) {
        rescanPending_ = true;
        return;
    }
    rescanPending_ = false;
    const std::string folder = folder_.toStdString();
    if (!folder_.isEmpty() && folderWatcher_->directories().isEmpty() && QFileInfo(folder_).isDir())
        folderWatcher_->addPath(folder_); // the folder appeared since
    const std::atomic<bool> *cancel = &cancel_;
    scanInFlight_ = true;
    watcher_->setFuture(QtConcurrent::run([folder, cancel]() {
        ScanResult result;
        if (folder.empty())
            return result;
        try {
            std::vector<RunRecord> runs = RunIndex::scan(folder, false, &result.truncated, cancel);
            result.runs.reserve(runs.size());
            for (RunRecord &r : runs)
                result.runs.push_back(std::make_shared<const RunRecord>(std::move(r)));
        } catch (const std::bad_alloc &) {
            result.runs.clear();
            result.error = QObject::tr("not enough memory to read the runs");
        } catch (const std::exception &e) {
            result.error = QString::fromStdString(e.what());
        }
        return result;
    }));
    updateStatus();
}

bool RunsView::waitForScan(int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while ((isScanning() || isLoadingCurves() || isFilterPending()) && timer.elapsed() < timeoutMs) {
        if (isFilterPending() && !isScanning())
            applyFilter();
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(2);
    }
    QCoreApplication::processEvents();
    return !isScanning() && !isLoadingCurves() && !isFilterPending();
}

void RunsView::scanDone()
{
    scanInFlight_ = false;
    ScanResult result = watcher_->result();
    scanError_ = result.error;
    truncated_ = result.truncated;
    model_->setRuns(std::move(result.runs)); // emits checkedChanged: the plots follow
    if (model_->rowCount() <= 2000)
        table_->resizeColumnsToContents();
    if (table_->columnWidth(RunsTableModel::Name) > 320)
        table_->setColumnWidth(RunsTableModel::Name, 320);
    bool running = false;
    for (const RunPtr &r : model_->runs())
        running = running || r->status() == "running";
    if (running && !livePoll_->isActive())
        livePoll_->start();
    else if (!running)
        livePoll_->stop();
    updateStatus();
    if (rescanPending_)
        refresh();
    Q_EMIT scanFinished(model_->rowCount());
}

QStringList RunsView::legendLabels(const std::vector<RunPtr> &runs)
{
    // Names are words ("hidden=200 decision-cost=0.1 seed=1"); the words every run shares say
    // nothing in a legend.
    std::vector<QStringList> words;
    for (const RunPtr &r : runs)
        words.push_back(QString::fromStdString(r->manifest.name).split(QLatin1Char(' '), Qt::SkipEmptyParts));
    QStringList labels;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        QStringList kept;
        for (const QString &w : words[i]) {
            bool everywhere = runs.size() > 1;
            for (const QStringList &other : words)
                everywhere = everywhere && other.contains(w);
            if (!everywhere)
                kept << w;
        }
        labels << (kept.isEmpty() ? QString::fromStdString(runs[i]->manifest.name) : kept.join(QLatin1Char(' ')));
    }
    return labels;
}

std::string RunsView::curveKey(const RunRecord &run)
{
    return run.manifest.started + '|' + run.manifest.updated + '|' + run.status() + '|' + std::to_string(run.manifest.epochs)
        + '|' + std::to_string(run.manifest.checkpointEpoch);
}

void RunsView::updatePlots()
{
    updateOverlay();
    updateScatter();
}

void RunsView::updateOverlay()
{
    const std::vector<RunPtr> checked = model_->checkedRuns();
    // Only the ticked runs' curves are kept.
    std::map<QString, Curves> kept;
    for (const RunPtr &r : checked) {
        const QString id = QString::fromStdString(r->id);
        if (const auto it = curves_.find(id); it != curves_.end())
            kept.insert(*it);
    }
    curves_.swap(kept);
    // A run shows its last curves read until those of its latest scan are in.
    std::vector<RunsOverlayView::Entry> overlay;
    QStringList unreadable;
    const QStringList labels = legendLabels(checked);
    int reading = 0; // ticked runs without curves yet (loadMissingCurves asks for them)
    for (std::size_t i = 0; i < checked.size(); ++i) {
        const QString id = QString::fromStdString(checked[i]->id);
        const auto it = curves_.find(id);
        if (it == curves_.end()) {
            ++reading;
            continue;
        }
        if (it->second.run->health != RunHealth::Ok) {
            unreadable << tr("%1 (%2)").arg(id, QString::fromStdString(it->second.run->problem));
            continue;
        }
        overlay.push_back({it->second.run, model_->colorOf(id), labels[int(i)]});
    }
    curveProblem_ = unreadable.isEmpty() ? QString() : tr("Curves that cannot be read: %1.").arg(unreadable.join(QStringLiteral(", ")));
    overlay_->setRuns(std::move(overlay), reading);
    loadMissingCurves();
    updateStatus();
}

void RunsView::loadMissingCurves()
{
    if (curvesInFlight_)
        return; // curvesDone asks again
    std::vector<CurveRequest> requests;
    for (const RunPtr &r : model_->checkedRuns()) {
        const QString id = QString::fromStdString(r->id);
        const std::string key = curveKey(*r);
        const auto it = curves_.find(id);
        if (it == curves_.end() || it->second.key != key)
            requests.push_back({id, key, r->folder});
    }
    if (requests.empty())
        return;
    const std::atomic<bool> *cancel = &cancel_;
    curvesInFlight_ = true;
    curveWatcher_->setFuture(QtConcurrent::run([requests = std::move(requests), cancel]() {
        CurveResults results;
        for (const CurveRequest &request : requests) {
            if (cancel->load(std::memory_order_relaxed))
                break;
            // readRunFolder never throws for what a folder holds; memory may still run out.
            RunRecord record;
            try {
                record = readRunFolder(request.folder, true);
            } catch (const std::bad_alloc &) {
                record = RunRecord{};
                record.folder = request.folder;
                record.id = request.id.toStdString();
                record.health = RunHealth::Damaged;
                record.problem = "not enough memory to read it";
            }
            results.emplace_back(request, std::make_shared<const RunRecord>(std::move(record)));
        }
        return results;
    }));
    updateStatus();
}

void RunsView::curvesDone()
{
    curvesInFlight_ = false;
    CurveResults results = curveWatcher_->result();
    // Kept under the key of the scan they were asked for: they are at least that recent.
    for (auto &[request, run] : results)
        if (model_->isChecked(request.id))
            curves_[request.id] = {request.key, std::move(run)};
    updateOverlay(); // and reads what changed meanwhile
}

void RunsView::updateScatter()
{
    const std::vector<RunPtr> checked = model_->checkedRuns();
    const QStringList labels = legendLabels(checked);
    std::vector<RunsScatterView::Entry> scatter;
    for (int row = 0; row < proxy_->rowCount(); ++row) {
        const RunPtr r = model_->run(proxy_->mapToSource(proxy_->index(row, 0)).row());
        if (!r)
            continue;
        const auto at = std::find(checked.begin(), checked.end(), r);
        scatter.push_back({r, model_->colorOf(QString::fromStdString(r->id)),
                           at == checked.end() ? QString() : labels[int(at - checked.begin())]});
    }
    scatter_->setRuns(std::move(scatter));
}

QString RunsView::statusText() const
{
    return status_->text();
}

void RunsView::updateStatus()
{
    QStringList parts;
    if (folder_.isEmpty()) {
        parts << tr("No runs folder.");
    } else if (!scanError_.isEmpty()) {
        parts << tr("The runs folder cannot be read: %1").arg(scanError_);
    } else {
        int damaged = 0, refused = 0, running = 0;
        for (const RunPtr &r : model_->runs()) {
            damaged += r->health == RunHealth::Damaged;
            refused += r->health == RunHealth::Refused;
            running += r->status() == "running";
        }
        QString line = model_->rowCount() == 1 ? tr("1 run") : tr("%1 runs").arg(model_->rowCount());
        if (proxy_->rowCount() != model_->rowCount())
            line += tr(", %1 shown").arg(proxy_->rowCount());
        if (running)
            line += tr(", %1 running").arg(running);
        if (damaged)
            line += tr(", %1 damaged").arg(damaged);
        if (refused)
            line += tr(", %1 from a newer Firstspike").arg(refused);
        line += tr(", %1 ticked").arg(model_->checkedRuns().size());
        if (truncated_)
            line += tr(" (only the first %1 folders were read)").arg(RunIndex::kMaxRuns);
        parts << line + QLatin1Char('.');
    }
    if (scanInFlight_)
        parts << tr("Reading…");
    else if (curvesInFlight_)
        parts << tr("Reading curves…");
    if (!curveProblem_.isEmpty())
        parts << curveProblem_;
    if (!proxy_->filterProblem().isEmpty())
        parts << tr("Filter: %1.").arg(proxy_->filterProblem());
    if (!message_.isEmpty())
        parts << message_;
    status_->setText(parts.join(QLatin1Char(' ')));
}

bool RunsView::setRunChecked(const QString &id, bool checked)
{
    return model_->setChecked(id, checked);
}

void RunsView::toggleSelected()
{
    const QModelIndexList rows = table_->selectionModel()->selectedRows();
    bool anyUnchecked = false;
    for (const QModelIndex &index : rows) {
        const RunPtr r = model_->run(proxy_->mapToSource(index).row());
        anyUnchecked = anyUnchecked || (r && !model_->isChecked(QString::fromStdString(r->id)));
    }
    for (const QModelIndex &index : rows)
        if (const RunPtr r = model_->run(proxy_->mapToSource(index).row()))
            model_->setChecked(QString::fromStdString(r->id), anyUnchecked);
}

QString RunsView::selectedRunId() const
{
    const QModelIndexList rows = table_->selectionModel()->selectedRows();
    if (rows.size() != 1)
        return {};
    const RunPtr r = model_->run(proxy_->mapToSource(rows.front()).row());
    return r ? QString::fromStdString(r->id) : QString();
}

bool RunsView::openRun(const QString &id, QString *error)
{
    const int row = model_->rowOf(id);
    QString problem;
    if (row < 0)
        problem = tr("there is no run %1").arg(id);
    else if (model_->run(row)->health != RunHealth::Ok)
        problem = tr("%1 cannot be read: %2").arg(id, QString::fromStdString(model_->run(row)->problem));
    else if (model_->run(row)->checkpointPath().empty())
        problem = tr("%1 has no checkpoint yet (one is written at the end of a run, and every 30 s of training)").arg(id);
    if (!problem.isEmpty()) {
        message_ = problem;
        updateStatus();
        if (error)
            *error = problem;
        return false;
    }
    message_.clear();
    const RunPtr r = model_->run(row);
    Q_EMIT openRunRequested(QString::fromStdString(r->checkpointPath()), QString::fromStdString(r->manifest.name));
    updateStatus();
    return true;
}

namespace {

QString csvField(const QString &text)
{
    if (!text.contains(QLatin1Char(',')) && !text.contains(QLatin1Char('"')) && !text.contains(QLatin1Char('\n')))
        return text;
    QString quoted = text;
    quoted.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

} // namespace

QString RunsView::tableCsv() const
{
    const QStringList keys = RunsTableModel::columnKeys();
    QStringList header;
    for (int c = RunsTableModel::Name; c < RunsTableModel::ColumnCount; ++c)
        header << keys[c];
    header << QStringLiteral("folder") << QStringLiteral("problem");
    QString out = header.join(QLatin1Char(',')) + QLatin1Char('\n');
    for (int row = 0; row < proxy_->rowCount(); ++row) {
        const QModelIndex source = proxy_->mapToSource(proxy_->index(row, 0));
        const RunPtr r = model_->run(source.row());
        QStringList fields;
        for (int c = RunsTableModel::Name; c < RunsTableModel::ColumnCount; ++c) {
            const QModelIndex index = model_->index(source.row(), c);
            const QVariant sortValue = index.data(RunsTableModel::SortRole);
            const bool numeric = c != RunsTableModel::Layers && c != RunsTableModel::Epochs && sortValue.isValid()
                && sortValue.typeId() != QMetaType::QString;
            fields << csvField(numeric ? QString::number(sortValue.toDouble(), 'g', 17) : index.data().toString());
        }
        fields << csvField(QString::fromStdString(r->folder)) << csvField(QString::fromStdString(r->problem));
        out += fields.join(QLatin1Char(',')) + QLatin1Char('\n');
    }
    return out;
}

bool RunsView::exportTableCsv(const QString &path, QString *error) const
{
    try {
        writeFileAtomically(QFile::encodeName(path).toStdString(), tableCsv().toStdString());
        return true;
    } catch (const std::exception &e) {
        if (error)
            *error = QString::fromStdString(e.what());
        return false;
    }
}

std::vector<Figure> RunsView::figures() const
{
    return {overlay_->figure(), scatter_->figure()};
}

bool RunsView::exportFigure(const QString &name, const QString &path, FigureFormat format, const FigureOptions &options,
                            QString *error) const
{
    for (const Figure &f : figures())
        if (f.name == name)
            return FigureExporter::write(f, path, format, options, error);
    if (error)
        *error = tr("no figure named %1").arg(name);
    return false;
}

void RunsView::chooseFolder()
{
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Runs Folder"), folder_);
    if (folder.isEmpty())
        return;
    setFolder(folder);
    Q_EMIT folderChosen(folder);
}

void RunsView::exportInteractively(const QString &what)
{
    const bool csv = what == QLatin1String("csv");
    const QString suggested = QDir(QDir::homePath()).filePath(csv ? QStringLiteral("runs.csv") : what + QStringLiteral(".png"));
    const QString path = QFileDialog::getSaveFileName(this, csv ? tr("Export Runs Table") : tr("Export Figure"), suggested,
                                                      csv ? tr("CSV (*.csv)") : tr("PNG (*.png);;SVG (*.svg);;PDF (*.pdf)"));
    if (path.isEmpty())
        return;
    QString error;
    const bool ok = csv ? exportTableCsv(path, &error)
                        : exportFigure(what, path, FigureExporter::formatForPath(path), {}, &error);
    message_ = ok ? tr("Wrote %1.").arg(QDir::toNativeSeparators(path)) : tr("Export failed: %1").arg(error);
    updateStatus();
}

} // namespace firstspike

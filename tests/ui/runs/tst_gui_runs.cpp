// The Runs tab driven as a person drives it: a runs folder with recorded runs, a damaged one and
// one from a newer Firstspike; ticking runs with the mouse overlays their curves in distinct
// colours with a legend; the filter box narrows the table and the scatter; a header click sorts;
// figures export as real PNG, SVG and PDF and the table as CSV; a run opens in the Inspect tab;
// and a run trained in the window is recorded and appears in the table when it ends. A scan
// reads the manifests only and a ticked run's curves apart; a running run is followed until it
// ends; a live change of the learning rate and batch size is recorded in the run's manifest.

#include "core/data/IdxReader.h"
#include "core/runs/RunIndex.h"
#include "core/runs/RunReader.h"
#include "core/runs/RunRecorder.h"
#include "core/training/Trainer.h"
#include "ui/inspect/InspectPanel.h"
#include "ui/runs/RunsFilterProxy.h"
#include "ui/runs/RunsOverlayView.h"
#include "ui/runs/RunsScatterView.h"
#include "ui/runs/RunsView.h"
#include "ui/training/TrainingController.h"
#include "ui/window/MainWindow.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHeaderView>
#include <QLineEdit>
#include <QPushButton>
#include <QTableView>
#include "tests/common/EmbeddedSubset.h"

#include <QtTest>

#include <QPainter>

#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <sys/stat.h>

using namespace firstspike;

namespace {

std::shared_ptr<const DataSplit> smallData()
{
    return test::embeddedSubset(300, 100);
}

// The view at a working size, shown, with `folder` scanned; false if either step failed.
bool showScanned(RunsView &view, const QString &folder)
{
    view.resize(1200, 800);
    view.show();
    if (!QTest::qWaitForWindowExposed(&view))
        return false;
    view.setFolder(folder);
    return view.waitForScan();
}

// A complete run recorded as `firstspike-cli sweep` records one.
void recordRun(const std::string &runsDir, const std::string &id, int hidden, double lr, int epochs)
{
    NetworkConfig net;
    net.layerSizes = {784, hidden, 10};
    TrainConfig tc;
    tc.epochs = epochs;
    tc.threads = 1;
    tc.optimizer.learningRate = lr;
    tc.validationFraction = 0.2;
    Trainer trainer(net, tc, smallData());
    RunManifest m;
    m.id = id;
    m.name = "hidden=" + std::to_string(hidden) + " lr=" + QString::number(lr).toStdString() + " seed=1";
    m.origin = "sweep";
    m.sweep = "gui";
    m.sweepValues = {{"hidden", std::to_string(hidden)}, {"lr", QString::number(lr).toStdString()}};
    m.network = net;
    m.training = tc;
    RunRecorder recorder(runsDir, m);
    recorder.setBatchesPerEpoch(trainer.batchesPerEpoch());
    while (!trainer.finished()) {
        while (!trainer.epochComplete()) {
            const BatchResult b = trainer.trainBatch();
            recorder.addBatch(trainer.optimizer().stepCount(), trainer.epoch() + double(trainer.cursor()) / trainer.epochSize(),
                              b.loss, double(b.correct) / b.samples);
        }
        trainer.finishEpoch();
        recorder.epochEnded(trainer);
    }
    trainer.finalize();
    recorder.finish(&trainer, RunState::Complete, trainer.stopReason());
}

QByteArray fileBytes(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestGuiRuns : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    QString runs_;

    // Clicks a run's overlay box (a click anywhere in the cell toggles it).
    static void clickOverlayBox(RunsView &view, const QString &id)
    {
        const int sourceRow = view.model()->rowOf(id);
        QVERIFY(sourceRow >= 0);
        const QModelIndex index = view.proxy()->mapFromSource(view.model()->index(sourceRow, RunsTableModel::Overlay));
        QVERIFY(index.isValid());
        view.table()->scrollTo(index);
        const QRect rect = view.table()->visualRect(index);
        QVERIFY(!rect.isEmpty());
        QTest::mouseClick(view.table()->viewport(), Qt::LeftButton, {}, rect.center());
        QVERIFY(view.waitForScan()); // the ticked run's curves are read off the GUI thread
    }
    static int shownRows(const RunsView &view) { return view.proxy()->rowCount(); }
    static void typeFilter(RunsView &view, const QString &text)
    {
        view.filterEdit()->clear();
        QTest::keyClicks(view.filterEdit(), text);
        QCOMPARE(view.filterEdit()->text(), text);
        QTRY_VERIFY(!view.isFilterPending()); // applied once typing pauses
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("FirstspikeTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_gui_runs"));
        QVERIFY(dir_.isValid());
        runs_ = dir_.filePath("runs");
        recordRun(runs_.toStdString(), "run-a", 8, 0.001, 2);
        recordRun(runs_.toStdString(), "run-b", 12, 0.002, 3);
        recordRun(runs_.toStdString(), "run-c", 16, 0.003, 2);
        // A damaged run and one written by a newer Firstspike.
        ::mkdir((runs_ + "/run-damaged").toUtf8().constData(), 0755);
        std::ofstream((runs_ + "/run-damaged/manifest.json").toStdString()) << "{\"format\":\"firstspike-run\",\"vers";
        ::mkdir((runs_ + "/run-newer").toUtf8().constData(), 0755);
        QByteArray newer = fileBytes(runs_ + "/run-a/manifest.json");
        newer.replace("\"version\":1", "\"version\":99");
        std::ofstream((runs_ + "/run-newer/manifest.json").toStdString()) << newer.toStdString();
    }

    void tableListsEveryRunAndMarksTheBrokenOnes()
    {
        RunsView view;
        QVERIFY(showScanned(view, runs_));
        QCOMPARE(view.model()->rowCount(), 5);
        QVERIFY2(view.statusText().contains("5 runs") && view.statusText().contains("1 damaged")
                     && view.statusText().contains("1 from a newer Firstspike"),
                 qPrintable(view.statusText()));
        const int damaged = view.model()->rowOf("run-damaged");
        QCOMPARE(view.model()->index(damaged, RunsTableModel::Status).data().toString(), QStringLiteral("damaged"));
        QVERIFY2(view.model()->index(damaged, RunsTableModel::Name).data().toString().contains("not valid JSON"),
                 qPrintable(view.model()->index(damaged, RunsTableModel::Name).data().toString()));
        const int newer = view.model()->rowOf("run-newer");
        QCOMPARE(view.model()->index(newer, RunsTableModel::Status).data().toString(), QStringLiteral("refused"));
        QVERIFY(view.model()->index(newer, RunsTableModel::Name).data().toString().contains("format version 99 is newer"));
        const int b = view.model()->rowOf("run-b");
        QCOMPARE(view.model()->index(b, RunsTableModel::Layers).data().toString(), QStringLiteral("784-12-10"));
        QCOMPARE(view.model()->index(b, RunsTableModel::Epochs).data().toString(), QStringLiteral("3 / 3"));
        QCOMPARE(view.model()->index(b, RunsTableModel::Status).data().toString(), QStringLiteral("complete"));
        // The scatter shows the three readable runs and marks a front.
        QCOMPARE(int(view.scatter()->plot().markers.size()), 3);
        QVERIFY(!view.scatter()->frontIds().isEmpty());
    }

    void tickingRunsOverlaysTheirCurves()
    {
        RunsView view;
        QVERIFY(showScanned(view, runs_));
        QVERIFY(view.overlay()->plot().lines.empty());
        QVERIFY(view.overlay()->plot().isEmpty());

        clickOverlayBox(view, "run-a");
        QVERIFY(view.model()->isChecked("run-a"));
        QCOMPARE(int(view.overlay()->plot().lines.size()), 1);
        clickOverlayBox(view, "run-b");
        QCOMPARE(int(view.overlay()->plot().lines.size()), 2);
        // A damaged run cannot be ticked: it has no curves.
        clickOverlayBox(view, "run-damaged");
        QVERIFY(!view.model()->isChecked("run-damaged"));
        QCOMPARE(int(view.overlay()->plot().lines.size()), 2);

        // Colours differ; the legend names what differs (hidden and lr), not the shared seed.
        // (Lines come in the table's order, newest run first.)
        const RunsPlot &plot = view.overlay()->plot();
        QVERIFY(plot.lines[0].color != plot.lines[1].color);
        std::map<QString, const RunsPlotSeries *> byLabel;
        for (const RunsPlotSeries &line : plot.lines)
            byLabel[line.label] = &line;
        QVERIFY(byLabel.count("hidden=8 lr=0.001") && byLabel.count("hidden=12 lr=0.002"));
        QCOMPARE(byLabel["hidden=8 lr=0.001"]->color, view.model()->colorOf("run-a"));
        QCOMPARE(byLabel["hidden=12 lr=0.002"]->color, view.model()->colorOf("run-b"));
        // Mini-batch loss by default: the whole curve (240 training digits, batches of 10).
        QCOMPARE(byLabel["hidden=8 lr=0.001"]->points.size(), 48);
        QCOMPARE(byLabel["hidden=12 lr=0.002"]->points.size(), 72);
        const int lineA = int(byLabel["hidden=8 lr=0.001"] - plot.lines.data());
        const int lineB = 1 - lineA;

        // The same controls as the Training tab: log scale, smoothing; per-epoch metrics.
        QTest::mouseClick(view.overlay()->logBox(), Qt::LeftButton);
        QVERIFY(view.overlay()->plot().logY);
        const double smoothedLast = view.overlay()->plot().lines[lineA].points.back().y();
        view.overlay()->smoothingSlider()->setValue(0);
        QVERIFY(view.overlay()->plot().lines[lineA].points.back().y() != smoothedLast);
        view.overlay()->metricBox()->setCurrentIndex(
            view.overlay()->metricBox()->findData(int(RunsOverlayView::Metric::TestAccuracy)));
        QCOMPARE(view.overlay()->metric(), RunsOverlayView::Metric::TestAccuracy);
        QCOMPARE(view.overlay()->plot().lines[lineB].points.size(), 3); // run-b's three epochs
        QVERIFY(view.overlay()->plot().lines[lineB].points[2].y() > 1); // in %

        // The ticked runs are coloured on the scatter too.
        int coloured = 0;
        for (const RunsPlotMarker &m : view.scatter()->plot().markers)
            coloured += m.highlighted;
        QCOMPARE(coloured, 2);

        // Space toggles the selected rows; a second click unticks.
        clickOverlayBox(view, "run-a");
        QVERIFY(!view.model()->isChecked("run-a"));
        QCOMPARE(int(view.overlay()->plot().lines.size()), 1);
        const QModelIndex c = view.proxy()->mapFromSource(view.model()->index(view.model()->rowOf("run-c"), RunsTableModel::Name));
        QTest::mouseClick(view.table()->viewport(), Qt::LeftButton, {}, view.table()->visualRect(c).center());
        QTest::keyClick(view.table(), Qt::Key_Space);
        QVERIFY(view.model()->isChecked("run-c"));

        // A rescan keeps the ticks.
        view.refresh();
        QVERIFY(view.waitForScan());
        QVERIFY(view.model()->isChecked("run-b") && view.model()->isChecked("run-c"));
        QCOMPARE(int(view.overlay()->plot().lines.size()), 2);
    }

    void scansReadManifestsAndTickedRunsTheirCurves()
    {
        RunsView view;
        QVERIFY(showScanned(view, runs_));
        for (const RunPtr &r : view.model()->runs()) {
            QVERIFY(r->history.empty());
            QVERIFY(r->batches.empty());
        }
        clickOverlayBox(view, "run-b");
        QCOMPARE(int(view.overlay()->plot().lines.size()), 1);
        QCOMPARE(view.overlay()->plot().lines[0].points.size(), 72);
        // A rescan that finds the run unchanged does not read its curves again.
        view.refresh();
        QVERIFY(view.waitForScan());
        QVERIFY(!view.isLoadingCurves());
        QCOMPARE(int(view.overlay()->plot().lines.size()), 1);
    }

    void runningRunsAreFollowedUntilTheyEnd()
    {
        // A run recorded in this process: its folder's changes do not reach the runs folder's
        // watcher, the view's poll follows them; a ticked run's curves follow its epochs.
        const QString runs = dir_.filePath("live-runs");
        NetworkConfig net;
        net.layerSizes = {784, 6, 10};
        TrainConfig tc;
        tc.epochs = 3;
        tc.threads = 1;
        tc.patience = 0;
        Trainer trainer(net, tc, smallData());
        RunManifest m;
        m.id = "live";
        m.name = "live run";
        m.origin = "cli";
        m.network = net;
        m.training = tc;
        auto recorder = std::make_unique<RunRecorder>(runs.toStdString(), m);
        auto trainEpoch = [&] {
            while (!trainer.epochComplete())
                trainer.trainBatch();
            trainer.finishEpoch();
            recorder->epochEnded(trainer);
        };
        trainEpoch();

        RunsView view;
        QVERIFY(showScanned(view, runs));
        QCOMPARE(view.model()->rowCount(), 1);
        QCOMPARE(view.model()->run(0)->status(), std::string("running"));
        view.overlay()->metricBox()->setCurrentIndex(
            view.overlay()->metricBox()->findData(int(RunsOverlayView::Metric::TestAccuracy)));
        clickOverlayBox(view, "live");
        QCOMPARE(int(view.overlay()->plot().lines.size()), 1);
        QCOMPARE(view.overlay()->plot().lines[0].points.size(), 1);

        trainEpoch();
        QTRY_VERIFY_WITH_TIMEOUT(view.model()->run(0)->manifest.epochs == 2, 3 * RunsView::kLivePollMs);
        QTRY_COMPARE_WITH_TIMEOUT(view.overlay()->plot().lines[0].points.size(), 2, 5000);

        recorder->finish(nullptr, RunState::Stopped, "test");
        recorder.reset();
        QTRY_VERIFY_WITH_TIMEOUT(view.model()->run(0)->status() == "stopped", 3 * RunsView::kLivePollMs);
        QVERIFY(view.waitForScan());
        QVERIFY(view.model()->isChecked("live"));
        QCOMPARE(int(view.overlay()->plot().lines.size()), 1);
    }

    void filterAndSort()
    {
        RunsView view;
        QVERIFY(showScanned(view, runs_));
        typeFilter(view, "lr>0.0015");
        QCOMPARE(shownRows(view), 2); // run-b, run-c
        QCOMPARE(int(view.scatter()->plot().markers.size()), 2);
        QVERIFY(view.statusText().contains("2 shown"));
        typeFilter(view, "lr>0.0015 layers~16");
        QCOMPARE(shownRows(view), 1);
        typeFilter(view, "status=damaged");
        QCOMPARE(shownRows(view), 1);
        typeFilter(view, "layers=784-12-10");
        QCOMPARE(shownRows(view), 1);
        typeFilter(view, "accuracy>-1");
        QCOMPARE(shownRows(view), 3); // runs without an accuracy do not compare
        typeFilter(view, "nothing-matches-this");
        QCOMPARE(shownRows(view), 0);
        typeFilter(view, "acc>3");
        QVERIFY2(view.statusText().contains("unknown column 'acc'"), qPrintable(view.statusText()));
        view.filterEdit()->clear();
        QCOMPARE(shownRows(view), 5);

        // A click on the lr header sorts by the number, ascending, runs without one last.
        const int x = view.table()->horizontalHeader()->sectionViewportPosition(RunsTableModel::LearningRate) + 5;
        QTest::mouseClick(view.table()->horizontalHeader()->viewport(), Qt::LeftButton, {}, QPoint(x, 5));
        QCOMPARE(view.table()->horizontalHeader()->sortIndicatorSection(), int(RunsTableModel::LearningRate));
        QStringList order;
        for (int row = 0; row < shownRows(view); ++row)
            order << view.proxy()->index(row, RunsTableModel::Id).data().toString();
        if (view.table()->horizontalHeader()->sortIndicatorOrder() == Qt::AscendingOrder)
            QCOMPARE(order.mid(0, 3), (QStringList{"run-a", "run-b", "run-c"}));
        else
            QCOMPARE(order.mid(order.size() - 3), (QStringList{"run-c", "run-b", "run-a"}));
    }

    void exportsFiguresAndTable()
    {
        RunsView view;
        QVERIFY(showScanned(view, runs_));
        clickOverlayBox(view, "run-a");
        clickOverlayBox(view, "run-c");
        QTemporaryDir out;
        QString error;
        QVERIFY2(view.exportFigure("runs-curves", out.filePath("curves.png"), FigureFormat::Png, {}, &error), qPrintable(error));
        QVERIFY(fileBytes(out.filePath("curves.png")).startsWith("\x89PNG\r\n\x1a\n"));
        QImage png(out.filePath("curves.png"));
        QCOMPARE(png.size(), QSize(900, 520));
        // Not blank: the two runs' colours are in the picture.
        bool hasA = false, hasC = false;
        const QColor a = view.model()->colorOf("run-a"), c = view.model()->colorOf("run-c");
        for (int y = 0; y < png.height(); y += 1)
            for (int x = 0; x < png.width(); x += 1) {
                const QColor p = png.pixelColor(x, y);
                hasA = hasA || p == a;
                hasC = hasC || p == c;
            }
        QVERIFY(hasA && hasC);
        QVERIFY(view.exportFigure("runs-curves", out.filePath("curves.svg"), FigureFormat::Svg, {}, &error));
        const QByteArray svg = fileBytes(out.filePath("curves.svg"));
        QVERIFY(svg.contains("<svg"));
        QVERIFY(svg.contains("hidden=8 lr=0.001")); // the legend, as text
        QVERIFY(view.exportFigure("runs-pareto", out.filePath("pareto.pdf"), FigureFormat::Pdf, {}, &error));
        QVERIFY(fileBytes(out.filePath("pareto.pdf")).startsWith("%PDF"));
        QVERIFY(view.exportFigure("runs-pareto", out.filePath("pareto.svg"), FigureFormat::Svg, {}, &error));
        QVERIFY(fileBytes(out.filePath("pareto.svg")).contains("Pareto front"));
        QVERIFY(!view.exportFigure("nonsense", out.filePath("x.png"), FigureFormat::Png, {}, &error));

        typeFilter(view, "lr<0.0025");
        QVERIFY2(view.exportTableCsv(out.filePath("runs.csv"), &error), qPrintable(error));
        const QStringList lines = QString::fromUtf8(fileBytes(out.filePath("runs.csv"))).trimmed().split('\n');
        QCOMPARE(lines.size(), 3); // header, run-a, run-b
        QVERIFY(lines[0].startsWith("name,status,sweep,layers,encoding,optimizer,lr,batch,epochs,seed"));
        const int lrColumn = int(lines[0].split(',').indexOf("lr"));
        const int idColumn = int(lines[0].split(',').indexOf("id"));
        QStringList ids;
        for (const QString &line : lines.mid(1)) {
            ids << line.split(',')[idColumn];
            QVERIFY(line.split(',')[lrColumn].toDouble() < 0.0025);
        }
        ids.sort();
        QCOMPARE(ids, (QStringList{"run-a", "run-b"}));
        // A folder in the way is refused, not written through.
        QDir(out.path()).mkdir("taken.csv");
        QVERIFY(!view.exportTableCsv(out.filePath("taken.csv"), &error));
        QVERIFY(!error.isEmpty());
    }

    void plotSurvivesExtremeValues()
    {
        // Values a damaged but parseable metrics file may hold: the plot paints and returns.
        const std::vector<QVector<QPointF>> cases = {
            {QPointF(1e17, 1), QPointF(1e17 + 100, 2)},
            {QPointF(-1e308, -1e308), QPointF(1e308, 1e308)},
            {QPointF(1, 5), QPointF(1, 5)},
            {QPointF(0, 1e-300), QPointF(1, 1e300)},
            {QPointF(std::nan(""), 1), QPointF(2, std::numeric_limits<double>::infinity())},
        };
        for (bool logY : {false, true})
            for (const QVector<QPointF> &points : cases) {
                RunsPlot plot;
                plot.logY = logY;
                plot.lines.push_back({QStringLiteral("x"), Qt::red, points});
                plot.markers.push_back({points.front(), Qt::blue, QStringLiteral("m"), true, true});
                plot.front = {points.front()};
                QImage image(400, 300, QImage::Format_ARGB32);
                image.fill(Qt::white);
                {
                    QPainter painter(&image);
                    plot.paint(painter, QRectF(0, 0, 400, 300));
                }
                // A case with a point the plot can place draws it (and the axes); one without
                // (only NaN and infinities) leaves the plot blank.
                bool placeable = false;
                for (const QPointF &q : points)
                    placeable = placeable || (std::isfinite(q.x()) && std::isfinite(q.y()) && (!logY || q.y() > 0));
                bool drawn = false;
                for (int y = 0; y < image.height() && !drawn; ++y)
                    for (int x = 0; x < image.width() && !drawn; ++x)
                        drawn = image.pixel(x, y) != qRgb(255, 255, 255);
                QVERIFY2(drawn == placeable, qPrintable(QStringLiteral("log %1, first point %2 %3")
                                                            .arg(logY)
                                                            .arg(points.front().x())
                                                            .arg(points.front().y())));
            }
    }

    void liveSettingChangesOfAGuiRunAreRecorded()
    {
        const QString guiRuns = dir_.filePath("gui-live-runs");
        RunConfig config;
        config.network.layerSizes = {784, 6, 10};
        config.training.epochs = 1;
        config.training.threads = 1;
        config.training.batchSize = 10;
        config.training.optimizer.learningRate = 1e-3;
        config.trainLimit = 200;
        config.testLimit = 100;
        MainWindowOptions o;
        o.config = config;
        o.useSettings = false;
        o.data = smallData();
        o.runsFolder = guiRuns;
        auto window = std::make_unique<MainWindow>(o);
        MainWindow &w = *window;
        w.resize(1280, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->state(), TrainingController::State::Ready, 10000);
        QSignalSpy recorded(w.controller(), &TrainingController::runRecorded);
        w.controller()->trainSteps(2);
        QTRY_VERIFY_WITH_TIMEOUT(!recorded.isEmpty(), 10000); // the recording started
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->state(), TrainingController::State::Paused, 10000);
        const std::string folder = recorded.first().at(0).toString().toStdString();
        RunConfig changed = w.controller()->config();
        changed.training.optimizer.learningRate = 3e-3;
        changed.training.batchSize = 20;
        w.controller()->setConfig(changed);
        QTRY_VERIFY_WITH_TIMEOUT(readRunFolder(folder, false).manifest.settingChanges.size() == 2, 10000);
        const RunManifest m = readRunFolder(folder, false).manifest;
        QCOMPARE(m.training.optimizer.learningRate, 3e-3);
        QCOMPARE(m.training.batchSize, 20);
        std::map<std::string, std::pair<double, double>> changes;
        for (const SettingChange &c : m.settingChanges) {
            changes[c.setting] = {c.from, c.to};
            QVERIFY(c.epochPosition > 0 && c.epochPosition < 1);
        }
        QCOMPARE(changes["lr"], std::make_pair(1e-3, 3e-3));
        QCOMPARE(changes["batch"], std::make_pair(10.0, 20.0));
        // Closed before its end: stopped, the changes kept.
        window.reset();
        const RunRecord closed = readRunFolder(folder, false);
        QCOMPARE(closed.status(), std::string("stopped"));
        QCOMPARE(closed.manifest.settingChanges.size(), std::size_t(2));
        QCOMPARE(closed.manifest.training.batchSize, 20);
    }

    void openRunShowsItInInspectAndGuiRunsAreRecorded()
    {
        const QString guiRuns = dir_.filePath("gui-runs");
        // The window's own runs go to gui-runs; the table shows the fixture's folder first.
        RunConfig config;
        config.network.layerSizes = {784, 10, 10};
        config.training.epochs = 1;
        config.training.threads = 1;
        config.trainLimit = 200;
        config.testLimit = 100;
        MainWindowOptions o;
        o.config = config;
        o.useSettings = false;
        o.data = smallData();
        o.runsFolder = runs_;
        MainWindow w(o);
        w.resize(1280, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->state(), TrainingController::State::Ready, 10000);
        RunsView &view = *w.runsView();
        QVERIFY(view.waitForScan());
        w.centralTabs()->setCurrentWidget(&view);
        QVERIFY(view.waitForScan());
        QCOMPARE(view.model()->rowCount(), 5);

        // Select run-b, then Open in Inspect.
        const QModelIndex b = view.proxy()->mapFromSource(view.model()->index(view.model()->rowOf("run-b"), RunsTableModel::Name));
        QTest::mouseClick(view.table()->viewport(), Qt::LeftButton, {}, view.table()->visualRect(b).center());
        QVERIFY(view.openButton()->isEnabled());
        QTest::mouseClick(view.openButton(), Qt::LeftButton);
        QCOMPARE(w.centralTabs()->currentWidget(), static_cast<QWidget *>(w.inspectPanel()));
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->config().network.layerSizes, (std::vector<int>{784, 12, 10}), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->state(), TrainingController::State::Stopped, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(w.latestSnapshot() && w.latestSnapshot()->epochsCompleted == 3, 10000);
        // A damaged run cannot be opened, and says why.
        QString error;
        QVERIFY(!view.openRun("run-damaged", &error));
        QVERIFY(error.contains("cannot be read"));

        // Record into another folder, train one epoch of the opened run's network: the run
        // appears there, complete.
        w.setRunsFolder(guiRuns);
        QCOMPARE(view.folder(), guiRuns);
        w.controller()->reset();
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->state(), TrainingController::State::Ready, 10000);
        QSignalSpy recorded(w.controller(), &TrainingController::runRecorded);
        w.controller()->train();
        QTRY_VERIFY_WITH_TIMEOUT(recorded.size() >= 2, 20000); // started, ended
        QCOMPARE(recorded.last().at(1).toBool(), true);
        QVERIFY(recorded.last().at(2).toString().isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(view.model()->rowCount() == 1 && view.model()->run(0)->status() == "complete", 10000);
        const RunPtr run = view.model()->run(0);
        QCOMPARE(run->manifest.origin, std::string("gui"));
        QCOMPARE(run->manifest.network.layerSizes, (std::vector<int>{784, 12, 10}));
        QCOMPARE(run->manifest.epochs, 3); // run-b's settings: three epochs
        const RunRecord withCurves = readRunFolder(run->folder);
        QCOMPARE(int(withCurves.history.size()), 3);
        QVERIFY(!withCurves.batches.empty());
        QCOMPARE(run->manifest.testLimit, 100);
        QVERIFY(!run->checkpointPath().empty());
    }
};

QTEST_MAIN(TestGuiRuns)
#include "tst_gui_runs.moc"

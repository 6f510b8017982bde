// Export and persistence: every figure format is produced and parses, CSV exports round-trip,
// checkpoint -> GUI -> checkpoint is bit-exact, failed saves keep the previous file, sessions
// reopen the workspace, quitting a live run asks, autosave keeps the newest three, and
// `firstspike-cli figures` renders every view without a display.

#include "core/files/Checkpoint.h"
#include "ui/curves/CurvesView.h"
#include "core/files/DataExport.h"
#include "ui/export/FigureExportDialog.h"
#include "ui/export/FigureExporter.h"
#include "core/data/IdxReader.h"
#include "ui/inspect/InspectPanel.h"
#include "ui/window/MainWindow.h"
#include "ui/window/SessionFile.h"
#include "ui/training/TrainingController.h"
#include "core/training/Trainer.h"
#include "ui/weights/WeightMapView.h"

#include <QApplication>
#include <QMenu>
#include <QTimer>

#include <QDir>
#include <QDoubleSpinBox>
#include <QSpinBox>
#include <QFile>
#include <QImage>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

#include <cmath>
#include <sstream>

using namespace firstspike;

namespace {

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

std::vector<std::vector<std::string>> parseCsv(const QByteArray &text)
{
    std::vector<std::vector<std::string>> rows;
    std::istringstream in(text.toStdString());
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> cells;
        std::string cell;
        std::istringstream l(line);
        while (std::getline(l, cell, ','))
            cells.push_back(cell);
        if (!line.empty() && line.back() == ',')
            cells.emplace_back();
        rows.push_back(cells);
    }
    return rows;
}

// <text> contents of an SVG; empty list and *ok false when it is not well-formed XML.
QStringList svgTexts(const QByteArray &svg, bool *ok)
{
    QXmlStreamReader xml(svg);
    QStringList texts;
    bool inText = false;
    QString current;
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isStartElement() && xml.name() == QLatin1String("text")) {
            inText = true;
            current.clear();
        } else if (xml.isCharacters() && inText) {
            current += xml.text();
        } else if (xml.isEndElement() && xml.name() == QLatin1String("text")) {
            inText = false;
            texts << current.trimmed();
        }
    }
    *ok = !xml.hasError();
    return texts;
}

} // namespace

class TestGuiExport : public QObject {
    Q_OBJECT

    std::shared_ptr<const DataSplit> data_;
    QTemporaryDir dir_;
    QString checkpointPath_;
    Checkpoint checkpoint_;

    QString path(const QString &name) const { return dir_.filePath(name); }

    std::unique_ptr<MainWindow> openedWindow(MainWindowOptions o = {}, QString checkpoint = {})
    {
        if (checkpoint.isEmpty())
            checkpoint = checkpointPath_;
        o.useSettings = false;
        o.data = data_;
        if (!o.autosaveFolder)
            o.autosaveFolder = QString();
        if (!o.quitChoice)
            o.quitChoice = QuitChoice::QuitWithoutSaving;
        auto w = std::make_unique<MainWindow>(o);
        w->resize(1280, 800);
        w->show();
        if (!QTest::qWaitForWindowExposed(w.get()))
            return {};
        if (!w->openCheckpoint(checkpoint))
            return {};
        const quint64 generation = w->controller()->generation();
        QElapsedTimer t;
        t.start();
        while (!(w->latestSnapshot() && w->latestSnapshot()->generation == generation) && t.elapsed() < 30000)
            QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        w->refreshViews();
        return w;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        const DataSplit all = loadEmbeddedMnist();
        auto split = std::make_shared<DataSplit>();
        split->source = all.source;
        std::vector<int> train(300), test(200);
        for (int i = 0; i < 300; ++i)
            train[i] = i;
        for (int i = 0; i < 200; ++i)
            test[i] = i;
        split->train = all.train.subset(train, all.train.name);
        split->test = all.test.subset(test, all.test.name);
        data_ = split;

        NetworkConfig net;
        net.layerSizes = {784, 40, 10};
        TrainConfig tc;
        tc.epochs = 2;
        tc.threads = 2;
        Trainer trainer(net, tc, data_);
        trainer.train();
        checkpoint_ = makeCheckpoint(trainer);
        checkpointPath_ = path(QStringLiteral("run.fsck"));
        saveCheckpoint(checkpoint_, checkpointPath_.toStdString());
        Checkpoint unfinished = checkpoint_; // a run that can go on
        unfinished.training.epochs = 50;
        saveCheckpoint(unfinished, path(QStringLiteral("unfinished.fsck")).toStdString());
    }

    void figureSizesHaveLimits()
    {
        // A 100000x100000 figure crashed the exporter (Qt's image allocation failed, then it was
        // painted). Beyond kMaxFigureSide, kMaxFigurePixels or the DPI range, or beyond the memory
        // available, render() refuses with the reason and never paints.
        int painted = 0;
        Figure f;
        f.name = QStringLiteral("probe");
        f.title = QStringLiteral("Probe");
        f.size = QSize(200, 100);
        f.paint = [&painted](QPainter &painter, const QRect &target) {
            ++painted;
            painter.fillRect(target, Qt::black);
        };
        QString error;
        QVERIFY(!FigureExporter::render(f, FigureFormat::Png, {}, &error).isEmpty()); // the natural size, 96 dpi
        QCOMPARE(painted, 1);
        struct Case {
            FigureFormat format;
            FigureOptions options;
            const char *phrase;
        };
        const Case cases[] = {
            {FigureFormat::Png, {QSize(100000, 100000), 96}, "probe: a 100000x100000 layout is larger than 16384 pixels a side"},
            {FigureFormat::Svg, {QSize(100000, 100), 96}, "larger than 16384 pixels a side"},
            {FigureFormat::Pdf, {QSize(16000, 16000), 96}, "has 256000000 pixels, more than the limit of 67108864"},
            {FigureFormat::Png, {QSize(1000, 1000), 2400}, "probe: a 25000x25000 PNG is larger than 16384 pixels a side"},
            {FigureFormat::Png, {QSize(8000, 8000), 192}, "a 16000x16000 PNG has 256000000 pixels"},
            {FigureFormat::Png, {QSize(200, 100), std::nan("")}, "dpi is outside 10..2400"},
            {FigureFormat::Png, {QSize(200, 100), 5}, "probe: 5 dpi is outside 10..2400"},
        };
        for (const Case &c : cases) {
            error.clear();
            QVERIFY(FigureExporter::render(f, c.format, c.options, &error).isEmpty());
            QVERIFY2(error.contains(QString::fromUtf8(c.phrase)), qPrintable(error));
        }
        QCOMPARE(painted, 1);
        // Within the limits but not within memory: refused with the figure, before allocating.
        qputenv("FIRSTSPIKE_MEMORY_LIMIT", "10M");
        error.clear();
        const QString png = path(QStringLiteral("probe.png"));
        const bool written = FigureExporter::write(f, png, FigureFormat::Png, {QSize(4000, 3000), 96}, &error);
        qunsetenv("FIRSTSPIKE_MEMORY_LIMIT");
        QVERIFY(!written);
        QVERIFY2(error.startsWith(png + QStringLiteral(": probe: a 4000x3000 PNG needs")) && error.contains("available"),
                 qPrintable(error));
        QVERIFY(!QFileInfo::exists(png));
        QCOMPARE(painted, 1);
        // The export dialog offers no more than the limits.
        FigureExportDialog dialog(f, dir_.path(), FigureFormat::Png);
        for (QSpinBox *box : dialog.findChildren<QSpinBox *>())
            QCOMPARE(box->maximum(), kMaxFigureSide);
        const auto dpi = dialog.findChildren<QDoubleSpinBox *>();
        QCOMPARE(dpi.size(), qsizetype(1));
        QCOMPARE(dpi.front()->maximum(), kMaxFigureDpi);
        QCOMPARE(dpi.front()->minimum(), kMinFigureDpi);
    }

    void everyFigureInEveryFormatParses()
    {
        auto w = openedWindow();
        QVERIFY(w);
        w->showInspect(true);
        QVERIFY(w->waitInspectSettled());
        const std::vector<Figure> figures = w->figures();
        QCOMPARE(figures.size(), std::size_t(8));
        for (const Figure &f : figures) {
            const QString stem = path(QStringLiteral("fig-") + f.name);
            // PNG: the asked size times dpi / 96.
            QString error;
            FigureOptions o{QSize(600, 400), 96};
            QVERIFY2(FigureExporter::write(f, stem + QStringLiteral(".png"), FigureFormat::Png, o, &error), qPrintable(error));
            QImage image(stem + QStringLiteral(".png"));
            QCOMPARE(image.size(), QSize(600, 400));
            o.dpi = 192;
            QVERIFY(FigureExporter::write(f, stem + QStringLiteral("-2x.png"), FigureFormat::Png, o, &error));
            image.load(stem + QStringLiteral("-2x.png"));
            QCOMPARE(image.size(), QSize(1200, 800));
            QVERIFY(std::abs(image.dotsPerMeterX() - 192 / 0.0254) < 2);
            // SVG: well-formed, vector (text elements, no embedded raster for the curves).
            QVERIFY(FigureExporter::write(f, stem + QStringLiteral(".svg"), FigureFormat::Svg, {}, &error));
            const QByteArray svg = readAll(stem + QStringLiteral(".svg"));
            bool wellFormed = false;
            const QStringList texts = svgTexts(svg, &wellFormed);
            QVERIFY2(wellFormed, qPrintable(f.name));
            QVERIFY2(!texts.isEmpty(), qPrintable(f.name));
            QVERIFY(svg.contains("viewBox"));
            // PDF: a PDF file with one page.
            QVERIFY(FigureExporter::write(f, stem + QStringLiteral(".pdf"), FigureFormat::Pdf, {}, &error));
            const QByteArray pdf = readAll(stem + QStringLiteral(".pdf"));
            QVERIFY(pdf.startsWith("%PDF"));
            QCOMPARE(QString::fromLatin1(pdf).count(QRegularExpression(QStringLiteral("/Type\\s*/Page[^s]"))), 1);
        }
        QCOMPARE(QImage(path(QStringLiteral("fig-curves.png"))).pixelColor(2, 2), QColor(Qt::white)); // white paper
        // The curves' axis titles and legend are SVG text, not pixels.
        bool ok = false;
        const QStringList curveTexts = svgTexts(readAll(path(QStringLiteral("fig-curves.svg"))), &ok);
        for (const char *title : {"epoch", "cross-entropy loss", "accuracy (%)", "Training loss", "test"})
            QVERIFY2(curveTexts.contains(QString::fromUtf8(title)), title);
        QVERIFY(!readAll(path(QStringLiteral("fig-curves.svg"))).contains("<image"));
        // The weight tiles (an image) made it into the PDF, not just the text beside them.
        QVERIFY(readAll(path(QStringLiteral("fig-weights.pdf"))).contains("/Subtype /Image"));
        const QStringList membraneTexts = svgTexts(readAll(path(QStringLiteral("fig-membrane.svg"))), &ok);
        QVERIFY(membraneTexts.contains(QStringLiteral("V(t)")));
    }

    void curvesExportedDuringARunLookPaused()
    {
        // While a run is live the curves are drawn cheaply (aliased, hairline grid); a figure
        // exported then must be the figure of a paused run, and the live look must come back.
        // At 192 dpi, where a hairline stays one pixel and the normal grid pen is two.
        auto w = openedWindow();
        QVERIFY(w);
        CurvesView *curves = w->curvesView();
        QVERIFY(!curves->liveRendering());
        const std::vector<Figure> figures = w->figures();
        auto render = [&](const QString &name) {
            for (const Figure &f : figures)
                if (f.name == name) {
                    QString error;
                    const QString file = path(QStringLiteral("live-") + name + QStringLiteral(".png"));
                    if (!FigureExporter::write(f, file, FigureFormat::Png, FigureOptions{QSize(700, 300), 192}, &error))
                        return QImage();
                    return QImage(file);
                }
            return QImage();
        };
        for (const QString name : {QStringLiteral("curves"), QStringLiteral("dashboard")}) {
            const QImage paused = render(name);
            QVERIFY2(!paused.isNull(), qPrintable(name));
            curves->setLiveRendering(true);
            const QImage live = render(name);
            QVERIFY2(curves->liveRendering(), qPrintable(name));
            curves->setLiveRendering(false);
            QVERIFY2(live == paused, qPrintable(name));
        }
        // And the live look really differs (else the comparison above proves nothing).
        curves->setLiveRendering(true);
        const QImage screenLive = curves->lossChart()->grab().toImage();
        curves->setLiveRendering(false);
        const QImage screenPaused = curves->lossChart()->grab().toImage();
        QVERIFY(screenLive != screenPaused);
    }

    void rightClickOffersExportAndTheDialogStartsWhereItLeftOff()
    {
        auto w = openedWindow();
        QVERIFY(w);
        QStringList entries;
        QTimer::singleShot(300, w.get(), [&] {
            if (auto *menu = qobject_cast<QMenu *>(QApplication::activePopupWidget())) {
                for (QAction *a : menu->actions())
                    entries << a->text();
                menu->close();
            }
        });
        Q_EMIT w->weightMapView()->customContextMenuRequested(QPoint(10, 10));
        QVERIFY2(entries.contains(QStringLiteral("&Export Figure…")), qPrintable(entries.join(QLatin1Char('|'))));
        QVERIFY(entries.contains(QStringLiteral("Export &Dashboard…")));

        const Figure curves = w->figures().front();
        FigureExportDialog dialog(curves, dir_.path(), FigureFormat::Svg);
        QCOMPARE(dialog.path(), QDir(dir_.path()).filePath(QStringLiteral("curves.svg")));
        QCOMPARE(dialog.format(), FigureFormat::Svg);
        QCOMPARE(dialog.options().size, curves.size);
    }

    void checkpointThroughTheGuiIsBitExact()
    {
        auto w = openedWindow();
        QVERIFY(w);
        QCOMPARE(w->curvesView()->epochCount(), 2); // the metrics history came with it
        QSignalSpy saved(w->controller(), &TrainingController::checkpointSaved);
        const QString again = path(QStringLiteral("again.fsck"));
        w->saveCheckpoint(again);
        QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 20000);
        QCOMPARE(readAll(again), readAll(checkpointPath_));
        QVERIFY(!w->controller()->hasUnsavedTraining());
        QCOMPARE(w->recentFiles().front(), QFileInfo(again).absoluteFilePath());
    }

    void failedSavesKeepThePreviousFile()
    {
        auto w = openedWindow();
        QVERIFY(w);
        const QString target = path(QStringLiteral("keep.fsck"));
        QVERIFY(QFile::copy(checkpointPath_, target));
        const QByteArray before = readAll(target);
        QSignalSpy failed(w->controller(), &TrainingController::saveFailed);
        // A crash or full disk after 100 bytes.
        w->controller()->setSimulatedSaveFailure(100);
        w->saveCheckpoint(target);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 1, 20000);
        QVERIFY2(failed.at(0).at(2).toString().contains(QStringLiteral("previous file is unchanged")),
                 qPrintable(failed.at(0).at(2).toString()));
        QCOMPARE(readAll(target), before);
        QVERIFY(w->findChild<QWidget *>(QStringLiteral("saveErrorBox")));
        // A folder that cannot be written (a file stands where the folder should be).
        w->controller()->setSimulatedSaveFailure(-1);
        const QString impossible = target + QStringLiteral("/sub/run.fsck");
        w->saveCheckpoint(impossible);
        QTRY_COMPARE_WITH_TIMEOUT(failed.count(), 2, 20000);
        QVERIFY(failed.at(1).at(2).toString().contains(impossible));
        QCOMPARE(readAll(target), before);
        // Figure and data exports go through QSaveFile the same way.
        const QString png = path(QStringLiteral("keep.png"));
        QVERIFY(writeFileSafely(png, "old"));
        QString error;
        QVERIFY(!writeFileSafely(png, QByteArray(1000, 'x'), &error, 10));
        QCOMPARE(readAll(png), QByteArray("old"));
        QVERIFY(!w->exportData(DataExportKind::MetricsCsv, target + QStringLiteral("/m.csv"), &error));
        QVERIFY(error.contains(QStringLiteral("m.csv")));
    }

    void dataExportsRoundTrip()
    {
        auto w = openedWindow();
        QVERIFY(w);
        QString error;
        const QString metrics = path(QStringLiteral("metrics.csv"));
        QVERIFY2(w->exportData(DataExportKind::MetricsCsv, metrics, &error), qPrintable(error));
        QCOMPARE(readAll(metrics).toStdString(), metricsToCsv(checkpoint_.history));
        const auto rows = parseCsv(readAll(metrics));
        QCOMPARE(rows.size(), std::size_t(3));
        const auto header = rows[0];
        const auto col = std::find(header.begin(), header.end(), "test_accuracy") - header.begin();
        QVERIFY(col < static_cast<long>(header.size()));
        for (int e = 0; e < 2; ++e)
            QCOMPARE(std::stod(rows[e + 1][col]), checkpoint_.history[e].testAccuracy); // exact

        const QString weights = path(QStringLiteral("weights.csv"));
        QVERIFY(w->exportData(DataExportKind::WeightsCsv, weights, &error));
        const auto wrows = parseCsv(readAll(weights));
        std::size_t n = 0;
        for (std::size_t r = 1; r < wrows.size(); ++r, ++n) {
            const int layer = std::stoi(wrows[r][0]), pre = std::stoi(wrows[r][1]), post = std::stoi(wrows[r][2]);
            QCOMPARE(std::stod(wrows[r][3]), checkpoint_.weights[layer - 1](pre, post));
        }
        std::size_t total = 0;
        for (const Matrix &m : checkpoint_.weights)
            total += static_cast<std::size_t>(m.size());
        QCOMPARE(n, total);

        const QString json = path(QStringLiteral("metrics.json"));
        QVERIFY(w->exportData(DataExportKind::MetricsJson, json, &error));
        QCOMPARE(readAll(json).toStdString(), metricsToJson(checkpoint_.history));
        const QString spikes = path(QStringLiteral("spikes.csv"));
        QVERIFY(w->exportData(DataExportKind::TestSpikesCsv, spikes, &error));
        const auto srows = parseCsv(readAll(spikes));
        QCOMPARE(srows[0], (std::vector<std::string>{"sample", "layer", "neuron", "time"}));
        QCOMPARE(std::stoi(srows.back()[0]), 199); // the whole test set
        QVERIFY(w->exportData(DataExportKind::SampleSpikesJson, path(QStringLiteral("sample.json")), &error));
    }

    void sessionReopensTheWorkspace()
    {
        const QString session = path(QStringLiteral("work.fssession"));
        {
            auto w = openedWindow();
            QVERIFY(w);
            w->curvesView()->setSmoothing(0.5);
            w->curvesView()->setLogScale(true);
            w->showInspect(true);
            w->inspectPanel()->setSample(7);
            QSignalSpy saved(w.get(), &MainWindow::sessionSaved);
            w->saveSession(session);
            QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 20000);
            QVERIFY2(saved.at(0).at(1).toString().isEmpty(), qPrintable(saved.at(0).at(1).toString()));
        }
        QCOMPARE(readAll(path(QStringLiteral("work.fsck"))), readAll(checkpointPath_));
        Session s;
        QString error;
        QVERIFY2(SessionFile::load(session, s, &error), qPrintable(error));
        QCOMPARE(s.checkpoint, QFileInfo(path(QStringLiteral("work.fsck"))).absoluteFilePath());
        QVERIFY(SessionFile::toJson(s, session).contains("\"checkpoint\": \"work.fsck\""));

        MainWindowOptions o;
        o.useSettings = false;
        o.data = data_;
        o.autosaveFolder = QString();
        MainWindow w(o);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY2(w.openSession(session, &error), qPrintable(error));
        QCOMPARE(w.curvesView()->smoothing(), 0.5);
        QVERIFY(w.curvesView()->logScale());
        QCOMPARE(w.centralTabs()->currentWidget(), static_cast<QWidget *>(w.inspectPanel()));
        QTRY_COMPARE_WITH_TIMEOUT(w.inspectPanel()->sampleIndex(), 7, 20000);
        QCOMPARE(w.controller()->config().network.layerSizes, (std::vector<int>{784, 40, 10}));
        QTRY_VERIFY_WITH_TIMEOUT(w.latestSnapshot() && w.latestSnapshot()->generation == w.controller()->generation(), 20000);
        QCOMPARE(w.latestSnapshot()->history.size(), std::size_t(2));
        QCOMPARE(w.latestSnapshot()->step, checkpoint_.optimizerStep);
        QVERIFY(!SessionFile::fromJson("{\"format\": \"other\"}", session, s, &error));
        QVERIFY(error.contains(session));
    }

    void quitDuringALiveRunAsks()
    {
        {
            MainWindowOptions o;
            o.quitChoice = QuitChoice::Cancel;
            auto w = openedWindow(o, path(QStringLiteral("unfinished.fsck")));
            QVERIFY(w);
            QSignalSpy done(w->controller(), &TrainingController::stepsDone);
            w->controller()->trainSteps(3);
            QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 20000);
            QVERIFY(w->controller()->hasUnsavedTraining());
            QVERIFY(!w->close());
            QVERIFY(w->isVisible());
        }
        MainWindowOptions o;
        o.quitChoice = QuitChoice::SaveAndQuit;
        o.quitSavePath = path(QStringLiteral("quit.fsck"));
        auto w = openedWindow(o, path(QStringLiteral("unfinished.fsck")));
        QVERIFY(w);
        w->controller()->train();
        QTRY_VERIFY_WITH_TIMEOUT(w->controller()->currentStep() > checkpoint_.optimizerStep, 20000);
        QVERIFY(!w->close()); // waits for the save
        QTRY_VERIFY_WITH_TIMEOUT(!w->isVisible(), 20000);
        // Saved over the checkpoint it was opened from, like a document (quitSavePath: runs never saved).
        QVERIFY(!QFileInfo::exists(o.quitSavePath));
        const Checkpoint saved = loadCheckpoint(path(QStringLiteral("unfinished.fsck")).toStdString());
        QVERIFY(saved.optimizerStep > checkpoint_.optimizerStep);
    }

    void autosaveKeepsTheNewestThree()
    {
        QTemporaryDir autosave;
        MainWindowOptions o;
        o.useSettings = false;
        o.data = data_;
        o.autosaveFolder = autosave.path();
        o.quitChoice = QuitChoice::QuitWithoutSaving;
        RunConfig c;
        c.network.layerSizes = {784, 20, 10};
        c.trainLimit = 40;
        c.testLimit = 20;
        c.training.epochs = 5;
        c.training.threads = 2;
        o.config = c;
        MainWindow w(o);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QSignalSpy autosaved(w.controller(), &TrainingController::autosaved);
        QTRY_VERIFY_WITH_TIMEOUT(w.controller()->state() == TrainingController::State::Ready, 20000);
        w.controller()->train();
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->state(), TrainingController::State::Finished, 60000);
        QTRY_COMPARE_WITH_TIMEOUT(autosaved.count(), 5, 10000);
        const QStringList files = QDir(autosave.path()).entryList({QStringLiteral("autosave-*.fsck")}, QDir::Files, QDir::Name);
        QCOMPARE(files.size(), 3);
        QVERIFY2(files.last().endsWith(QStringLiteral("epoch-0005.fsck")), qPrintable(files.last()));
        QCOMPARE(loadCheckpoint(QDir(autosave.path()).filePath(files.last()).toStdString()).history.size(), std::size_t(5));
    }

    void cliRendersEveryFigureWithoutADisplay()
    {
        const QString cli = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("../app/firstspike-cli"));
        QVERIFY(QFileInfo::exists(cli));
        QDir out(path(QStringLiteral("cli-figures")));
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("DISPLAY"));
        env.remove(QStringLiteral("WAYLAND_DISPLAY"));
        env.remove(QStringLiteral("QT_QPA_PLATFORM"));
        p.setProcessEnvironment(env);
        // The embedded set is what the checkpoint was made from (its first 200 test digits).
        p.start(cli, {QStringLiteral("figures"), QStringLiteral("--checkpoint"), checkpointPath_, QStringLiteral("--out"),
                      out.path(), QStringLiteral("--sample"), QStringLiteral("5"), QStringLiteral("--format"),
                      QStringLiteral("png,svg")});
        QVERIFY(p.waitForFinished(120000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        for (const char *name : {"curves", "weights", "sample", "raster", "digit", "membrane", "timing", "dashboard"}) {
            const QString stem = out.filePath(QString::fromLatin1(name));
            QVERIFY2(!QImage(stem + QStringLiteral(".png")).isNull(), name);
            bool ok = false;
            QVERIFY2(!svgTexts(readAll(stem + QStringLiteral(".svg")), &ok).isEmpty() && ok, name);
            QVERIFY(!QFileInfo::exists(stem + QStringLiteral(".pdf")));
        }
        p.start(cli, {QStringLiteral("figures"), QStringLiteral("--out"), out.path()});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 2); // --checkpoint missing
        p.start(cli, {QStringLiteral("figures"), QStringLiteral("--checkpoint"), checkpointPath_, QStringLiteral("--out"),
                      out.path(), QStringLiteral("--format"), QStringLiteral("gif")});
        QVERIFY(p.waitForFinished(60000));
        QCOMPARE(p.exitCode(), 2);
    }
};

QTEST_MAIN(TestGuiExport)
#include "tst_gui_export.moc"

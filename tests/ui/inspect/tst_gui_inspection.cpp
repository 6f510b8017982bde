// The Inspect tab against the engine: the closed-form V(t) crosses theta at the spike time the
// forward pass reports; scrubbing moves every view to the same (sample, history entry); the
// raster holds exactly the engine's spikes; the causal set shown (raster and digit) is the
// engine's; clicking a timing cell scrubs through its samples; play loops; a digit drawn on the
// pad with mouse events goes through the same views and changes the blank pad's answer, and a
// test digit put on the pad gives the test digit's answer; a raster of tens of thousands of
// spikes repaints in well under 50 ms; every view renders to PNG.

#include "ui/draw/DrawPanel.h"
#include "ui/draw/DrawingPad.h"
#include "ui/draw/OutputSpikeTimesView.h"
#include "ui/inspect/DigitCausalView.h"
#include "core/data/IdxReader.h"
#include "ui/inspect/InspectPanel.h"
#include "ui/window/MainWindow.h"
#include "core/model/MembranePotential.h"
#include "ui/inspect/MembranePotentialView.h"
#include "ui/training/NetworkHistory.h"
#include "ui/inspect/OutputTimingView.h"
#include "ui/inspect/SpikeRasterView.h"
#include "core/model/TimingStatistics.h"
#include "ui/training/TrainingController.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFontDatabase>
#include <QMimeData>
#include <QSignalSpy>
#include <QSlider>
#include <QStandardPaths>
#include <QTest>
#include <QToolButton>

#include <algorithm>
#include <cmath>
#include <random>

using namespace firstspike;

namespace {

QString outputPath(const QString &name)
{
    return QDir(QCoreApplication::applicationDirPath()).filePath(name);
}

int countColor(const QImage &image, QColor color, int tolerance = 30)
{
    const QImage img = image.convertToFormat(QImage::Format_RGB32);
    int n = 0;
    for (int y = 0; y < img.height(); ++y) {
        const auto *line = reinterpret_cast<const QRgb *>(img.constScanLine(y));
        for (int x = 0; x < img.width(); ++x)
            n += std::abs(qRed(line[x]) - color.red()) <= tolerance && std::abs(qGreen(line[x]) - color.green()) <= tolerance
                && std::abs(qBlue(line[x]) - color.blue()) <= tolerance;
    }
    return n;
}

// Spikes of one sample as the engine computes them: inputs plus every layer, silent left out.
int engineSpikeCount(const ForwardPass &pass)
{
    int n = 0;
    for (Eigen::Index i = 0; i < pass.inputZ.size(); ++i)
        n += std::isfinite(pass.inputZ[i]) ? 1 : 0;
    for (const LayerActivity &a : pass.layers)
        n += static_cast<int>(a.spikeZ.size()) - a.silentCount();
    return n;
}

} // namespace

class TestInspection : public QObject {
    Q_OBJECT

private:
    std::shared_ptr<const DataSplit> data_;
    std::unique_ptr<MainWindow> window_;

    InspectPanel *panel() const { return window_->inspectPanel(); }
    bool waitSettled(int timeoutMs = 20000)
    {
        QElapsedTimer t;
        t.start();
        while (!panel()->settled() && t.elapsed() < timeoutMs)
            QTest::qWait(10);
        return panel()->settled();
    }
    ForwardPass engineForward(int sample) const
    {
        ForwardPass pass;
        panel()->entry()->network->forward(data_->test.image(sample), pass);
        return pass;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(!QFontDatabase::families().isEmpty());
        data_ = std::make_shared<const DataSplit>(loadEmbeddedMnist());
    }

    void outputTimingMemoryIsEstimatedBeforeItIsSpent()
    {
        // 784-1-30000 over 200 test digits: the 30000 x 30000 grids alone are 21.6 GB.
        NetworkConfig wide;
        wide.layerSizes = {784, 1, 30000};
        const std::uint64_t bytes = InspectionEngine::outputTimingBytes(wide, 200);
        QVERIFY2(bytes > 21'000'000'000ull && bytes < 22'000'000'000ull, qPrintable(QString::number(bytes)));
        qputenv("FIRSTSPIKE_MEMORY_LIMIT", "4G");
        QString message;
        try {
            InspectionEngine::requireOutputTimingMemory(wide, 200);
        } catch (const std::exception &e) {
            message = QString::fromStdString(e.what());
        }
        // The default network's timing (a few MB) still fits.
        NetworkConfig usual;
        bool usualFits = true;
        try {
            InspectionEngine::requireOutputTimingMemory(usual, 10000);
        } catch (const std::exception &) {
            usualFits = false;
        }
        qunsetenv("FIRSTSPIKE_MEMORY_LIMIT");
        QCOMPARE(message, QStringLiteral("784-1-30000: the output timing needs 21.6 GB, 4.0 GB available"));
        QVERIFY(usualFits);
        // Beyond what its int indices can count: refused whatever the memory.
        NetworkConfig huge;
        huge.layerSizes = {784, 1, 50000};
        QVERIFY_THROWS_EXCEPTION(std::exception, InspectionEngine::requireOutputTimingMemory(huge, 1));
    }

    void closedFormPotentialCrossesThresholdAtSpikeTime()
    {
        // A two-hidden-layer network with mixed-sign weights, so causal sets end at all kinds of places.
        NetworkConfig config;
        config.layerSizes = {784, 60, 40, 10};
        SpikeNetwork net(config);
        net.initializeUniform(7, -6.0, 8.0);
        int fired = 0, silent = 0;
        ForwardPass pass;
        for (int sample = 0; sample < 25; ++sample) {
            net.forward(data_->test.image(sample), pass);
            for (int l = 0; l < net.layerCount(); ++l) {
                const LayerActivity &a = pass.layers[static_cast<std::size_t>(l)];
                for (int j = 0; j < net.fanOut(l); ++j) {
                    const MembraneTrace trace = membraneTrace(net, pass, l, j);
                    const double crossing = trace.firstCrossing(config.maxSpikeTime);
                    if (!std::isfinite(trace.spikeTime)) {
                        ++silent;
                        QVERIFY2(!std::isfinite(crossing) || crossing > config.maxSpikeTime - 1e-9,
                                 qPrintable(QStringLiteral("silent neuron %1/%2 crosses at %3").arg(l).arg(j).arg(crossing)));
                        continue;
                    }
                    ++fired;
                    // V(t_spike) = theta, to 1e-6, and the first crossing is the reported spike time.
                    QVERIFY2(std::abs(trace.potential(trace.spikeTime) - config.threshold) < 1e-6,
                             qPrintable(QStringLiteral("V(t_s) = %1").arg(trace.potential(trace.spikeTime), 0, 'g', 12)));
                    QVERIFY2(std::abs(crossing - trace.spikeTime) < 1e-6,
                             qPrintable(QStringLiteral("crossing %1 vs spike %2").arg(crossing, 0, 'g', 12).arg(trace.spikeTime, 0, 'g', 12)));
                    // Below theta before: V is monotone between arrivals, so the arrivals are its extremes.
                    for (int k = 0; k < trace.arrivals() && trace.times[static_cast<std::size_t>(k)] < trace.spikeTime - 1e-9; ++k)
                        QVERIFY(trace.potential(trace.times[static_cast<std::size_t>(k)] + 1e-12) < config.threshold + 1e-9);
                    // The causal set is the inputOrder prefix; its inputs arrived no later than the spike,
                    // the others no earlier.
                    const std::vector<int> set = causalSet(net, pass, l, j, true);
                    QCOMPARE(static_cast<int>(set.size()), a.causalSetSize[static_cast<std::size_t>(j)]);
                    QVERIFY(std::equal(set.begin(), set.end(), a.inputOrder.begin()));
                    for (int k = 0; k < trace.arrivals(); ++k) {
                        const double t = trace.times[static_cast<std::size_t>(k)];
                        if (k < trace.causalSetSize)
                            QVERIFY(t <= trace.spikeTime + 1e-9);
                        else
                            QVERIFY(t >= trace.spikeTime - 1e-9);
                    }
                }
            }
        }
        QVERIFY2(fired > 500 && silent > 0, qPrintable(QStringLiteral("%1 fired, %2 silent").arg(fired).arg(silent)));
    }

    void historyKeepsCopiesAndScrubbingUpdatesEveryView()
    {
        MainWindowOptions o;
        o.useSettings = false;
        o.data = data_;
        RunConfig c;
        c.trainLimit = 300; // 270 training digits an epoch: 27 mini-batches
        c.testLimit = 200;
        c.training.threads = 2;
        o.config = c;
        window_ = std::make_unique<MainWindow>(o);
        window_->resize(1280, 800);
        window_->show();
        QVERIFY(QTest::qWaitForWindowExposed(window_.get()));
        QSignalSpy done(window_->controller(), &TrainingController::stepsDone);
        window_->controller()->trainSteps(60);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 60000);
        window_->showInspect(true);
        QVERIFY(panel()->isVisible());
        QVERIFY(waitSettled());

        // History: the initial weights, points in the first epoch, two epoch ends, the halted weights.
        const std::vector<HistoryEntryPtr> &entries = panel()->entries();
        QVERIFY2(entries.size() >= 5, qPrintable(QString::number(entries.size())));
        QCOMPARE(entries.front()->step, 0LL);
        QCOMPARE(entries.back()->step, 60LL);
        QVERIFY(entries.back()->current);
        QCOMPARE(std::count_if(entries.begin(), entries.end(), [](const HistoryEntryPtr &e) { return e->epochEnd; }), 2L);
        QVERIFY(std::is_sorted(entries.begin(), entries.end(), [](const HistoryEntryPtr &a, const HistoryEntryPtr &b) { return a->step < b->step; }));
        QCOMPARE(panel()->entryIndex(), static_cast<int>(entries.size()) - 1); // follows the latest

        // Scrub: arrow keys on the panel move the sample; the history slider goes back to the start.
        QSignalSpy updated(panel(), &InspectPanel::viewsUpdated);
        panel()->setFocus();
        for (int i = 0; i < 5; ++i)
            QTest::keyClick(panel(), Qt::Key_Right);
        panel()->snapshotSlider()->setValue(0);
        QCOMPARE(panel()->sampleIndex(), 5);
        QCOMPARE(panel()->entryIndex(), 0);
        QVERIFY(waitSettled());
        QVERIFY(!updated.isEmpty());
        QCOMPARE(updated.last().at(0).toInt(), 5);
        QCOMPARE(updated.last().at(1).toULongLong(), entries.front()->id);
        const quint64 id = entries.front()->id;
        QCOMPARE(panel()->raster()->data()->sampleIndex, 5);
        QCOMPARE(panel()->raster()->data()->entryId, id);
        QCOMPARE(panel()->digitView()->sampleIndex(), 5);
        QCOMPARE(panel()->digitView()->entryId(), id);
        QCOMPARE(panel()->membraneView()->sampleIndex(), 5);
        QCOMPARE(panel()->membraneView()->entryId(), id);
        QCOMPARE(panel()->timingView()->entryId(), id);
        // The timing view's numbers are those of that copy of the network.
        const OutputTimingStatistics expected = computeOutputTiming(*entries.front()->network, data_->test, 200);
        QCOMPARE(panel()->timingView()->statistics()->confusion, expected.confusion);
        QCOMPARE(panel()->timingView()->statistics()->samples, 200);

        // Up arrow: the next copy; the raster now shows that network's spikes for the same digit.
        QTest::keyClick(panel(), Qt::Key_Up);
        QVERIFY(waitSettled());
        QCOMPARE(panel()->entryIndex(), 1);
        QCOMPARE(panel()->raster()->data()->entryId, entries[1]->id);
        QCOMPARE(panel()->raster()->data()->sampleIndex, 5);
        QCOMPARE(panel()->timingView()->entryId(), entries[1]->id);
    }

    void rasterHoldsTheEnginesSpikes()
    {
        QVERIFY(window_);
        for (int sample : {0, 37, 199}) {
            panel()->setSample(sample);
            for (int entry : {0, static_cast<int>(panel()->entries().size()) - 1}) {
                panel()->setEntryIndex(entry);
                QVERIFY(waitSettled());
                const ForwardPass pass = engineForward(sample);
                SpikeRasterView *raster = panel()->raster();
                QCOMPARE(raster->spikeCount(), engineSpikeCount(pass));
                const RasterData &d = *raster->data();
                QCOMPARE(d.bands.size(), pass.layers.size() + 1);
                for (std::size_t l = 0; l < pass.layers.size(); ++l)
                    QCOMPARE(d.bands[l + 1].silentCount(), pass.layers[l].silentCount());
                QCOMPARE(d.predicted, pass.predictedClass());
                QCOMPARE(d.label, static_cast<int>(data_->test.labels[static_cast<std::size_t>(sample)]));
                // Unzoomed, every spike is drawn.
                raster->resetZoom();
                raster->grab();
                QCOMPARE(raster->drawnSpikeCount(), raster->spikeCount());
            }
        }
    }

    void causalSetAndPotentialOfAClickedSpike()
    {
        QVERIFY(window_);
        panel()->setEntryIndex(static_cast<int>(panel()->entries().size()) - 1);
        panel()->setSample(3);
        QVERIFY(waitSettled());
        SpikeRasterView *raster = panel()->raster();
        const ForwardPass pass = engineForward(3);
        const SpikeNetwork &net = *panel()->entry()->network;

        // Default selection: the winning output neuron; its causal set is hidden spikes.
        const int winner = pass.predictedClass();
        QVERIFY(winner >= 0);
        QCOMPARE(raster->selection()->band, 2);
        QCOMPARE(raster->selection()->neuron, winner);
        QCOMPARE(raster->causalNeurons(), causalSet(net, pass, 1, winner));

        // Click a hidden spike of that causal set (the latest one), as a user would.
        const std::vector<int> hiddenCausal = causalSet(net, pass, 1, winner);
        QVERIFY(!hiddenCausal.empty());
        const QPointF at = raster->spikePosition(SpikeRef{1, hiddenCausal.back()});
        const std::optional<SpikeRef> hit = raster->spikeAt(at);
        QVERIFY(hit && hit->band == 1);
        QTest::mouseClick(raster, Qt::LeftButton, Qt::NoModifier, at.toPoint());
        QTRY_VERIFY(panel()->selectedNeuron().has_value());
        const int j = panel()->selectedNeuron()->second;
        QCOMPARE(panel()->selectedNeuron()->first, 0);
        QCOMPARE(j, raster->spikeAt(at.toPoint())->neuron);
        QVERIFY(std::isfinite(pass.layers[0].spikeZ[j]));

        // The causal set shown in the raster and on the digit is the engine's (bias aside).
        const LayerActivity &a = pass.layers[0];
        std::vector<int> engine;
        for (int k = 0; k < a.causalSetSize[static_cast<std::size_t>(j)]; ++k)
            if (a.inputOrder[static_cast<std::size_t>(k)] != net.fanIn(0))
                engine.push_back(a.inputOrder[static_cast<std::size_t>(k)]);
        QVERIFY(!engine.empty());
        QCOMPARE(raster->causalNeurons(), engine);
        QCOMPARE(panel()->digitView()->causalPixels(), engine);

        // V(t) of the view crosses theta at the engine's spike time.
        const MembraneTrace *trace = panel()->membraneView()->trace();
        QVERIFY(trace);
        QCOMPARE(trace->neuron, j);
        const double spikeTime = std::log(a.spikeZ[j]);
        QVERIFY(std::abs(trace->spikeTime - spikeTime) < 1e-12);
        QVERIFY2(std::abs(panel()->membraneView()->crossingTime() - spikeTime) < 1e-6,
                 qPrintable(QStringLiteral("%1 vs %2").arg(panel()->membraneView()->crossingTime(), 0, 'g', 12).arg(spikeTime, 0, 'g', 12)));
        QVERIFY(std::abs(trace->potential(spikeTime) - net.config().threshold) < 1e-6);

        // The selection stays on this neuron while scrubbing to another digit.
        QTest::keyClick(panel(), Qt::Key_Right);
        QVERIFY(waitSettled());
        QCOMPARE(panel()->membraneView()->trace()->neuron, j);
        QCOMPARE(panel()->membraneView()->sampleIndex(), 4);
    }

    void timingCellOpensItsSamples()
    {
        QVERIFY(window_);
        QVERIFY(waitSettled());
        OutputTimingView *timing = panel()->timingView();
        const OutputTimingStatistics &s = *timing->statistics();
        // The most populated off-diagonal cell if there is one, else a diagonal one.
        int bestRow = 0, bestCol = 0, best = -1;
        for (int r = 0; r < s.classes; ++r)
            for (int c = 0; c < s.classes; ++c)
                if (s.confusionAt(r, c) > best + (r == c ? 1000 : 0)) {
                    best = s.confusionAt(r, c);
                    bestRow = r;
                    bestCol = c;
                }
        QVERIFY(best > 0);
        QTest::mouseClick(timing, Qt::LeftButton, Qt::NoModifier, timing->cellCenter(OutputTimingView::Matrix::Confusion, bestRow, bestCol));
        const std::vector<int> expected = s.samplesWith(bestRow, bestCol);
        QCOMPARE(panel()->sampleFilter(), expected);
        QCOMPARE(panel()->sampleIndex(), expected.front());
        QVERIFY(waitSettled());
        QCOMPARE(panel()->raster()->data()->sampleIndex, expected.front());
        QCOMPARE(panel()->raster()->data()->label, bestRow);
        QCOMPARE(panel()->raster()->data()->predicted, bestCol);
        if (expected.size() > 1) {
            QTest::keyClick(panel(), Qt::Key_Right);
            QCOMPARE(panel()->sampleIndex(), expected[1]);
        }

        // The mean-time grid: a digit's samples, earliest spike of that neuron first.
        QTest::mouseClick(timing, Qt::LeftButton, Qt::NoModifier, timing->cellCenter(OutputTimingView::Matrix::MeanTime, 2, 7));
        const std::vector<int> digit2 = s.samplesOfDigit(2, 7);
        QCOMPARE(panel()->sampleFilter(), digit2);
        for (std::size_t i = 1; i < digit2.size(); ++i)
            QVERIFY(s.outputTimes[static_cast<std::size_t>(digit2[i - 1] * s.classes + 7)]
                    <= s.outputTimes[static_cast<std::size_t>(digit2[i] * s.classes + 7)]);
        panel()->clearSampleFilter();
        QVERIFY(panel()->sampleFilter().empty());
    }

    void playStepsAndLoops()
    {
        QVERIFY(window_);
        panel()->setSampleFilter({10, 11, 12}, QStringLiteral("three digits"));
        panel()->setPlayTarget(InspectPanel::PlayTarget::Samples);
        panel()->setPlayRate(30);
        panel()->setLoop(true);
        QSignalSpy cursor(panel(), &InspectPanel::cursorChanged);
        QTest::mouseClick(panel()->playButton(), Qt::LeftButton);
        QVERIFY(panel()->isPlaying());
        QTRY_VERIFY_WITH_TIMEOUT(cursor.count() >= 5, 5000);
        QTest::mouseClick(panel()->playButton(), Qt::LeftButton);
        QVERIFY(!panel()->isPlaying());
        std::vector<int> seen;
        for (const QList<QVariant> &args : cursor)
            seen.push_back(args.at(0).toInt());
        QCOMPARE(seen[0], 11);
        QCOMPARE(seen[1], 12);
        QCOMPARE(seen[2], 10); // looped
        // Through training history, without looping: stops at the last copy.
        panel()->setPlayTarget(InspectPanel::PlayTarget::History);
        panel()->setLoop(false);
        panel()->setEntryIndex(static_cast<int>(panel()->entries().size()) - 2);
        panel()->setPlaying(true);
        QTRY_VERIFY_WITH_TIMEOUT(!panel()->isPlaying(), 5000);
        QCOMPARE(panel()->entryIndex(), static_cast<int>(panel()->entries().size()) - 1);
        panel()->clearSampleFilter();
        QVERIFY(waitSettled());
    }

    void drawnDigitGoesThroughTheViews()
    {
        QVERIFY(window_);
        panel()->setEntryIndex(static_cast<int>(panel()->entries().size()) - 1);
        panel()->setSource(InspectPanel::Source::Drawn);
        DrawPanel *draw = panel()->drawPanel();
        DrawingPad *pad = draw->pad();
        QVERIFY(draw->isVisible());
        pad->clear();
        QVERIFY(waitSettled());
        QCOMPARE(panel()->cursorSample(), SampleInspection::kDrawnSample);
        QCOMPARE(panel()->raster()->data()->sampleIndex, SampleInspection::kDrawnSample);
        const int blank = panel()->inspection()->predicted;
        QCOMPARE(draw->predicted(), blank);

        // A digit drawn with the mouse: a "0" (a ring of 40 moves), or a "1" if the blank pad
        // already says 0.
        std::vector<QPointF> points;
        for (int k = 0; k <= 40; ++k) {
            const double a = 2 * M_PI * k / 40;
            points.push_back(blank == 0 ? QPointF(14, 4 + 20.0 * k / 40) : QPointF(14 + 6 * std::sin(a), 14 - 9 * std::cos(a)));
        }
        QTest::mousePress(pad, Qt::LeftButton, Qt::NoModifier, pad->toWidget(points.front()).toPoint());
        for (const QPointF &p : points) {
            // QTest::mouseMove sends no buttons; a drag's moves carry the held button.
            QMouseEvent move(QEvent::MouseMove, pad->toWidget(p), pad->mapToGlobal(pad->toWidget(p)), Qt::NoButton, Qt::LeftButton,
                             Qt::NoModifier);
            QApplication::sendEvent(pad, &move);
            QTest::qWait(2);
        }
        QTest::mouseRelease(pad, Qt::LeftButton, Qt::NoModifier, pad->toWidget(points.back()).toPoint());
        QVERIFY(waitSettled());
        const SampleInspectionPtr drawn = panel()->inspection();
        QCOMPARE(drawn->pixels, pad->digit());
        ForwardPass pass;
        panel()->entry()->network->forward(pad->digit().data(), pass);
        QCOMPARE(drawn->predicted, pass.predictedClass());
        QVERIFY2(drawn->predicted != blank, qPrintable(QStringLiteral("blank %1, drawn %2").arg(blank).arg(drawn->predicted)));
        // Every view shows the drawn digit: raster spikes, digit pixels, the winner's V(t), the ten output times.
        QCOMPARE(panel()->raster()->spikeCount(), engineSpikeCount(pass));
        QCOMPARE(panel()->digitView()->sampleIndex(), SampleInspection::kDrawnSample);
        QCOMPARE(panel()->membraneView()->sampleIndex(), SampleInspection::kDrawnSample);
        QCOMPARE(draw->predicted(), drawn->predicted);
        QCOMPARE(static_cast<int>(draw->outputTimes()->times().size()), 10);
        if (drawn->predicted >= 0)
            QCOMPARE(panel()->membraneView()->trace()->neuron, drawn->predicted);
        QVERIFY(panel()->lastUpdateMs() > 0);
        qInfo("drawn digit: predicted %d (blank pad %d), margin %.3f, last update %.2f ms", drawn->predicted, blank, draw->margin(),
              panel()->lastUpdateMs());

        // Undo brings the blank pad's answer back.
        pad->undo();
        QVERIFY(waitSettled());
        QCOMPARE(panel()->inspection()->predicted, blank);

        // A test digit put on the pad ("Edit test digit") answers as the test digit does.
        panel()->setSource(InspectPanel::Source::Test);
        panel()->setSample(12);
        QVERIFY(waitSettled());
        const int testPrediction = panel()->inspection()->predicted;
        QTest::mouseClick(draw->findChild<QWidget *>(QStringLiteral("drawFromTest")), Qt::LeftButton);
        QCOMPARE(panel()->source(), InspectPanel::Source::Drawn);
        QVERIFY(waitSettled());
        QCOMPARE(panel()->inspection()->pixels, std::vector<std::uint8_t>(data_->test.image(12), data_->test.image(12) + 784));
        QCOMPARE(panel()->inspection()->predicted, testPrediction);
        // Dragged from the digit view: the drag's payload is that digit with its label.
        std::unique_ptr<QMimeData> mime(panel()->digitView()->digitMimeData());
        QVERIFY(mime);
        std::vector<std::uint8_t> dropped;
        int label = -1;
        QVERIFY(DrawingPad::digitFromMime(mime.get(), dropped, label));
        QCOMPARE(dropped, panel()->inspection()->pixels);

        // Moving the test slider goes back to the test set.
        panel()->sampleSlider()->setValue(13);
        QCOMPARE(panel()->source(), InspectPanel::Source::Test);
        QVERIFY(!draw->isVisible());
        QVERIFY(waitSettled());
        QCOMPARE(panel()->raster()->data()->sampleIndex, 13);
    }

    void rasterOfTensOfThousandsRepaints()
    {
        // 784 inputs, 40,000 hidden neurons, 10 outputs: ~40k spikes.
        auto data = std::make_shared<RasterData>();
        std::mt19937 rng(3);
        std::uniform_real_distribution<double> time(0.0, 4.0);
        for (int size : {784, 40000, 10}) {
            RasterBand band;
            band.name = size == 784 ? QStringLiteral("input") : (size == 10 ? QStringLiteral("output") : QStringLiteral("hidden"));
            for (int j = 0; j < size; ++j)
                band.times.push_back(j % 9 == 0 ? std::numeric_limits<double>::infinity() : time(rng));
            if (size == 10)
                for (int k = 0; k < 10; ++k)
                    band.neuronLabels << QString::number(k);
            data->bands.push_back(std::move(band));
        }
        data->decisionTime = 1.5;
        data->label = 3;
        data->predicted = 3;
        data->sampleIndex = 0;
        SpikeRasterView raster;
        raster.resize(1200, 640);
        raster.show();
        QVERIFY(QTest::qWaitForWindowExposed(&raster));
        raster.setData(data);
        raster.setSelection(SpikeRef{2, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12});
        std::vector<double> paints;
        for (int i = 0; i < 7; ++i) {
            raster.setTimeRange(0.0, 4.0 - 0.1 * i); // a zoom step: the spike image is rebuilt
            raster.repaint();
            paints.push_back(raster.lastPaintMs());
        }
        std::sort(paints.begin(), paints.end());
        const double median = paints[paints.size() / 2];
        qInfo("raster with %d spikes: full repaint (spike image rebuilt) median %.2f ms, max %.2f ms", raster.spikeCount(),
              median, paints.back());
        QVERIFY(raster.spikeCount() > 35000);
        // The time is reported, not asserted: timings belong to benchmarks, and sanitizer builds
        // on a shared machine are many times slower. That every repaint drew is asserted.
        int visible = 0; // the last zoom step shows t in [0, 3.4]
        for (const RasterBand &band : data->bands)
            for (double t : band.times)
                visible += t <= 3.4 ? 1 : 0;
        QVERIFY2(std::abs(raster.drawnSpikeCount() - visible) <= visible / 100,
                 qPrintable(QString("%1 drawn, %2 visible").arg(raster.drawnSpikeCount()).arg(visible)));
        raster.grab().save(outputPath(QStringLiteral("tst_gui_inspection-raster-40k.png")));
    }

    void everyViewRendersToPng()
    {
        QVERIFY(window_);
        panel()->setSample(42);
        panel()->selectNeuron(0, 5);
        QVERIFY(waitSettled());
        const QImage raster = panel()->raster()->grab().toImage();
        const QImage digit = panel()->digitView()->grab().toImage();
        const QImage membrane = panel()->membraneView()->grab().toImage();
        const QImage timing = panel()->timingView()->grab().toImage();
        const QImage whole = window_->grab().toImage();
        QVERIFY(raster.save(outputPath(QStringLiteral("tst_gui_inspection-raster.png"))));
        QVERIFY(digit.save(outputPath(QStringLiteral("tst_gui_inspection-digit.png"))));
        QVERIFY(membrane.save(outputPath(QStringLiteral("tst_gui_inspection-membrane.png"))));
        QVERIFY(timing.save(outputPath(QStringLiteral("tst_gui_inspection-timing.png"))));
        QVERIFY(whole.save(outputPath(QStringLiteral("tst_gui_inspection-window.png"))));
        QCOMPARE(whole.size(), QSize(1280, 800) * window_->devicePixelRatio());
        panel()->raster()->setSortedByTime(true);
        QVERIFY(panel()->raster()->grab().save(outputPath(QStringLiteral("tst_gui_inspection-raster-sorted.png"))));
        QCOMPARE(panel()->raster()->spikeCount(), engineSpikeCount(engineForward(42)));
        panel()->raster()->setSortedByTime(false);
        QVERIFY(countColor(raster, QColor(31, 119, 180), 20) > 200);   // hidden spikes
        if (!panel()->raster()->causalNeurons().empty())
            QVERIFY(countColor(raster, QColor(255, 127, 14), 20) > 20); // the causal set
        QVERIFY(countColor(membrane, QColor(31, 119, 180), 40) > 50);  // V(t)
        QVERIFY(countColor(membrane, QColor(214, 39, 40), 40) > 20);   // theta
        QVERIFY(countColor(timing, QColor(33, 145, 140), 40) > 50);    // viridis middle of the time grid
        window_->close();
        window_.reset();
    }
};

QTEST_MAIN(TestInspection)
#include "tst_gui_inspection.moc"

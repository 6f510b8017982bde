// Drives the real main window offscreen: Train, Pause, Step, Resume, Stop, Reset by clicking the
// toolbar buttons; live settings; errors; quitting mid-training; GUI-thread stalls.

#include "ui/training/ConfigPanel.h"
#include "ui/curves/CurvesView.h"
#include "core/data/IdxReader.h"
#include "ui/window/MainWindow.h"
#include "ui/weights/NeuronDetailView.h"
#include "ui/inspect/SamplePanel.h"
#include "ui/window/StallMonitor.h"
#include "ui/window/FrameBudget.h"
#include "ui/training/TrainingController.h"
#include "ui/weights/WeightMapView.h"

#include <QAction>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>
#include <QToolButton>

using namespace firstspike;
using State = TrainingController::State;

// Train/Pause/Step/Stop/Reset respond within 100 ms (the bound). Sanitizer builds run
// 5-15x slower on a shared machine: there only a hang is caught.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr qint64 kResponseBoundMs = 5000;
#else
constexpr qint64 kResponseBoundMs = 100;
#endif

class TestMainWindow : public QObject {
    Q_OBJECT

private:
    std::shared_ptr<const DataSplit> data_;

    // The default 784-800-10 network on a small slice of the embedded set, so epochs end fast.
    static RunConfig smallRun(int epochs = 30)
    {
        RunConfig c;
        c.trainLimit = 400;
        c.testLimit = 200;
        c.training.epochs = epochs;
        return c;
    }
    MainWindowOptions options(const RunConfig &config) const
    {
        MainWindowOptions o;
        o.config = config;
        o.useSettings = false;
        o.data = data_;
        o.watchedNeurons = 36;
        return o;
    }
    static void click(MainWindow &w, QAction *action)
    {
        QToolButton *button = w.buttonFor(action);
        QVERIFY(button);
        QVERIFY2(button->isEnabled(), qPrintable(action->text()));
        QTest::mouseClick(button, Qt::LeftButton);
    }
    static long long currentStep(const MainWindow &w)
    {
        return w.latestSnapshot() ? w.latestSnapshot()->step : -1;
    }
    static std::vector<float> tileWeights(const MainWindow &w)
    {
        const WeightTiles *t = w.weightMapView()->tiles();
        return t ? t->weights : std::vector<float>{};
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("FirstspikeTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_gui_mainwindow"));
        data_ = std::make_shared<const DataSplit>(loadEmbeddedMnist());
    }

    void startsReadyWithTheDefaultNetwork()
    {
        // No config given: the defaults, i.e. 784-800-10 on the full embedded set.
        MainWindowOptions o;
        o.useSettings = false;
        o.data = data_;
        MainWindow w(o);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->state(), State::Ready, 10000);
        QCOMPARE(w.controller()->config().network.layerSizes, (std::vector<int>{784, 800, 10}));
        QCOMPARE(w.controller()->config().trainLimit, 0);
        QTRY_VERIFY(w.weightMapView()->tiles() != nullptr);
        QCOMPARE(w.weightMapView()->tiles()->layerSize, 800);
        QCOMPARE(w.weightMapView()->tiles()->rows * w.weightMapView()->tiles()->cols, 784);
        QTRY_VERIFY(w.latestSnapshot() != nullptr);
        QCOMPARE(w.latestSnapshot()->epochSize, 7197); // 7,996 train digits less 10 % validation
        QCOMPARE(w.trainAction()->text(), QStringLiteral("&Train"));
        QVERIFY(w.trainAction()->isEnabled());
        QVERIFY(!w.stopAction()->isEnabled());
        QVERIFY(w.configPanel()->layersEdit()->isEnabled());
    }

    void trainPauseStepResumeStopReset()
    {
        MainWindow w(options(smallRun()));
        w.resize(1280, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->state(), State::Ready, 10000);
        QTRY_VERIFY(w.weightMapView()->tiles() != nullptr);
        const std::vector<float> initialWeights = tileWeights(w);
        QVERIFY(!initialWeights.empty());
        QCOMPARE(w.curvesView()->batchCount(), 0);

        // Train.
        QSignalSpy snapshots(w.controller(), &TrainingController::snapshotReady);
        QSignalSpy refreshed(&w, &MainWindow::viewsRefreshed);
        QElapsedTimer response;
        response.start();
        click(w, w.trainAction());
        QCOMPARE(w.controller()->state(), State::Running);
        QVERIFY(response.elapsed() < kResponseBoundMs);
        QCOMPARE(w.trainAction()->text(), QStringLiteral("&Pause"));
        QVERIFY(w.stopAction()->isEnabled());
        QVERIFY(!w.configPanel()->layersEdit()->isEnabled());
        QVERIFY(!w.configPanel()->seedSpin()->isEnabled());
        QVERIFY(!w.configPanel()->optimizerCombo()->isEnabled());
        QVERIFY(w.configPanel()->learningRateSpin()->isEnabled());
        QVERIFY(w.configPanel()->batchSpin()->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(snapshots.count() >= 10, 20000);
        QTRY_VERIFY(w.curvesView()->batchCount() > 20);
        QTRY_VERIFY(w.curvesView()->displayedLossPoints() > 0);
        QVERIFY(refreshed.count() > 0);
        QTRY_VERIFY_WITH_TIMEOUT(tileWeights(w) != initialWeights, 10000);
        QTRY_VERIFY(w.samplePanel()->sample() != nullptr);
        QVERIFY(!w.samplePanel()->summary().isEmpty());
        QVERIFY(w.statusText().contains(QStringLiteral("epoch")));
        QVERIFY(w.progressBar()->value() > 0);

        // An epoch ends (400 training digits): per-epoch points appear.
        QTRY_VERIFY_WITH_TIMEOUT(w.curvesView()->epochCount() >= 1, 30000);
        QTRY_VERIFY(w.curvesView()->displayedAccuracyPoints() > 0);
        QVERIFY(std::isfinite(w.latestSnapshot()->history.front().testAccuracy));

        // Pause: the button flips at once, the worker halts after its mini-batch.
        response.restart();
        click(w, w.trainAction());
        QCOMPARE(w.controller()->state(), State::Paused);
        QVERIFY(response.elapsed() < kResponseBoundMs);
        QCOMPARE(w.trainAction()->text(), QStringLiteral("&Resume"));
        QTest::qWait(400); // any epoch-end evaluation in flight ends, its snapshot arrives
        const long long pausedAt = currentStep(w);
        QTest::qWait(300);
        QCOMPARE(currentStep(w), pausedAt);
        QVERIFY(!w.configPanel()->layersEdit()->isEnabled()); // paused is still a live run

        // Step: exactly one mini-batch.
        QSignalSpy steps(w.controller(), &TrainingController::stepsDone);
        click(w, w.stepAction());
        QTRY_COMPARE(steps.count(), 1);
        QTRY_COMPARE(currentStep(w), pausedAt + 1);
        QCOMPARE(w.controller()->state(), State::Paused);
        QTest::qWait(200);
        QCOMPARE(currentStep(w), pausedAt + 1);

        // Resume.
        click(w, w.trainAction());
        QCOMPARE(w.controller()->state(), State::Running);
        QTRY_VERIFY(currentStep(w) > pausedAt + 5);

        // Stop: ends the run, settings unlock.
        click(w, w.stopAction());
        QCOMPARE(w.controller()->state(), State::Stopped);
        QVERIFY(!w.stopAction()->isEnabled());
        QVERIFY(w.configPanel()->layersEdit()->isEnabled());
        QCOMPARE(w.trainAction()->text(), QStringLiteral("&Train"));
        QTest::qWait(400);
        const long long stoppedAt = currentStep(w);
        QTest::qWait(200);
        QCOMPARE(currentStep(w), stoppedAt);

        // Reset: curves cleared, new weights from the same seed (identical to the first ones).
        QSignalSpy resets(w.controller(), &TrainingController::runReset);
        click(w, w.resetAction());
        QCOMPARE(resets.count(), 1);
        QCOMPARE(w.controller()->state(), State::Ready);
        QCOMPARE(w.curvesView()->batchCount(), 0);
        QCOMPARE(w.curvesView()->epochCount(), 0);
        QTRY_VERIFY(w.latestSnapshot() && w.latestSnapshot()->step == 0);
        QTRY_VERIFY(tileWeights(w) == initialWeights);
        QCOMPARE(w.controller()->watchedNeurons(), 36);
        QCOMPARE(static_cast<int>(w.weightMapView()->tiles()->neurons.size()), 36);
    }

    void spaceTogglesTrainingAndRunFinishes()
    {
        RunConfig c = smallRun(2);
        c.trainLimit = 200;
        MainWindow w(options(c));
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->state(), State::Ready, 10000);
        w.curvesView()->setFocus();
        QTest::keyClick(&w, Qt::Key_Space);
        QCOMPARE(w.controller()->state(), State::Running);
        QTest::keyClick(&w, Qt::Key_Space);
        QCOMPARE(w.controller()->state(), State::Paused);
        QTest::keyClick(&w, Qt::Key_Space);
        QCOMPARE(w.controller()->state(), State::Running);
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->state(), State::Finished, 60000);
        QTRY_COMPARE(w.curvesView()->epochCount(), 2);
        QVERIFY(!w.stopAction()->isEnabled());
        QCOMPARE(w.trainAction()->text(), QStringLiteral("&Train"));
        QVERIFY(w.configPanel()->layersEdit()->isEnabled());
        QCOMPARE(w.progressBar()->value(), w.progressBar()->maximum());
        // Train after a finished run starts a new one.
        QSignalSpy resets(w.controller(), &TrainingController::runReset);
        click(w, w.trainAction());
        QCOMPARE(resets.count(), 1);
        QCOMPARE(w.controller()->state(), State::Running);
        click(w, w.stopAction());
    }

    void liveSettingsApplyAtTheNextMiniBatch()
    {
        MainWindow w(options(smallRun()));
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->state(), State::Ready, 10000);
        click(w, w.trainAction());
        QTRY_VERIFY(currentStep(w) > 3);
        QCOMPARE(w.latestSnapshot()->batchSize, 10);
        w.configPanel()->batchSpin()->setValue(20);
        w.configPanel()->learningRateSpin()->setValue(0.0005);
        QTRY_COMPARE(w.latestSnapshot()->batchSize, 20);
        QTRY_VERIFY(w.latestSnapshot()->learningRate <= 0.0005 + 1e-12);
        const long long step = currentStep(w);
        QTRY_VERIFY(currentStep(w) > step + 2);
        // A locked setting edited programmatically while live changes nothing in the run.
        w.configPanel()->setLive(false);
        w.configPanel()->seedSpin()->setValue(77);
        QCOMPARE(w.controller()->config().training.seed, std::uint64_t(1));
        w.configPanel()->setLive(true);
        click(w, w.stopAction());
        // After Stop, a changed architecture waits for the next Train or Reset.
        w.configPanel()->layersEdit()->setText(QStringLiteral("784-100-10"));
        QMetaObject::invokeMethod(w.configPanel()->layersEdit(), "editingFinished");
        QVERIFY(w.controller()->hasPendingConfig());
        click(w, w.resetAction());
        QTRY_VERIFY(w.weightMapView()->tiles() && w.weightMapView()->tiles()->layerSize == 100);
    }

    void errorsAreShownNotFatal()
    {
        RunConfig c = smallRun();
        c.network.layerSizes = {784, 50, 5}; // fewer outputs than classes: the trainer refuses
        MainWindow w(options(c));
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->state(), State::Failed, 10000);
        QVERIFY(w.controller()->lastError().contains(QStringLiteral("classes")));
        QTRY_VERIFY(w.findChild<QMessageBox *>(QStringLiteral("errorBox")) != nullptr);
        // A valid architecture and Reset recover.
        w.configPanel()->layersEdit()->setText(QStringLiteral("784-50-10"));
        QMetaObject::invokeMethod(w.configPanel()->layersEdit(), "editingFinished");
        click(w, w.resetAction());
        click(w, w.trainAction());
        QTRY_VERIFY_WITH_TIMEOUT(currentStep(w) > 5, 10000);
        // Still training, or (a slow machine: the small run's last snapshot came late) done.
        QVERIFY(w.controller()->state() == State::Running || w.controller()->state() == State::Finished);
    }

    void quittingMidTrainingExitsCleanly()
    {
        QCOMPARE(TrainingWorker::instances(), 0);
        auto *w = new MainWindow(options(smallRun()));
        w->show();
        QVERIFY(QTest::qWaitForWindowExposed(w));
        QTRY_COMPARE_WITH_TIMEOUT(w->controller()->state(), State::Ready, 10000);
        QCOMPARE(TrainingWorker::instances(), 1);
        click(*w, w->trainAction());
        QTRY_VERIFY(currentStep(*w) > 10);
        QElapsedTimer t;
        t.start();
        w->close();
        delete w; // joins the training thread
        const qint64 ms = t.elapsed();
        qInfo("window closed and training thread joined in %lld ms", static_cast<long long>(ms));
        QVERIFY(ms < 5000);
        QCOMPARE(TrainingWorker::instances(), 0);
        QTest::qWait(100); // no late queued signal may reach the deleted window
    }

    void heldStepsKeepTheRunLive()
    {
        // The GUI benchmark's slices: N mini-batches, then the worker waits while the window
        // stays in its running state (no pause and resume between slices), exactly N each time.
        MainWindow w(options(smallRun()));
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->state(), State::Ready, 10000);
        QSignalSpy states(w.controller(), &TrainingController::stateChanged);
        QSignalSpy steps(w.controller(), &TrainingController::stepsDone);
        w.controller()->trainStepsHeld(7);
        QTRY_COMPARE_WITH_TIMEOUT(steps.count(), 1, 20000);
        QTRY_COMPARE(currentStep(w), 7LL);
        QCOMPARE(steps.at(0).at(0).toLongLong(), 7LL);
        QCOMPARE(w.controller()->state(), State::Running);
        QCOMPARE(w.trainAction()->text(), QStringLiteral("&Pause"));
        QTest::qWait(300);
        QCOMPARE(currentStep(w), 7LL); // held, not training
        w.controller()->trainStepsHeld(5);
        QTRY_COMPARE_WITH_TIMEOUT(steps.count(), 2, 20000);
        QTRY_COMPARE(currentStep(w), 12LL);
        QCOMPARE(w.controller()->state(), State::Running);
        QCOMPARE(states.count(), 1); // Ready -> Running once, never paused in between
        // A plain trainSteps() still ends paused.
        w.controller()->trainSteps(2);
        QTRY_COMPARE_WITH_TIMEOUT(steps.count(), 3, 20000);
        QTRY_COMPARE(w.controller()->state(), State::Paused);
        QCOMPARE(currentStep(w), 14LL);
        // Paused, the views the running window shows every fifth frame at most show the network
        // it stopped on, and so does an export made at once.
        QTRY_VERIFY(w.weightMapView()->tiles() && w.weightMapView()->tiles()->step == 14);
        QTRY_VERIFY(w.samplePanel()->sample() && w.samplePanel()->sample()->step == 14);
        w.refreshViews();
        QCOMPARE(w.weightMapView()->tiles()->step, 14LL);
    }

    void frameBudgetSpacesFramesWhenCrowded()
    {
        FrameBudget b;
        // The first frame has no cost measured yet; a free core keeps every frame fast.
        QCOMPARE(b.nextIntervalMs(10.0, true), FrameBudget::kFastestMs);
        QCOMPARE(b.nextIntervalMs(10.010, false), FrameBudget::kFastestMs);
        b.reset();
        // Crowded: 1.5 ms of GUI-thread time a frame at 3 % of a core is a frame every 50 ms.
        double cpu = 5.0;
        QCOMPARE(b.nextIntervalMs(cpu, true), FrameBudget::kFastestMs);
        int interval = 0;
        for (int i = 0; i < 20; ++i)
            interval = b.nextIntervalMs(cpu += 0.0015, true);
        QCOMPARE(interval, 50);
        QVERIFY(std::abs(b.cpuPerFrameSeconds() - 0.0015) < 1e-9);
        // Cheap frames: never faster than 25 a second; expensive ones: never slower than 10.
        for (int i = 0; i < 40; ++i)
            interval = b.nextIntervalMs(cpu += 0.0002, true);
        QCOMPARE(interval, FrameBudget::kFastestMs);
        for (int i = 0; i < 40; ++i)
            interval = b.nextIntervalMs(cpu += 0.020, true);
        QCOMPARE(interval, FrameBudget::kSlowestMs);
        // One slow frame among cheap ones moves the mean by an eighth of its excess only.
        for (int i = 0; i < 200; ++i)
            b.nextIntervalMs(cpu += 0.0006, true);
        QCOMPARE(b.nextIntervalMs(cpu += 0.0006 + 0.008, true), 53); // (0.6 + 8 / 8) ms / 3 %
        // A clock that goes backwards (or is missing) changes nothing.
        const double mean = b.cpuPerFrameSeconds();
        b.nextIntervalMs(cpu - 1.0, true);
        QCOMPARE(b.cpuPerFrameSeconds(), mean);
        QVERIFY(FrameBudget::threadCpuSeconds() > 0.0);
    }

    void guiThreadStaysResponsive()
    {
        RunConfig c = smallRun(10000);
        c.trainLimit = 3000; // epochs long enough that the run keeps training for the whole measurement
        MainWindow w(options(c));
        w.resize(1280, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTRY_COMPARE_WITH_TIMEOUT(w.controller()->state(), State::Ready, 10000);
        StallMonitor monitor(10);
        monitor.start();
        const long long frames = w.framesRendered();
        click(w, w.trainAction());
        QTest::qWait(4000); // includes epoch ends (400 digits each)
        monitor.stop();
        const long long rendered = w.framesRendered() - frames;
        qInfo("GUI thread during training: max gap %.1f ms between 10 ms ticks, mean %.1f ms, %lld of %lld gaps > 50 ms; "
              "%lld view refreshes in 4 s (%.1f per s)",
              monitor.maxGapMs(), monitor.meanGapMs(), monitor.gapsOver50(), monitor.ticks(), rendered, rendered / 4.0);
        // The goal is < 50 ms; on a loaded shared CI machine only a generous bound is reliable,
        // and under ThreadSanitizer (5-15x slower) no timing bound means anything.
#if defined(__SANITIZE_THREAD__)
        qInfo("ThreadSanitizer build: stall bound and refresh count not checked");
        QVERIFY(rendered >= 1); // it still refreshes
#else
        QVERIFY2(monitor.maxGapMs() < 500, qPrintable(QString::number(monitor.maxGapMs())));
        QVERIFY(rendered >= 20);
#endif
        QCOMPARE(w.controller()->state(), State::Running);
        click(w, w.stopAction());
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_gui_mainwindow.moc"

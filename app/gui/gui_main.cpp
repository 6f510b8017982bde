// firstspike: the desktop application. Without arguments it opens the main window with the
// embedded MNIST set and a 784-800-10 network ready to train.
//
//   firstspike --screenshot FILE [--steps N] [--views PREFIX]   train N mini-batches, save the
//                                                               window (and each view, the Inspect
//                                                               tab's included, and the Inspect tab
//                                                               with a digit drawn on the pad, whose
//                                                               stroke-update time it prints, and
//                                                               the Runs tab when a runs folder is
//                                                               set) as PNG, exit
//   firstspike --benchmark-epochs N                             train N epochs with every view open,
//                                                               each followed by the same epoch of a
//                                                               headless trainer; print the ratio,
//                                                               GUI stalls and frame rate, exit

#include "ui/training/ConfigPanel.h"
#include "ui/curves/CurvesView.h"
#include "ui/data/DataSetLoader.h"
#include "ui/draw/DrawPanel.h"
#include "ui/draw/DrawingPad.h"
#include "ui/inspect/DigitCausalView.h"
#include "ui/inspect/InspectPanel.h"
#include "ui/runs/RunsOverlayView.h"
#include "ui/runs/RunsView.h"
#include "ui/window/MainWindow.h"
#include "core/model/MembranePotential.h"
#include "ui/inspect/MembranePotentialView.h"
#include "ui/inspect/OutputTimingView.h"
#include "ui/inspect/SamplePanel.h"
#include "ui/inspect/SpikeRasterView.h"
#include "ui/training/TrainingController.h"
#include "ui/weights/WeightMapView.h"
#include "app/gui/gui_benchmark.h"
#include "core/common/MemoryBudget.h"
#include "core/common/OptionParsing.h"
#include "core/files/SafeFile.h"
#include "core/training/SettingsLimits.h"
#include "ui/export/FigureExporter.h"

#include <QApplication>
#include <QBuffer>
#include <QFile>
#include <QCommandLineParser>
#include <QSettings>
#include <QTimer>

#include <QMouseEvent>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <vector>

using namespace firstspike;

namespace {

// Through writeFileSafely, as every file the application writes: a link, a folder or a device
// at the path is refused, and a failed write leaves the old file as it was.
bool savePng(QWidget *widget, const QString &path)
{
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    QString error;
    bool ok = widget->grab().save(&buffer, "PNG");
    if (!ok)
        error = QStringLiteral("%1: the window could not be drawn as a PNG").arg(path);
    else
        ok = writeFileSafely(path, bytes, &error);
    if (ok)
        std::printf("wrote %s (%dx%d)\n", qPrintable(path), widget->width(), widget->height());
    else
        std::fprintf(stderr, "firstspike: %s\n", qPrintable(error));
    return ok;
}

// The Runs tab (when a runs folder is set, e.g. by $FIRSTSPIKE_RUNS_DIR): the folder read, the
// first four complete runs ticked for the overlay, the window saved as PREFIX-runs.png.
bool saveRunsView(MainWindow &window, const QString &prefix)
{
    RunsView *runs = window.runsView();
    if (runs->folder().isEmpty())
        return true;
    window.centralTabs()->setCurrentWidget(runs);
    runs->refresh();
    if (!runs->waitForScan(30000)) {
        std::fprintf(stderr, "firstspike: the runs folder was not read in time\n");
        return false;
    }
    int ticked = 0;
    for (const RunPtr &r : runs->model()->runs())
        if (ticked < 4 && r->status() == "complete" && runs->setRunChecked(QString::fromStdString(r->id), true))
            ++ticked;
    runs->overlay()->setMetric(RunsOverlayView::Metric::TestAccuracy);
    if (!runs->waitForScan(30000)) { // the ticked runs' curves read
        std::fprintf(stderr, "firstspike: the ticked runs' curves were not read in time\n");
        return false;
    }
    QApplication::processEvents();
    const bool ok = savePng(&window, prefix + QStringLiteral("-runs.png"));
    std::printf("%s\n", qPrintable(runs->statusText()));
    return ok;
}

// A refused command-line value: one line, exit status 2 (as firstspike-cli's).
int refuse(const std::string &message)
{
    std::fprintf(stderr, "firstspike: %s\n", message.c_str());
    return 2;
}

// Waits (event loop running) until the Inspect views show the cursor and nothing is computing.
bool waitSettled(InspectPanel *panel, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (!panel->settled() && t.elapsed() < timeoutMs)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    QCoreApplication::processEvents();
    return panel->settled();
}

// The Inspect tab: the window, the raster with the decision's causal set, then a hidden spike of
// that causal set selected (its pixels on the digit, its V(t)), and the per-digit timing.
bool saveInspectViews(MainWindow &window, const QString &prefix)
{
    InspectPanel *panel = window.inspectPanel();
    window.showInspect(true);
    // A digit from the middle of the test set, and the latest copy of the network.
    panel->setSample(std::min(panel->testSize() - 1, 42));
    if (!waitSettled(panel, 30000)) {
        std::fprintf(stderr, "firstspike: the Inspect views did not settle\n");
        return false;
    }
    bool ok = savePng(panel->raster(), prefix + QStringLiteral("-raster.png"));
    ok = savePng(panel->timingView(), prefix + QStringLiteral("-timing.png")) && ok;
    if (const SampleInspectionPtr s = panel->inspection(); s && s->predicted >= 0) {
        const int outputLayer = s->network().layerCount() - 1;
        const std::vector<int> causal = causalSet(s->network(), s->pass, outputLayer, s->predicted);
        if (!causal.empty() && outputLayer > 0)
            panel->selectNeuron(outputLayer - 1, causal.back()); // the last hidden spike before the decision
    }
    QCoreApplication::processEvents();
    ok = savePng(panel->digitView(), prefix + QStringLiteral("-digit.png")) && ok;
    ok = savePng(panel->membraneView(), prefix + QStringLiteral("-membrane.png")) && ok;
    ok = savePng(panel->raster(), prefix + QStringLiteral("-raster-hidden.png")) && ok;
    ok = savePng(&window, prefix + QStringLiteral("-inspect.png")) && ok;
    std::printf("inspect: test digit #%d, %s, raster %d spikes, last paint %.2f ms (spike image %.2f ms)\n",
                panel->sampleIndex(), qPrintable(panel->entry() ? panel->entry()->label() : QString()),
                panel->raster()->spikeCount(), panel->raster()->lastPaintMs(), panel->raster()->lastRenderMs());
    window.showInspect(false);
    return ok;
}

// The Inspect tab with a digit drawn on the pad: a "7" drawn as a user would, with mouse events,
// each move waited for until the views show its answer; the time of every stroke update (the
// pad's canvas and MNIST preprocessing, the forward pass, the repaint of every view) is printed
// as median and maximum.
bool saveDrawViews(MainWindow &window, const QString &prefix)
{
    InspectPanel *panel = window.inspectPanel();
    window.showInspect(true);
    panel->setSource(InspectPanel::Source::Drawn);
    DrawingPad *pad = panel->drawPanel()->pad();
    pad->clear();
    QCoreApplication::processEvents();
    // Corners of the 7 (pad pixels), walked in 100 moves.
    const std::vector<QPointF> corners{{7, 6.5}, {21, 6}, {16, 14}, {12.5, 23}};
    std::vector<QPointF> points;
    const int moves = 100;
    for (int k = 0; k <= moves; ++k) {
        const double u = 3.0 * k / moves;
        const int seg = std::min(2, static_cast<int>(u));
        points.push_back(corners[static_cast<std::size_t>(seg)] + (corners[static_cast<std::size_t>(seg) + 1] - corners[static_cast<std::size_t>(seg)]) * (u - seg));
    }
    auto send = [pad](QEvent::Type type, QPointF padPoint, Qt::MouseButton button, Qt::MouseButtons buttons) {
        const QPointF at = pad->toWidget(padPoint);
        QMouseEvent event(type, at, pad->mapToGlobal(at), button, buttons, Qt::NoModifier);
        QApplication::sendEvent(pad, &event);
    };
    std::vector<double> times;
    send(QEvent::MouseButtonPress, points.front(), Qt::LeftButton, Qt::LeftButton);
    for (int k = 1; k <= moves; ++k) {
        send(QEvent::MouseMove, points[static_cast<std::size_t>(k)], Qt::NoButton, Qt::LeftButton);
        if (!waitSettled(panel, 10000)) { // the coalescing timer, then the engine
            std::fprintf(stderr, "firstspike: the drawn digit's views did not settle\n");
            return false;
        }
        times.push_back(panel->lastUpdateMs());
    }
    send(QEvent::MouseButtonRelease, points.back(), Qt::LeftButton, Qt::NoButton);
    if (!waitSettled(panel, 10000))
        return false;
    std::vector<double> sorted = times;
    std::sort(sorted.begin(), sorted.end());
    const bool ok = savePng(&window, prefix + QStringLiteral("-draw.png"));
    const DrawPanel *draw = panel->drawPanel();
    const auto slowest = std::max_element(times.begin(), times.end());
    std::printf("draw: %zu stroke updates on %s, lastUpdateMs median %.2f ms, 95th percentile %.2f ms, max %.2f ms (update %d) "
                "(canvas, MNIST preprocessing, forward pass, repaint of raster, digit, V(t) and output times); predicted %d, "
                "margin %.3f\n",
                sorted.size(), qPrintable(panel->entry() ? QString::fromStdString(layerSizesToString(panel->entry()->network->config().layerSizes)) : QString()),
                sorted[sorted.size() / 2], sorted[sorted.size() * 95 / 100], sorted.back(), static_cast<int>(slowest - times.begin()) + 1,
                draw->predicted(), draw->margin());
    panel->setSource(InspectPanel::Source::Test);
    window.showInspect(false);
    return ok;
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Firstspike"));
    QApplication::setApplicationName(QStringLiteral("firstspike"));
    QApplication::setApplicationVersion(QStringLiteral("0.1.0"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Watch a spiking neural network (Mostafa 2018, temporal coding) learn MNIST."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption screenshot(QStringLiteral("screenshot"), QStringLiteral("Train --steps mini-batches, save the main window to FILE (PNG) and exit."), QStringLiteral("FILE"));
    const QCommandLineOption steps(QStringLiteral("steps"), QStringLiteral("Mini-batches before the screenshot (default 300)."), QStringLiteral("N"), QStringLiteral("300"));
    const QCommandLineOption views(QStringLiteral("views"), QStringLiteral("With --screenshot: also save each view as PREFIX-<view>.png."), QStringLiteral("PREFIX"));
    const QCommandLineOption size(QStringLiteral("size"), QStringLiteral("Window size (default 1280x800), from %1x%2 to %3 pixels a side and %4 pixels in all.").arg(kMinWindowWidth).arg(kMinWindowHeight).arg(kMaxFigureSide).arg(kMaxFigurePixels), QStringLiteral("WxH"), QStringLiteral("1280x800"));
    const QCommandLineOption benchmark(QStringLiteral("benchmark-epochs"), QStringLiteral("Train N epochs with all views open, each followed by the same epoch of a headless trainer; print the throughput ratio, GUI stalls and frame rate, exit."), QStringLiteral("N"));
    const QCommandLineOption layers(QStringLiteral("layers"), QStringLiteral("Layer sizes (default 784-800-10)."), QStringLiteral("L"));
    const QCommandLineOption trainLimit(QStringLiteral("train-limit"), QStringLiteral("Use only the first N training digits."), QStringLiteral("N"));
    const QCommandLineOption epochs(QStringLiteral("epochs"), QStringLiteral("Maximum epochs."), QStringLiteral("N"));
    const QCommandLineOption threads(QStringLiteral("threads"), QStringLiteral("Trainer threads (default: all cores)."), QStringLiteral("N"));
    const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("Random seed."), QStringLiteral("N"));
    const QCommandLineOption noSettings(QStringLiteral("no-settings"), QStringLiteral("Neither read nor write the saved settings."));
    const QCommandLineOption data(QStringLiteral("data"), QStringLiteral("Train on the IDX folder DIR (four files, raw or .gz) instead of the remembered or embedded set."), QStringLiteral("DIR"));
    parser.addOptions({screenshot, steps, views, size, benchmark, layers, trainLimit, epochs, threads, seed, noSettings, data});
    parser.process(app);

    // Every value parsed strictly, as firstspike-cli parses it (core/common/OptionParsing.h), and
    // refused with one line naming the option before a window opens.
    RunConfig config;
    SizeOption windowSize{1280, 800};
    int stepCount = 300, benchmarkEpochs = 0;
    try {
        const auto value = [&parser](const QCommandLineOption &o) { return parser.value(o).toStdString(); };
        if (parser.isSet(layers))
            config.network.layerSizes = parseLayersOption("--layers", value(layers));
        if (parser.isSet(trainLimit))
            config.trainLimit = static_cast<int>(parseIntOption("--train-limit", value(trainLimit), 0,
                                                                std::numeric_limits<int>::max()));
        if (parser.isSet(epochs))
            config.training.epochs = static_cast<int>(parseIntOption("--epochs", value(epochs), 1, limits::kMaxEpochs));
        if (parser.isSet(benchmark)) { // one more than measured: the run stays live between epochs
            benchmarkEpochs = static_cast<int>(parseIntOption("--benchmark-epochs", value(benchmark), 1,
                                                              limits::kMaxEpochs - 1));
            config.training.epochs = benchmarkEpochs + 1;
        }
        if (parser.isSet(threads))
            config.training.threads = static_cast<int>(parseIntOption("--threads", value(threads), 0,
                                                                      limits::kMaxThreads));
        if (parser.isSet(seed))
            config.training.seed = parseUInt64Option("--seed", value(seed));
        stepCount = static_cast<int>(parseIntOption("--steps", value(steps), 1, std::numeric_limits<int>::max()));
        windowSize = parseSizeOption("--size", value(size), kMinWindowWidth, kMinWindowHeight, kMaxFigureSide,
                                     kMaxFigurePixels);
        if (const std::string p = networkConfigProblem(config.network); !p.empty())
            return refuse(p);
        if (const std::string p = trainConfigProblem(config.training); !p.empty())
            return refuse(p);
        if (parser.isSet(screenshot))
            checkWritableTarget(QFile::encodeName(parser.value(screenshot)).toStdString());
        // The window's backing store and a grab of it (device pixels), and the network's
        // training state: refused with the figure before a window or a trainer is made.
        const double ratio = std::max(1.0, app.devicePixelRatio());
        requireMemory(static_cast<std::uint64_t>(windowSize.width * ratio) * static_cast<std::uint64_t>(windowSize.height * ratio) * 4 * 3,
                      "--size " + value(size) + ": the window");
        requireMemory(trainingMemoryBytes(config.network.layerSizes, config.network.bias),
                      layerSizesToString(config.network.layerSizes) + ": training");
    } catch (const OptionError &e) {
        return refuse(e.what());
    } catch (const std::exception &e) { // FileError, ResourceError: one line each, exit 1 as in the CLI
        std::fprintf(stderr, "firstspike: %s\n", e.what());
        return 1;
    }

    const bool scripted = parser.isSet(screenshot) || parser.isSet(benchmark);
    MainWindowOptions options;
    options.useSettings = !parser.isSet(noSettings) && !scripted;
    if (scripted)
        options.quitChoice = QuitChoice::QuitWithoutSaving; // the script ends the run it made
    const bool overrides = parser.isSet(layers) || parser.isSet(trainLimit) || parser.isSet(epochs)
        || parser.isSet(threads) || parser.isSet(seed) || scripted;
    if (overrides)
        options.config = config;
    // Scripted runs record (and the screenshot's Runs tab shows) runs only where the environment says.
    if (scripted)
        options.runsFolder = qEnvironmentVariable("FIRSTSPIKE_RUNS_DIR");

    if (parser.isSet(data)) {
        QString error;
        const int outputs = options.config ? options.config->network.outputSize() : RunConfig().network.outputSize();
        options.data = DataSetLoader::open(parser.value(data), outputs, &error);
        if (!options.data) {
            std::fprintf(stderr, "firstspike: --data: %s\n", qPrintable(error));
            return 2;
        }
    }

    MainWindow window(options);
    window.resize(windowSize.width, windowSize.height);
    window.show();

    int exitCode = 0;
    // Used by lambdas that run from app.exec(), so they live at this scope.
    GuiBenchmark *benchmarkRun = nullptr;
    if (parser.isSet(screenshot)) {
        const QString file = parser.value(screenshot);
        const QString prefix = parser.value(views);
        // file and prefix are copied: these lambdas run from app.exec(), after this block ends.
        QObject::connect(window.controller(), &TrainingController::stepsDone, &window, [&window, &exitCode, file, prefix](long long) {
            // Let the last snapshot's refresh tick pass, then draw everything once more and grab.
            QTimer::singleShot(3 * MainWindow::kRefreshMs, &window, [&window, &exitCode, file, prefix] {
                window.refreshViews();
                bool ok = savePng(&window, file);
                if (!prefix.isEmpty()) {
                    ok = savePng(window.curvesView(), prefix + QStringLiteral("-curves.png")) && ok;
                    ok = savePng(window.weightsPanel(), prefix + QStringLiteral("-weights.png")) && ok;
                    ok = savePng(window.samplePanel(), prefix + QStringLiteral("-sample.png")) && ok;
                    ok = savePng(window.configPanel(), prefix + QStringLiteral("-settings.png")) && ok;
                    ok = saveInspectViews(window, prefix) && ok;
                    ok = saveDrawViews(window, prefix) && ok;
                    ok = saveRunsView(window, prefix) && ok;
                }
                std::printf("%s\n", qPrintable(window.statusText()));
                exitCode = ok ? 0 : 1;
                window.close();
                QApplication::quit();
            });
        });
        QObject::connect(window.controller(), &TrainingController::errorOccurred, &app, [&](const QString &message) {
            std::fprintf(stderr, "firstspike: %s\n", qPrintable(message));
            exitCode = 1;
            QApplication::quit();
        });
        window.controller()->trainSteps(stepCount);
    } else if (parser.isSet(benchmark)) {
        benchmarkRun = new GuiBenchmark(window, benchmarkEpochs, &window);
        benchmarkRun->start();
    }

    const int rc = QApplication::exec();
    if (parser.isSet(benchmark))
        return benchmarkRun ? benchmarkRun->exitCode() : 1;
    return scripted ? exitCode : rc;
}

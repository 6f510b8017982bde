// firstspike: the desktop application. Without arguments it opens the main window with the
// embedded MNIST set and a 784-800-10 network ready to train.
//
//   firstspike --screenshot FILE [--steps N] [--views PREFIX]   train N mini-batches, save the
//                                                               window (and each view, the Inspect
//                                                               tab's included) as PNG, exit
//   firstspike --benchmark-epochs N                             train N epochs with every view open,
//                                                               each followed by the same epoch of a
//                                                               headless trainer; print the ratio,
//                                                               GUI stalls and frame rate, exit

#include "ui/training/ConfigPanel.h"
#include "ui/curves/CurvesView.h"
#include "ui/data/DataSetLoader.h"
#include "ui/inspect/DigitCausalView.h"
#include "ui/inspect/InspectPanel.h"
#include "ui/window/MainWindow.h"
#include "core/model/MembranePotential.h"
#include "ui/inspect/MembranePotentialView.h"
#include "ui/inspect/OutputTimingView.h"
#include "ui/inspect/SamplePanel.h"
#include "ui/inspect/SpikeRasterView.h"
#include "ui/training/TrainingController.h"
#include "ui/weights/WeightMapView.h"
#include "app/gui/gui_benchmark.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QSettings>
#include <QTimer>

#include <cstdio>

using namespace firstspike;

namespace {

bool savePng(QWidget *widget, const QString &path)
{
    const bool ok = widget->grab().save(path, "PNG");
    std::fprintf(ok ? stdout : stderr, "%s %s (%dx%d)\n", ok ? "wrote" : "could not write", qPrintable(path),
                 widget->width(), widget->height());
    return ok;
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
    const QCommandLineOption size(QStringLiteral("size"), QStringLiteral("Window size (default 1280x800)."), QStringLiteral("WxH"), QStringLiteral("1280x800"));
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

    const bool scripted = parser.isSet(screenshot) || parser.isSet(benchmark);
    MainWindowOptions options;
    options.useSettings = !parser.isSet(noSettings) && !scripted;
    if (scripted)
        options.quitChoice = QuitChoice::QuitWithoutSaving; // the script ends the run it made
    const bool overrides = parser.isSet(layers) || parser.isSet(trainLimit) || parser.isSet(epochs)
        || parser.isSet(threads) || parser.isSet(seed) || scripted;
    if (overrides) {
        RunConfig config;
        if (parser.isSet(layers)) {
            std::vector<int> sizes;
            if (!parseLayerSizes(parser.value(layers).toStdString(), sizes)) {
                std::fprintf(stderr, "firstspike: --layers: '%s' is not like 784-800-10\n", qPrintable(parser.value(layers)));
                return 2;
            }
            config.network.layerSizes = sizes;
        }
        config.trainLimit = parser.value(trainLimit).toInt();
        if (parser.isSet(epochs))
            config.training.epochs = std::max(1, parser.value(epochs).toInt());
        if (parser.isSet(benchmark)) // one more than measured: the run stays live between epochs
            config.training.epochs = std::max(1, parser.value(benchmark).toInt()) + 1;
        config.training.threads = parser.value(threads).toInt();
        if (parser.isSet(seed))
            config.training.seed = parser.value(seed).toULongLong();
        options.config = config;
    }

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
    const QStringList wh = parser.value(size).split(QLatin1Char('x'));
    if (wh.size() == 2 && wh[0].toInt() > 0 && wh[1].toInt() > 0)
        window.resize(wh[0].toInt(), wh[1].toInt());
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
        window.controller()->trainSteps(std::max(1, parser.value(steps).toInt()));
    } else if (parser.isSet(benchmark)) {
        benchmarkRun = new GuiBenchmark(window, parser.value(benchmark).toInt(), &window);
        benchmarkRun->start();
    }

    const int rc = QApplication::exec();
    if (parser.isSet(benchmark))
        return benchmarkRun ? benchmarkRun->exitCode() : 1;
    return scripted ? exitCode : rc;
}

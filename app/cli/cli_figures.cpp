// firstspike-cli figures: every view of the desktop app rendered for a checkpoint, without a
// display. It builds the same MainWindow, opens the checkpoint in it as File ▸ Open does, and
// exports through MainWindow::exportAllFigures, the code path of File ▸ Export Figure ▸ All.

#include "core/files/Checkpoint.h"
#include "core/data/IdxReader.h"
#include "ui/window/MainWindow.h"
#include "ui/training/TrainingController.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

using namespace firstspike;

namespace {

void printFiguresHelp()
{
    std::printf("usage: firstspike-cli figures --checkpoint CK --out DIR [options]\n"
                "Render every view of the desktop app (curves, weights, sample, raster, digit, membrane,\n"
                "timing, dashboard) for a checkpoint, without a display.\n\n"
                "options:\n"
                "  --checkpoint CK    checkpoint file (required)\n"
                "  --data DIR         IDX folder (default: embedded 10k digits)\n"
                "  --out DIR          output folder (required; created)\n"
                "  --sample N         test digit shown in the Inspect views (default 0)\n"
                "  --format LIST      comma-separated: png,svg,pdf (default all three)\n"
                "  --dpi N            PNG resolution (default 192: twice the on-screen size)\n"
                "  --size WxH         window size the views are laid out in (default 1280x800)\n");
}

} // namespace

int runFiguresCommand(int argc, char **argv)
{
    std::string checkpointPath, dataDir, outDir, formatList = "png,svg,pdf", size = "1280x800";
    int sample = 0;
    double dpi = 192;
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            printFiguresHelp();
            return 0;
        }
        auto value = [&](const char *name) -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "firstspike-cli figures: option %s needs a value\n", name);
                std::exit(2);
            }
            return argv[++i];
        };
        if (arg == "--checkpoint")
            checkpointPath = value("--checkpoint");
        else if (arg == "--data")
            dataDir = value("--data");
        else if (arg == "--out")
            outDir = value("--out");
        else if (arg == "--sample")
            sample = std::atoi(value("--sample").c_str());
        else if (arg == "--format")
            formatList = value("--format");
        else if (arg == "--dpi")
            dpi = std::atof(value("--dpi").c_str());
        else if (arg == "--size")
            size = value("--size");
        else {
            std::fprintf(stderr, "firstspike-cli figures: unknown option '%s' (see firstspike-cli figures --help)\n",
                         arg.c_str());
            return 2;
        }
    }
    if (checkpointPath.empty() || outDir.empty()) {
        std::fprintf(stderr, "firstspike-cli figures: --checkpoint CK and --out DIR are required (see --help)\n");
        return 2;
    }
    if (sample < 0 || dpi < 24 || dpi > 2400) {
        std::fprintf(stderr, "firstspike-cli figures: --sample must be >= 0 and --dpi in [24, 2400]\n");
        return 2;
    }
    QList<FigureFormat> formats;
    for (const QString &f : QString::fromStdString(formatList).split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        FigureFormat format;
        if (!FigureExporter::parseFormat(f, format)) {
            std::fprintf(stderr, "firstspike-cli figures: --format: '%s' is not png, svg or pdf\n", qPrintable(f));
            return 2;
        }
        if (!formats.contains(format))
            formats << format;
    }
    if (formats.isEmpty()) {
        std::fprintf(stderr, "firstspike-cli figures: --format lists no format\n");
        return 2;
    }
    const QStringList wh = QString::fromStdString(size).split(QLatin1Char('x'));
    if (wh.size() != 2 || wh[0].toInt() < 320 || wh[1].toInt() < 240) {
        std::fprintf(stderr, "firstspike-cli figures: --size: '%s' is not like 1280x800\n", size.c_str());
        return 2;
    }

    std::shared_ptr<const Checkpoint> checkpoint;
    std::shared_ptr<const DataSplit> data;
    try {
        checkpoint = std::make_shared<const Checkpoint>(loadCheckpoint(checkpointPath));
        data = std::make_shared<const DataSplit>(dataDir.empty() ? loadEmbeddedMnist() : loadIdxFolder(dataDir));
    } catch (const std::exception &e) {
        std::fprintf(stderr, "firstspike-cli figures: %s\n", e.what());
        return 1;
    }
    if (data->test.pixelCount() != checkpoint->network.inputSize()) {
        std::fprintf(stderr, "firstspike-cli figures: %s: the network expects %d inputs but the images of %s have %d pixels\n",
                     checkpointPath.c_str(), checkpoint->network.inputSize(), data->source.c_str(), data->test.pixelCount());
        return 2;
    }

    // No display: Qt's offscreen platform renders the same widgets into memory.
    if (!std::getenv("QT_QPA_PLATFORM") && !std::getenv("DISPLAY") && !std::getenv("WAYLAND_DISPLAY"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    int qtArgc = 1;
    char *qtArgv[] = {argv[0], nullptr};
    QApplication app(qtArgc, qtArgv);
    QApplication::setOrganizationName(QStringLiteral("Firstspike"));
    QApplication::setApplicationName(QStringLiteral("firstspike"));

    MainWindowOptions options;
    options.useSettings = false;
    options.autosaveFolder = QString();
    options.quitChoice = QuitChoice::QuitWithoutSaving;
    options.data = data;
    RunConfig config;
    config.network = checkpoint->network;
    config.training = checkpoint->training;
    options.config = config;
    MainWindow window(options);
    window.resize(wh[0].toInt(), wh[1].toInt());
    window.show();
    window.controller()->restoreCheckpoint(checkpoint, QString::fromStdString(checkpointPath));

    // Wait for the worker to publish the restored run.
    QElapsedTimer timer;
    timer.start();
    auto restored = [&] {
        const SnapshotPtr s = window.latestSnapshot();
        return s && s->generation == window.controller()->generation();
    };
    while (!restored() && timer.elapsed() < 60000) {
        if (window.controller()->state() == TrainingController::State::Failed)
            break;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    }
    if (!restored()) {
        std::fprintf(stderr, "firstspike-cli figures: %s: the network could not be restored (%s)\n",
                     checkpointPath.c_str(), qPrintable(window.controller()->lastError()));
        return 1;
    }
    window.refreshViews();

    QStringList written;
    QString error;
    FigureOptions figureOptions;
    figureOptions.dpi = dpi;
    const bool ok = window.exportAllFigures(QString::fromStdString(outDir), formats, figureOptions, sample, &written, &error);
    for (const QString &path : written)
        std::printf("wrote %s\n", qPrintable(path));
    if (!ok) {
        std::fprintf(stderr, "firstspike-cli figures: %s\n", qPrintable(error));
        return 1;
    }
    std::printf("%lld figure file(s) for %s (epoch %d, step %lld, test digit #%d) in %s\n",
                static_cast<long long>(written.size()), checkpointPath.c_str(), checkpoint->epochsCompleted,
                checkpoint->optimizerStep, sample, outDir.c_str());
    window.close();
    return 0;
}

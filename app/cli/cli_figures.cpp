// firstspike-cli figures: every view of the desktop app rendered for a checkpoint, without a
// display. It builds the same MainWindow, opens the checkpoint in it as File ▸ Open does, and
// exports through MainWindow::exportAllFigures, the code path of File ▸ Export Figure ▸ All.

#include "core/common/MemoryBudget.h"
#include "core/common/OptionParsing.h"
#include "core/files/Checkpoint.h"
#include "core/data/IdxReader.h"
#include "ui/window/MainWindow.h"
#include "ui/training/TrainingController.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QThread>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
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
                "  --dpi N            PNG resolution, %g..%g (default 192: twice the on-screen size)\n"
                "  --size WxH         window size the views are laid out in (default 1280x800), from\n"
                "                     %dx%d to %d pixels a side and %lld pixels in all\n"
                "A PNG has size x dpi / 96 pixels, at most %d a side and %lld in all.\n",
                kMinFigureDpi, kMaxFigureDpi, kMinWindowWidth, kMinWindowHeight, kMaxFigureSide,
                static_cast<long long>(kMaxFigurePixels), kMaxFigureSide, static_cast<long long>(kMaxFigurePixels));
}

} // namespace

// cli_main.cpp: bytes a Trainer of this network holds (the figures restore the run in one).
std::uint64_t trainerMemoryBytes(const NetworkConfig &net, int threads);

int runFiguresCommand(int argc, char **argv)
{
    // Values are parsed as firstspike-cli's other verbs and the desktop application parse them
    // (core/common/OptionParsing.h); a refusal is an OptionError, reported by main (exit 2).
    std::string checkpointPath, dataDir, outDir, formatList = "png,svg,pdf", size = "1280x800", sampleText = "0";
    double dpi = 192;
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            printFiguresHelp();
            return 0;
        }
        auto value = [&](const char *name) -> std::string {
            if (i + 1 >= argc)
                throw OptionError(std::string(name) + " needs a value (see firstspike-cli figures --help)");
            return argv[++i];
        };
        if (arg == "--checkpoint")
            checkpointPath = value("--checkpoint");
        else if (arg == "--data")
            dataDir = value("--data");
        else if (arg == "--out")
            outDir = value("--out");
        else if (arg == "--sample")
            sampleText = value("--sample");
        else if (arg == "--format")
            formatList = value("--format");
        else if (arg == "--dpi")
            dpi = parseDoubleOption("--dpi", value("--dpi"), kMinFigureDpi, kMaxFigureDpi);
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
    // The index is checked against the test set once it is loaded; its form now.
    int sample = static_cast<int>(parseIntOption("--sample", sampleText, 0, std::numeric_limits<int>::max()));
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
    const SizeOption wh = parseSizeOption("--size", size, kMinWindowWidth, kMinWindowHeight, kMaxFigureSide,
                                          kMaxFigurePixels);
    if (formats.contains(FigureFormat::Png)) {
        // The dashboard is as large as the window: its PNG is the largest image of the lot.
        const QSize png = FigureExporter::imageSize(QSize(wh.width, wh.height), dpi);
        const qint64 pixels = static_cast<qint64>(png.width()) * png.height();
        if (png.width() > kMaxFigureSide || png.height() > kMaxFigureSide || pixels > kMaxFigurePixels) {
            std::fprintf(stderr,
                         "firstspike-cli figures: --size %s at --dpi %s makes PNGs of up to %dx%d pixels, beyond the "
                         "limit of %d a side and %lld in all; lower --dpi or --size\n",
                         size.c_str(), formatOptionNumber(dpi).c_str(), png.width(), png.height(), kMaxFigureSide,
                         static_cast<long long>(kMaxFigurePixels));
            return 2;
        }
    }
    // The output folder's files are checked one by one as they are written (a link or a folder
    // in the way is refused); a path that exists and is no folder is refused now.
    if (const QFileInfo out(QString::fromStdString(outDir)); out.exists() && !out.isDir()) {
        std::fprintf(stderr, "firstspike-cli figures: --out: %s exists and is not a folder\n", outDir.c_str());
        return 1;
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
    if (data->test.size() == 0) {
        std::fprintf(stderr, "firstspike-cli figures: the test set of %s has no samples\n", data->source.c_str());
        return 2;
    }
    // Checked here, where the test set is known (an index past its end drew nothing and exited 0).
    if (sample > data->test.size() - 1) {
        std::fprintf(stderr, "firstspike-cli figures: --sample: %d is outside 0..%d\n", sample, data->test.size() - 1);
        return 2;
    }
    // The window restores the run in a Trainer (weights, optimiser state, per-thread passes)
    // and draws into a backing store and the figures' images: refused with the figure now
    // rather than met by std::bad_alloc or a null image later.
    {
        const int threads = checkpoint->training.threads > 0 ? checkpoint->training.threads
                                                             : std::max(1, QThread::idealThreadCount());
        const std::uint64_t window = static_cast<std::uint64_t>(wh.width) * wh.height * 4 * 4;
        try {
            requireMemory(saturatingAdd(trainerMemoryBytes(checkpoint->network, threads), window),
                          checkpointPath + " (" + layerSizesToString(checkpoint->network.layerSizes) + "): figures");
        } catch (const ResourceError &e) {
            std::fprintf(stderr, "firstspike-cli figures: %s\n", e.what());
            return 1;
        }
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
    window.resize(wh.width, wh.height);
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

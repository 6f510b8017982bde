// MainWindow: exports — figures (PNG, SVG, PDF; one view or all of them, from the File menu or
// a view's right-click menu) and data (metrics, spike times, weights as CSV or JSON).

#include "ui/window/MainWindow.h"

#include "core/files/Checkpoint.h"
#include "ui/training/ConfigPanel.h"
#include "ui/curves/CurvesView.h"
#include "core/files/DataExport.h"
#include "core/files/NirEvents.h"
#include "core/files/NirFile.h"
#include "core/data/Dataset.h"
#include "ui/inspect/InspectionEngine.h"
#include "ui/inspect/DigitCausalView.h"
#include "ui/export/FigureExportDialog.h"
#include "ui/inspect/InspectPanel.h"
#include "ui/inspect/MembranePotentialView.h"
#include "ui/training/NetworkHistory.h"
#include "ui/weights/NeuronDetailView.h"
#include "ui/inspect/OutputTimingView.h"
#include "ui/inspect/SamplePanel.h"
#include "ui/window/SessionFile.h"
#include "ui/inspect/SpikeRasterView.h"
#include "ui/weights/WeightMapView.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QChartView>
#include <QDir>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>

namespace firstspike {

namespace {

QString dataFilter(DataExportKind kind)
{
    switch (kind) {
    case DataExportKind::MetricsJson:
    case DataExportKind::SampleSpikesJson:
    case DataExportKind::TestSpikesJson: return QObject::tr("JSON files (*.json)");
    case DataExportKind::InspectedSpikesNir: return QObject::tr("NIR files (*.nir *.h5 *.hdf5)");
    default: return QObject::tr("CSV files (*.csv)");
    }
}

QString dataDefaultName(DataExportKind kind)
{
    switch (kind) {
    case DataExportKind::MetricsCsv: return QStringLiteral("metrics.csv");
    case DataExportKind::MetricsJson: return QStringLiteral("metrics.json");
    case DataExportKind::SampleSpikesCsv: return QStringLiteral("spikes-sample.csv");
    case DataExportKind::SampleSpikesJson: return QStringLiteral("spikes-sample.json");
    case DataExportKind::TestSpikesCsv: return QStringLiteral("spikes-test.csv");
    case DataExportKind::TestSpikesJson: return QStringLiteral("spikes-test.json");
    case DataExportKind::WeightsCsv: return QStringLiteral("weights.csv");
    case DataExportKind::InspectedSpikesCsv: return QStringLiteral("spikes-inspected.csv");
    case DataExportKind::InspectedSpikesNir: return QStringLiteral("spikes-inspected.nir");
    }
    return {};
}

} // namespace

// ---- figures ---------------------------------------------------------------------------

std::vector<Figure> MainWindow::figures()
{
    refreshViews();
    return FigureExporter::windowFigures(*this);
}

bool MainWindow::exportFigure(const QString &name, const QString &path, FigureFormat format,
                              const FigureOptions &options, QString *error)
{
    for (const Figure &f : figures())
        if (f.name == name)
            return FigureExporter::write(f, path, format, options, error);
    if (error)
        *error = tr("there is no figure '%1'").arg(name);
    return false;
}

bool MainWindow::waitInspectSettled(int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (!inspect_->settled() && t.elapsed() < timeoutMs)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    QCoreApplication::processEvents();
    return inspect_->settled();
}

bool MainWindow::exportAllFigures(const QString &folder, const QList<FigureFormat> &formats,
                                  const FigureOptions &options, int sample, QStringList *written, QString *error)
{
    if (!QDir().mkpath(folder)) {
        if (error)
            *error = tr("%1: cannot create the folder").arg(folder);
        return false;
    }
    // The Inspect views compute when shown: show them, let them settle, then draw everything.
    const bool wasInspecting = tabs_->currentWidget() == inspect_;
    showInspect(true);
    if (sample >= 0)
        inspect_->setSample(std::min(sample, std::max(0, inspect_->testSize() - 1)));
    if (!waitInspectSettled()) {
        if (error)
            *error = tr("the Inspect views did not finish computing");
        showInspect(wasInspecting);
        return false;
    }
    // The Inspect views are drawn while their tab is up, the others (and the dashboard) with
    // the Training tab and its docks back.
    const QStringList inspectFigures{QStringLiteral("raster"), QStringLiteral("digit"), QStringLiteral("membrane"),
                                     QStringLiteral("timing")};
    bool ok = true;
    auto writeFigures = [&](bool inspectPass) {
        for (const Figure &f : figures()) {
            if (inspectFigures.contains(f.name) != inspectPass || f.size.isEmpty())
                continue;
            for (FigureFormat format : formats) {
                const QString path = QDir(folder).filePath(f.name + QLatin1Char('.') + FigureExporter::extension(format));
                QString why;
                if (FigureExporter::write(f, path, format, options, &why)) {
                    if (written)
                        *written << path;
                } else {
                    ok = false;
                    if (error)
                        *error = why;
                }
            }
        }
    };
    writeFigures(true);
    showInspect(false);
    QCoreApplication::processEvents();
    refreshViews();
    writeFigures(false);
    showInspect(wasInspecting);
    return ok;
}

void MainWindow::installFigureMenus()
{
    auto attach = [this](QWidget *view, const QString &figure) {
        view->setContextMenuPolicy(Qt::CustomContextMenu);
        connect(view, &QWidget::customContextMenuRequested, this,
                [this, view, figure](const QPoint &pos) { showFigureMenu(view, figure, pos); });
    };
    attach(curves_->lossChart(), QStringLiteral("curves"));
    attach(curves_->accuracyChart(), QStringLiteral("curves"));
    attach(weights_, QStringLiteral("weights"));
    attach(detail_, QStringLiteral("weights"));
    attach(sample_, QStringLiteral("sample"));
    attach(inspect_->raster(), QStringLiteral("raster"));
    attach(inspect_->digitView(), QStringLiteral("digit"));
    attach(inspect_->membraneView(), QStringLiteral("membrane"));
    attach(inspect_->timingView(), QStringLiteral("timing"));
}

void MainWindow::showFigureMenu(QWidget *view, const QString &figure, const QPoint &pos)
{
    QMenu menu(this);
    menu.setObjectName(QStringLiteral("figureMenu"));
    if (auto *chart = qobject_cast<QChartView *>(view)) {
        // Zooming out is the menu's first entry (right-click opens this menu).
        menu.addAction(tr("Zoom &Out"), this, [this, chart] {
            chart->chart()->zoomOut();
            curves_->refresh();
        });
        menu.addAction(resetZoomAction_);
        menu.addSeparator();
    }
    menu.addAction(tr("&Export Figure…"), this, [this, figure] { exportFigureInteractively(figure); });
    menu.addAction(tr("Export &Dashboard…"), this, [this] { exportFigureInteractively(QStringLiteral("dashboard")); });
    menu.exec(view->mapToGlobal(pos));
}

void MainWindow::exportFigureInteractively(const QString &name)
{
    for (const Figure &f : figures()) {
        if (f.name != name)
            continue;
        FigureExportDialog dialog(f, lastFolder(), lastFigureFormat_, this);
        if (dialog.exec() != QDialog::Accepted || dialog.path().isEmpty())
            return;
        lastFigureFormat_ = dialog.format();
        rememberFolder(dialog.path());
        QString error;
        if (FigureExporter::write(f, dialog.path(), dialog.format(), dialog.options(), &error))
            statusBar()->showMessage(tr("Exported %1.").arg(dialog.path()), 6000);
        else
            showSaveError(dialog.path(), error);
        return;
    }
}

void MainWindow::exportAllFiguresInteractively()
{
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Export All Figures To"), lastFolder());
    if (folder.isEmpty())
        return;
    rememberFolder(QDir(folder).filePath(QStringLiteral("x")));
    QStringList written;
    QString error;
    QApplication::setOverrideCursor(Qt::WaitCursor);
    const bool ok = exportAllFigures(folder, {FigureFormat::Png, FigureFormat::Svg, FigureFormat::Pdf},
                                     FigureOptions{{}, 192}, -1, &written, &error);
    QApplication::restoreOverrideCursor();
    if (ok)
        statusBar()->showMessage(tr("Exported %1 figure files to %2.").arg(written.size()).arg(folder), 8000);
    else
        showSaveError(folder, error);
}

// ---- data ------------------------------------------------------------------------------

bool MainWindow::exportData(DataExportKind kind, const QString &path, QString *error)
{
    auto fail = [&](const QString &why) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, why);
        return false;
    };
    std::string text;
    if (kind == DataExportKind::InspectedSpikesCsv || kind == DataExportKind::InspectedSpikesNir) {
        // What the Inspect tab shows: its sample through the history entry it is at.
        const SampleInspectionPtr shown = inspect_->inspection();
        if (!shown || !shown->entry || !shown->entry->network)
            return fail(tr("the Inspect tab shows no sample yet"));
        SampleSpikes s;
        s.sample = shown->sampleIndex;
        s.label = shown->label;
        s.pass = shown->pass;
        if (kind == DataExportKind::InspectedSpikesCsv) {
            text = spikesCsvHeader() + spikesToCsv(s);
        } else {
            try {
                const std::vector<std::uint8_t> bytes = nirEventBytes(shown->network().config(), {s});
                return writeFileSafely(path, QByteArray(reinterpret_cast<const char *>(bytes.data()),
                                                        static_cast<qsizetype>(bytes.size())),
                                       error);
            } catch (const std::exception &e) {
                return fail(QString::fromUtf8(e.what()));
            }
        }
        return writeFileSafely(path, QByteArray::fromStdString(text), error);
    }
    if (kind == DataExportKind::MetricsCsv || kind == DataExportKind::MetricsJson) {
        const std::vector<EpochMetrics> history = latest_ ? latest_->history : std::vector<EpochMetrics>{};
        text = kind == DataExportKind::MetricsCsv ? metricsToCsv(history) : metricsToJson(history);
    } else {
        const std::vector<HistoryEntryPtr> entries = controller_->history()->entries();
        const std::shared_ptr<const DataSplit> data = controller_->history()->data();
        if (entries.empty() || !entries.back()->network || !data)
            return fail(tr("there is no network yet"));
        const SpikeNetwork &net = *entries.back()->network; // the weights the run is at
        if (kind == DataExportKind::WeightsCsv) {
            text = weightsToCsv(net.allWeights());
        } else {
            const Dataset &set = data->test;
            int first = 0, last = set.size();
            if (kind == DataExportKind::SampleSpikesCsv || kind == DataExportKind::SampleSpikesJson) {
                first = std::clamp(inspect_->sampleIndex(), 0, std::max(0, set.size() - 1));
                last = std::min(set.size(), first + 1);
            }
            const bool csv = kind == DataExportKind::SampleSpikesCsv || kind == DataExportKind::TestSpikesCsv;
            std::vector<SampleSpikes> samples;
            if (csv)
                text = spikesCsvHeader();
            for (int i = first; i < last; ++i) {
                SampleSpikes s;
                s.sample = i;
                s.label = set.labels[i];
                net.forward(set.image(i), s.pass);
                if (csv)
                    text += spikesToCsv(s);
                else
                    samples.push_back(std::move(s));
            }
            if (!csv)
                text = spikesToJson(samples);
        }
    }
    return writeFileSafely(path, QByteArray::fromStdString(text), error);
}

// ---- networks as NIR graphs ---------------------------------------------------------------

bool MainWindow::exportNetworkNir(const QString &path, QString *error)
{
    const std::vector<HistoryEntryPtr> entries = controller_->history()->entries();
    if (entries.empty() || !entries.back()->network) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, tr("there is no network yet"));
        return false;
    }
    const SpikeNetwork &net = *entries.back()->network; // the weights the run is at
    try {
        const std::vector<std::uint8_t> bytes = nirNetworkBytes(net.config(), net.allWeights());
        return writeFileSafely(path, QByteArray(reinterpret_cast<const char *>(bytes.data()), static_cast<qsizetype>(bytes.size())),
                               error);
    } catch (const std::exception &e) {
        if (error)
            *error = QString::fromUtf8(e.what());
        return false;
    }
}

bool MainWindow::importNetworkNir(const QString &path, QString *error)
{
    auto fail = [&](const QString &why) {
        if (error)
            *error = why;
        return false;
    };
    NirNetwork nir;
    try {
        nir = loadNirNetwork(path.toStdString());
    } catch (const std::exception &e) {
        return fail(QString::fromUtf8(e.what()));
    }
    const std::shared_ptr<const DataSplit> data = controller_->data();
    if (data && data->test.pixelCount() != nir.network.inputSize())
        return fail(tr("%1: the network has %2 inputs but the images of %3 have %4 pixels")
                        .arg(path)
                        .arg(nir.network.inputSize())
                        .arg(QString::fromStdString(data->source))
                        .arg(data->test.pixelCount()));
    if (const QString tooBig = TrainingController::checkNetworkFits(nir.network); !tooBig.isEmpty())
        return fail(QStringLiteral("%1: %2").arg(path, tooBig));
    auto checkpoint = std::make_shared<Checkpoint>();
    checkpoint->network = nir.network;
    checkpoint->training = controller_->config().training;
    checkpoint->weights = std::move(nir.weights);
    checkpoint->dataSource = dataFolder_.isEmpty() ? std::string("embedded") : dataFolder_.toStdString();
    controller_->restoreCheckpoint(std::move(checkpoint));
    statusBar()->showMessage(tr("Imported the %1 network of %2; Train trains it further.")
                                 .arg(QString::fromStdString(layerSizesToString(nir.network.layerSizes)), path),
                             8000);
    return true;
}

void MainWindow::exportNetworkInteractively()
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Network"), QDir(lastFolder()).filePath(QStringLiteral("network.nir")),
                                                      tr("NIR files (*.nir *.h5 *.hdf5)"));
    if (path.isEmpty())
        return;
    rememberFolder(path);
    QString error;
    QApplication::setOverrideCursor(Qt::WaitCursor);
    const bool ok = exportNetworkNir(path, &error);
    QApplication::restoreOverrideCursor();
    if (ok)
        statusBar()->showMessage(tr("Exported the network to %1.").arg(path), 6000);
    else
        showSaveError(path, error);
}

void MainWindow::importNetworkInteractively()
{
    if (!confirmNewRun())
        return;
    const QString path = QFileDialog::getOpenFileName(this, tr("Import Network"), lastFolder(),
                                                      tr("NIR files (*.nir *.h5 *.hdf5);;All files (*)"));
    if (path.isEmpty())
        return;
    rememberFolder(path);
    QString error;
    QApplication::setOverrideCursor(Qt::WaitCursor);
    const bool ok = importNetworkNir(path, &error);
    QApplication::restoreOverrideCursor();
    if (!ok)
        showOpenError(error);
}

void MainWindow::exportDataInteractively(DataExportKind kind)
{
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Data"),
                                                      QDir(lastFolder()).filePath(dataDefaultName(kind)), dataFilter(kind));
    if (path.isEmpty())
        return;
    rememberFolder(path);
    QString error;
    QApplication::setOverrideCursor(Qt::WaitCursor);
    const bool ok = exportData(kind, path, &error);
    QApplication::restoreOverrideCursor();
    if (ok)
        statusBar()->showMessage(tr("Exported %1.").arg(path), 6000);
    else
        showSaveError(path, error);
}

} // namespace firstspike

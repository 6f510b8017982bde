// File ▸ Import Network… / Export Network… (NIR graphs) and File ▸ Export Data ▸ Spike Raster of
// the Inspected Sample (CSV, NIR): the imported network is the run's, bit for bit; the exports
// hold what the Inspect tab shows; refused files leave the run alone with one line.

#include "core/data/Dataset.h"
#include "core/data/IdxReader.h"
#include "core/files/NirFile.h"
#include "ui/inspect/InspectPanel.h"
#include "ui/inspect/InspectionEngine.h"
#include "ui/training/NetworkHistory.h"
#include "ui/training/TrainingController.h"
#include "ui/window/MainWindow.h"

#include <QtTest>

#include <cstring>

using namespace firstspike;

class TestGuiNir : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void importExportAndInspectedSpikes();

private:
    QTemporaryDir dir_;
    std::shared_ptr<const DataSplit> data_;
};

void TestGuiNir::initTestCase()
{
    QVERIFY(dir_.isValid());
    const DataSplit all = loadEmbeddedMnist();
    auto split = std::make_shared<DataSplit>();
    split->source = all.source;
    std::vector<int> train(200), test(50);
    for (int i = 0; i < 200; ++i)
        train[i] = i;
    for (int i = 0; i < 50; ++i)
        test[i] = i;
    split->train = all.train.subset(train, all.train.name);
    split->test = all.test.subset(test, all.test.name);
    data_ = split;
}

static bool sameBits(const std::vector<Matrix> &a, const std::vector<Matrix> &b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t l = 0; l < a.size(); ++l)
        if (a[l].rows() != b[l].rows() || a[l].cols() != b[l].cols() ||
            std::memcmp(a[l].data(), b[l].data(), sizeof(double) * a[l].size()) != 0)
            return false;
    return true;
}

void TestGuiNir::importExportAndInspectedSpikes()
{
    NetworkConfig net;
    net.layerSizes = {784, 24, 10};
    net.threshold = 1.5;
    SpikeNetwork source(net);
    source.initializeUniform(11);
    const QString nirPath = dir_.filePath(QStringLiteral("in.nir"));
    saveNirNetwork(nirPath.toStdString(), net, source.allWeights());

    MainWindowOptions o;
    o.useSettings = false;
    o.data = data_;
    o.autosaveFolder = QString();
    o.quitChoice = QuitChoice::QuitWithoutSaving;
    MainWindow w(o);
    w.resize(1280, 800);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));

    QString error;
    QVERIFY2(w.importNetworkNir(nirPath, &error), qPrintable(error));
    auto current = [&w]() -> const SpikeNetwork * {
        const auto entries = w.controller()->history()->entries();
        return entries.empty() || !entries.back()->network ? nullptr : entries.back()->network.get();
    };
    QTRY_VERIFY_WITH_TIMEOUT(current() && sameBits(current()->allWeights(), source.allWeights()), 30000);
    QCOMPARE(current()->config().threshold, 1.5);

    const QString out = dir_.filePath(QStringLiteral("out.nir"));
    QVERIFY2(w.exportNetworkNir(out, &error), qPrintable(error));
    QVERIFY(sameBits(loadNirNetwork(out.toStdString()).weights, source.allWeights()));

    // The Inspect tab's sample, as CSV and as NIR event data.
    w.showInspect(true);
    QVERIFY(w.waitInspectSettled());
    QTRY_VERIFY_WITH_TIMEOUT(w.inspectPanel()->inspection() != nullptr, 30000);
    const QString csv = dir_.filePath(QStringLiteral("inspected.csv"));
    QVERIFY2(w.exportData(DataExportKind::InspectedSpikesCsv, csv, &error), qPrintable(error));
    QFile c(csv);
    QVERIFY(c.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = c.readAll().trimmed().split('\n');
    QCOMPARE(lines.front(), QByteArray("sample,layer,neuron,time"));
    QVERIFY(lines.size() > 784); // every pixel spikes, and some neurons
    const QString events = dir_.filePath(QStringLiteral("inspected.nir"));
    QVERIFY2(w.exportData(DataExportKind::InspectedSpikesNir, events, &error), qPrintable(error));
    QFile e(events);
    QVERIFY(e.open(QIODevice::ReadOnly));
    QCOMPARE(e.read(8), QByteArray("\x89HDF\r\n\x1a\n", 8));

    // Refused: not HDF5; a network the data set's images do not fit. The run stays.
    const QString junk = dir_.filePath(QStringLiteral("junk.nir"));
    QFile j(junk);
    QVERIFY(j.open(QIODevice::WriteOnly));
    j.write("junk");
    j.close();
    QVERIFY(!w.importNetworkNir(junk, &error));
    QVERIFY2(error.contains(QStringLiteral("not an HDF5 file")), qPrintable(error));
    NetworkConfig small;
    small.layerSizes = {20, 5, 10};
    SpikeNetwork other(small);
    other.initializeUniform(2);
    const QString smallPath = dir_.filePath(QStringLiteral("small.nir"));
    saveNirNetwork(smallPath.toStdString(), small, other.allWeights());
    QVERIFY(!w.importNetworkNir(smallPath, &error));
    QVERIFY2(error.contains(QStringLiteral("20 inputs")), qPrintable(error));
    QVERIFY(sameBits(current()->allWeights(), source.allWeights()));
}

QTEST_MAIN(TestGuiNir)
#include "tst_gui_nir.moc"

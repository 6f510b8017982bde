// CSV and JSON exports read back to the same numbers.

#include "core/files/DataExport.h"
#include "core/data/IdxReader.h"
#include "core/common/Random.h"
#include "core/training/Trainer.h"

#include <QtTest>

#include <clocale>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

using namespace firstspike;

namespace {

std::vector<QStringList> parseCsv(const std::string &text, QStringList &header)
{
    QStringList lines = QString::fromStdString(text).split('\n', Qt::SkipEmptyParts);
    header = lines.takeFirst().split(',');
    std::vector<QStringList> rows;
    for (const QString &line : lines)
        rows.push_back(line.split(','));
    return rows;
}

} // namespace

class TestDataExport : public QObject {
    Q_OBJECT

private slots:
    void numbersRoundTrip()
    {
        Random rng(3);
        for (int i = 0; i < 10000; ++i) {
            const double v = (rng.uniform() - 0.5) * std::pow(10.0, static_cast<double>(rng.below(40)) - 20.0);
            QCOMPARE(std::strtod(formatNumber(v).c_str(), nullptr), v);
        }
        QCOMPARE(formatNumber(kNoValue), std::string());
        QCOMPARE(formatNumber(kSilent), std::string("inf"));
        QCOMPARE(formatNumber(0.1), std::string("0.1"));
    }

    void numbersIgnoreTheLocale()
    {
        // The GUI runs under the user's LC_NUMERIC; exports must still write "0.5".
        const char *previous = std::setlocale(LC_NUMERIC, nullptr);
        const std::string saved = previous ? previous : "C";
        bool switched = false;
        for (const char *name : {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "ru_RU.UTF-8"})
            if (std::setlocale(LC_NUMERIC, name)) {
                switched = true;
                break;
            }
        const std::string text = formatNumber(0.5);
        const std::string csv = weightsToCsv({Matrix::Constant(1, 1, 1.25)});
        std::setlocale(LC_NUMERIC, saved.c_str());
        QCOMPARE(text, std::string("0.5"));
        QVERIFY(csv.find("1.25") != std::string::npos);
        if (!switched)
            qInfo("no comma-decimal locale installed; checked under the current locale only");
    }

    void weightsCsvRoundTrip()
    {
        NetworkConfig cfg;
        cfg.layerSizes = {20, 7, 3};
        SpikeNetwork net(cfg);
        net.initializeUniform(5, -3.0, 5.0);
        QStringList header;
        const auto rows = parseCsv(weightsToCsv(net.allWeights()), header);
        QCOMPARE(header, (QStringList{"layer", "pre", "post", "weight"}));
        QCOMPARE(rows.size(), std::size_t(21 * 7 + 8 * 3));
        for (const QStringList &r : rows) {
            const int layer = r[0].toInt(), pre = r[1].toInt(), post = r[2].toInt();
            QCOMPARE(std::strtod(r[3].toUtf8().constData(), nullptr), net.weights(layer - 1)(pre, post));
        }
    }

    void spikesCsvAndJsonMatchTheEngine()
    {
        const DataSplit data = loadEmbeddedMnist();
        NetworkConfig cfg;
        cfg.layerSizes = {784, 50, 10};
        SpikeNetwork net(cfg);
        net.initializeUniform(9);
        std::vector<SampleSpikes> samples(3);
        std::string csv = spikesCsvHeader();
        for (int i = 0; i < 3; ++i) {
            samples[i].sample = i;
            samples[i].label = data.test.labels[i];
            net.forward(data.test.image(i), samples[i].pass);
            csv += spikesToCsv(samples[i]);
        }
        QStringList header;
        const auto rows = parseCsv(csv, header);
        QCOMPARE(header, (QStringList{"sample", "layer", "neuron", "time"}));
        int expected = 0;
        for (const SampleSpikes &s : samples) {
            expected += 784;
            for (const LayerActivity &a : s.pass.layers)
                expected += static_cast<int>(a.spikeZ.size()) - a.silentCount();
        }
        QCOMPARE(static_cast<int>(rows.size()), expected);
        for (const QStringList &r : rows) {
            const SampleSpikes &s = samples[r[0].toInt()];
            const int layer = r[1].toInt(), neuron = r[2].toInt();
            const double z = layer == 0 ? s.pass.inputZ[neuron] : s.pass.layers[layer - 1].spikeZ[neuron];
            QCOMPARE(std::strtod(r[3].toUtf8().constData(), nullptr), std::log(z));
        }
        const QJsonArray json = QJsonDocument::fromJson(QByteArray::fromStdString(spikesToJson(samples))).array();
        QCOMPARE(json.size(), 3);
        const QJsonArray out = json[1].toObject()["layers"].toArray()[2].toArray();
        QCOMPARE(out.size(), 10);
        for (int k = 0; k < 10; ++k) {
            const double z = samples[1].pass.layers[1].spikeZ[k];
            if (std::isinf(z))
                QVERIFY(out[k].isNull());
            else
                QCOMPARE(out[k].toDouble(), std::log(z));
        }
        QCOMPARE(json[1].toObject()["predicted"].toInt(), samples[1].pass.predictedClass());
    }

    void metricsCsvAndJson()
    {
        auto full = loadEmbeddedMnist();
        auto d = std::make_shared<DataSplit>();
        std::vector<int> idx(200);
        for (int i = 0; i < 200; ++i)
            idx[i] = i;
        d->train = full.train.subset(idx, "train");
        d->test = full.test.subset(idx, "test");
        NetworkConfig cfg;
        cfg.layerSizes = {784, 20, 10};
        TrainConfig tc;
        tc.epochs = 2;
        tc.threads = 1;
        Trainer t(cfg, tc, d);
        t.train();
        QStringList header;
        const auto rows = parseCsv(metricsToCsv(t.history()), header);
        QCOMPARE(rows.size(), std::size_t(2));
        const int col = static_cast<int>(header.indexOf("test_accuracy"));
        QVERIFY(col > 0);
        QCOMPARE(std::strtod(rows[1][col].toUtf8().constData(), nullptr), t.history()[1].testAccuracy);
        QCOMPARE(rows[0][header.indexOf("mean_silent_per_layer")].split(';').size(), 2);
        const QJsonArray json = QJsonDocument::fromJson(QByteArray::fromStdString(metricsToJson(t.history()))).array();
        QCOMPARE(json.size(), 2);
        QCOMPARE(json[0].toObject()["train_loss"].toDouble(), t.history()[0].trainLoss);
    }
};

QTEST_APPLESS_MAIN(TestDataExport)
#include "tst_dataexport.moc"

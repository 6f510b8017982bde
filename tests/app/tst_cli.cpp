// firstspike-cli as a user runs it: train writes metrics and a checkpoint, eval and infer read
// it, and bad input gives one line naming the problem and a non-zero exit status.

#include <QtTest>

#include <cmath>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace {

struct Result {
    int exitCode = -1;
    QString out;
    QString err;
};

Result runCli(const QStringList &args, int timeoutMs = 120000)
{
    QProcess p;
    p.start(QStringLiteral(FIRSTSPIKE_CLI_PATH), args);
    Result r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = "timeout";
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2; // -2: crashed
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

private slots:
    void trainEvalInfer()
    {
        const QString ck = dir_.filePath("small.fsck");
        const QString metrics = dir_.filePath("metrics.json");
        Result r = runCli({"train", "--layers", "784-60-10", "--epochs", "2", "--train-limit", "800", "--threads", "2",
                           "--seed", "3", "--save", ck, "--metrics-json", metrics});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.contains("epoch   1"));
        QVERIFY(r.out.contains("epoch   2"));
        QFile f(metrics);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject m = QJsonDocument::fromJson(f.readAll()).object();
        for (const char *key : {"test_accuracy", "train_accuracy", "epochs", "train_samples_per_second", "seconds"})
            QVERIFY2(m.contains(key), key);
        QCOMPARE(m["epochs"].toInt(), 2);
        QVERIFY(m["test_accuracy"].toDouble() > 0.3);
        QVERIFY(m["train_samples_per_second"].toDouble() > 0);
        QCOMPARE(m["history"].toArray().size(), 2);

        r = runCli({"eval", "--checkpoint", ck, "--json", dir_.filePath("eval.json")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.contains("confusion matrix"));
        QFile e(dir_.filePath("eval.json"));
        QVERIFY(e.open(QIODevice::ReadOnly));
        const QJsonObject ev = QJsonDocument::fromJson(e.readAll()).object();
        QCOMPARE(ev["confusion"].toArray().size(), 10);
        QCOMPARE(ev["accuracy"].toDouble(), m["test_accuracy"].toDouble()); // same weights, same data

        r = runCli({"infer", "--checkpoint", ck, "--sample", "5"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const QJsonObject inf = QJsonDocument::fromJson(r.out.toUtf8()).object();
        const QJsonArray layers = inf["layers"].toArray();
        QCOMPARE(layers.size(), 3);
        QCOMPARE(layers[0].toObject()["spike_times"].toArray().size(), 784);
        QCOMPARE(layers[1].toObject()["spike_times"].toArray().size(), 60);
        QCOMPARE(layers[2].toObject()["spike_times"].toArray().size(), 10);
        QCOMPARE(inf["sample"].toInt(), 5);

        // Exports for the user's own scripts.
        const QString spikes = dir_.filePath("spikes.csv");
        r = runCli({"export", "--checkpoint", ck, "--what", "spikes", "--sample", "5", "--out", spikes});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QFile sf(spikes);
        QVERIFY(sf.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(sf.readAll()).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.first(), QString("sample,layer,neuron,time"));
        int fired = 0;
        for (int l = 0; l < 3; ++l)
            for (const QJsonValue &t : layers[l].toObject()["spike_times"].toArray())
                fired += t.isNull() ? 0 : 1;
        QCOMPARE(lines.size() - 1, fired); // one row per spike, silent neurons omitted
        r = runCli({"export", "--checkpoint", ck, "--what", "metrics", "--format", "json", "--out", dir_.filePath("m.json")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        r = runCli({"export", "--checkpoint", ck, "--what", "weights", "--out", dir_.filePath("w.csv")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QCOMPARE(QFileInfo(dir_.filePath("w.csv")).exists(), true);
        r = runCli({"export", "--checkpoint", ck, "--what", "volts", "--out", dir_.filePath("x")});
        QCOMPARE(r.exitCode, 2);
        QVERIFY(r.err.contains("not metrics, spikes or weights"));
    }

    void benchReportsThroughputAndTheMachine()
    {
        // A tiny bench: every number it reports is a measurement (positive, finite), the
        // machine probe included when two threads run.
        const QString json = dir_.filePath("bench.json");
        const Result r = runCli({"bench", "--layers", "784-64-10", "--rounds", "2", "--batches", "3", "--warmup", "2",
                                 "--threads", "2", "--json", json});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.contains("scaling 1 -> 2 threads"));
        QVERIFY(r.out.contains("core-to-core round trip"));
        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonArray results = QJsonDocument::fromJson(f.readAll()).object()["results"].toArray();
        QCOMPARE(results.size(), 2);
        for (const QJsonValue &v : results) {
            const QJsonObject o = v.toObject();
            QCOMPARE(o["layers"].toString(), QString("784-64-10"));
            for (const char *key : {"snn_train_samples_per_second", "snn_classify_samples_per_second",
                                    "mlp_train_samples_per_second", "snn_over_mlp_training_time"})
                QVERIFY2(o[key].toDouble() > 0.0 && std::isfinite(o[key].toDouble()), key);
        }
        const QJsonObject two = results[1].toObject();
        QCOMPARE(two["threads"].toInt(), 2);
        for (const char *key : {"snn_training_speedup_over_1_thread", "machine_round_trip_ns", "machine_compute_scaling",
                                "machine_stream_scaling"})
            QVERIFY2(two[key].toDouble() > 0.0 && std::isfinite(two[key].toDouble()), key);
        QCOMPARE(two["rounds_machine_round_trip_ns"].toArray().size(), 2);
        QVERIFY(!results[0].toObject().contains("machine_round_trip_ns"));
    }

    void helpForEachVerb()
    {
        for (const char *verb : {"train", "eval", "infer"}) {
            const Result r = runCli({verb, "--help"});
            QCOMPARE(r.exitCode, 0);
            QVERIFY(r.out.startsWith(QString("usage: firstspike-cli ") + verb));
        }
    }

    void badInputIsOneLineAndNonZero_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("phrase");
        QTest::newRow("unknown flag") << QStringList{"train", "--frobnicate"} << "unknown option --frobnicate";
        QTest::newRow("negative epochs") << QStringList{"train", "--epochs", "-1"} << "--epochs";
        QTest::newRow("bad layers") << QStringList{"train", "--layers", "784-x-10"} << "--layers";
        QTest::newRow("layers vs data") << QStringList{"train", "--layers", "100-10"} << "784 pixels";
        QTest::newRow("missing data dir") << QStringList{"train", "--data", "/no/such/folder"} << "/no/such/folder";
        QTest::newRow("missing checkpoint") << QStringList{"eval", "--checkpoint", "/no/such.fsck"} << "/no/such.fsck";
        QTest::newRow("not a checkpoint") << QStringList{"infer", "--checkpoint", QStringLiteral(FIRSTSPIKE_CLI_PATH)}
                                          << "not a Firstspike checkpoint";
        QTest::newRow("unknown verb") << QStringList{"frobnicate"} << "unknown verb";
        QTest::newRow("lr not a number") << QStringList{"train", "--lr", "fast"} << "not a number";
    }
    void badInputIsOneLineAndNonZero()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, phrase);
        const Result r = runCli(args, 30000);
        QVERIFY2(r.exitCode > 0, qPrintable(QString("exit %1").arg(r.exitCode)));
        QVERIFY2(r.err.contains(phrase), qPrintable(r.err));
        QCOMPARE(r.err.trimmed().count('\n'), 0); // one line
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"

// firstspike-cli as a user runs it: train writes metrics and a checkpoint, eval and infer read
// it, and bad input gives one line naming the problem and a non-zero exit status.

#include "tests/common/RunProgram.h"

#include <QtTest>

#include <cmath>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

namespace {

using Result = firstspike::test::ProgramResult;

Result runProgram(const QString &program, const QStringList &args, int timeoutMs,
                  const QStringList &environment = {})
{
    return firstspike::test::runToEnd(program, args, timeoutMs, environment);
}

Result runCli(const QStringList &args, int timeoutMs = 120000, const QStringList &environment = {})
{
    return runProgram(QStringLiteral(FIRSTSPIKE_CLI_PATH), args, timeoutMs, environment);
}

// A refusal: a normal exit with a status in 1..127, one line on stderr holding `phrase`, and
// no exception text from the library.
void verifyRefusal(const Result &r, const QString &phrase)
{
    QVERIFY2(r.exitCode >= 1 && r.exitCode <= 127, qPrintable(QString("exit %1: %2").arg(r.exitCode).arg(r.err)));
    QVERIFY2(r.err.contains(phrase), qPrintable(r.err));
    QCOMPARE(r.err.trimmed().count('\n'), 0);
    for (const char *leak : {"std::", "bad_alloc", "(no error occurred)"})
        QVERIFY2(!r.err.contains(leak), qPrintable(r.err));
    QVERIFY2(!r.err.trimmed().endsWith(':'), qPrintable(r.err));
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

    // A small trained checkpoint, made once.
    QString checkpoint()
    {
        const QString ck = dir_.filePath("tiny.fsck");
        if (!QFileInfo::exists(ck)) {
            const Result r = runCli({"train", "--layers", "784-20-10", "--epochs", "1", "--train-limit", "100",
                                     "--threads", "2", "--save", ck, "--quiet"});
            if (r.exitCode != 0)
                qWarning("train: %s", qPrintable(r.err));
        }
        return ck;
    }

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

        // Single precision beside the exact classification: the same digits right, give or take
        // one whose two first output spikes are within float rounding of each other.
        r = runCli({"eval", "--checkpoint", ck, "--float32", "--json", dir_.filePath("eval32.json")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.contains("single precision (float32 early exit): accuracy"));
        QFile e32(dir_.filePath("eval32.json"));
        QVERIFY(e32.open(QIODevice::ReadOnly));
        const QJsonObject ev32 = QJsonDocument::fromJson(e32.readAll()).object();
        QVERIFY(ev32["float32_differing_classes"].toInt() <= 1);
        QVERIFY(std::abs(ev32["float32_accuracy"].toDouble() - ev32["accuracy"].toDouble()) <= 1.0 / ev32["samples"].toInt());
        QVERIFY(ev32["float32_max_relative_decision_z_difference"].toDouble() < 1e-4);

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

        // bench measures the checkpoint's network (core: tst_throughput).
        const QString benchJson = dir_.filePath("bench-ck.json");
        r = runCli({"bench", "--checkpoint", ck, "--rounds", "1", "--batches", "2", "--warmup", "0", "--threads", "1",
                    "--json", benchJson});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(r.out.contains("starts from " + ck + " (2 epochs trained) at a constant learning rate of"));
        QFile bf(benchJson);
        QVERIFY(bf.open(QIODevice::ReadOnly));
        const QJsonObject b = QJsonDocument::fromJson(bf.readAll()).object();
        QCOMPARE(b["checkpoint"].toString(), ck);
        QCOMPARE(b["results"].toArray().size(), 1);
        QCOMPARE(b["results"].toArray()[0].toObject()["layers"].toString(), QString("784-60-10"));
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
        // Values are parsed strictly (core/common/OptionParsing.h): no trailing garbage, no NaN,
        // no wrap-around, the ranges of SettingsLimits.h.
        QTest::newRow("lr nan") << QStringList{"train", "--lr", "nan"} << "--lr: 'nan' is not a finite number";
        QTest::newRow("epochs garbage") << QStringList{"train", "--epochs", "3x"} << "--epochs: '3x' is not an integer";
        QTest::newRow("seed overflow") << QStringList{"train", "--seed", "99999999999999999999"}
                                       << "--seed: '99999999999999999999' is outside 0..18446744073709551615";
        QTest::newRow("seed negative") << QStringList{"train", "--seed", "-1"} << "--seed: '-1' is outside";
        QTest::newRow("layer too large") << QStringList{"train", "--layers", "784-2000000-10"}
                                         << "--layers: layer size 2000000 is outside 1..1000000";
        QTest::newRow("horizon range") << QStringList{"train", "--max-spike-time", "1e6"} << "--max-spike-time: 1e6 is outside";
        QTest::newRow("bench threads") << QStringList{"bench", "--threads", "1e9"} << "--threads: '1e9' is not an integer";
        QTest::newRow("bench checkpoint and layers") << QStringList{"bench", "--checkpoint", "a.fsck", "--layers", "784-10"}
                                                     << "--checkpoint and --layers exclude each other";
        QTest::newRow("bench nir and layers") << QStringList{"bench", "--nir", "a.nir", "--layers", "784-10"}
                                              << "--nir and --layers exclude each other";
        QTest::newRow("bench missing checkpoint") << QStringList{"bench", "--checkpoint", "/no/such.fsck"} << "/no/such.fsck";
        QTest::newRow("schedule") << QStringList{"train", "--schedule", "linear"} << "--schedule: 'linear' is not exp-run, exp or cosine";
        QTest::newRow("model") << QStringList{"train", "--model", "cnn"} << "--model: 'cnn' is not snn or mlp";
        QTest::newRow("decision cost") << QStringList{"train", "--decision-cost", "-1"} << "--decision-cost";
    }

    // The schedule, early stopping and the spike economy on a small subset: a cheap check that
    // both models learn, that a run that stops early says why, and that the JSON carries the
    // spike economy (the full-MNIST numbers are scripts/reproduce.sh's, not a test's).
    void schedulesEarlyStoppingAndTheMlpReference()
    {
        const QString snn = dir_.filePath("snn.json"), mlp = dir_.filePath("mlp.json");
        Result r = runCli({"train", "--layers", "784-60-10", "--epochs", "4", "--train-limit", "800", "--threads", "2",
                           "--schedule", "cosine", "--warmup-epochs", "0.5", "--decision-cost", "0.05", "--patience",
                           "1", "--lr", "0.3", "--metrics-json", snn});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QFile f(snn);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject m = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(m.value("schedule").toString(), QString("cosine"));
        const QJsonArray history = m.value("history").toArray();
        QVERIFY(!history.isEmpty());
        const double spikes = history.last().toObject().value("hidden_spikes_per_neuron").toDouble(-1);
        QVERIFY2(spikes >= 0.0 && spikes <= 1.0, qPrintable(QString::number(spikes)));
        // A learning rate of 0.3 wrecks Adam: validation accuracy stalls and patience 1 ends the
        // run before its 4 epochs, with the reason.
        if (history.size() < 4) {
            QVERIFY2(m.value("stop_reason").toString().contains("stopped early after epoch"), qPrintable(r.out));
            QVERIFY2(r.out.contains("validation accuracy has not improved for 1 epochs"), qPrintable(r.out));
        }

        r = runCli({"train", "--model", "mlp", "--layers", "784-60-10", "--epochs", "2", "--train-limit", "800",
                    "--metrics-json", mlp});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QFile g(mlp);
        QVERIFY(g.open(QIODevice::ReadOnly));
        const QJsonObject n = QJsonDocument::fromJson(g.readAll()).object();
        QCOMPARE(n.value("model").toString(), QString("mlp"));
        QVERIFY2(n.value("test_accuracy").toDouble() > 0.6, qPrintable(r.out)); // chance is 0.1
        QCOMPARE(n.value("history").toArray().size(), 2);
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

    void figureOptionsAreStrict_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("phrase");
        QTest::newRow("sample abc") << QStringList{"--sample", "abc"} << "--sample: 'abc' is not an integer";
        QTest::newRow("sample past the test set") << QStringList{"--sample", "999999"} << "--sample: 999999 is outside 0..";
        QTest::newRow("sample negative") << QStringList{"--sample", "-1"} << "--sample: -1 is outside";
        QTest::newRow("dpi nan") << QStringList{"--dpi", "nan"} << "--dpi: 'nan' is not a finite number";
        QTest::newRow("dpi above") << QStringList{"--dpi", "2401"} << "--dpi: 2401 is outside 10..2400";
        QTest::newRow("dpi below") << QStringList{"--dpi", "9"} << "--dpi: 9 is outside 10..2400";
        QTest::newRow("size too large") << QStringList{"--size", "100000x100000"}
                                        << "--size: '100000x100000' is larger than 16384 pixels a side";
        QTest::newRow("size too many pixels") << QStringList{"--size", "16000x16000"} << "more than the limit of 67108864";
        QTest::newRow("size garbage") << QStringList{"--size", "1280x800px"} << "is not like 1280x800";
        QTest::newRow("png too large") << QStringList{"--size", "8000x8000", "--dpi", "2400"}
                                       << "makes PNGs of up to 200000x200000 pixels";
    }
    void figureOptionsAreStrict()
    {
        // Used to exit 0 (atoi, atof) or crash (a 100000x100000 window): refused before a
        // window exists, so these are fast.
        QFETCH(QStringList, args);
        QFETCH(QString, phrase);
        const QString ck = checkpoint();
        QVERIFY(QFileInfo::exists(ck));
        const Result r = runCli(QStringList{"figures", "--checkpoint", ck, "--out", dir_.filePath("figs")} + args, 60000);
        verifyRefusal(r, phrase);
        QVERIFY(!QFileInfo::exists(dir_.filePath("figs")));
    }

    void absurdNetworkIsRefusedWithTheFigure()
    {
        // Said only "std::bad_alloc": now the memory it needs is counted before anything is
        // allocated, and refused naming the network.
        const Result r = runCli({"train", "--layers", "784-100000-100000-10"}, 60000, {"FIRSTSPIKE_MEMORY_LIMIT=1G"});
        verifyRefusal(r, "784-100000-100000-10: training needs");
        QVERIFY2(r.err.contains("GB available"), qPrintable(r.err));
        QCOMPARE(r.exitCode, 1);
    }

    void spikeExportMemoryIsCheckedFirst()
    {
        // export --what spikes --all holds the whole text until it is written: counted first (a
        // 784-1-100000 network printed std::bad_alloc, then crashed at exit). Here a small
        // network under a small limit: the same refusal, and no file.
        const QString ck = checkpoint();
        const QString out = dir_.filePath("all-spikes.csv");
        Result r = runCli({"export", "--checkpoint", ck, "--what", "spikes", "--all", "--out", out}, 60000,
                          {"FIRSTSPIKE_MEMORY_LIMIT=10M"});
        verifyRefusal(r, "the spike times of 2004 sample(s)");
        QVERIFY2(r.err.contains("needs") && r.err.contains("available"), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(out));
        r = runCli({"export", "--checkpoint", ck, "--what", "spikes", "--all", "--format", "json", "--out", out}, 60000,
                   {"FIRSTSPIKE_MEMORY_LIMIT=10M"});
        verifyRefusal(r, "as json needs");
        // Without the limit the same export is written, streamed sample by sample, and the
        // JSON parses (one object per sample).
        r = runCli({"export", "--checkpoint", ck, "--what", "spikes", "--all", "--format", "json", "--out", out});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonArray samples = QJsonDocument::fromJson(f.readAll()).array();
        QCOMPARE(samples.size(), 2004);
        QCOMPARE(samples[7].toObject()["sample"].toInt(), 7);
        QCOMPARE(samples[7].toObject()["layers"].toArray().size(), 3);
    }

    void writesThroughLinksAndOntoFoldersAreRefused_data()
    {
        QTest::addColumn<QStringList>("args"); // "@" stands for the path written to
        QTest::newRow("train --save") << QStringList{"train", "--layers", "784-10", "--epochs", "1", "--train-limit", "50",
                                                      "--quiet", "--save", "@"};
        QTest::newRow("train --metrics-json") << QStringList{"train", "--layers", "784-10", "--epochs", "1",
                                                              "--train-limit", "50", "--quiet", "--metrics-json", "@"};
        QTest::newRow("eval --json") << QStringList{"eval", "--checkpoint", "CK", "--json", "@"};
        QTest::newRow("infer --out") << QStringList{"infer", "--checkpoint", "CK", "--out", "@"};
        QTest::newRow("export --out") << QStringList{"export", "--checkpoint", "CK", "--what", "weights", "--out", "@"};
    }
    void writesThroughLinksAndOntoFoldersAreRefused()
    {
        QFETCH(QStringList, args);
        const QString ck = checkpoint();
        args.replaceInStrings(QRegularExpression("^CK$"), ck);
        QTemporaryDir here;
        const QString target = here.filePath("target.txt");
        {
            QFile t(target);
            QVERIFY(t.open(QIODevice::WriteOnly));
            t.write("keep me\n");
        }
        const QString link = here.filePath("link");
        QVERIFY(QFile::link(target, link));
        const QString folder = here.filePath("folder");
        QVERIFY(QDir().mkdir(folder));
        for (const QString &path : {link, folder}) {
            QStringList a = args;
            a.replaceInStrings(QRegularExpression("^@$"), path);
            const Result r = runCli(a, 60000);
            verifyRefusal(r, path + ": is a ");
        }
        QFile t(target);
        QVERIFY(t.open(QIODevice::ReadOnly));
        QCOMPARE(t.readAll(), QByteArray("keep me\n")); // the link's target untouched
        QVERIFY(QFileInfo(link).isSymLink());
        QVERIFY(QFileInfo(folder).isDir());
        QCOMPARE(QDir(folder).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden).size(), 0);
    }

    void guiParsesItsOptionsAsTheCliDoes_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("phrase");
        QTest::newRow("seed overflow") << QStringList{"--seed", "99999999999999999999"}
                                       << "--seed: '99999999999999999999' is outside 0..18446744073709551615";
        QTest::newRow("size too large") << QStringList{"--size", "100000x100000"}
                                        << "--size: '100000x100000' is larger than 16384 pixels a side";
        QTest::newRow("steps garbage") << QStringList{"--steps", "10k"} << "--steps: '10k' is not an integer";
        QTest::newRow("epochs zero") << QStringList{"--epochs", "0"} << "--epochs: 0 is outside 1..1000000";
        QTest::newRow("layers absurd") << QStringList{"--layers", "784-100000-100000-10"}
                                       << "784-100000-100000-10: training needs";
    }
    void guiParsesItsOptionsAsTheCliDoes()
    {
        // The desktop application, next to firstspike-cli: it took --seed 99999999999999999999
        // as 0 and crashed on --size 100000x100000. Refused before a window opens.
        QFETCH(QStringList, args);
        QFETCH(QString, phrase);
        const QString gui = QFileInfo(QStringLiteral(FIRSTSPIKE_CLI_PATH)).dir().filePath("firstspike");
        if (!QFileInfo(gui).isExecutable())
            QSKIP("the desktop application is not built (FIRSTSPIKE_BUILD_GUI=OFF)");
        const Result r = runProgram(gui, QStringList{"--screenshot", dir_.filePath("gui.png"), "--steps", "1"} + args,
                                    60000, {"QT_QPA_PLATFORM=offscreen", "FIRSTSPIKE_MEMORY_LIMIT=1G"});
        QVERIFY2(r.exitCode >= 1 && r.exitCode <= 127, qPrintable(QString("exit %1: %2").arg(r.exitCode).arg(r.err)));
        QVERIFY2(r.err.contains("firstspike: " + phrase), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(dir_.filePath("gui.png")));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"

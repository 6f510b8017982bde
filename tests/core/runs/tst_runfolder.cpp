// Run folders (core/runs): what RunRecorder writes reads back through readRunFolder and
// RunIndex; a run killed mid-way keeps its finished epochs and reads as interrupted; and every
// kind of damaged folder (truncated, garbage, huge, a FIFO, a newer format, out-of-range
// settings, torn or broken CSV lines) gives a record marked damaged or refused with the reason,
// never an exception or a crash.

#include "core/data/Dataset.h"
#include "core/data/IdxReader.h"
#include "core/files/Checkpoint.h"
#include "core/files/SafeFile.h"
#include "core/runs/JsonValue.h"
#include "core/runs/RunIndex.h"
#include "core/runs/RunLock.h"
#include "core/runs/RunReader.h"
#include "core/runs/RunRecorder.h"
#include "core/training/Trainer.h"
#include "tests/common/FifoGuard.h"

#include "tests/common/EmbeddedSubset.h"

#include <QtTest>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <sys/file.h>
#include <thread>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace firstspike;

namespace {

std::shared_ptr<const DataSplit> smallData()
{
    return test::embeddedSubset(300, 100);
}

RunManifest manifestFor(const std::string &id, const NetworkConfig &net, const TrainConfig &tc)
{
    RunManifest m;
    m.id = id;
    m.name = "test " + id;
    m.origin = "cli";
    m.network = net;
    m.training = tc;
    return m;
}

void writeText(const std::string &path, const std::string &text)
{
    std::ofstream(path, std::ios::binary) << text;
}

std::string readText(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

class TestRunFolder : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;
    std::string root() const { return dir_.path().toStdString(); }

    // A complete recorded run of `epochs` epochs in root()/runs/<id>.
    void recordRun(const std::string &id, int epochs)
    {
        NetworkConfig net;
        net.layerSizes = {784, 8, 10};
        TrainConfig tc;
        tc.epochs = epochs;
        tc.threads = 1;
        tc.validationFraction = 0.2;
        Trainer trainer(net, tc, smallData());
        RunRecorder recorder(root() + "/runs", manifestFor(id, net, tc));
        recorder.setBatchesPerEpoch(trainer.batchesPerEpoch());
        while (!trainer.finished()) {
            while (!trainer.epochComplete()) {
                const BatchResult b = trainer.trainBatch();
                recorder.addBatch(trainer.optimizer().stepCount(), trainer.epoch() + double(trainer.cursor()) / trainer.epochSize(),
                                  b.loss, double(b.correct) / b.samples);
            }
            trainer.finishEpoch();
            recorder.epochEnded(trainer);
        }
        trainer.finalize();
        recorder.finish(&trainer, RunState::Complete, trainer.stopReason());
    }

    std::string makeDamaged(const std::string &id, const std::string &manifest)
    {
        const std::string folder = root() + "/runs/" + id;
        ::mkdir((root() + "/runs").c_str(), 0755);
        ::mkdir(folder.c_str(), 0755);
        writeText(folder + "/manifest.json", manifest);
        return folder;
    }

    std::string validManifestText()
    {
        return readText(root() + "/runs/good/manifest.json");
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        recordRun("good", 2);
    }

    void recordedRunReadsBack()
    {
        const RunRecord r = readRunFolder(root() + "/runs/good");
        QCOMPARE(int(r.health), int(RunHealth::Ok));
        QVERIFY2(r.problem.empty(), r.problem.c_str());
        QCOMPARE(r.status(), std::string("complete"));
        QVERIFY(!r.live);
        QCOMPARE(r.manifest.version, RunManifest::kFormatVersion);
        QCOMPARE(r.manifest.network.layerSizes, (std::vector<int>{784, 8, 10}));
        QCOMPARE(r.manifest.epochs, 2);
        QCOMPARE(int(r.history.size()), 2);
        QCOMPARE(r.history[1].epoch, 2);
        QVERIFY(std::isfinite(r.history[1].testAccuracy));
        QVERIFY(std::isfinite(r.manifest.testAccuracy));
        QVERIFY(std::isfinite(r.manifest.hiddenFiredBeforeDecision));
        QCOMPARE(r.manifest.pid, static_cast<long long>(::getpid()));
        // 240 training digits in batches of 10: 24 mini-batches an epoch, each its own point.
        QCOMPARE(int(r.batches.size()), 48);
        QCOMPARE(r.batches.back().step, 48LL);
        QVERIFY(r.batches.back().epochPosition > 1.9);
        const Checkpoint c = loadCheckpoint(r.checkpointPath());
        QCOMPARE(c.network.layerSizes, r.manifest.network.layerSizes);
        QCOMPARE(int(c.history.size()), 2);
    }

    void manifestRoundTripsEveryField()
    {
        RunManifest m;
        m.id = "x";
        m.name = "a \"quoted\" name\nwith a newline";
        m.state = RunState::Stopped;
        m.sweep = "s";
        m.sweepValues = {{"hidden", "400"}, {"lr", "0.001"}};
        m.training.seed = 18446744073709551615ull;
        m.training.optimizer.learningRate = 0.0123;
        m.network.layerSizes = {784, 400, 400, 10};
        m.network.encoding.kind = InputEncoding::Binarized;
        m.trainLimit = 77;
        m.seconds = 1.5;
        m.testAccuracy = 0.875;
        const RunManifest back = parseManifest(manifestToJson(m));
        QCOMPARE(back.name, m.name);
        QCOMPARE(int(back.state), int(RunState::Stopped));
        QCOMPARE(back.sweepValues.size(), std::size_t(2));
        QCOMPARE(back.training.seed, m.training.seed);
        QCOMPARE(back.training.optimizer.learningRate, 0.0123);
        QCOMPARE(back.network.layerSizes, m.network.layerSizes);
        QCOMPARE(int(back.network.encoding.kind), int(InputEncoding::Binarized));
        QCOMPARE(back.trainLimit, 77);
        QCOMPARE(back.testAccuracy, 0.875);
        QVERIFY(std::isnan(back.testLoss));
    }

    void liveRunIsLockedAndReadsAsRunning()
    {
        NetworkConfig net;
        net.layerSizes = {784, 4, 10};
        TrainConfig tc;
        auto recorder = std::make_unique<RunRecorder>(root() + "/runs", manifestFor("live", net, tc));
        const std::string folder = root() + "/runs/live";
        QVERIFY(RunLock::isHeld(folder));
        QCOMPARE(readRunFolder(folder).status(), std::string("running"));
        // A second recorder of the same id is refused while the first lives.
        QVERIFY_THROWS_EXCEPTION(RunBusyError, RunRecorder(root() + "/runs", manifestFor("live", net, tc)));
        recorder.reset(); // closed before its end: stopped
        QVERIFY(!RunLock::isHeld(folder));
        // A new run's folder appears with its manifest already in it (made under a hidden name
        // and renamed into place): nothing of the staging folder is left beside it.
        QDir runsDir(QString::fromStdString(root() + "/runs"));
        const QStringList hidden = runsDir.entryList(QStringList{QStringLiteral(".live.new-*")},
                                                     QDir::Dirs | QDir::Hidden | QDir::NoDotAndDotDot);
        QVERIFY2(hidden.isEmpty(), qPrintable(hidden.join(' ')));
        QVERIFY(QFileInfo::exists(QString::fromStdString(folder + "/manifest.json")));
        const RunRecord r = readRunFolder(folder);
        QCOMPARE(r.status(), std::string("stopped"));
        QVERIFY(r.manifest.stopReason.find("closed") != std::string::npos);
    }

    void killedRunKeepsItsEpochsAndReadsAsInterrupted()
    {
        // A child process records two epochs of a five-epoch run and is killed with SIGKILL.
        const pid_t pid = ::fork();
        if (pid == 0) {
            NetworkConfig net;
            net.layerSizes = {784, 8, 10};
            TrainConfig tc;
            tc.epochs = 5;
            tc.threads = 1;
            Trainer trainer(net, tc, smallData());
            RunRecorder recorder(root() + "/runs", manifestFor("killed", net, tc));
            for (int e = 0; e < 2; ++e) {
                while (!trainer.epochComplete())
                    trainer.trainBatch();
                trainer.finishEpoch();
                recorder.epochEnded(trainer);
            }
            trainer.trainBatch();
            ::raise(SIGKILL);
            ::_exit(3);
        }
        int status = 0;
        QCOMPARE(::waitpid(pid, &status, 0), pid);
        QVERIFY(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        const RunRecord r = readRunFolder(root() + "/runs/killed");
        QCOMPARE(int(r.health), int(RunHealth::Ok));
        QCOMPARE(r.status(), std::string("interrupted"));
        QCOMPARE(int(r.history.size()), 2);
        QCOMPARE(r.manifest.epochs, 2);
        QVERIFY(std::isfinite(r.manifest.testAccuracy));

        // Restarting the same id takes the folder over: the old history is gone.
        NetworkConfig net;
        net.layerSizes = {784, 8, 10};
        TrainConfig tc;
        {
            RunRecorder again(root() + "/runs", manifestFor("killed", net, tc));
            const RunRecord now = readRunFolder(root() + "/runs/killed");
            QCOMPARE(now.status(), std::string("running"));
            QVERIFY(now.history.empty());
        }
    }

    void damagedManifestsAreMarkedWithTheReason_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("reason");
        QTest::newRow("truncated") << "truncated" << "not valid JSON";
        QTest::newRow("garbage") << "garbage" << "not valid JSON";
        QTest::newRow("empty") << "empty" << "not valid JSON";
        QTest::newRow("array") << "array" << "not a JSON object";
        QTest::newRow("lr out of range") << "lr" << "settings.lr = -1 is outside";
        QTest::newRow("layers") << "layers" << "settings.layers";
        QTest::newRow("seed") << "seed" << "settings.seed";
        QTest::newRow("state") << "state" << "state 'exploded'";
        QTest::newRow("missing field") << "missing" << "settings is missing";
        QTest::newRow("deep nesting") << "deep" << "nested deeper";
        QTest::newRow("huge") << "huge" << "too large";
    }
    void damagedManifestsAreMarkedWithTheReason()
    {
        QFETCH(QString, kind);
        QFETCH(QString, reason);
        std::string text = validManifestText();
        QVERIFY(!text.empty());
        auto replace = [&](const std::string &from, const std::string &to) {
            const std::size_t at = text.find(from);
            QVERIFY2(at != std::string::npos, from.c_str());
            text.replace(at, from.size(), to);
        };
        if (kind == "truncated")
            text = text.substr(0, text.size() / 2);
        else if (kind == "garbage")
            text = std::string("\x89\x01\xff garbage \0 bytes", 20);
        else if (kind == "empty")
            text.clear();
        else if (kind == "array")
            text = "[1, 2, 3]";
        else if (kind == "lr")
            replace("\"lr\":0.001", "\"lr\":-1");
        else if (kind == "layers")
            replace("\"layers\":\"784-8-10\"", "\"layers\":\"784-x-10\"");
        else if (kind == "seed")
            replace("\"seed\":\"1\"", "\"seed\":\"99999999999999999999999\"");
        else if (kind == "state")
            replace("\"state\":\"complete\"", "\"state\":\"exploded\"");
        else if (kind == "missing")
            replace("\"settings\":", "\"settingz\":");
        else if (kind == "deep")
            replace("\"sweep_values\":{}", "\"sweep_values\":{},\"x\":" + std::string(200, '[') + std::string(200, ']'));
        const std::string folder = makeDamaged("damaged-" + kind.toStdString(), text);
        if (kind == "huge") // 4 GB, sparse: refused by its size, nothing read or allocated
            std::filesystem::resize_file(folder + "/manifest.json", 4ull << 30);
        const RunRecord r = readRunFolder(folder);
        QCOMPARE(int(r.health), int(RunHealth::Damaged));
        QCOMPARE(r.status(), std::string("damaged"));
        QVERIFY2(QString::fromStdString(r.problem).contains(reason), r.problem.c_str());
        QVERIFY2(r.problem.find("manifest.json") != std::string::npos, r.problem.c_str());
    }

    void newerFormatIsRefusedWithTheReason()
    {
        std::string text = validManifestText();
        const std::size_t at = text.find("\"version\":1");
        QVERIFY(at != std::string::npos);
        text.replace(at, 11, "\"version\":7");
        const RunRecord r = readRunFolder(makeDamaged("newer", text));
        QCOMPARE(int(r.health), int(RunHealth::Refused));
        QCOMPARE(r.status(), std::string("refused"));
        QVERIFY2(r.problem.find("format version 7 is newer") != std::string::npos, r.problem.c_str());
    }

    void missingFifoAndFolderManifestsAreRefused()
    {
        const std::string empty = root() + "/runs/no-manifest";
        ::mkdir(empty.c_str(), 0755);
        RunRecord r = readRunFolder(empty);
        QCOMPARE(int(r.health), int(RunHealth::Damaged));
        QVERIFY2(!r.problem.empty(), "no reason");

        // A FIFO as manifest.json must not block the reader.
        const std::string fifoFolder = root() + "/runs/fifo";
        ::mkdir(fifoFolder.c_str(), 0755);
        const QString fifo = QString::fromStdString(fifoFolder + "/manifest.json");
        QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
        QVERIFY(finishesWithoutBlocking(fifo, [&] { r = readRunFolder(fifoFolder); }));
        QCOMPARE(int(r.health), int(RunHealth::Damaged));
        QVERIFY2(r.problem.find("FIFO") != std::string::npos || r.problem.find("not a regular file") != std::string::npos,
                 r.problem.c_str());

        const std::string dirFolder = root() + "/runs/dir-manifest";
        ::mkdir(dirFolder.c_str(), 0755);
        ::mkdir((dirFolder + "/manifest.json").c_str(), 0755);
        r = readRunFolder(dirFolder);
        QCOMPARE(int(r.health), int(RunHealth::Damaged));
    }

    void tornAndBrokenCsvFiles()
    {
        // Copy the good run, then damage its CSV files.
        const std::string folder = makeDamaged("torn", validManifestText());
        const std::string metrics = readText(root() + "/runs/good/metrics.csv");
        writeText(folder + "/metrics.csv", metrics + "3,72,0.1,0.05"); // a torn last line
        writeText(folder + "/batches.csv", readText(root() + "/runs/good/batches.csv"));
        RunRecord r = readRunFolder(folder);
        QCOMPARE(int(r.health), int(RunHealth::Ok));
        QCOMPARE(int(r.history.size()), 2);
        QVERIFY2(r.problem.find("incomplete") != std::string::npos, r.problem.c_str());

        writeText(folder + "/metrics.csv", metrics + "3,72,abc,0.05,,,,,,,,,,,,,,\n");
        r = readRunFolder(folder);
        QCOMPARE(int(r.health), int(RunHealth::Damaged));
        QVERIFY2(r.problem.find("metrics.csv, line 4") != std::string::npos, r.problem.c_str());
        QVERIFY(r.history.empty());

        writeText(folder + "/metrics.csv", "not,the,header\n");
        r = readRunFolder(folder);
        QVERIFY2(r.problem.find("column header") != std::string::npos, r.problem.c_str());

        writeText(folder + "/metrics.csv", metrics);
        RunReadLimits limits;
        limits.batchesBytes = 100; // batches.csv beyond the cap
        r = readRunFolder(folder, true, limits);
        QCOMPARE(int(r.health), int(RunHealth::Damaged));
        QVERIFY2(r.problem.find("batches.csv") != std::string::npos, r.problem.c_str());

        // The manifest promises epochs, but metrics.csv is gone.
        ::unlink((folder + "/metrics.csv").c_str());
        r = readRunFolder(folder);
        QCOMPARE(int(r.health), int(RunHealth::Damaged));
        QVERIFY2(r.problem.find("metrics.csv is missing") != std::string::npos, r.problem.c_str());
    }

    void indexListsEveryFolderAndNeverThrows()
    {
        bool truncated = true;
        const std::vector<RunRecord> runs = RunIndex::scan(root() + "/runs", true, &truncated);
        QVERIFY(!truncated);
        int ok = 0, damaged = 0, refused = 0;
        for (const RunRecord &r : runs) {
            ok += r.health == RunHealth::Ok;
            damaged += r.health == RunHealth::Damaged;
            refused += r.health == RunHealth::Refused;
        }
        // A staging folder left by a process killed before its rename is not a run.
        QVERIFY(QDir().mkpath(QString::fromStdString(root() + "/runs/.killed-early.new-12345")));
        writeText(root() + "/runs/.killed-early.new-12345/manifest.json", "{}");
        for (const RunRecord &r : RunIndex::scan(root() + "/runs"))
            QVERIFY(r.id.find("killed-early") == std::string::npos);
        QVERIFY(ok >= 3); // good, live, killed
        QVERIFY(damaged >= 11);
        QCOMPARE(refused, 1);
        QVERIFY(RunIndex::scan(root() + "/absent").empty());
        writeText(root() + "/a-file", "x");
        QVERIFY_THROWS_EXCEPTION(FileError, RunIndex::scan(root() + "/a-file"));
    }

    void runsFolderMayBeASymbolicLink()
    {
        const std::string real = root() + "/shared-runs";
        QVERIFY(::mkdir(real.c_str(), 0755) == 0);
        const std::string link = root() + "/linked-runs";
        QVERIFY(::symlink(real.c_str(), link.c_str()) == 0);
        NetworkConfig net;
        net.layerSizes = {784, 4, 10};
        TrainConfig tc;
        {
            RunRecorder recorder(link, manifestFor("via-link", net, tc));
            recorder.finish(nullptr, RunState::Stopped, "test");
        }
        QCOMPARE(readRunFolder(real + "/via-link", false).status(), std::string("stopped"));
        // The run folder itself as a link is still refused.
        QVERIFY(::mkdir((real + "/elsewhere").c_str(), 0755) == 0);
        QVERIFY(::symlink((real + "/elsewhere").c_str(), (real + "/linked-run").c_str()) == 0);
        QVERIFY_THROWS_EXCEPTION(FileError, RunRecorder(link, manifestFor("linked-run", net, tc)));
        // A runs folder that is a file, or a link to nothing, is refused with its name.
        writeText(root() + "/plain-file", "x");
        QVERIFY_THROWS_EXCEPTION(FileError, RunRecorder(root() + "/plain-file", manifestFor("a", net, tc)));
        QVERIFY(::symlink((root() + "/nowhere").c_str(), (root() + "/dangling").c_str()) == 0);
        QVERIFY_THROWS_EXCEPTION(FileError, RunRecorder(root() + "/dangling", manifestFor("a", net, tc)));
    }

    void lockWaitsOutABriefSharedLock()
    {
        const std::string folder = root() + "/brief-lock";
        QVERIFY(::mkdir(folder.c_str(), 0755) == 0);
        // What RunLock::isHeld does in another process: a shared lock for an instant.
        const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
        QVERIFY(fd >= 0);
        QVERIFY(::flock(fd, LOCK_SH | LOCK_NB) == 0);
        std::thread release([fd] {
            std::this_thread::sleep_for(std::chrono::milliseconds(40));
            ::close(fd);
        });
        bool busy = false;
        try {
            RunLock lock(folder);
        } catch (const RunBusyError &) {
            busy = true;
        }
        release.join();
        QVERIFY(!busy);
        // A lock held for good is still refused (after the short wait).
        RunLock held(folder);
        QVERIFY_THROWS_EXCEPTION(RunBusyError, RunLock{folder});
    }

    void finishWritesTheManifestWhenAFileCannotBeWritten()
    {
        NetworkConfig net;
        net.layerSizes = {784, 4, 10};
        TrainConfig tc;
        tc.epochs = 1;
        tc.threads = 1;
        Trainer trainer(net, tc, smallData());
        RunRecorder recorder(root() + "/runs", manifestFor("disk-full", net, tc));
        const std::string folder = root() + "/runs/disk-full";
        // metrics.csv cannot be replaced: a non-empty folder of that name stands in for a full disk.
        QVERIFY(::mkdir((folder + "/metrics.csv").c_str(), 0755) == 0);
        writeText(folder + "/metrics.csv/x", "x");
        while (!trainer.finished()) {
            while (!trainer.epochComplete())
                trainer.trainBatch();
            trainer.finishEpoch();
        }
        trainer.finalize();
        QVERIFY_THROWS_EXCEPTION(FileError, recorder.finish(&trainer, RunState::Complete, trainer.stopReason()));
        QVERIFY(recorder.finished());
        QVERIFY(!RunLock::isHeld(folder));
        const RunRecord r = readRunFolder(folder, false);
        QCOMPARE(int(r.health), int(RunHealth::Ok));
        QCOMPARE(r.status(), std::string("failed"));
        QVERIFY2(r.manifest.stopReason.find("metrics.csv") != std::string::npos, r.manifest.stopReason.c_str());
        // The failure path's finish (and the destructor) leave the record as it is.
        recorder.finish(nullptr, RunState::Failed, "another reason");
        QCOMPARE(readRunFolder(folder, false).manifest.stopReason, r.manifest.stopReason);
    }

    void restartWritesTheNewManifestBeforeRemovingOldFiles()
    {
        recordRun("restarted", 1);
        const std::string folder = root() + "/runs/restarted";
        QVERIFY(QFileInfo::exists(QString::fromStdString(folder + "/metrics.csv")));
        NetworkConfig net;
        net.layerSizes = {784, 8, 10};
        TrainConfig tc;
        RunRecorder again(root() + "/runs", manifestFor("restarted", net, tc));
        const RunRecord r = readRunFolder(folder);
        QCOMPARE(int(r.health), int(RunHealth::Ok));
        QCOMPARE(r.manifest.epochs, 0);
        QVERIFY(!QFileInfo::exists(QString::fromStdString(folder + "/metrics.csv")));
        QVERIFY(!QFileInfo::exists(QString::fromStdString(folder + "/checkpoint.fsck")));
    }

    void liveSettingChangesAreRecorded()
    {
        NetworkConfig net;
        net.layerSizes = {784, 4, 10};
        TrainConfig tc;
        tc.batchSize = 10;
        tc.optimizer.learningRate = 1e-3;
        RunRecorder recorder(root() + "/runs", manifestFor("live-change", net, tc));
        recorder.settingsChanged(0.5, 10, 1e-3); // nothing changed
        recorder.settingsChanged(1.25, 32, 3e-3);
        recorder.settingsChanged(2.5, 32, 1e-4);
        const RunRecord r = readRunFolder(root() + "/runs/live-change", false);
        QCOMPARE(int(r.health), int(RunHealth::Ok));
        QCOMPARE(r.manifest.training.batchSize, 32);
        QCOMPARE(r.manifest.training.optimizer.learningRate, 1e-4);
        const std::vector<SettingChange> &c = r.manifest.settingChanges;
        QCOMPARE(c.size(), std::size_t(3));
        QCOMPARE(c[0].setting, std::string("lr"));
        QCOMPARE(c[0].epochPosition, 1.25);
        QCOMPARE(c[0].from, 1e-3);
        QCOMPARE(c[0].to, 3e-3);
        QCOMPARE(c[1].setting, std::string("batch"));
        QCOMPARE(c[1].from, 10.0);
        QCOMPARE(c[1].to, 32.0);
        QCOMPARE(c[2].setting, std::string("lr"));
        QCOMPARE(c[2].to, 1e-4);
        // A manifest without the list (no changes) reads back with none; a bad entry is refused.
        recorder.finish(nullptr, RunState::Stopped, "test");
        const std::string text = readText(root() + "/runs/live-change/manifest.json");
        RunManifest back = parseManifest(text);
        QCOMPARE(back.settingChanges.size(), std::size_t(3));
        std::string bad = text;
        bad.replace(bad.find("\"setting\":\"batch\""), 17, "\"setting\":\"zzzzz\"");
        QVERIFY_THROWS_EXCEPTION(RunFormatError, parseManifest(bad));
    }

    void scanStopsWhenCancelled()
    {
        const std::string runs = root() + "/cancel-runs";
        for (const char *id : {"a", "b", "c"}) {
            QVERIFY(::mkdir(runs.c_str(), 0755) == 0 || errno == EEXIST);
            QVERIFY(::mkdir((runs + "/" + id).c_str(), 0755) == 0);
        }
        std::atomic<bool> cancel{false};
        QCOMPARE(RunIndex::scan(runs, false, nullptr, &cancel).size(), std::size_t(3));
        cancel = true;
        QVERIFY(RunIndex::scan(runs, false, nullptr, &cancel).empty());
    }

    void jsonReaderIsStrict()
    {
        QVERIFY_THROWS_EXCEPTION(JsonError, JsonValue::parse("{\"a\":1,\"a\":2}"));
        QVERIFY_THROWS_EXCEPTION(JsonError, JsonValue::parse("{\"a\":1} x"));
        QVERIFY_THROWS_EXCEPTION(JsonError, JsonValue::parse("01"));
        QVERIFY_THROWS_EXCEPTION(JsonError, JsonValue::parse("1e999"));
        QVERIFY_THROWS_EXCEPTION(JsonError, JsonValue::parse("\"\\ud800\""));
        const JsonValue v = JsonValue::parse("{\"s\":\"\\u00e9\\n\",\"n\":-1.5e2,\"b\":[true,false,null]}");
        QCOMPARE(v.find("s")->string(), std::string("\xc3\xa9\n"));
        QCOMPARE(v.find("n")->number(), -150.0);
        QCOMPARE(v.find("b")->array().size(), std::size_t(3));
    }

    void runIdsArePlainFolderNames()
    {
        QVERIFY(isValidRunId("sweep-0123abcd"));
        QVERIFY(isValidRunId(newRunId()));
        for (const char *bad : {"", ".hidden", "a/b", "..", "a b", "a\nb"})
            QVERIFY2(!isValidRunId(bad), bad);
        QVERIFY(!isValidRunId(std::string(121, 'a')));
        NetworkConfig net;
        TrainConfig tc;
        QVERIFY_THROWS_EXCEPTION(std::invalid_argument, RunRecorder(root() + "/runs", manifestFor("../escape", net, tc)));
    }
};

QTEST_GUILESS_MAIN(TestRunFolder)
#include "tst_runfolder.moc"

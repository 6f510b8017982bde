// firstspike-cli sweep and the runs `train` records, run as a user runs them: a sweep of 12
// tiny trainings, two at a time, is killed with SIGKILL (its whole process group, the trainings
// included) in the middle of a run; run again, it skips the complete runs, restarts the
// interrupted ones in their folders, and ends with every run complete exactly once.

#include "core/runs/RunIndex.h"

#include "tests/common/RunProgram.h"

#include <QtTest>

#include <csignal>
#include <map>
#include <set>
#include <sys/types.h>
#include <unistd.h>

using namespace firstspike;

namespace {

using Result = firstspike::test::ProgramResult;

Result runProgram(const QString &program, const QStringList &args, int timeoutMs = 60000)
{
    return firstspike::test::runToEnd(program, args, timeoutMs);
}

Result runCli(const QStringList &args, int timeoutMs = 60000)
{
    return runProgram(QStringLiteral(FIRSTSPIKE_CLI_PATH), args, timeoutMs);
}

QString readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()) : QString();
}

} // namespace

class TestSweep : public QObject {
    Q_OBJECT

    QTemporaryDir dir_;

    QStringList sweepArgs(const QString &runsDir) const
    {
        return {"sweep", "--runs-dir", runsDir, "--name", "kill", "--grid", "hidden=12,16", "--grid", "lr=1e-3,2e-3",
                "--seeds", "1-3", "--jobs", "2", "--epochs", "3", "--train-limit", "1500", "--threads", "1",
                "--patience", "0"};
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(dir_.isValid()); }

    void trainRecordsARunUnlessTold()
    {
        const QString runs = dir_.filePath("train-runs");
        Result r = runCli({"train", "--epochs", "1", "--train-limit", "200", "--layers", "784-6-10", "--threads", "1",
                           "--runs-dir", runs, "--run-name", "my first run"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("recorded in " + runs + "/"), qPrintable(r.out));
        std::vector<RunRecord> list = RunIndex::scan(runs.toStdString());
        QCOMPARE(list.size(), std::size_t(1));
        QCOMPARE(list[0].status(), std::string("complete"));
        QCOMPARE(list[0].manifest.name, std::string("my first run"));
        QCOMPARE(list[0].manifest.origin, std::string("cli"));
        QCOMPARE(list[0].manifest.trainLimit, 200);
        QVERIFY(list[0].manifest.command.find("--run-name 'my first run'") != std::string::npos);
        QVERIFY(QFileInfo::exists(QString::fromStdString(list[0].checkpointPath())));
        // The checkpoint is a real one: eval reads it.
        r = runCli({"eval", "--checkpoint", QString::fromStdString(list[0].checkpointPath())});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));

        r = runCli({"train", "--epochs", "1", "--train-limit", "200", "--layers", "784-6-10", "--threads", "1",
                    "--runs-dir", runs, "--no-record", "--quiet"});
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(RunIndex::scan(runs.toStdString()).size(), std::size_t(1));

        // $FIRSTSPIKE_RUNS_DIR is the default folder (ctest sets it for every test).
        QVERIFY(!qEnvironmentVariable("FIRSTSPIKE_RUNS_DIR").isEmpty());
        r = runCli({"train", "--epochs", "1", "--train-limit", "100", "--layers", "784-4-10", "--threads", "1", "--quiet",
                    "--run-id", "from-env"});
        QCOMPARE(r.exitCode, 0);
        QVERIFY(QFileInfo::exists(qEnvironmentVariable("FIRSTSPIKE_RUNS_DIR") + "/from-env/manifest.json"));

        r = runCli({"train", "--run-id", "../x", "--epochs", "1", "--runs-dir", runs});
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.err.contains("not a plain folder name"), qPrintable(r.err));

        // A setting named twice in --sweep-values is refused before anything is recorded.
        r = runCli({"train", "--epochs", "1", "--train-limit", "100", "--layers", "784-4-10", "--threads", "1", "--quiet",
                    "--runs-dir", runs, "--run-id", "twice", "--sweep", "s", "--sweep-values", "lr=0.001;lr=0.002"});
        QVERIFY(r.exitCode != 0);
        QVERIFY2(r.err.contains("--sweep-values") && r.err.contains("given twice"), qPrintable(r.err));
        QVERIFY(!QFileInfo::exists(runs + "/twice"));
    }

    void refusesBadSweepsBeforeStartingAnything()
    {
        const QString runs = dir_.filePath("bad");
        for (const QStringList &args :
             {QStringList{"--grid", "lr=5000"}, QStringList{"--grid", "colour=red"}, QStringList{"--grid", "lr=1e-3", "--seed", "2"},
              QStringList{"--grid", "hidden=10", "--epochs", "0"}, QStringList{"--grid", "lr=1e-3", "--bogus"},
              QStringList{"--range", "lr=1e-4:1e-2"}, QStringList{"--epochs", "2"}}) {
            const Result r = runCli(QStringList{"sweep", "--runs-dir", runs} + args);
            QVERIFY2(r.exitCode == 2, qPrintable(args.join(' ') + ": " + r.err));
            QCOMPARE(r.err.trimmed().count('\n'), 0);
            QVERIFY(r.err.startsWith("firstspike-cli sweep: "));
        }
        QVERIFY(!QFileInfo::exists(runs));
    }

    void printCommandsForAScheduler()
    {
        const QString runs = dir_.filePath("printed");
        const Result r = runCli(sweepArgs(runs) + QStringList{"--print-commands"});
        QCOMPARE(r.exitCode, 0);
        const QStringList lines = r.out.trimmed().split('\n');
        QCOMPARE(lines.size(), 12);
        std::set<QString> ids;
        for (const QString &line : lines) {
            QVERIFY2(line.contains(" train --quiet --skip-if-complete --runs-dir " + runs + " --run-id kill-"), qPrintable(line));
            ids.insert(line.section("--run-id ", 1).section(' ', 0, 0));
        }
        QCOMPARE(ids.size(), std::size_t(12));
        QVERIFY(!QFileInfo::exists(runs)); // nothing ran

        // One printed command, run twice by a shell as a scheduler would: the second exits at once.
        QVERIFY(lines[0].startsWith(QStringLiteral(FIRSTSPIKE_CLI_PATH) + " train"));
        const Result first = runProgram("/bin/sh", {"-c", lines[0]});
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        const QString id = lines[0].section("--run-id ", 1).section(' ', 0, 0);
        const QString manifest = readAll(runs + "/" + id + "/manifest.json");
        QVERIFY(manifest.contains("\"state\":\"complete\""));
        QVERIFY2(manifest.contains("\"name\":\"hidden=12 lr=0.001 seed=1\""), qPrintable(manifest));
        const Result again = runProgram("/bin/sh", {"-c", lines[0]});
        QCOMPARE(again.exitCode, 0);
        QCOMPARE(readAll(runs + "/" + id + "/manifest.json"), manifest);
    }

    void resumesAfterKillWithoutDuplicatesOrLosses()
    {
        const QString runs = dir_.filePath("killed");
        QProcess sweep;
        sweep.setChildProcessModifier([] { ::setpgid(0, 0); }); // its own group: kill it whole
        sweep.start(QStringLiteral(FIRSTSPIKE_CLI_PATH), sweepArgs(runs));
        QVERIFY(sweep.waitForStarted());
        const pid_t group = static_cast<pid_t>(sweep.processId());

        // Wait for a moment with some runs complete and one in the middle of its epochs. The
        // whole group is stopped (SIGSTOP) before the folder is read, so that what the scan sees
        // is what the kill leaves; when it is not such a moment, the group goes on (SIGCONT).
        auto scanMidRun = [&] {
            int complete = 0;
            bool running = false;
            for (const RunRecord &r : RunIndex::scan(runs.toStdString(), false)) {
                complete += r.status() == "complete";
                running = running || (r.status() == "running" && r.manifest.epochs >= 1);
            }
            return complete >= 2 && running;
        };
        QElapsedTimer clock;
        clock.start();
        bool midRun = false;
        while (!midRun && clock.elapsed() < 120000 && sweep.state() == QProcess::Running) {
            if (!scanMidRun()) {
                QThread::msleep(5);
                continue;
            }
            QCOMPARE(::kill(-group, SIGSTOP), 0);
            midRun = scanMidRun();
            if (!midRun)
                QCOMPARE(::kill(-group, SIGCONT), 0);
        }
        QVERIFY2(midRun, "the sweep never had a run in the middle of its epochs");
        QCOMPARE(::kill(-group, SIGKILL), 0);
        QVERIFY(sweep.waitForFinished(10000));
        QCOMPARE(sweep.exitStatus(), QProcess::CrashExit);

        // What the kill left: complete runs, and at least one interrupted with its epochs kept.
        std::map<std::string, QString> completeBefore; // id -> manifest text
        int interrupted = 0;
        QElapsedTimer settle;
        settle.start();
        std::vector<RunRecord> after;
        do { // the killed trainings' locks go with their processes
            after = RunIndex::scan(runs.toStdString());
            interrupted = 0;
            bool live = false;
            for (const RunRecord &r : after) {
                interrupted += r.status() == "interrupted";
                live = live || r.live;
            }
            if (!live)
                break;
            QThread::msleep(20);
        } while (settle.elapsed() < 5000);
        for (const RunRecord &r : after) {
            QVERIFY2(r.health == RunHealth::Ok, r.problem.c_str());
            QVERIFY(!r.live);
            if (r.status() == "complete")
                completeBefore[r.id] = readAll(QString::fromStdString(r.folder) + "/manifest.json");
            if (r.status() == "interrupted") {
                // metrics.csv is written before the manifest at an epoch's end: a kill between
                // the two leaves one row more than the manifest counts.
                QVERIFY(int(r.history.size()) == r.manifest.epochs || int(r.history.size()) == r.manifest.epochs + 1);
                QCOMPARE(r.manifest.pid > 0, true);
            }
        }
        QVERIFY(completeBefore.size() >= 2);
        QVERIFY2(interrupted >= 1, "no run was interrupted by the kill");
        QVERIFY(completeBefore.size() < 12);

        // Run the same sweep again.
        const Result again = runCli(sweepArgs(runs), 120000);
        QVERIFY2(again.exitCode == 0, qPrintable(again.out + again.err));
        QVERIFY2(again.out.contains(QString("12 runs in %1: %2 complete").arg(runs).arg(completeBefore.size())),
                 qPrintable(again.out));
        QVERIFY2(again.out.contains("sweep kill: 12 of 12 runs complete"), qPrintable(again.out));

        // Exactly the 12 runs of the sweep, each complete once; the ones complete before the
        // kill untouched; no temporary file of a killed write left behind.
        const Result listed = runCli(sweepArgs(runs) + QStringList{"--dry-run"});
        std::set<std::string> expected;
        for (const QString &line : listed.out.split('\n'))
            if (line.startsWith("done "))
                expected.insert(line.simplified().section(' ', 1, 1).toStdString());
        QCOMPARE(expected.size(), std::size_t(12));
        const std::vector<RunRecord> final = RunIndex::scan(runs.toStdString());
        QCOMPARE(final.size(), std::size_t(12));
        std::set<std::string> seen;
        std::set<std::pair<std::string, std::uint64_t>> settings;
        for (const RunRecord &r : final) {
            QCOMPARE(r.status(), std::string("complete"));
            QVERIFY(expected.count(r.id));
            QVERIFY(seen.insert(r.id).second);
            QCOMPARE(int(r.history.size()), 3);
            QVERIFY(!r.batches.empty());
            QVERIFY(QFileInfo::exists(QString::fromStdString(r.checkpointPath())));
            std::string values;
            for (const auto &[k, v] : r.manifest.sweepValues)
                values += k + "=" + v + ";";
            QVERIFY(settings.insert({values, r.manifest.training.seed}).second); // no two runs alike
            QCOMPARE(r.manifest.sweep, std::string("kill"));
            if (completeBefore.count(r.id))
                QCOMPARE(readAll(QString::fromStdString(r.folder) + "/manifest.json"), completeBefore[r.id]);
            const QStringList leftovers = QDir(QString::fromStdString(r.folder)).entryList({".*.tmp"}, QDir::Files | QDir::Hidden);
            QVERIFY2(leftovers.isEmpty(), qPrintable(leftovers.join(' ')));
        }
        QCOMPARE(settings.size(), std::size_t(12));
    }
};

QTEST_GUILESS_MAIN(TestSweep)
#include "tst_sweep.moc"

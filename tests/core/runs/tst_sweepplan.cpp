// Sweep expansion (core/runs/SweepPlan): grids, seeds, random search over ranges, the
// deterministic run ids that let a sweep resume, and the refusals of values the trainer would
// refuse; and the Pareto front of the Runs tab's scatter.

#include "core/runs/ParetoFront.h"
#include "core/runs/RunRecorder.h"
#include "core/runs/SweepPlan.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <set>

using namespace firstspike;

class TestSweepPlan : public QObject {
    Q_OBJECT

    static SweepSpec gridSpec()
    {
        SweepSpec s;
        s.grid.push_back(SweepPlan::parseGrid("hidden=400,800"));
        s.grid.push_back(SweepPlan::parseGrid("lr=1e-3,3e-3"));
        s.seeds = SweepPlan::parseSeeds("1-3");
        s.sharedArgs = {"--epochs", "2"};
        return s;
    }

    static std::string value(const SweepPoint &p, const std::string &name)
    {
        for (const auto &[k, v] : p.values)
            if (k == name)
                return v;
        return {};
    }

private Q_SLOTS:
    void gridTimesSeeds()
    {
        const std::vector<SweepPoint> points = SweepPlan::expand(gridSpec());
        QCOMPARE(points.size(), std::size_t(12));
        // First axis slowest, seeds fastest.
        QCOMPARE(value(points[0], "hidden"), std::string("400"));
        QCOMPARE(value(points[0], "lr"), std::string("0.001"));
        QCOMPARE(points[0].seed, 1ull);
        QCOMPARE(points[2].seed, 3ull);
        QCOMPARE(value(points[3], "lr"), std::string("0.003"));
        QCOMPARE(value(points[11], "hidden"), std::string("800"));
        QCOMPARE(points[0].name, std::string("hidden=400 lr=0.001 seed=1"));
        const std::vector<std::string> args = points[0].trainArgs;
        const std::vector<std::string> expected = {"--epochs", "2", "--layers", "784-400-10", "--lr", "0.001", "--seed", "1"};
        QCOMPARE(args, expected);
        std::set<std::string> ids;
        for (const SweepPoint &p : points) {
            QVERIFY(isValidRunId(p.id));
            QVERIFY(p.id.rfind("sweep-", 0) == 0);
            ids.insert(p.id);
        }
        QCOMPARE(ids.size(), std::size_t(12));
    }

    void idsAreStableAndDependOnEverySetting()
    {
        const std::vector<SweepPoint> a = SweepPlan::expand(gridSpec());
        const std::vector<SweepPoint> b = SweepPlan::expand(gridSpec());
        for (std::size_t i = 0; i < a.size(); ++i)
            QCOMPARE(a[i].id, b[i].id);
        // The same values written differently are the same run.
        SweepSpec other = gridSpec();
        other.grid[1] = SweepPlan::parseGrid("lr=0.001,0.0030");
        QCOMPARE(SweepPlan::expand(other)[0].id, a[0].id);
        // Other shared options or another sweep name: other runs.
        SweepSpec longer = gridSpec();
        longer.sharedArgs = {"--epochs", "3"};
        QVERIFY(SweepPlan::expand(longer)[0].id != a[0].id);
        SweepSpec renamed = gridSpec();
        renamed.name = "other";
        QCOMPARE(SweepPlan::expand(renamed)[0].id.substr(0, 6), std::string("other-"));
    }

    void idsIgnoreOptionsThatDoNotChangeResults()
    {
        SweepSpec base = gridSpec();
        base.sharedArgs = {"--epochs", "2", "--lr-floor", "1e-5", "--threads", "4", "--no-bias"};
        const std::string id = SweepPlan::expand(base)[0].id;
        // Another thread count, --quiet: the same runs.
        SweepSpec same = base;
        same.sharedArgs = {"--threads", "1", "--quiet", "--epochs", "2", "--no-bias", "--lr-floor", "1e-5"};
        QCOMPARE(SweepPlan::expand(same)[0].id, id);
        // The options in another order, a value written differently, the --name=value form.
        same.sharedArgs = {"--no-bias", "--lr-floor=0.00001", "--epochs", "02"};
        QCOMPARE(SweepPlan::expand(same)[0].id, id);
        // Without --threads at all.
        same.sharedArgs = {"--epochs", "2", "--lr-floor", "1e-5", "--no-bias"};
        QCOMPARE(SweepPlan::expand(same)[0].id, id);
        // A setting that changes results gives other runs: another value, or a switch removed.
        SweepSpec other = base;
        other.sharedArgs = {"--epochs", "2", "--lr-floor", "2e-5", "--threads", "4", "--no-bias"};
        QVERIFY(SweepPlan::expand(other)[0].id != id);
        other.sharedArgs = {"--epochs", "2", "--lr-floor", "1e-5", "--threads", "4"};
        QVERIFY(SweepPlan::expand(other)[0].id != id);
        // The runs still get the arguments as given.
        const std::vector<std::string> args = SweepPlan::expand(base)[0].trainArgs;
        QVERIFY(std::find(args.begin(), args.end(), "--threads") != args.end());
    }

    void seedLists()
    {
        QCOMPARE(SweepPlan::parseSeeds("1-3,7"), (std::vector<std::uint64_t>{1, 2, 3, 7}));
        QCOMPARE(SweepPlan::parseSeeds("5,5,2"), (std::vector<std::uint64_t>{5, 2}));
        QCOMPARE(SweepPlan::parseSeeds("18446744073709551615"), (std::vector<std::uint64_t>{18446744073709551615ull}));
        for (const char *bad : {"3-1", "abc", "", "1-", "-1", "0-200000"})
            QVERIFY_THROWS_EXCEPTION(SweepError, SweepPlan::parseSeeds(bad));
    }

    void refusedValuesNameTheSetting_data()
    {
        QTest::addColumn<QString>("grid");
        QTest::addColumn<QString>("reason");
        QTest::newRow("unknown") << "colour=red" << "'colour' is not a setting";
        QTest::newRow("lr range") << "lr=1e-3,5000" << "5000 is outside";
        QTest::newRow("not a number") << "lr=abc" << "'abc'";
        QTest::newRow("nan") << "lr=nan" << "not a finite number";
        QTest::newRow("choice") << "encoding=latency,morse" << "'morse' is not one of latency|binary";
        QTest::newRow("batch") << "batch=0" << "0 is outside";
        QTest::newRow("hidden") << "hidden=0" << "layer size 0";
        QTest::newRow("twice") << "lr=0.001,1e-3" << "given twice";
        QTest::newRow("no values") << "lr=" << "NAME=VALUES";
    }
    void refusedValuesNameTheSetting()
    {
        QFETCH(QString, grid);
        QFETCH(QString, reason);
        try {
            SweepPlan::parseGrid(grid.toStdString());
            QFAIL("accepted");
        } catch (const SweepError &e) {
            QVERIFY2(QString::fromUtf8(e.what()).contains(reason), e.what());
        }
    }

    void randomSearchIsSeededAndLogUniform()
    {
        SweepSpec s;
        s.randomCount = 200;
        s.ranges.push_back(SweepPlan::parseRange("lr=1e-4:1e-2:log"));
        s.ranges.push_back(SweepPlan::parseRange("batch=5:20"));
        s.grid.push_back(SweepPlan::parseGrid("encoding=latency,binary"));
        const std::vector<SweepPoint> a = SweepPlan::expand(s);
        QVERIFY(a.size() >= 195); // a repeated draw runs once
        int below = 0, binary = 0;
        for (const SweepPoint &p : a) {
            const double lr = std::stod(value(p, "lr"));
            QVERIFY(lr >= 1e-4 && lr <= 1e-2);
            const int batch = std::stoi(value(p, "batch"));
            QVERIFY(batch >= 5 && batch <= 20);
            below += lr < 1e-3;
            binary += value(p, "encoding") == "binary";
        }
        // Log-uniform: half the draws below the geometric middle (uniform would give 9 %).
        QVERIFY2(below > int(a.size()) * 3 / 10 && below < int(a.size()) * 7 / 10, qPrintable(QString::number(below)));
        QVERIFY(binary > 40 && binary < 160);
        // The same generator seed draws the same points; another draws others.
        const std::vector<SweepPoint> again = SweepPlan::expand(s);
        QCOMPARE(again.size(), a.size());
        for (std::size_t i = 0; i < a.size(); ++i)
            QCOMPARE(again[i].id, a[i].id);
        s.randomSeed = 2;
        QVERIFY(SweepPlan::expand(s)[0].id != a[0].id);
    }

    void rangeRefusals()
    {
        for (const char *bad : {"lr=1e-2:1e-4", "lr=0:1e-2:log", "encoding=0:1", "lr=1e-4", "lr=1e-4:1e-2:cubic",
                                "lr=1e-4:5000"})
            QVERIFY_THROWS_EXCEPTION(SweepError, SweepPlan::parseRange(bad));
        SweepSpec s;
        s.ranges.push_back(SweepPlan::parseRange("lr=1e-4:1e-2"));
        QVERIFY_THROWS_EXCEPTION(SweepError, SweepPlan::expand(s)); // a range without --random
    }

    void sharedOptionsThatCollideAreRefused()
    {
        SweepSpec s = gridSpec();
        s.sharedArgs = {"--seed", "4"};
        QVERIFY_THROWS_EXCEPTION(SweepError, SweepPlan::expand(s));
        s.sharedArgs = {"--lr", "0.01"};
        QVERIFY_THROWS_EXCEPTION(SweepError, SweepPlan::expand(s));
        s.sharedArgs = {"--layers", "784-100-10"}; // hidden is swept
        QVERIFY_THROWS_EXCEPTION(SweepError, SweepPlan::expand(s));
        s.sharedArgs = {"--save", "x.fsck"};
        QVERIFY_THROWS_EXCEPTION(SweepError, SweepPlan::expand(s));
        s = gridSpec();
        s.grid.push_back(SweepPlan::parseGrid("lr=0.01"));
        QVERIFY_THROWS_EXCEPTION(SweepError, SweepPlan::expand(s)); // lr twice
        s = gridSpec();
        s.name = "bad/name";
        QVERIFY_THROWS_EXCEPTION(SweepError, SweepPlan::expand(s));
        s = gridSpec();
        s.seeds = SweepPlan::parseSeeds("1-99999");
        s.grid.push_back(SweepPlan::parseGrid("batch=1,2,3"));
        QVERIFY_THROWS_EXCEPTION(SweepError, SweepPlan::expand(s)); // beyond kMaxPoints
    }

    void hiddenLayers()
    {
        QCOMPARE(SweepPlan::canonicalValue("hidden", "400-400"), std::string("400-400"));
        SweepSpec s;
        s.grid.push_back(SweepPlan::parseGrid("hidden=400-400,100"));
        const std::vector<SweepPoint> p = SweepPlan::expand(s);
        QCOMPARE(p[0].trainArgs[1], std::string("784-400-400-10"));
        QCOMPARE(p[1].trainArgs[1], std::string("784-100-10"));
    }

    void paretoFront()
    {
        // cost (lower is better), value (higher is better)
        const std::vector<double> cost = {0.5, 0.3, 0.8, 0.3, 0.9, NAN, 0.1};
        const std::vector<double> value = {90, 85, 95, 80, 94, 99, 70};
        const std::vector<std::size_t> front = ParetoFront::indices(cost, value);
        QCOMPARE(front, (std::vector<std::size_t>{6, 1, 0, 2}));
        QVERIFY(ParetoFront::indices({}, {}).empty());
        QCOMPARE(ParetoFront::indices({1, 1}, {5, 5}), (std::vector<std::size_t>{0}));
    }
};

QTEST_GUILESS_MAIN(TestSweepPlan)
#include "tst_sweepplan.moc"

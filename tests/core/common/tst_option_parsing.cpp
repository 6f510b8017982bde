// Command-line values are parsed strictly, the same way by firstspike-cli and the desktop
// application: the whole text or a refusal naming the option, never a silent 0, a wrapped
// integer, NaN or a value outside its range.

#include "core/common/OptionParsing.h"
#include "core/training/SettingsLimits.h"

#include <QtTest>

#include <cmath>
#include <limits>
#include <vector>

using namespace firstspike;

namespace {

// The message of the OptionError `parse` throws; "" when it throws nothing.
template <typename F> QString refusal(F parse)
{
    try {
        parse();
    } catch (const OptionError &e) {
        return QString::fromStdString(e.what());
    }
    return {};
}

} // namespace

class TestOptionParsing : public QObject {
    Q_OBJECT

private slots:
    void integers()
    {
        QCOMPARE(parseIntOption("--sample", "0", 0, 2003), 0LL);
        QCOMPARE(parseIntOption("--sample", "2003", 0, 2003), 2003LL);
        QCOMPARE(parseIntOption("--epochs", "+7", 1, 10), 7LL);
        QCOMPARE(parseIntOption("--x", "-5", -10, 10), -5LL);
        QCOMPARE(refusal([] { parseIntOption("--sample", "abc", 0, 2003); }), QString("--sample: 'abc' is not an integer"));
        QCOMPARE(refusal([] { parseIntOption("--sample", "999999", 0, 2003); }),
                 QString("--sample: 999999 is outside 0..2003"));
        QCOMPARE(refusal([] { parseIntOption("--sample", "-1", 0, 2003); }), QString("--sample: -1 is outside 0..2003"));
        for (const char *bad : {"", " 5", "5 ", "5x", "1.5", "1e3", "0x10", "--5", "+", "-", "++5"})
            QVERIFY2(refusal([&] { parseIntOption("--n", bad, 0, 100000); }).contains("is not an integer"), bad);
        // Beyond long long: refused as out of range, not wrapped.
        QCOMPARE(refusal([] { parseIntOption("--n", "99999999999999999999", 0, 10); }),
                 QString("--n: '99999999999999999999' is outside 0..10"));
        // Message stays one short line, whatever was pasted.
        const QString long_ = refusal([] { parseIntOption("--n", std::string(5000, 'a') + "\n", 0, 1); });
        QVERIFY(long_.size() < 100);
        QVERIFY(!long_.contains('\n'));
    }

    void seeds()
    {
        QCOMPARE(parseUInt64Option("--seed", "1"), std::uint64_t{1});
        QCOMPARE(parseUInt64Option("--seed", "18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
        QCOMPARE(refusal([] { parseUInt64Option("--seed", "18446744073709551616"); }),
                 QString("--seed: '18446744073709551616' is outside 0..18446744073709551615"));
        QCOMPARE(refusal([] { parseUInt64Option("--seed", "99999999999999999999"); }),
                 QString("--seed: '99999999999999999999' is outside 0..18446744073709551615"));
        QCOMPARE(refusal([] { parseUInt64Option("--seed", "-1"); }),
                 QString("--seed: '-1' is outside 0..18446744073709551615"));
        QCOMPARE(refusal([] { parseUInt64Option("--seed", "one"); }), QString("--seed: 'one' is not an integer"));
        QCOMPARE(refusal([] { parseUInt64Option("--seed", "12 "); }), QString("--seed: '12 ' is not an integer"));
    }

    void reals()
    {
        QCOMPARE(parseDoubleOption("--dpi", "192", 10, 2400), 192.0);
        QCOMPARE(parseDoubleOption("--lr", "1e-3", limits::kLearningRate), 1e-3);
        QCOMPARE(parseDoubleOption("--lr", "+0.5", limits::kLearningRate), 0.5);
        QCOMPARE(parseDoubleOption("--l2", "1e-400", limits::kL2), 0.0); // underflow: zero, in range
        QCOMPARE(refusal([] { parseDoubleOption("--lr", "fast", limits::kLearningRate); }),
                 QString("--lr: 'fast' is not a number"));
        QCOMPARE(refusal([] { parseDoubleOption("--lr", "2000", limits::kLearningRate); }),
                 QString("--lr: 2000 is outside 0..1000"));
        for (const char *bad : {"nan", "NaN", "-nan", "inf", "-inf", "infinity", "1e400", "-1e999"})
            QVERIFY2(refusal([&] { parseDoubleOption("--dpi", bad, 10, 2400); }).endsWith("is not a finite number"), bad);
        for (const char *bad : {"", "1.5.2", "3,5", "0x10", " 1", "1 ", "1e", "1d", "96dpi"})
            QVERIFY2(refusal([&] { parseDoubleOption("--dpi", bad, 10, 2400); }).endsWith("is not a number"), bad);
        QCOMPARE(refusal([] { parseDoubleOption("--dpi", "5", 10, 2400); }), QString("--dpi: 5 is outside 10..2400"));
    }

    void layers()
    {
        QCOMPARE(parseLayersOption("--layers", "784-800-10"), (std::vector<int>{784, 800, 10}));
        QCOMPARE(parseLayersOption("--layers", "784x30,10"), (std::vector<int>{784, 30, 10}));
        QCOMPARE(refusal([] { parseLayersOption("--layers", "784-x-10"); }), QString("--layers: '784-x-10' is not like 784-800-10"));
        QCOMPARE(refusal([] { parseLayersOption("--layers", "784-2000000-10"); }),
                 QString("--layers: layer size 2000000 is outside 1..1000000"));
        QCOMPARE(refusal([] { parseLayersOption("--layers", "784-99999999999999999999-10"); }),
                 QString("--layers: layer size 99999999999999999999 is outside 1..1000000"));
        QCOMPARE(refusal([] { parseLayersOption("--layers", "784-0-10"); }), QString("--layers: layer size 0 is outside 1..1000000"));
        QCOMPARE(refusal([] { parseLayersOption("--layers", "784"); }),
                 QString("--layers: a network needs at least an input and an output layer"));
        std::string many = "784";
        for (int i = 0; i < 70; ++i)
            many += "-10";
        QCOMPARE(refusal([&] { parseLayersOption("--layers", many); }), QString("--layers: 71 layers exceed the limit of 64"));
        for (const char *bad : {"", "-", "784-", "-784-10", "784--10", "784-10 ", "784-1.5-10"})
            QVERIFY2(refusal([&] { parseLayersOption("--layers", bad); }).contains("is not like 784-800-10"), bad);
    }

    void sizes()
    {
        const SizeOption s = parseSizeOption("--size", "1280x800", 320, 240, 16384, 67108864);
        QCOMPARE(s.width, 1280);
        QCOMPARE(s.height, 800);
        QCOMPARE(parseSizeOption("--size", "320X240", 320, 240, 16384, 67108864).height, 240);
        QCOMPARE(refusal([] { parseSizeOption("--size", "100000x100000", 320, 240, 16384, 67108864); }),
                 QString("--size: '100000x100000' is larger than 16384 pixels a side"));
        QCOMPARE(refusal([] { parseSizeOption("--size", "99999999999999999999x800", 320, 240, 16384, 67108864); }),
                 QString("--size: '99999999999999999999x800' is larger than 16384 pixels a side"));
        QCOMPARE(refusal([] { parseSizeOption("--size", "16384x16384", 320, 240, 16384, 67108864); }),
                 QString("--size: '16384x16384' has 268435456 pixels, more than the limit of 67108864"));
        QCOMPARE(refusal([] { parseSizeOption("--size", "100x100", 320, 240, 16384, 67108864); }),
                 QString("--size: '100x100' is smaller than 320x240"));
        for (const char *bad : {"", "x", "1280", "1280x", "x800", "1280x800x2", "1280*800", "12a0x800", " 1280x800",
                                "1280.5x800", "-1280x800"})
            QVERIFY2(!refusal([&] { parseSizeOption("--size", bad, 320, 240, 16384, 67108864); }).isEmpty(), bad);
    }
};

QTEST_GUILESS_MAIN(TestOptionParsing)
#include "tst_option_parsing.moc"

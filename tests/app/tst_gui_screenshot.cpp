// The main window renders to a PNG after some training, offscreen, with curves, weight tiles and
// labels in it; and `firstspike --screenshot FILE` does the same from the command line.

#include "ui/curves/CurvesView.h"
#include "core/data/IdxReader.h"
#include "ui/window/MainWindow.h"
#include "ui/inspect/SamplePanel.h"
#include "ui/training/TrainingController.h"
#include "ui/weights/WeightMapView.h"

#include <QDir>
#include <QFileInfo>
#include <QFontDatabase>
#include <QImage>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace firstspike;

namespace {

// Pixels within `tolerance` (per channel) of `color`.
int countColor(const QImage &image, QColor color, int tolerance = 24)
{
    const QImage img = image.convertToFormat(QImage::Format_RGB32);
    int n = 0;
    for (int y = 0; y < img.height(); ++y) {
        const auto *line = reinterpret_cast<const QRgb *>(img.constScanLine(y));
        for (int x = 0; x < img.width(); ++x)
            if (std::abs(qRed(line[x]) - color.red()) <= tolerance && std::abs(qGreen(line[x]) - color.green()) <= tolerance
                && std::abs(qBlue(line[x]) - color.blue()) <= tolerance)
                ++n;
    }
    return n;
}

// Pixels that are clearly red (positive weights) or clearly blue (negative weights).
std::pair<int, int> countRedBlue(const QImage &image)
{
    const QImage img = image.convertToFormat(QImage::Format_RGB32);
    int red = 0, blue = 0;
    for (int y = 0; y < img.height(); ++y) {
        const auto *line = reinterpret_cast<const QRgb *>(img.constScanLine(y));
        for (int x = 0; x < img.width(); ++x) {
            const int r = qRed(line[x]), b = qBlue(line[x]);
            red += r - b > 60 ? 1 : 0;
            blue += b - r > 60 ? 1 : 0;
        }
    }
    return {red, blue};
}

// Dark pixels (text, axes) in a region.
int countDark(const QImage &image)
{
    const QImage img = image.convertToFormat(QImage::Format_RGB32);
    int n = 0;
    for (int y = 0; y < img.height(); ++y) {
        const auto *line = reinterpret_cast<const QRgb *>(img.constScanLine(y));
        for (int x = 0; x < img.width(); ++x)
            n += qGray(line[x]) < 140 ? 1 : 0;
    }
    return n;
}

QString outputPath(const QString &name)
{
    // Kept next to the test binary so a person can look at them after the run.
    return QDir(QCoreApplication::applicationDirPath()).filePath(name);
}

} // namespace

class TestScreenshot : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY2(!QFontDatabase::families().isEmpty(), "no fonts installed: every glyph would render as a box");
    }

    void windowRendersCurvesTilesAndLabels()
    {
        MainWindowOptions o;
        o.useSettings = false;
        o.data = std::make_shared<const DataSplit>(loadEmbeddedMnist());
        RunConfig c;
        c.trainLimit = 300; // 270 training digits an epoch after the validation carve
        c.testLimit = 300;
        o.config = c;
        MainWindow w(o);
        w.resize(1280, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QSignalSpy done(w.controller(), &TrainingController::stepsDone);
        w.controller()->trainSteps(140); // a little over 5 epochs of mini-batches of 10
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 60000);
        QCOMPARE(w.controller()->state(), TrainingController::State::Paused);
        QTest::qWait(3 * MainWindow::kRefreshMs);
        w.refreshViews();
        QCOMPARE(w.latestSnapshot()->step, 140LL);
        QVERIFY(w.curvesView()->epochCount() >= 5);

        const QImage window = w.grab().toImage();
        QVERIFY(window.save(outputPath(QStringLiteral("tst_gui_screenshot-window.png"))));
        QCOMPARE(window.size(), QSize(1280, 800) * w.devicePixelRatio());

        const QImage loss = w.curvesView()->lossChart()->grab().toImage();
        const QImage accuracy = w.curvesView()->accuracyChart()->grab().toImage();
        const QImage weights = w.weightsPanel()->grab().toImage();
        const QImage sample = w.samplePanel()->grab().toImage();
        loss.save(outputPath(QStringLiteral("tst_gui_screenshot-loss.png")));
        weights.save(outputPath(QStringLiteral("tst_gui_screenshot-weights.png")));
        sample.save(outputPath(QStringLiteral("tst_gui_screenshot-sample.png")));

        // Curves: the smoothed mini-batch loss (blue), epoch markers (orange train, green test).
        QVERIFY2(countColor(loss, QColor(31, 119, 180)) > 100, "no smoothed loss curve");
        QVERIFY2(countColor(loss, QColor(255, 127, 14)) > 30, "no per-epoch train loss");
        QVERIFY2(countColor(accuracy, QColor(44, 160, 44)) > 30, "no per-epoch test accuracy");
        // Labels: axis titles, tick labels and chart titles are dark text.
        QVERIFY2(countDark(loss) > 300, qPrintable(QString::number(countDark(loss))));
        QVERIFY2(countDark(accuracy) > 300, qPrintable(QString::number(countDark(accuracy))));
        // Weight tiles: excitatory (red) and inhibitory (blue) weights after training.
        const auto [red, blue] = countRedBlue(weights);
        QVERIFY2(red > 2000, qPrintable(QString::number(red)));
        QVERIFY2(blue > 200, qPrintable(QString::number(blue)));
        // Test sample: the verdict in green (correct) or red (wrong), the digit, the bars.
        QVERIFY(countColor(sample, QColor(44, 160, 44)) + countColor(sample, QColor(214, 39, 40)) > 100);
        QVERIFY(countColor(sample, QColor(120, 150, 190)) > 200);
        QVERIFY(!w.samplePanel()->summary().isEmpty());
    }

    void commandLineScreenshot()
    {
        const QString exe = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("../app/firstspike"));
        if (!QFileInfo(exe).isExecutable())
            QSKIP("the firstspike executable is not built next to the tests");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString png = dir.filePath(QStringLiteral("shot.png"));
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        p.setProcessEnvironment(env);
        p.start(exe, {QStringLiteral("--screenshot"), png, QStringLiteral("--steps"), QStringLiteral("60"),
                      QStringLiteral("--train-limit"), QStringLiteral("300"), QStringLiteral("--views"),
                      dir.filePath(QStringLiteral("view"))});
        QVERIFY(p.waitForFinished(120000));
        QCOMPARE(p.exitStatus(), QProcess::NormalExit);
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        QImage image(png);
        QVERIFY(!image.isNull());
        QCOMPARE(image.size(), QSize(1280, 800));
        for (const char *view : {"curves", "weights", "sample", "settings"})
            QVERIFY(QFileInfo::exists(dir.filePath(QStringLiteral("view-%1.png").arg(QLatin1String(view)))));
        const QString out = QString::fromUtf8(p.readAllStandardOutput());
        QVERIFY2(out.contains(QStringLiteral("Paused")) && out.contains(QStringLiteral("epoch")), qPrintable(out));
        image.save(outputPath(QStringLiteral("tst_gui_screenshot-cli.png")));
    }

    void screenshotIsNeverWrittenThroughALink()
    {
        // --screenshot goes through writeFileSafely, and the target is checked before any
        // training: a symbolic link (or a folder) there is refused, its target left as it was.
        const QString exe = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("../app/firstspike"));
        if (!QFileInfo(exe).isExecutable())
            QSKIP("the firstspike executable is not built next to the tests");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString target = dir.filePath(QStringLiteral("target.txt"));
        {
            QFile t(target);
            QVERIFY(t.open(QIODevice::WriteOnly));
            t.write("keep me\n");
        }
        const QString link = dir.filePath(QStringLiteral("shot.png"));
        QVERIFY(QFile::link(target, link));
        for (const QString &path : {link, dir.path()}) {
            QProcess p;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
            p.setProcessEnvironment(env);
            p.start(exe, {QStringLiteral("--screenshot"), path, QStringLiteral("--steps"), QStringLiteral("1"),
                          QStringLiteral("--train-limit"), QStringLiteral("50")});
            QVERIFY(p.waitForFinished(60000));
            QCOMPARE(p.exitStatus(), QProcess::NormalExit);
            QVERIFY2(p.exitCode() >= 1 && p.exitCode() <= 127, qPrintable(QString::number(p.exitCode())));
            const QString err = QString::fromUtf8(p.readAllStandardError());
            QVERIFY2(err.contains(path + QStringLiteral(": is a ")), qPrintable(err));
        }
        QFile t(target);
        QVERIFY(t.open(QIODevice::ReadOnly));
        QCOMPARE(t.readAll(), QByteArray("keep me\n"));
        QVERIFY(QFileInfo(link).isSymLink());
    }
};

QTEST_MAIN(TestScreenshot)
#include "tst_gui_screenshot.moc"

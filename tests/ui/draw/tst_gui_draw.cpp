// The drawing pad on its own: a stroke drawn with QTest mouse events lands in the network input
// centred by centre of mass (MNIST's preprocessing); undo, redo and clear; mouse moves coalesced
// into few updates; the right button erases; arrow keys shift; noise; a dropped test digit is
// taken as it is; PNG and IDX exports hold the digit (the IDX read back with IdxReader).

#include "core/data/IdxReader.h"
#include "core/data/MnistPreprocess.h"
#include "ui/draw/DrawPanel.h"
#include "ui/draw/DrawingPad.h"

#include <QDropEvent>
#include <QFile>
#include <QMimeData>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>

using namespace firstspike;

namespace {

int ink(const std::vector<std::uint8_t> &digit)
{
    int n = 0;
    for (std::uint8_t v : digit)
        n += v;
    return n;
}

// A stroke with real mouse events: press, moves every `stepMs`, release. Pad pixel coordinates.
void drawStroke(DrawingPad *pad, const std::vector<QPointF> &points, Qt::MouseButton button = Qt::LeftButton, int stepMs = 0)
{
    QTest::mousePress(pad, button, Qt::NoModifier, pad->toWidget(points.front()).toPoint());
    for (std::size_t k = 1; k < points.size(); ++k) {
        // QTest::mouseMove sends no buttons; a move event with the button held is what a drag sends.
        QMouseEvent move(QEvent::MouseMove, pad->toWidget(points[k]), pad->mapToGlobal(pad->toWidget(points[k])), Qt::NoButton,
                         button, Qt::NoModifier);
        QApplication::sendEvent(pad, &move);
        if (stepMs > 0)
            QTest::qWait(stepMs);
    }
    QTest::mouseRelease(pad, button, Qt::NoModifier, pad->toWidget(points.back()).toPoint());
}

std::vector<QPointF> line(QPointF a, QPointF b, int steps)
{
    std::vector<QPointF> points;
    for (int k = 0; k <= steps; ++k)
        points.push_back(a + (b - a) * (static_cast<double>(k) / steps));
    return points;
}

} // namespace

class TestDraw : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<DrawPanel> panel_;
    DrawingPad *pad() const { return panel_->pad(); }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        panel_ = std::make_unique<DrawPanel>();
        panel_->resize(320, 560);
        panel_->show();
        QVERIFY(QTest::qWaitForWindowExposed(panel_.get()));
    }

    void strokeInACornerIsCentredByMass()
    {
        QVERIFY(pad()->isBlank());
        QSignalSpy changed(pad(), &DrawingPad::digitChanged);
        // A short vertical stroke in the top-left corner.
        drawStroke(pad(), line({3, 2}, {3, 9}, 20));
        QVERIFY(!changed.isEmpty());
        QVERIFY(!pad()->isBlank());
        const std::vector<std::uint8_t> &d = pad()->digit();
        const auto [cx, cy] = centreOfMass(d.data(), 28, 28);
        QVERIFY2(std::abs(cx - 14) <= 0.5 && std::abs(cy - 14) <= 0.5, qPrintable(QStringLiteral("%1, %2").arg(cx).arg(cy)));
        const PixelBox box = boundingBox(d.data(), 28, 28);
        QCOMPARE(box.height(), 20); // scaled up to MNIST's 20-pixel box
        QVERIFY(box.width() < 10);
        QVERIFY(pad()->canUndo());
    }

    void undoRedoClear()
    {
        const std::vector<std::uint8_t> one = pad()->digit();
        drawStroke(pad(), line({5, 20}, {22, 20}, 10));
        const std::vector<std::uint8_t> two = pad()->digit();
        QVERIFY(two != one);
        pad()->setFocus();
        QTest::keyClick(pad(), Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(pad()->digit(), one);
        QTest::keyClick(pad(), Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(pad()->digit(), two);
        QTest::mouseClick(panel_->findChild<QWidget *>(QStringLiteral("drawClear")), Qt::LeftButton);
        QVERIFY(pad()->isBlank());
        QTest::keyClick(pad(), Qt::Key_Z, Qt::ControlModifier); // clearing is undone too
        QCOMPARE(pad()->digit(), two);
        pad()->clear();
    }

    void mouseMovesAreCoalesced()
    {
        QSignalSpy changed(pad(), &DrawingPad::digitChanged);
        // 60 moves without waiting: a handful of updates at most (the release's among them).
        drawStroke(pad(), line({6, 6}, {20, 22}, 60));
        QVERIFY2(changed.count() <= 3, qPrintable(QString::number(changed.count())));
        QVERIFY(!pad()->isBlank());
        // Moves 20 ms apart: an update at most every 16 ms (so at most one per move), and at least some.
        changed.clear();
        drawStroke(pad(), line({20, 6}, {8, 22}, 8), Qt::LeftButton, 20);
        QVERIFY2(changed.count() >= 2 && changed.count() <= 10, qPrintable(QString::number(changed.count())));
        pad()->clear();
    }

    void rightButtonErasesAndArrowsShift()
    {
        pad()->setCentred(false); // the pad as it stands: erasing and shifting stay where they are
        drawStroke(pad(), line({14, 4}, {14, 24}, 20));
        const int before = ink(pad()->digit());
        QVERIFY(before > 0);
        drawStroke(pad(), line({8, 14}, {20, 14}, 12), Qt::RightButton);
        const int after = ink(pad()->digit());
        QVERIFY2(after < before * 0.9, qPrintable(QStringLiteral("%1 -> %2").arg(before).arg(after)));
        QVERIFY(pad()->digit()[14 * 28 + 14] < 40);

        const std::vector<std::uint8_t> here = pad()->digit();
        pad()->setFocus();
        QTest::keyClick(pad(), Qt::Key_Right);
        QTest::keyClick(pad(), Qt::Key_Right);
        QTest::keyClick(pad(), Qt::Key_Up);
        QCOMPARE(pad()->digit(), translateImage(here, 28, 28, 2, -1));
        pad()->clear();
    }

    void noiseAddsPixels()
    {
        QVERIFY(pad()->isBlank());
        QTest::mouseClick(panel_->findChild<QWidget *>(QStringLiteral("drawNoise")), Qt::LeftButton);
        const std::vector<std::uint8_t> &d = pad()->digit();
        const int lit = static_cast<int>(std::count_if(d.begin(), d.end(), [](std::uint8_t v) { return v > 0; }));
        QVERIFY2(lit > 20 && lit < 120, qPrintable(QString::number(lit))); // about 8% of 784
        pad()->undo();
        QVERIFY(pad()->isBlank());
    }

    void droppedTestDigitIsTakenAsItIs()
    {
        const DataSplit data = loadEmbeddedMnist();
        const std::vector<std::uint8_t> digit(data.test.image(7), data.test.image(7) + 784);
        QMimeData mime;
        mime.setData(QString::fromLatin1(DrawingPad::kDigitMimeType),
                     QByteArray(reinterpret_cast<const char *>(digit.data()), static_cast<qsizetype>(digit.size())));
        mime.setText(QString::number(data.test.labels[7]));
        const QPointF at = pad()->toWidget({14, 14});
        QDragEnterEvent enter(at.toPoint(), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(pad(), &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(pad(), &drop);
        QVERIFY(drop.isAccepted());
        QCOMPARE(pad()->digit(), digit); // exactly the test digit: no rescaling, no centring
        QVERIFY(!pad()->isCentred());
        QCOMPARE(pad()->label(), int(data.test.labels[7]));
        QCOMPARE(panel_->exportLabel(), int(data.test.labels[7]));
        // Editable: a stroke changes it, undo brings the test digit back.
        drawStroke(pad(), line({2, 2}, {8, 2}, 6));
        QVERIFY(pad()->digit() != digit);
        pad()->undo();
        QCOMPARE(pad()->digit(), digit);
    }

    void exportsHoldTheDigit()
    {
        const std::vector<std::uint8_t> digit = pad()->digit();
        QVERIFY(ink(digit) > 0);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString png = dir.filePath(QStringLiteral("drawn.png"));
        QString error;
        QVERIFY2(panel_->exportPng(png, &error), qPrintable(error));
        const QImage image(png);
        QCOMPARE(image.size(), QSize(28, 28));
        const QImage grey = image.convertToFormat(QImage::Format_Grayscale8);
        for (int r = 0; r < 28; ++r)
            for (int c = 0; c < 28; ++c)
                QCOMPARE(grey.constScanLine(r)[c], digit[static_cast<std::size_t>(r * 28 + c)]);

        const QString images = dir.filePath(QStringLiteral("drawn-images-idx3-ubyte"));
        const QString labels = dir.filePath(QStringLiteral("drawn-labels-idx1-ubyte"));
        QVERIFY2(panel_->exportIdx(images, labels, &error), qPrintable(error));
        const Dataset set = readIdxPair(images.toStdString(), labels.toStdString());
        QCOMPARE(set.size(), 1);
        QCOMPARE(set.rows, 28);
        QCOMPARE(set.cols, 28);
        QCOMPARE(set.pixels, digit);
        QCOMPARE(int(set.labels[0]), panel_->exportLabel());
        // Images only: no label asked for; a label file without a label is refused.
        QFile::remove(images);
        panel_->setExportLabel(-1);
        QVERIFY(!panel_->exportIdx(images, labels, &error));
        QVERIFY(error.contains(QStringLiteral("label")));
        QVERIFY(!QFile::exists(images));
        QVERIFY2(panel_->exportIdx(images, QString(), &error), qPrintable(error));
        QCOMPARE(QFile(images).size(), qint64(16 + 784));
    }

    void outcomeShowsPredictionAndMargin()
    {
        std::vector<double> times(10, std::numeric_limits<double>::infinity());
        times[3] = 1.25;
        times[8] = 1.75;
        panel_->setOutcome(times, 3, 8.0);
        QCOMPARE(panel_->predicted(), 3);
        QVERIFY(std::abs(panel_->margin() - 0.5) < 1e-12);
        QVERIFY(panel_->predictionText().contains(QStringLiteral("Predicted 3")));
        QVERIFY(panel_->grab().save(QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("tst_gui_draw-panel.png"))));
        panel_->setOutcome(std::vector<double>(10, std::numeric_limits<double>::infinity()), -1, 8.0);
        QVERIFY(std::isnan(panel_->margin()));
        QVERIFY(panel_->predictionText().contains(QStringLiteral("No decision")));
    }

    void cleanupTestCase()
    {
        panel_.reset();
    }
};

QTEST_MAIN(TestDraw)
#include "tst_gui_draw.moc"

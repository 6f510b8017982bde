// MNIST-style preprocessing of a drawn digit: the bounding box is scaled to fit 20x20 (aspect
// kept, grey edges from area averaging), the centre of mass lands on the image centre, a blank
// canvas stays blank; an MNIST test digit comes back close to itself.

#include "core/data/IdxReader.h"
#include "core/data/MnistPreprocess.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

using namespace firstspike;

namespace {

// A filled rectangle of ink on a black canvas.
std::vector<std::uint8_t> canvasWithRect(int rows, int cols, int left, int top, int width, int height)
{
    std::vector<std::uint8_t> canvas(static_cast<std::size_t>(rows * cols), 0);
    for (int r = top; r < top + height; ++r)
        for (int c = left; c < left + width; ++c)
            canvas[static_cast<std::size_t>(r * cols + c)] = 255;
    return canvas;
}

} // namespace

class TestMnistPreprocess : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void blankStaysBlank()
    {
        const std::vector<std::uint8_t> canvas(280 * 280, 0);
        const std::vector<std::uint8_t> out = mnistPreprocess(canvas.data(), 280, 280);
        QCOMPARE(out.size(), std::size_t(784));
        QVERIFY(std::all_of(out.begin(), out.end(), [](std::uint8_t v) { return v == 0; }));
        QVERIFY(boundingBox(out.data(), 28, 28).empty());
    }

    void strokeInACornerEndsUpCentred()
    {
        // A tall bar (40 x 120) in the top-left corner of a 280 x 280 canvas.
        const std::vector<std::uint8_t> canvas = canvasWithRect(280, 280, 10, 5, 40, 120);
        const std::vector<std::uint8_t> out = mnistPreprocess(canvas.data(), 280, 280);
        const auto [cx, cy] = centreOfMass(out.data(), 28, 28);
        QVERIFY2(std::abs(cx - 14) <= 0.5 && std::abs(cy - 14) <= 0.5, qPrintable(QStringLiteral("%1, %2").arg(cx).arg(cy)));
        // The long side is 20 pixels, the short one in proportion: 40/120 * 20 = 6.67 -> 7.
        const PixelBox box = boundingBox(out.data(), 28, 28);
        QCOMPARE(box.height(), 20);
        QCOMPARE(box.width(), 7);
    }

    void aspectKeptAndEdgesAntiAliased()
    {
        // A filled ellipse 120 wide, 60 tall: scaled by 1/6 to 20 x 10; its curved edge covers
        // output cells partly, so they come out grey.
        std::vector<std::uint8_t> canvas(200 * 200, 0);
        for (int r = 0; r < 200; ++r)
            for (int c = 0; c < 200; ++c) {
                const double x = (c + 0.5 - 100) / 60, y = (r + 0.5 - 80) / 30;
                if (x * x + y * y <= 1)
                    canvas[static_cast<std::size_t>(r * 200 + c)] = 255;
            }
        const std::vector<std::uint8_t> out = mnistPreprocess(canvas.data(), 200, 200);
        const PixelBox box = boundingBox(out.data(), 28, 28);
        QCOMPARE(box.width(), 20);
        QCOMPARE(box.height(), 10);
        const int greys = static_cast<int>(std::count_if(out.begin(), out.end(), [](std::uint8_t v) { return v > 0 && v < 255; }));
        QVERIFY2(greys >= 8, qPrintable(QString::number(greys)));
        QCOMPARE(out[14 * 28 + 14], std::uint8_t(255)); // the inside stays full ink
    }

    void aDotStaysVisible()
    {
        std::vector<std::uint8_t> canvas(100 * 100, 0);
        canvas[3 * 100 + 97] = 200;
        const std::vector<std::uint8_t> out = mnistPreprocess(canvas.data(), 100, 100);
        // One pixel scaled up to 20 x 20, centred: the 20 x 20 block around the centre.
        const PixelBox box = boundingBox(out.data(), 28, 28);
        QCOMPARE(box.width(), 20);
        QCOMPARE(box.left, 4);
        QCOMPARE(out[14 * 28 + 14], std::uint8_t(200));
    }

    void mnistDigitsComeBackCloseToThemselves()
    {
        // MNIST's digits were made this way: preprocessing them again moves them by a pixel at most
        // (the centring moves by whole pixels).
        const DataSplit data = loadEmbeddedMnist();
        double worst = 0;
        for (int i = 0; i < 20; ++i) {
            const std::uint8_t *image = data.test.image(i);
            const std::vector<std::uint8_t> out = mnistPreprocess(image, 28, 28);
            const auto [ax, ay] = centreOfMass(image, 28, 28);
            const auto [bx, by] = centreOfMass(out.data(), 28, 28);
            worst = std::max({worst, std::abs(ax - bx), std::abs(ay - by)});
            QVERIFY(std::abs(bx - 14) <= 0.5 && std::abs(by - 14) <= 0.5);
        }
        QVERIFY2(worst <= 1.0 + 1e-9, qPrintable(QString::number(worst))); // whole-pixel moves only
    }

    void resampleAndTranslate()
    {
        const std::vector<std::uint8_t> canvas = canvasWithRect(280, 280, 0, 0, 140, 280);
        const std::vector<std::uint8_t> half = resampleArea(canvas.data(), 280, 280, 28, 28);
        QCOMPARE(half[0], std::uint8_t(255));
        QCOMPARE(half[13], std::uint8_t(255));
        QCOMPARE(half[14], std::uint8_t(0));
        const std::vector<std::uint8_t> moved = translateImage(half, 28, 28, 3, -2);
        QCOMPARE(moved[0], std::uint8_t(0));      // shifted in from the left
        QCOMPARE(moved[3], std::uint8_t(255));
        QCOMPARE(moved[16], std::uint8_t(255));
        QCOMPARE(moved[17], std::uint8_t(0));
        QCOMPARE(moved[27 * 28 + 5], std::uint8_t(0)); // shifted in from the bottom
        QCOMPARE(moved[25 * 28 + 5], std::uint8_t(255));
    }
};

QTEST_APPLESS_MAIN(TestMnistPreprocess)
#include "tst_mnistpreprocess.moc"

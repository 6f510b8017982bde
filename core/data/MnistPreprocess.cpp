#include "core/data/MnistPreprocess.h"

#include <algorithm>
#include <cmath>

namespace firstspike {

namespace {

// For each of outCount output cells along one axis, the source cells it covers and their
// weights: the overlap of each source cell with the output cell's span, over the span (so a
// uniform source stays uniform and edges come out grey: the anti-aliasing).
struct Taps {
    int first = 0;
    std::vector<double> weights;
};

std::vector<Taps> areaTaps(double origin, double length, int outCount, int sourceCount)
{
    std::vector<Taps> taps(static_cast<std::size_t>(outCount));
    const double span = length / outCount;
    for (int o = 0; o < outCount; ++o) {
        const double a = origin + o * span, b = a + span;
        Taps &t = taps[static_cast<std::size_t>(o)];
        t.first = std::max(0, static_cast<int>(std::floor(a)));
        const int last = std::min(sourceCount - 1, static_cast<int>(std::ceil(b)) - 1);
        for (int s = t.first; s <= last; ++s)
            t.weights.push_back(std::max(0.0, std::min(b, s + 1.0) - std::max(a, static_cast<double>(s))) / span);
    }
    return taps;
}

// The source rectangle (x, y, w, h, in source pixels) averaged onto outCols x outRows cells.
std::vector<double> resampleRect(const std::uint8_t *image, int rows, int cols, double x, double y, double w, double h,
                                 int outRows, int outCols)
{
    const std::vector<Taps> tx = areaTaps(x, w, outCols, cols), ty = areaTaps(y, h, outRows, rows);
    // Separable: columns first, into a rows x outCols buffer, then rows.
    std::vector<double> horizontal(static_cast<std::size_t>(rows) * static_cast<std::size_t>(outCols), 0.0);
    const int rowFirst = ty.front().first;
    const int rowLast = std::min(rows - 1, ty.back().first + static_cast<int>(ty.back().weights.size()) - 1);
    for (int r = rowFirst; r <= rowLast; ++r) {
        const std::uint8_t *line = image + static_cast<std::size_t>(r) * static_cast<std::size_t>(cols);
        for (int o = 0; o < outCols; ++o) {
            const Taps &t = tx[static_cast<std::size_t>(o)];
            double sum = 0;
            for (std::size_t k = 0; k < t.weights.size(); ++k)
                sum += t.weights[k] * line[t.first + static_cast<int>(k)];
            horizontal[static_cast<std::size_t>(r) * static_cast<std::size_t>(outCols) + static_cast<std::size_t>(o)] = sum;
        }
    }
    std::vector<double> out(static_cast<std::size_t>(outRows) * static_cast<std::size_t>(outCols), 0.0);
    for (int o = 0; o < outRows; ++o) {
        const Taps &t = ty[static_cast<std::size_t>(o)];
        for (std::size_t k = 0; k < t.weights.size(); ++k) {
            const double *line = horizontal.data() + static_cast<std::size_t>(t.first + static_cast<int>(k)) * static_cast<std::size_t>(outCols);
            for (int c = 0; c < outCols; ++c)
                out[static_cast<std::size_t>(o) * static_cast<std::size_t>(outCols) + static_cast<std::size_t>(c)] += t.weights[k] * line[c];
        }
    }
    return out;
}

std::uint8_t toByte(double v)
{
    return static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
}

} // namespace

PixelBox boundingBox(const std::uint8_t *image, int rows, int cols)
{
    PixelBox box{cols, rows, -1, -1};
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            if (image[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c)] != 0) {
                box.left = std::min(box.left, c);
                box.right = std::max(box.right, c);
                box.top = std::min(box.top, r);
                box.bottom = std::max(box.bottom, r);
            }
    return box.empty() ? PixelBox{} : box;
}

std::pair<double, double> centreOfMass(const std::uint8_t *image, int rows, int cols)
{
    double mass = 0, sx = 0, sy = 0;
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
            const double v = image[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c)];
            mass += v;
            sx += v * (c + 0.5);
            sy += v * (r + 0.5);
        }
    if (mass <= 0)
        return {cols / 2.0, rows / 2.0};
    return {sx / mass, sy / mass};
}

std::vector<std::uint8_t> mnistPreprocess(const std::uint8_t *canvas, int rows, int cols, const MnistGeometry &geometry)
{
    const int side = geometry.side;
    std::vector<std::uint8_t> out(static_cast<std::size_t>(side) * static_cast<std::size_t>(side), 0);
    if (rows <= 0 || cols <= 0 || side <= 0 || geometry.box <= 0)
        return out;
    const PixelBox box = boundingBox(canvas, rows, cols);
    if (box.empty())
        return out;
    // Longer side to `box` pixels, the other in proportion (at least one pixel: a dot or a
    // straight stroke stays visible).
    const double scale = static_cast<double>(geometry.box) / std::max(box.width(), box.height());
    const int outCols = std::clamp(static_cast<int>(std::lround(box.width() * scale)), 1, geometry.box);
    const int outRows = std::clamp(static_cast<int>(std::lround(box.height() * scale)), 1, geometry.box);
    const std::vector<double> small = resampleRect(canvas, rows, cols, box.left, box.top, box.width(), box.height(), outRows, outCols);

    // Centre of mass of the scaled digit, moved onto the image's centre by whole pixels (as
    // MNIST's images are: their grey levels come from the scaling only).
    double mass = 0, sx = 0, sy = 0;
    for (int r = 0; r < outRows; ++r)
        for (int c = 0; c < outCols; ++c) {
            const double v = small[static_cast<std::size_t>(r) * static_cast<std::size_t>(outCols) + static_cast<std::size_t>(c)];
            mass += v;
            sx += v * (c + 0.5);
            sy += v * (r + 0.5);
        }
    const double cx = mass > 0 ? sx / mass : outCols / 2.0, cy = mass > 0 ? sy / mass : outRows / 2.0;
    const int left = static_cast<int>(std::lround(side / 2.0 - cx));
    const int top = static_cast<int>(std::lround(side / 2.0 - cy));
    for (int r = 0; r < outRows; ++r)
        for (int c = 0; c < outCols; ++c) {
            const int x = left + c, y = top + r;
            if (x >= 0 && x < side && y >= 0 && y < side)
                out[static_cast<std::size_t>(y) * static_cast<std::size_t>(side) + static_cast<std::size_t>(x)]
                    = toByte(small[static_cast<std::size_t>(r) * static_cast<std::size_t>(outCols) + static_cast<std::size_t>(c)]);
        }
    return out;
}

std::vector<std::uint8_t> resampleArea(const std::uint8_t *image, int rows, int cols, int outRows, int outCols)
{
    std::vector<std::uint8_t> out(static_cast<std::size_t>(std::max(0, outRows)) * static_cast<std::size_t>(std::max(0, outCols)), 0);
    if (rows <= 0 || cols <= 0 || outRows <= 0 || outCols <= 0)
        return out;
    const std::vector<double> v = resampleRect(image, rows, cols, 0, 0, cols, rows, outRows, outCols);
    std::transform(v.begin(), v.end(), out.begin(), toByte);
    return out;
}

std::vector<std::uint8_t> translateImage(const std::vector<std::uint8_t> &image, int rows, int cols, int dx, int dy)
{
    std::vector<std::uint8_t> out(image.size(), 0);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c) {
            const int x = c - dx, y = r - dy;
            if (x >= 0 && x < cols && y >= 0 && y < rows)
                out[static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(c)]
                    = image[static_cast<std::size_t>(y) * static_cast<std::size_t>(cols) + static_cast<std::size_t>(x)];
        }
    return out;
}

} // namespace firstspike

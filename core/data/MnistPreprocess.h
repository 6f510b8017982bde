#pragma once
// MNIST's own preprocessing (LeCun et al., "The MNIST database"), for digits that did not come
// from MNIST, such as those drawn on the Inspect tab's pad: the digit's bounding box is scaled
// to fit a 20x20 box, aspect ratio kept, with anti-aliasing (each output pixel is the mean of
// the input area it covers, so grey levels appear at the edges as in MNIST), and the result is
// placed in a 28x28 image so that its centre of mass falls on the centre pixel.
//
// Plain arrays of 8-bit grey, row-major, white (255) ink on black (0), as in the IDX files.

#include <cstdint>
#include <utility>
#include <vector>

namespace firstspike {

struct MnistGeometry {
    int side = 28; // output image: side x side
    int box = 20;  // the bounding box is scaled to fit box x box
};

// The MNIST-style image of a grey canvas of rows x cols pixels. A blank canvas gives a blank
// image. Pixels the centring pushes past the edge (a very lopsided digit) are dropped.
std::vector<std::uint8_t> mnistPreprocess(const std::uint8_t *canvas, int rows, int cols, const MnistGeometry &geometry = {});

// Area-averaging resample of the whole image (no box, no centring): what the pad shows when
// MNIST centring is off.
std::vector<std::uint8_t> resampleArea(const std::uint8_t *image, int rows, int cols, int outRows, int outCols);

// The image moved by (dx, dy) whole pixels (right, down), zeros shifted in.
std::vector<std::uint8_t> translateImage(const std::vector<std::uint8_t> &image, int rows, int cols, int dx, int dy);

// Centre of mass (x, y) in pixel coordinates (pixel k's centre is at k + 0.5); the image's
// centre when it is blank.
std::pair<double, double> centreOfMass(const std::uint8_t *image, int rows, int cols);

// The smallest rectangle holding every non-zero pixel: {left, top, right, bottom} (inclusive),
// or {0, 0, -1, -1} when the image is blank.
struct PixelBox {
    int left = 0, top = 0, right = -1, bottom = -1;
    bool empty() const { return right < left || bottom < top; }
    int width() const { return right - left + 1; }
    int height() const { return bottom - top + 1; }
};
PixelBox boundingBox(const std::uint8_t *image, int rows, int cols);

} // namespace firstspike

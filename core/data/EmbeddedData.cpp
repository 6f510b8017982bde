// The four gzip IDX files of resources/mnist-embedded, linked into the library as read-only data
// (see resources/mnist-embedded/README.md for where they come from and tools/make_embedded_mnist.py
// for how they are made). CMake passes their folder as FIRSTSPIKE_EMBEDDED_MNIST_DIR and makes this
// object depend on them.

#include "core/data/IdxReader.h"

#include <cstddef>
#include <cstdint>
#include <vector>

#ifndef FIRSTSPIKE_EMBEDDED_MNIST_DIR
#error "FIRSTSPIKE_EMBEDDED_MNIST_DIR must name the folder holding the embedded MNIST .gz files"
#endif
#if !defined(__GNUC__) || !defined(__ELF__)
#error "embedding with .incbin needs GCC or Clang on an ELF target"
#endif

#define FIRSTSPIKE_EMBED(symbol, file)                                                                          \
    ".global " #symbol "_start\n"                                                                              \
    ".global " #symbol "_end\n"                                                                                \
    ".type " #symbol "_start, @object\n"                                                                       \
    ".balign 16\n" #symbol "_start:\n"                                                                         \
    ".incbin \"" FIRSTSPIKE_EMBEDDED_MNIST_DIR "/" file "\"\n" #symbol "_end:\n"                               \
    ".size " #symbol "_start, " #symbol "_end - " #symbol "_start\n"

__asm__(".section .rodata\n"
        FIRSTSPIKE_EMBED(firstspike_mnist_train_images, "train-images-idx3-ubyte.gz")
        FIRSTSPIKE_EMBED(firstspike_mnist_train_labels, "train-labels-idx1-ubyte.gz")
        FIRSTSPIKE_EMBED(firstspike_mnist_test_images, "t10k-images-idx3-ubyte.gz")
        FIRSTSPIKE_EMBED(firstspike_mnist_test_labels, "t10k-labels-idx1-ubyte.gz")
        ".previous\n");

#undef FIRSTSPIKE_EMBED

extern "C" {
extern const std::uint8_t firstspike_mnist_train_images_start[], firstspike_mnist_train_images_end[];
extern const std::uint8_t firstspike_mnist_train_labels_start[], firstspike_mnist_train_labels_end[];
extern const std::uint8_t firstspike_mnist_test_images_start[], firstspike_mnist_test_images_end[];
extern const std::uint8_t firstspike_mnist_test_labels_start[], firstspike_mnist_test_labels_end[];
}

namespace firstspike {

namespace {

std::vector<std::uint8_t> bytesBetween(const std::uint8_t *start, const std::uint8_t *end)
{
    return std::vector<std::uint8_t>(start, end);
}

} // namespace

DataSplit loadEmbeddedMnist()
{
    DataSplit split;
    split.source = "embedded";
    split.train = parseIdxPair(
        bytesBetween(firstspike_mnist_train_images_start, firstspike_mnist_train_images_end),
        "embedded-mnist/train-images-idx3-ubyte.gz",
        bytesBetween(firstspike_mnist_train_labels_start, firstspike_mnist_train_labels_end),
        "embedded-mnist/train-labels-idx1-ubyte.gz");
    split.train.name = "embedded-mnist/train";
    split.test = parseIdxPair(bytesBetween(firstspike_mnist_test_images_start, firstspike_mnist_test_images_end),
                              "embedded-mnist/t10k-images-idx3-ubyte.gz",
                              bytesBetween(firstspike_mnist_test_labels_start, firstspike_mnist_test_labels_end),
                              "embedded-mnist/t10k-labels-idx1-ubyte.gz");
    split.test.name = "embedded-mnist/test";
    return split;
}

} // namespace firstspike

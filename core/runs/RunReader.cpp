#include "core/runs/RunReader.h"

#include "core/common/MemoryBudget.h"
#include "core/files/SafeFile.h"
#include "core/runs/RunLock.h"
#include "core/runs/RunRecorder.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <new>
#include <sys/stat.h>

namespace firstspike {

namespace {

const char *const kMetricsHeader = "epoch,step,seconds,train_seconds,train_samples_per_second,learning_rate,train_loss,"
                                   "train_accuracy,regularization,validation_loss,validation_accuracy,test_loss,"
                                   "test_accuracy,mean_decision_time,hidden_fired_before_decision,mean_silent_per_layer,"
                                   "never_fired_per_layer,hidden_spikes_per_neuron";
const char *const kBatchesHeader = "step,epoch_position,loss,accuracy";

std::vector<std::string> split(const std::string &line, char sep)
{
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = line.find(sep, start);
        parts.push_back(line.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos)
            return parts;
        start = end + 1;
    }
}

// The complete lines of a text: the header first; a last line without '\n' is dropped (noted).
std::vector<std::string> completeLines(const std::string &text, const char *header, const char *file, std::string *note)
{
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = text.find('\n', start);
        if (end == std::string::npos) {
            if (note)
                *note = std::string(file) + ": its last line is incomplete and was left out";
            break;
        }
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    if (lines.empty() || lines.front() != header)
        throw RunFormatError(std::string(file) + ": the first line is not the expected column header");
    return lines;
}

// A field in messages, at most 40 characters. (Appended piece by piece: `"'" + string` makes
// GCC 12 warn falsely, -Wrestrict, GCC bug 105329.)
std::string quoted(const std::string &field)
{
    std::string out(1, '\'');
    out.append(field, 0, 40);
    out += '\'';
    return out;
}

struct LineReader {
    const char *file;
    std::size_t line;
    [[noreturn]] void fail(const std::string &what) const
    {
        throw RunFormatError(std::string(file) + ", line " + std::to_string(line) + ": " + what);
    }
    double real(const std::string &s) const
    {
        if (s.empty())
            return std::numeric_limits<double>::quiet_NaN();
        if (s == "inf")
            return std::numeric_limits<double>::infinity();
        if (s == "-inf")
            return -std::numeric_limits<double>::infinity();
        double v = 0;
        const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
        if (r.ec != std::errc() || r.ptr != s.data() + s.size() || std::isnan(v))
            fail(quoted(s) + " is not a number");
        return v;
    }
    long long integer(const std::string &s, long long lo, long long hi) const
    {
        long long v = 0;
        const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
        if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || v < lo || v > hi)
            fail(quoted(s) + " is not an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
        return v;
    }
};

constexpr std::size_t kMaxLayerValues = 64;

} // namespace

std::vector<EpochMetrics> parseMetricsCsv(const std::string &text, std::string *note)
{
    const std::vector<std::string> lines = completeLines(text, kMetricsHeader, "metrics.csv", note);
    std::vector<EpochMetrics> history;
    history.reserve(lines.size() - 1);
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const LineReader r{"metrics.csv", i + 1};
        const std::vector<std::string> f = split(lines[i], ',');
        if (f.size() != 18)
            r.fail("has " + std::to_string(f.size()) + " fields, not 18");
        EpochMetrics m;
        m.epoch = static_cast<int>(r.integer(f[0], 1, 1000000));
        if (m.epoch != static_cast<int>(history.size()) + 1)
            r.fail("epoch " + f[0] + " is out of order");
        m.step = r.integer(f[1], 0, std::numeric_limits<long long>::max());
        double *values[] = {&m.seconds, &m.trainSeconds, &m.samplesPerSecond, &m.learningRate, &m.trainLoss,
                            &m.trainAccuracy, &m.regularization, &m.validationLoss, &m.validationAccuracy,
                            &m.testLoss, &m.testAccuracy, &m.meanDecisionTime, &m.hiddenFiredBeforeDecision};
        for (std::size_t k = 0; k < 13; ++k)
            *values[k] = r.real(f[2 + k]);
        if (!f[15].empty()) {
            const std::vector<std::string> parts = split(f[15], ';');
            if (parts.size() > kMaxLayerValues)
                r.fail("more than 64 layers");
            for (const std::string &p : parts)
                m.meanSilentPerLayer.push_back(r.real(p));
        }
        if (!f[16].empty()) {
            const std::vector<std::string> parts = split(f[16], ';');
            if (parts.size() > kMaxLayerValues)
                r.fail("more than 64 layers");
            for (const std::string &p : parts)
                m.neverFiredPerLayer.push_back(static_cast<int>(r.integer(p, 0, 1000000)));
        }
        m.hiddenSpikesPerNeuron = r.real(f[17]);
        history.push_back(std::move(m));
    }
    return history;
}

std::vector<BatchRecord> parseBatchesCsv(const std::string &text, std::string *note)
{
    const std::vector<std::string> lines = completeLines(text, kBatchesHeader, "batches.csv", note);
    std::vector<BatchRecord> batches;
    batches.reserve(lines.size() - 1);
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const LineReader r{"batches.csv", i + 1};
        const std::vector<std::string> f = split(lines[i], ',');
        if (f.size() != 4)
            r.fail("has " + std::to_string(f.size()) + " fields, not 4");
        BatchRecord b;
        b.step = r.integer(f[0], 0, std::numeric_limits<long long>::max());
        b.epochPosition = r.real(f[1]);
        b.loss = r.real(f[2]);
        b.accuracy = r.real(f[3]);
        batches.push_back(b);
    }
    return batches;
}

RunRecord readRunFolder(const std::string &folder, bool withCurves, const RunReadLimits &limits)
{
    RunRecord run;
    run.folder = folder;
    const std::size_t slash = folder.find_last_of('/');
    run.id = slash == std::string::npos ? folder : folder.substr(slash + 1);
    run.manifest.id = run.id;
    run.manifest.name = run.id;
    run.manifest.started.clear();
    auto fileText = [&](const char *name, const char *what, std::uint64_t cap) {
        const std::vector<std::uint8_t> bytes = readRegularFile(folder + "/" + name, what, cap);
        return std::string(bytes.begin(), bytes.end());
    };
    try {
        try {
            run.manifest = parseManifest(fileText(RunRecorder::kManifestFile, "run manifest", RunManifest::kMaxBytes));
        } catch (const RunVersionError &e) {
            run.health = RunHealth::Refused;
            run.problem = std::string(RunRecorder::kManifestFile) + ": " + e.what();
            return run;
        } catch (const RunFormatError &e) {
            throw RunFormatError(std::string(RunRecorder::kManifestFile) + ": " + e.what());
        }
        run.manifest.id = run.id; // the folder's name wins (a copied or renamed folder)
        run.live = run.manifest.state == RunState::Running && RunLock::isHeld(folder);
        if (!withCurves)
            return run;
        std::string note;
        const std::string metricsPath = folder + "/" + RunRecorder::kMetricsFile;
        struct stat st {};
        if (::lstat(metricsPath.c_str(), &st) == 0) {
            requireMemory(saturatingMul(static_cast<std::uint64_t>(st.st_size), 4), metricsPath + ": reading the metrics");
            run.history = parseMetricsCsv(fileText(RunRecorder::kMetricsFile, "run metrics", limits.metricsBytes), &note);
        } else if (run.manifest.epochs > 0) {
            throw RunFormatError(std::string(RunRecorder::kMetricsFile) + " is missing");
        }
        const std::string batchesPath = folder + "/" + RunRecorder::kBatchesFile;
        if (::lstat(batchesPath.c_str(), &st) == 0) {
            // About 40 bytes of text a row become 32 bytes of BatchRecord, plus the lines' copies.
            requireMemory(saturatingMul(static_cast<std::uint64_t>(st.st_size), 4), batchesPath + ": reading the mini-batch curve");
            std::string batchNote;
            run.batches = parseBatchesCsv(fileText(RunRecorder::kBatchesFile, "run mini-batch curve", limits.batchesBytes), &batchNote);
            if (note.empty())
                note = batchNote;
        }
        run.problem = note;
    } catch (const std::bad_alloc &) {
        run.health = RunHealth::Damaged;
        run.problem = "not enough memory to read it";
        run.history.clear();
        run.batches.clear();
    } catch (const std::exception &e) {
        run.health = RunHealth::Damaged;
        run.problem = e.what();
        run.history.clear();
        run.batches.clear();
    }
    return run;
}

} // namespace firstspike

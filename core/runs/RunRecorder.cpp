#include "core/runs/RunRecorder.h"

#include "core/files/Checkpoint.h"
#include "core/files/DataExport.h"
#include "core/files/SafeFile.h"
#include "core/training/Trainer.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <dirent.h>
#include <exception>
#include <random>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace firstspike {

namespace {

double monotonicSeconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// mkdir -p: every missing folder of `path`. Each part is followed when it is a symbolic link
// (a runs folder that links to a shared disk is used); a part that is not a folder is refused.
void makeFolders(const std::string &path)
{
    std::string partial;
    std::size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        partial = path.substr(0, pos);
        if (partial.empty())
            continue;
        struct stat st {};
        if (::stat(partial.c_str(), &st) == 0) {
            if (!S_ISDIR(st.st_mode))
                throw FileError(partial + ": not a folder");
            continue;
        }
        if (::mkdir(partial.c_str(), 0755) != 0) {
            const int err = errno;
            // Created meanwhile by another process, or a link that leads nowhere.
            if (err != EEXIST || ::stat(partial.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
                throw FileError(partial + ": cannot create the folder ("
                                + (err == EEXIST ? std::string("not a folder") : std::string(std::strerror(err))) + ")");
        }
    }
}

std::string hostName()
{
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0)
        return {};
    return buf;
}

} // namespace

bool isValidRunId(const std::string &id)
{
    if (id.empty() || id.size() > 120 || id[0] == '.')
        return false;
    for (char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
            || c == '-' || c == '=' || c == '+';
        if (!ok)
            return false;
    }
    return true;
}

std::string newRunId()
{
    const std::time_t now = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&now, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    std::random_device device;
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%04x", static_cast<unsigned>(device() & 0xffff));
    return std::string(stamp) + "-" + std::to_string(::getpid()) + "-" + suffix;
}

RunRecorder::RunRecorder(const std::string &runsDir, RunManifest manifest) : manifest_(std::move(manifest))
{
    if (!isValidRunId(manifest_.id))
        throw std::invalid_argument("run id '" + manifest_.id + "' is not a plain folder name (letters, digits, . _ - = +)");
    makeFolders(runsDir);
    const std::string folder = runsDir + "/" + manifest_.id;
    manifest_.version = RunManifest::kFormatVersion;
    manifest_.state = RunState::Running;
    manifest_.host = hostName();
    manifest_.pid = ::getpid();
    manifest_.started = manifest_.updated = currentUtcTime();
    manifest_.checkpoint.clear();
    startTime_ = lastCheckpointTime_ = monotonicSeconds();
    struct stat st {};
    if (::lstat(folder.c_str(), &st) != 0 && errno == ENOENT) {
        // A new run: its folder is made under a hidden name (which readers skip), locked and
        // given its manifest there, then renamed into place, so that no reader, and no kill,
        // ever meets a run folder without a manifest. The lock is on the folder itself and
        // moves with it.
        const std::string staging = runsDir + "/." + manifest_.id + ".new-" + std::to_string(::getpid());
        if (::mkdir(staging.c_str(), 0755) != 0)
            throw FileError(staging + ": cannot create the run folder (" + std::strerror(errno) + ")");
        auto discard = [&] {
            lock_.reset();
            ::unlink((staging + "/" + kManifestFile).c_str());
            ::rmdir(staging.c_str());
        };
        try {
            lock_ = std::make_unique<RunLock>(staging);
            folder_ = staging;
            writeManifest();
        } catch (...) {
            discard();
            throw;
        }
        folder_ = folder;
        if (::rename(staging.c_str(), folder.c_str()) == 0)
            return; // a fresh folder: nothing of an earlier attempt to remove
        discard(); // another process made the folder meanwhile: join it as a restart below
    }
    folder_ = folder;
    if (::mkdir(folder_.c_str(), 0755) != 0 && errno != EEXIST)
        throw FileError(folder_ + ": cannot create the run folder (" + std::strerror(errno) + ")");
    lock_ = std::make_unique<RunLock>(folder_);
    // The new manifest first (no epochs, no checkpoint), then an earlier attempt's files (a
    // restarted run) go: its history and network are not this run's, and the temporary files of
    // a write it was killed in are of no use. A reader in between, or a crash, sees a new run
    // with files it does not need, never an old manifest whose files are gone.
    writeManifest();
    for (const char *name : {kMetricsFile, kBatchesFile, kCheckpointFile})
        ::unlink((folder_ + "/" + name).c_str());
    if (DIR *dir = ::opendir(folder_.c_str())) {
        std::vector<std::string> stale;
        while (const dirent *e = ::readdir(dir)) {
            const std::string name = e->d_name;
            if (name.size() > 5 && name[0] == '.' && name.compare(name.size() - 4, 4, ".tmp") == 0)
                stale.push_back(name);
        }
        ::closedir(dir);
        for (const std::string &name : stale)
            ::unlink((folder_ + "/" + name).c_str());
    }
}

RunRecorder::~RunRecorder()
{
    if (finished_)
        return;
    try {
        finish(nullptr, RunState::Stopped, manifest_.stopReason.empty() ? "the run was closed before its end" : manifest_.stopReason);
    } catch (...) {
        // A destructor cannot report; the manifest then says "running" and, without the lock,
        // reads back as interrupted.
    }
}

void RunRecorder::setBatchesPerEpoch(int batches)
{
    blockSize_ = std::max(1, batches / kBatchPointsPerEpoch);
}

void RunRecorder::settingsChanged(double epochPosition, int batchSize, double learningRate)
{
    TrainConfig &t = manifest_.training;
    auto add = [&](const char *setting, double from, double to) {
        if (manifest_.settingChanges.size() >= RunManifest::kMaxSettingChanges)
            manifest_.settingChanges.erase(manifest_.settingChanges.begin());
        manifest_.settingChanges.push_back({std::max(0.0, epochPosition), setting, from, to});
    };
    bool changed = false;
    if (learningRate != t.optimizer.learningRate) {
        add("lr", t.optimizer.learningRate, learningRate);
        t.optimizer.learningRate = learningRate;
        changed = true;
    }
    if (batchSize != t.batchSize) {
        add("batch", t.batchSize, batchSize);
        t.batchSize = batchSize;
        changed = true;
    }
    if (changed && !finished_)
        writeManifest();
}

void RunRecorder::addBatch(long long step, double epochPosition, double loss, double accuracy)
{
    block_.step = step;
    block_.epochPosition = epochPosition;
    block_.loss += loss;
    block_.accuracy += accuracy;
    if (++blockCount_ >= blockSize_)
        flushBlock();
}

void RunRecorder::flushBlock()
{
    if (blockCount_ == 0)
        return;
    block_.loss /= blockCount_;
    block_.accuracy /= blockCount_;
    batches_.push_back(block_);
    block_ = {};
    blockCount_ = 0;
    if (batches_.size() >= kMaxBatchPoints) {
        // Halve the resolution of the whole curve: neighbours merged, later blocks twice as long.
        std::vector<BatchRecord> merged;
        merged.reserve(batches_.size() / 2 + 1);
        for (std::size_t i = 0; i + 1 < batches_.size(); i += 2) {
            BatchRecord r = batches_[i + 1];
            r.loss = 0.5 * (batches_[i].loss + batches_[i + 1].loss);
            r.accuracy = 0.5 * (batches_[i].accuracy + batches_[i + 1].accuracy);
            merged.push_back(r);
        }
        if (batches_.size() % 2)
            merged.push_back(batches_.back());
        batches_.swap(merged);
        blockSize_ *= 2;
    }
}

void RunRecorder::writeManifest()
{
    manifest_.updated = currentUtcTime();
    writeFileAtomically(folder_ + "/" + kManifestFile, manifestToJson(manifest_));
}

void RunRecorder::writeBatches()
{
    std::string out = "step,epoch_position,loss,accuracy\n";
    out.reserve(out.size() + batches_.size() * 48);
    for (const BatchRecord &b : batches_)
        out += std::to_string(b.step) + ',' + formatNumber(b.epochPosition) + ',' + formatNumber(b.loss) + ','
               + formatNumber(b.accuracy) + '\n';
    writeFileAtomically(folder_ + "/" + kBatchesFile, out);
}

void RunRecorder::writeCheckpoint(const Trainer &trainer)
{
    saveCheckpoint(makeCheckpoint(trainer), folder_ + "/" + kCheckpointFile);
    manifest_.checkpoint = kCheckpointFile;
    manifest_.checkpointEpoch = static_cast<int>(trainer.history().size());
    lastCheckpointTime_ = monotonicSeconds();
}

void RunRecorder::takeResults(const Trainer &trainer)
{
    const auto &history = trainer.history();
    manifest_.epochs = static_cast<int>(history.size());
    manifest_.bestEpoch = trainer.bestEpoch();
    double seconds = 0;
    for (const EpochMetrics &m : history)
        seconds += m.seconds;
    manifest_.seconds = seconds;
    // The selected weights: the best validation epoch's (restoreBest), else the last epoch's.
    const EpochMetrics *selected = history.empty() ? nullptr : &history.back();
    if (trainer.config().restoreBest && trainer.bestEpoch() > 0 && trainer.bestEpoch() <= static_cast<int>(history.size()))
        selected = &history[trainer.bestEpoch() - 1];
    if (selected) {
        manifest_.testAccuracy = selected->testAccuracy;
        manifest_.testLoss = selected->testLoss;
        manifest_.meanDecisionTime = selected->meanDecisionTime;
        manifest_.hiddenSpikesPerNeuron = selected->hiddenSpikesPerNeuron;
        manifest_.hiddenFiredBeforeDecision = selected->hiddenFiredBeforeDecision;
    }
}

void RunRecorder::epochEnded(const Trainer &trainer)
{
    flushBlock();
    takeResults(trainer);
    writeFileAtomically(folder_ + "/" + kMetricsFile, metricsToCsv(trainer.history()));
    writeBatches();
    if (monotonicSeconds() - lastCheckpointTime_ >= kCheckpointPeriod)
        writeCheckpoint(trainer);
    writeManifest();
}

void RunRecorder::finish(const Trainer *trainer, RunState state, const std::string &reason)
{
    if (finished_)
        return;
    flushBlock();
    manifest_.state = state;
    manifest_.stopReason = reason;
    // The manifest is written last in any case: when a file before it cannot be written (a full
    // disk), the run is recorded as failed with that reason, then the error is passed on.
    std::exception_ptr error;
    try {
        if (trainer) {
            takeResults(*trainer);
            writeFileAtomically(folder_ + "/" + kMetricsFile, metricsToCsv(trainer->history()));
            writeCheckpoint(*trainer);
        }
        writeBatches();
    } catch (const std::exception &e) {
        error = std::current_exception();
        manifest_.state = RunState::Failed;
        manifest_.stopReason = std::string("the run's files could not be written: ") + e.what();
        if (!reason.empty() && state != RunState::Complete)
            manifest_.stopReason = reason + "; " + manifest_.stopReason;
    }
    try {
        writeManifest();
    } catch (...) {
        finished_ = true; // the attempt was made; the manifest stays as it was
        lock_.reset();
        throw;
    }
    finished_ = true;
    lock_.reset();
    if (error)
        std::rethrow_exception(error);
}

} // namespace firstspike

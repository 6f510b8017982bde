#include "app/cli/CliRunRecording.h"

#include "core/model/NetworkConfig.h"
#include "core/runs/RunReader.h"
#include "core/runs/RunsFolder.h"
#include "core/training/TrainConfig.h"
#include "core/files/DataExport.h"
#include "core/training/Optimizer.h"

#include <QCoreApplication>
#include <QFile>
#include <QStandardPaths>

#include <cstdlib>
#include <stdexcept>

namespace firstspike {

std::string CliRunRecording::runsFolder(const std::string &option)
{
    if (!option.empty())
        return option;
    // The desktop app's data folder: the same organisation and application names.
    QCoreApplication::setOrganizationName(QStringLiteral("Firstspike"));
    QCoreApplication::setApplicationName(QStringLiteral("firstspike"));
    const QString base = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    const std::string folder = RunsFolder::choose(option, base.isEmpty() ? std::string() : QFile::encodeName(base).toStdString());
    if (folder.empty())
        throw std::runtime_error("no user data folder to record the run in; give --runs-dir DIR or --no-record");
    return folder;
}

std::vector<std::pair<std::string, std::string>> CliRunRecording::parseSweepValues(const std::string &text)
{
    std::vector<std::pair<std::string, std::string>> values;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find(';', start);
        if (end == std::string::npos)
            end = text.size();
        const std::string item = text.substr(start, end - start);
        const std::size_t eq = item.find('=');
        if (eq == std::string::npos || eq == 0)
            throw std::invalid_argument("--sweep-values: '" + item + "' is not like name=value");
        const std::string key = item.substr(0, eq);
        for (const auto &[earlier, value] : values)
            if (earlier == key)
                throw std::invalid_argument("--sweep-values: the setting '" + key + "' is given twice");
        values.emplace_back(key, item.substr(eq + 1));
        start = end + 1;
    }
    return values;
}

std::unique_ptr<RunRecorder> CliRunRecording::start(const Options &options, const NetworkConfig &network,
                                                    const TrainConfig &training, const std::string &dataSource,
                                                    int trainLimit)
{
    if (!options.record)
        return nullptr;
    RunManifest m;
    m.id = options.runId.empty() ? newRunId() : options.runId;
    if (!isValidRunId(m.id))
        throw std::invalid_argument("--run-id: '" + m.id + "' is not a plain folder name (letters, digits, . _ - = +)");
    m.name = options.runName;
    if (m.name.empty())
        m.name = layerSizesToString(network.layerSizes) + " " + encodingName(network.encoding.kind) + " lr="
                 + formatNumber(training.optimizer.learningRate) + " seed=" + std::to_string(training.seed);
    m.origin = options.sweep.empty() ? "cli" : "sweep";
    m.sweep = options.sweep;
    m.sweepValues = parseSweepValues(options.sweepValues);
    m.network = network;
    m.training = training;
    m.data = dataSource;
    m.trainLimit = trainLimit;
    m.command = options.command;
    return std::make_unique<RunRecorder>(runsFolder(options.runsDir), std::move(m));
}

bool CliRunRecording::alreadyComplete(const Options &options)
{
    if (!options.record || options.runId.empty() || !isValidRunId(options.runId))
        return false;
    const RunRecord r = readRunFolder(runsFolder(options.runsDir) + "/" + options.runId, false);
    return r.health == RunHealth::Ok && r.manifest.state == RunState::Complete;
}

std::string CliRunRecording::shellQuote(const std::string &arg)
{
    bool plain = !arg.empty();
    for (char c : arg) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || std::string("-_./=:,+@%").find(c) != std::string::npos;
        if (!ok)
            plain = false;
    }
    if (plain)
        return arg;
    std::string out = "'";
    for (char c : arg) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

std::string CliRunRecording::commandLine(int argc, char **argv)
{
    std::string out;
    for (int i = 0; i < argc; ++i)
        out += (i ? " " : "") + shellQuote(argv[i]);
    return out;
}

} // namespace firstspike

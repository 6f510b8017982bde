// firstspike-cli sweep: a grid or random search over named settings and seeds (core/runs/
// SweepPlan.h), each point one `firstspike-cli train` process recorded as a run folder, N at a
// time on this machine, or printed as commands for a cluster scheduler. Resumable: a point
// whose run is complete is skipped; one left running by a process that no longer holds it
// (killed, crashed) is started again in the same folder.

#include "app/cli/CliRunRecording.h"
#include "core/common/OptionParsing.h"
#include "core/parallel/ThreadPool.h"
#include "core/runs/RunLock.h"
#include "core/runs/RunReader.h"
#include "core/runs/SweepPlan.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <map>
#include <spawn.h>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

extern char **environ;

using namespace firstspike;

// cli_main.cpp: the train verb's options and its checks of them.
bool trainOptionTakesValue(const std::string &name, bool &known);
std::string trainArgumentsProblem(const std::vector<std::string> &args);

namespace {

struct SweepUsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

void printSweepHelp()
{
    std::printf(
        "usage: firstspike-cli sweep [options] [train options shared by every run]\n"
        "Train one network per point of a grid or random search (times seeds), N processes at a time,\n"
        "each recorded as a run folder that the desktop app's Runs tab opens. Running the same sweep\n"
        "again skips the complete runs and restarts interrupted ones.\n\n"
        "options:\n"
        "  --grid NAME=V1,V2,...        values of a setting; several --grid: every combination\n"
        "  --random N                   N random points instead of the full grid: --range drawn\n"
        "                               uniformly, --grid values picked at random\n"
        "  --range NAME=LOW:HIGH[:log]  a numeric setting's range for --random (log: log-uniform)\n"
        "  --random-seed N              the random search's generator (default 1)\n"
        "  --seeds LIST                 training seeds, e.g. 1-3 or 1,2,5 (default 1)\n"
        "  --jobs N                     trainings at once on this machine (default 1); each gets\n"
        "                               cores / N threads unless --threads is given\n"
        "  --name NAME                  the sweep's name, the prefix of its run ids (default sweep)\n"
        "  --runs-dir DIR               the runs folder (default: $FIRSTSPIKE_RUNS_DIR, else the\n"
        "                               user's data folder/runs)\n"
        "  --print-commands             print one train command per run (for Slurm, GNU parallel)\n"
        "                               instead of running them\n"
        "  --dry-run                    list the runs and whether each is done, run nothing\n"
        "  --help                       show this help\n\n"
        "settings a sweep can vary: ");
    const std::vector<std::string> names = SweepPlan::settingNames();
    for (std::size_t i = 0; i < names.size(); ++i)
        std::printf("%s%s", i ? ", " : "", names[i].c_str());
    std::printf("\n(hidden=400 or hidden=400-400 sets --layers 784-H-10; the others are the train options of\n"
                "the same name). Every other option is a train option given to every run, e.g. --epochs 5.\n");
}

std::string selfPath()
{
    char buf[PATH_MAX + 1];
    const ssize_t n = ::readlink("/proc/self/exe", buf, PATH_MAX);
    if (n <= 0)
        throw std::runtime_error("cannot find this program's own path (/proc/self/exe)");
    buf[n] = '\0';
    return buf;
}

struct Job {
    const SweepPoint *point = nullptr;
    int index = 0;
};

std::string sweepValuesText(const SweepPoint &p)
{
    std::string text;
    for (const auto &[k, v] : p.values)
        text += (text.empty() ? "" : ";") + k + "=" + v;
    return text;
}

} // namespace

int runSweepCommand(int argc, char **argv)
{
    SweepSpec spec;
    std::string runsDirOption;
    int jobs = 1;
    bool printCommands = false, dryRun = false;
    bool threadsGiven = false;
    auto value = [&](int &i, const std::string &name, const std::string &inlineValue, bool hasInline) {
        if (hasInline)
            return inlineValue;
        if (i + 1 >= argc)
            throw SweepUsageError("option --" + name + " needs a value");
        return std::string(argv[++i]);
    };
    try {
        for (int i = 2; i < argc; ++i) {
            const std::string arg = argv[i];
            if (arg == "--help" || arg == "-h") {
                printSweepHelp();
                return 0;
            }
            if (arg.rfind("--", 0) != 0)
                throw SweepUsageError("unexpected argument '" + arg + "' (see firstspike-cli sweep --help)");
            std::string name = arg.substr(2), inlineValue;
            const std::size_t eq = name.find('=');
            const bool hasInline = eq != std::string::npos;
            if (hasInline) {
                inlineValue = name.substr(eq + 1);
                name = name.substr(0, eq);
            }
            if (name == "grid")
                spec.grid.push_back(SweepPlan::parseGrid(value(i, name, inlineValue, hasInline)));
            else if (name == "range")
                spec.ranges.push_back(SweepPlan::parseRange(value(i, name, inlineValue, hasInline)));
            else if (name == "random")
                spec.randomCount = static_cast<int>(parseIntOption("--random", value(i, name, inlineValue, hasInline), 1,
                                                                   static_cast<long long>(SweepPlan::kMaxPoints)));
            else if (name == "random-seed")
                spec.randomSeed = parseUInt64Option("--random-seed", value(i, name, inlineValue, hasInline));
            else if (name == "seeds") {
                spec.seeds = SweepPlan::parseSeeds(value(i, name, inlineValue, hasInline));
            } else if (name == "jobs")
                jobs = static_cast<int>(parseIntOption("--jobs", value(i, name, inlineValue, hasInline), 1, 1024));
            else if (name == "name")
                spec.name = value(i, name, inlineValue, hasInline);
            else if (name == "runs-dir")
                runsDirOption = value(i, name, inlineValue, hasInline);
            else if (name == "print-commands" && !hasInline)
                printCommands = true;
            else if (name == "dry-run" && !hasInline)
                dryRun = true;
            else {
                bool known = false;
                const bool takesValue = trainOptionTakesValue(name, known);
                if (!known)
                    throw SweepUsageError("unknown option --" + name
                                          + " (neither a sweep option nor a train option; see firstspike-cli sweep --help)");
                if (name == "threads")
                    threadsGiven = true;
                spec.sharedArgs.push_back("--" + name);
                if (takesValue)
                    spec.sharedArgs.push_back(value(i, name, inlineValue, hasInline));
                else if (hasInline)
                    throw SweepUsageError("option --" + name + " takes no value");
            }
        }
        if (spec.grid.empty() && spec.ranges.empty() && spec.seeds.size() <= 1)
            throw SweepUsageError("nothing to sweep: give --grid, --random with --range, or several --seeds");
    } catch (const SweepUsageError &e) {
        std::fprintf(stderr, "firstspike-cli sweep: %s\n", e.what());
        return 2;
    } catch (const SweepError &e) {
        std::fprintf(stderr, "firstspike-cli sweep: %s\n", e.what());
        return 2;
    } catch (const OptionError &e) {
        std::fprintf(stderr, "firstspike-cli sweep: %s\n", e.what());
        return 2;
    }

    std::vector<SweepPoint> points;
    try {
        points = SweepPlan::expand(spec);
    } catch (const SweepError &e) {
        std::fprintf(stderr, "firstspike-cli sweep: %s\n", e.what());
        return 2;
    }
    // Every run's arguments as train checks them, before anything starts.
    for (const SweepPoint &p : points)
        if (const std::string problem = trainArgumentsProblem(p.trainArgs); !problem.empty()) {
            std::fprintf(stderr, "firstspike-cli sweep: run %s: %s\n", p.name.c_str(), problem.c_str());
            return 2;
        }

    // Absolute, so that printed commands run the same from any working folder.
    std::string runsDir = CliRunRecording::runsFolder(runsDirOption);
    if (!runsDir.empty() && runsDir[0] != '/') {
        char cwd[PATH_MAX + 1];
        if (::getcwd(cwd, sizeof cwd))
            runsDir = std::string(cwd) + "/" + runsDir;
    }
    const std::string self = selfPath();
    // Each process gets its share of the cores unless --threads says otherwise (not part of the
    // run id: the thread count changes a run's bits, not its outcome).
    const int threadsPerJob = std::max(1, ThreadPool::hardwareThreads() / jobs);
    auto commandFor = [&](const SweepPoint &p) {
        std::vector<std::string> args = {self, "train", "--quiet", "--runs-dir", runsDir, "--run-id", p.id, "--run-name",
                                         p.name, "--sweep", spec.name, "--sweep-values", sweepValuesText(p)};
        if (!threadsGiven && !printCommands) {
            args.push_back("--threads");
            args.push_back(std::to_string(threadsPerJob));
        }
        args.insert(args.end(), p.trainArgs.begin(), p.trainArgs.end());
        return args;
    };

    if (printCommands) {
        for (const SweepPoint &p : points) {
            std::vector<std::string> args = commandFor(p);
            args.insert(args.begin() + 3, "--skip-if-complete");
            std::string line;
            for (const std::string &a : args)
                line += (line.empty() ? "" : " ") + CliRunRecording::shellQuote(a);
            std::printf("%s\n", line.c_str());
        }
        return 0;
    }

    std::vector<Job> todo;
    int complete = 0, busy = 0;
    for (std::size_t i = 0; i < points.size(); ++i) {
        const RunRecord r = readRunFolder(runsDir + "/" + points[i].id, false);
        struct stat st {};
        const bool exists = ::stat((runsDir + "/" + points[i].id).c_str(), &st) == 0;
        if (r.health == RunHealth::Ok && r.manifest.state == RunState::Complete) {
            ++complete;
            if (dryRun)
                std::printf("done     %s  %s\n", points[i].id.c_str(), points[i].name.c_str());
            continue;
        }
        if (RunLock::isHeld(runsDir + "/" + points[i].id)) {
            ++busy;
            if (dryRun)
                std::printf("running  %s  %s\n", points[i].id.c_str(), points[i].name.c_str());
            continue;
        }
        if (dryRun)
            std::printf("%s %s  %s\n", exists ? "restart " : "to run  ", points[i].id.c_str(), points[i].name.c_str());
        todo.push_back({&points[i], static_cast<int>(i)});
    }
    std::printf("sweep %s: %zu runs in %s: %d complete, %d running elsewhere, %zu to run, %d at a time\n",
                spec.name.c_str(), points.size(), runsDir.c_str(), complete, busy, todo.size(), jobs);
    std::fflush(stdout);
    if (dryRun)
        return 0;

    std::map<pid_t, Job> running;
    std::size_t next = 0;
    int failed = 0, done = 0, notStarted = 0;
    const std::size_t total = todo.size();
    while (next < todo.size() || !running.empty()) {
        while (next < todo.size() && static_cast<int>(running.size()) < jobs) {
            const Job job = todo[next++];
            std::vector<std::string> args = commandFor(*job.point);
            std::vector<char *> argvChild;
            for (std::string &a : args)
                argvChild.push_back(a.data());
            argvChild.push_back(nullptr);
            pid_t pid = 0;
            const int rc = ::posix_spawn(&pid, self.c_str(), nullptr, nullptr, argvChild.data(), environ);
            if (rc != 0) {
                ++notStarted;
                std::fprintf(stderr, "firstspike-cli sweep: cannot start a training process (%s)\n", std::strerror(rc));
                std::printf("[%zu/%zu] not started  %s  %s (cannot start a training process: %s)\n", next, total,
                            job.point->id.c_str(), job.point->name.c_str(), std::strerror(rc));
                std::fflush(stdout);
                continue;
            }
            running[pid] = job;
            std::printf("[%zu/%zu] started %s  %s\n", next, total, job.point->id.c_str(), job.point->name.c_str());
            std::fflush(stdout);
        }
        int status = 0;
        const pid_t pid = ::waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        const auto it = running.find(pid);
        if (it == running.end())
            continue;
        const Job job = it->second;
        running.erase(it);
        ++done;
        const RunRecord r = readRunFolder(runsDir + "/" + job.point->id, false);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && r.health == RunHealth::Ok
            && r.manifest.state == RunState::Complete) {
            std::printf("[%d/%zu] done    %s  %s: test accuracy %.2f%%, %.1f s\n", done, total, job.point->id.c_str(),
                        job.point->name.c_str(), 100 * r.manifest.testAccuracy, r.manifest.seconds);
        } else {
            ++failed;
            const std::string how = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                                        : "exit status " + std::to_string(WEXITSTATUS(status));
            std::printf("[%d/%zu] failed  %s  %s (%s)\n", done, total, job.point->id.c_str(), job.point->name.c_str(),
                        how.c_str());
        }
        std::fflush(stdout);
    }
    std::string problems;
    if (failed)
        problems += ", " + std::to_string(failed) + " failed";
    if (notStarted)
        problems += ", " + std::to_string(notStarted) + " could not be started";
    std::printf("sweep %s: %d of %zu runs complete%s\n", spec.name.c_str(), complete + done - failed, points.size(),
                problems.c_str());
    return failed || notStarted ? 1 : 0;
}

#include "core/runs/SweepPlan.h"

#include "core/common/OptionParsing.h"
#include "core/common/Random.h"
#include "core/files/DataExport.h"
#include "core/runs/RunRecorder.h"
#include "core/training/SettingsLimits.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace firstspike {

namespace {

enum class Kind { Real, Integer, Choice, Hidden, Layers };

struct Setting {
    const char *name;
    Kind kind;
    SettingRange range;   // Real, and Integer's bounds
    const char *choices;  // Choice: "a|b|c"
};

const std::vector<Setting> &settings()
{
    static const std::vector<Setting> table = {
        {"hidden", Kind::Hidden, {}, nullptr},
        {"layers", Kind::Layers, {}, nullptr},
        {"lr", Kind::Real, limits::kLearningRate, nullptr},
        {"batch", Kind::Integer, {"batch", 1, limits::kMaxBatchSize}, nullptr},
        {"epochs", Kind::Integer, {"epochs", 1, limits::kMaxEpochs}, nullptr},
        {"encoding", Kind::Choice, {}, "latency|binary"},
        {"optimizer", Kind::Choice, {}, "adam|sgd"},
        {"schedule", Kind::Choice, {}, "exp-run|exp|cosine"},
        {"weight-sum-k", Kind::Real, limits::kWeightSumK, nullptr},
        {"l2", Kind::Real, limits::kL2, nullptr},
        {"decision-cost", Kind::Real, limits::kDecisionTimeCost, nullptr},
        {"latency-scale", Kind::Real, limits::kLatencyScale, nullptr},
        {"max-spike-time", Kind::Real, limits::kHorizon, nullptr},
        {"lr-decay", Kind::Real, limits::kLrDecay, nullptr},
        {"lr-floor", Kind::Real, limits::kLrFloor, nullptr},
        {"init-low", Kind::Real, limits::kInitBound, nullptr},
        {"init-high", Kind::Real, limits::kInitBound, nullptr},
        {"validation", Kind::Real, limits::kValidationFraction, nullptr},
        {"warmup-epochs", Kind::Real, limits::kWarmupEpochs, nullptr},
        {"patience", Kind::Integer, {"patience", 0, limits::kMaxPatience}, nullptr},
        {"augment-shift", Kind::Integer, {"augment-shift", 0, limits::kMaxAugmentShift}, nullptr},
    };
    return table;
}

const Setting &findSetting(const std::string &name, const std::string &option)
{
    for (const Setting &s : settings())
        if (name == s.name)
            return s;
    std::string known;
    for (const Setting &s : settings())
        known += (known.empty() ? "" : ", ") + std::string(s.name);
    throw SweepError(option + ": '" + name + "' is not a setting a sweep can vary (" + known + ")");
}

std::pair<std::string, std::string> splitAssignment(const std::string &text, const std::string &option)
{
    const std::size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
        throw SweepError(option + ": '" + text + "' is not like NAME=VALUES");
    return {text.substr(0, eq), text.substr(eq + 1)};
}

std::vector<std::string> splitOn(const std::string &text, char sep)
{
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = text.find(sep, start);
        parts.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos)
            return parts;
        start = end + 1;
    }
}

// The train arguments that set `name` to `value`.
std::vector<std::string> argsFor(const std::string &name, const std::string &value)
{
    if (name == "hidden")
        return {"--layers", "784-" + value + "-10"};
    return {"--" + name, value};
}

std::uint64_t fnv1a(const std::string &text)
{
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

// Per-run options a sweep sets itself, or that would make its runs collide.
const std::set<std::string> &reservedOptions()
{
    static const std::set<std::string> names = {"--seed", "--save", "--metrics-json", "--run-id", "--run-name",
                                                "--runs-dir", "--no-record", "--model"};
    return names;
}

// Train options that change how a run is done or where it is recorded, never its results.
const std::set<std::string> &optionsOutsideTheId()
{
    static const std::set<std::string> names = {"--threads", "--quiet", "--runs-dir", "--run-name", "--run-id",
                                                "--skip-if-complete", "--sweep", "--sweep-values", "--no-record",
                                                "--save", "--metrics-json"};
    return names;
}

} // namespace

std::string SweepPlan::sharedArgsKey(const std::vector<std::string> &args)
{
    // Option/value pairs: "--name value", "--name=value", or a switch "--name" (the next
    // argument starts with "--", or there is none).
    std::vector<std::pair<std::string, std::string>> pairs;
    for (std::size_t i = 0; i < args.size(); ++i) {
        std::string option = args[i], value;
        bool hasValue = false;
        if (option.rfind("--", 0) == 0) {
            const std::size_t eq = option.find('=');
            if (eq != std::string::npos) {
                value = option.substr(eq + 1);
                option = option.substr(0, eq);
                hasValue = true;
            } else if (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) {
                value = args[++i];
                hasValue = true;
            }
        }
        if (optionsOutsideTheId().count(option))
            continue;
        if (hasValue && option.size() > 2) {
            const std::string name = option.substr(2);
            const bool known = std::any_of(settings().begin(), settings().end(),
                                           [&](const Setting &s) { return name == s.name; });
            if (known) {
                try {
                    value = canonicalValue(name, value);
                } catch (const SweepError &) {
                    // A value the trainer refuses: each run fails with its message; kept as typed.
                }
            }
        }
        pairs.emplace_back(option, hasValue ? "=" + value : std::string());
    }
    std::sort(pairs.begin(), pairs.end());
    std::string key;
    for (const auto &[option, value] : pairs)
        key += option + value + '\x1f';
    return key;
}

std::vector<std::string> SweepPlan::settingNames()
{
    std::vector<std::string> names;
    for (const Setting &s : settings())
        names.push_back(s.name);
    return names;
}

std::string SweepPlan::canonicalValue(const std::string &name, const std::string &value)
{
    const std::string option = "--grid " + name;
    const Setting &s = findSetting(name, option);
    try {
        switch (s.kind) {
        case Kind::Real:
            return formatNumber(parseDoubleOption(option, value, s.range));
        case Kind::Integer:
            return std::to_string(parseIntOption(option, value, static_cast<long long>(s.range.min),
                                                 static_cast<long long>(s.range.max)));
        case Kind::Choice:
            for (const std::string &c : splitOn(s.choices, '|'))
                if (c == value)
                    return value;
            throw SweepError(option + ": '" + value + "' is not one of " + s.choices);
        case Kind::Hidden: {
            std::string layers = "784-";
            layers += value;
            layers += "-10";
            const std::vector<int> sizes = parseLayersOption(option, layers);
            std::string text;
            for (std::size_t i = 1; i + 1 < sizes.size(); ++i) {
                if (i > 1)
                    text += '-';
                text += std::to_string(sizes[i]);
            }
            return text;
        }
        case Kind::Layers:
            return layerSizesToString(parseLayersOption(option, value));
        }
    } catch (const OptionError &e) {
        throw SweepError(e.what());
    }
    return value;
}

SweepAxis SweepPlan::parseGrid(const std::string &text)
{
    const auto [name, list] = splitAssignment(text, "--grid");
    findSetting(name, "--grid");
    SweepAxis axis;
    axis.name = name;
    for (const std::string &v : splitOn(list, ',')) {
        const std::string c = canonicalValue(name, v);
        if (std::find(axis.values.begin(), axis.values.end(), c) != axis.values.end())
            throw SweepError("--grid " + name + ": the value " + c + " is given twice");
        axis.values.push_back(c);
    }
    return axis;
}

SweepRange SweepPlan::parseRange(const std::string &text)
{
    const auto [name, spec] = splitAssignment(text, "--range");
    const Setting &s = findSetting(name, "--range");
    if (s.kind != Kind::Real && s.kind != Kind::Integer)
        throw SweepError("--range " + name + ": only numeric settings have ranges (use --grid for its values)");
    const std::vector<std::string> parts = splitOn(spec, ':');
    if (parts.size() < 2 || parts.size() > 3 || (parts.size() == 3 && parts[2] != "log" && parts[2] != "lin"))
        throw SweepError("--range " + name + ": '" + spec + "' is not like LOW:HIGH, LOW:HIGH:log or LOW:HIGH:lin");
    SweepRange r;
    r.name = name;
    try {
        r.low = parseDoubleOption("--range " + name, parts[0], s.range);
        r.high = parseDoubleOption("--range " + name, parts[1], s.range);
    } catch (const OptionError &e) {
        throw SweepError(e.what());
    }
    r.logScale = parts.size() == 3 && parts[2] == "log";
    if (!(r.low < r.high))
        throw SweepError("--range " + name + ": the low end " + parts[0] + " is not below the high end " + parts[1]);
    if (r.logScale && r.low <= 0)
        throw SweepError("--range " + name + ": a log range needs a low end above 0");
    return r;
}

std::vector<std::uint64_t> SweepPlan::parseSeeds(const std::string &text)
{
    std::vector<std::uint64_t> seeds;
    try {
        for (const std::string &part : splitOn(text, ',')) {
            const std::size_t dash = part.find('-');
            if (dash == std::string::npos) {
                seeds.push_back(parseUInt64Option("--seeds", part));
                continue;
            }
            const std::uint64_t first = parseUInt64Option("--seeds", part.substr(0, dash));
            const std::uint64_t last = parseUInt64Option("--seeds", part.substr(dash + 1));
            if (last < first)
                throw SweepError("--seeds: '" + part + "' runs backwards");
            if (last - first >= kMaxPoints)
                throw SweepError("--seeds: '" + part + "' has more than " + std::to_string(kMaxPoints) + " seeds");
            for (std::uint64_t s = first;; ++s) {
                seeds.push_back(s);
                if (s == last)
                    break;
            }
        }
    } catch (const OptionError &e) {
        throw SweepError(e.what());
    }
    std::vector<std::uint64_t> unique;
    std::set<std::uint64_t> seen;
    for (std::uint64_t s : seeds)
        if (seen.insert(s).second)
            unique.push_back(s);
    if (unique.size() > kMaxPoints)
        throw SweepError("--seeds: more than " + std::to_string(kMaxPoints) + " seeds");
    return unique;
}

std::vector<SweepPoint> SweepPlan::expand(const SweepSpec &spec)
{
    if (!isValidRunId(spec.name) || spec.name.size() > 60)
        throw SweepError("--name: '" + spec.name + "' is not a plain name of at most 60 letters, digits, . _ - = +");
    std::set<std::string> swept;
    for (const SweepAxis &a : spec.grid)
        if (!swept.insert(a.name).second)
            throw SweepError("--grid " + a.name + ": the setting is swept twice");
    for (const SweepRange &r : spec.ranges)
        if (!swept.insert(r.name).second)
            throw SweepError("--range " + r.name + ": the setting is swept twice");
    if (swept.count("hidden") && swept.count("layers"))
        throw SweepError("--grid hidden and layers: both set the layers; sweep one of them");
    for (const std::string &arg : spec.sharedArgs) {
        if (arg.rfind("--", 0) != 0)
            continue;
        const std::string option = arg.substr(0, arg.find('='));
        if (reservedOptions().count(option))
            throw SweepError(option + ": a sweep sets it for each run; it cannot be shared by all of them");
        const std::string name = option.substr(2);
        if (swept.count(name) || (name == "layers" && swept.count("hidden")))
            throw SweepError(option + ": the sweep varies this setting; it cannot also be fixed");
    }
    if (spec.seeds.empty())
        throw SweepError("--seeds: no seeds");
    if (spec.randomCount == 0 && !spec.ranges.empty())
        throw SweepError("--range: ranges are drawn from by a random search (--random N)");
    if (spec.randomCount < 0 || static_cast<std::size_t>(spec.randomCount) > kMaxPoints)
        throw SweepError("--random: the count is outside 1.." + std::to_string(kMaxPoints));

    // The settings of each point before the seeds.
    std::vector<std::vector<std::pair<std::string, std::string>>> combos;
    if (spec.randomCount > 0) {
        Random random(spec.randomSeed);
        for (int i = 0; i < spec.randomCount; ++i) {
            std::vector<std::pair<std::string, std::string>> combo;
            for (const SweepAxis &a : spec.grid)
                combo.emplace_back(a.name, a.values[random.next() % a.values.size()]);
            for (const SweepRange &r : spec.ranges) {
                const double u = random.uniform();
                double v = r.logScale ? std::exp(std::log(r.low) + u * (std::log(r.high) - std::log(r.low)))
                                      : r.low + u * (r.high - r.low);
                v = std::clamp(v, r.low, r.high);
                const Setting &s = findSetting(r.name, "--range");
                char buf[40];
                if (s.kind == Kind::Integer)
                    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(std::llround(v)));
                else
                    std::snprintf(buf, sizeof buf, "%.4g", v);
                std::string text = canonicalValue(r.name, buf);
                combo.emplace_back(r.name, text);
            }
            combos.push_back(std::move(combo));
        }
    } else {
        combos.emplace_back();
        for (const SweepAxis &a : spec.grid) {
            if (a.values.empty())
                throw SweepError("--grid " + a.name + ": no values");
            std::vector<std::vector<std::pair<std::string, std::string>>> next;
            for (const auto &combo : combos)
                for (const std::string &v : a.values) {
                    if (next.size() * spec.seeds.size() >= kMaxPoints)
                        throw SweepError("the sweep has more than " + std::to_string(kMaxPoints) + " runs");
                    auto extended = combo;
                    extended.emplace_back(a.name, v);
                    next.push_back(std::move(extended));
                }
            combos.swap(next);
        }
    }
    if (combos.size() * spec.seeds.size() > kMaxPoints)
        throw SweepError("the sweep has more than " + std::to_string(kMaxPoints) + " runs");

    const std::string shared = sharedArgsKey(spec.sharedArgs);
    std::vector<SweepPoint> points;
    std::set<std::string> ids;
    for (const auto &combo : combos)
        for (std::uint64_t seed : spec.seeds) {
            SweepPoint p;
            p.values = combo;
            p.seed = seed;
            auto sorted = combo;
            std::sort(sorted.begin(), sorted.end());
            std::string key = "firstspike-sweep-1\n" + spec.name + "\n" + shared + "\n";
            for (const auto &[k, v] : sorted)
                key += k + "=" + v + "\n";
            key += "seed=" + std::to_string(seed);
            char hex[24];
            std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(fnv1a(key)));
            p.id = spec.name + "-" + hex;
            if (!ids.insert(p.id).second)
                continue; // a random search that drew the same point twice runs it once
            for (const auto &[k, v] : combo)
                p.name += k + "=" + v + " ";
            p.name += "seed=" + std::to_string(seed);
            p.trainArgs = spec.sharedArgs;
            for (const auto &[k, v] : combo)
                for (const std::string &a : argsFor(k, v))
                    p.trainArgs.push_back(a);
            p.trainArgs.push_back("--seed");
            p.trainArgs.push_back(std::to_string(seed));
            points.push_back(std::move(p));
        }
    return points;
}

} // namespace firstspike

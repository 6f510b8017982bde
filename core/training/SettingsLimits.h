#pragma once
// The ranges every run setting must lie in, wherever it comes from: the command line, the GUI's
// command line and settings panel, a session file or a checkpoint (docs/FORMATS.md, "Limits").
// One place, so that a value one door accepts is never refused by another.

#include "core/model/NetworkConfig.h"
#include "core/training/TrainConfig.h"

#include <string>

namespace firstspike {

struct SettingRange {
    const char *name; // as the command line spells it, e.g. "threshold"
    double min;
    double max;
};

// Thresholds in [1e-12, 1e12], times up to 700 (exp(700) is still a finite double) and 0 epochs
// (a checkpoint of the initial weights): every checkpoint of format versions 1 and 2 that a
// run could write loads.
namespace limits {
constexpr SettingRange kThreshold{"threshold", 1e-12, 1e12};
// exp(horizon) must stay finite: exp(700) = 1e304, double overflows at exp(709.78).
constexpr SettingRange kHorizon{"max-spike-time", 1e-3, 700.0};
constexpr SettingRange kLatencyScale{"latency-scale", 0.0, 700.0};
constexpr SettingRange kBinaryLateTime{"binary-late-time", 0.0, 700.0};
constexpr SettingRange kBinarizeThreshold{"binarize-threshold", 0.0, 1.0};
constexpr SettingRange kLearningRate{"lr", 0.0, 1e3};
constexpr SettingRange kLrDecay{"lr-decay", 0.0, 1e3};
constexpr SettingRange kLrFloor{"lr-floor", 0.0, 1e3};
constexpr SettingRange kBeta{"beta", 0.0, 0.999999999};
constexpr SettingRange kEpsilon{"epsilon", 1e-300, 1.0};
constexpr SettingRange kWeightSumK{"weight-sum-k", 0.0, 1e6};
constexpr SettingRange kL2{"l2", 0.0, 1e6};
constexpr SettingRange kInitBound{"init-low/init-high", -1e6, 1e6};
constexpr SettingRange kValidationFraction{"validation", 0.0, 0.9};
constexpr SettingRange kWarmupEpochs{"warmup-epochs", 0.0, 1e6};
constexpr SettingRange kDecisionTimeCost{"decision-cost", 0.0, 1e3};
constexpr int kMaxEpochs = 1000000;
constexpr int kMaxBatchSize = 1000000;
constexpr int kMaxThreads = 1024;
constexpr int kMaxPatience = 1000000;
constexpr int kMaxAugmentShift = 27;
} // namespace limits

// "" when value is finite and inside range, else "<name> = <value> is outside [min, max]" or
// "<name> is not a finite number".
std::string rangeProblem(const SettingRange &range, double value);

// The first problem of a network or training configuration, "" when there is none: every number
// finite and in its range, the layer sizes acceptable (layerSizesProblem).
std::string networkConfigProblem(const NetworkConfig &network);
std::string trainConfigProblem(const TrainConfig &training);

} // namespace firstspike

#include "core/training/SettingsLimits.h"

#include <cmath>
#include <cstdio>

namespace firstspike {

namespace {

std::string number(double v)
{
    char text[40];
    std::snprintf(text, sizeof text, "%.6g", v);
    return text;
}

std::string intProblem(const char *name, long long value, long long min, long long max)
{
    if (value < min || value > max)
        return std::string(name) + " = " + std::to_string(value) + " is outside [" + std::to_string(min) + ", "
               + std::to_string(max) + "]";
    return {};
}

} // namespace

std::string rangeProblem(const SettingRange &range, double value)
{
    if (!std::isfinite(value))
        return std::string(range.name) + " is not a finite number (" + number(value) + ")";
    if (value < range.min || value > range.max)
        return std::string(range.name) + " = " + number(value) + " is outside [" + number(range.min) + ", "
               + number(range.max) + "]";
    return {};
}

std::string networkConfigProblem(const NetworkConfig &n)
{
    if (std::string p = layerSizesProblem(n.layerSizes); !p.empty())
        return "layers: " + p;
    for (const auto &[range, value] : {std::pair{limits::kThreshold, n.threshold},
                                       std::pair{limits::kHorizon, n.maxSpikeTime},
                                       std::pair{limits::kLatencyScale, n.encoding.latencyScale},
                                       std::pair{limits::kBinarizeThreshold, n.encoding.binarizeThreshold},
                                       std::pair{limits::kBinaryLateTime, n.encoding.binaryLateTime}})
        if (std::string p = rangeProblem(range, value); !p.empty())
            return p;
    return {};
}

std::string trainConfigProblem(const TrainConfig &t)
{
    // 0 epochs: a checkpoint of the initial weights (saved before any epoch) is valid.
    if (std::string p = intProblem("epochs", t.epochs, 0, limits::kMaxEpochs); !p.empty())
        return p;
    if (std::string p = intProblem("batch", t.batchSize, 1, limits::kMaxBatchSize); !p.empty())
        return p;
    if (std::string p = intProblem("threads", t.threads, 0, limits::kMaxThreads); !p.empty())
        return p;
    if (std::string p = intProblem("patience", t.patience, 0, limits::kMaxPatience); !p.empty())
        return p;
    if (std::string p = intProblem("augment-shift", t.augmentShift, 0, limits::kMaxAugmentShift); !p.empty())
        return p;
    const OptimizerConfig &o = t.optimizer;
    for (const auto &[range, value] : {std::pair{limits::kLearningRate, o.learningRate},
                                       std::pair{limits::kLrDecay, o.lrDecay},
                                       std::pair{limits::kLrFloor, o.lrFloor},
                                       std::pair{limits::kBeta, o.beta1},
                                       std::pair{limits::kBeta, o.beta2},
                                       std::pair{limits::kEpsilon, o.epsilon},
                                       std::pair{limits::kWeightSumK, t.weightSumK},
                                       std::pair{limits::kL2, t.l2},
                                       std::pair{limits::kInitBound, t.initLow},
                                       std::pair{limits::kInitBound, t.initHigh},
                                       std::pair{limits::kValidationFraction, t.validationFraction},
                                       std::pair{limits::kWarmupEpochs, t.warmupEpochs},
                                       std::pair{limits::kDecisionTimeCost, t.decisionTimeCost}})
        if (std::string p = rangeProblem(range, value); !p.empty())
            return p;
    // init-low above init-high is not refused: the weights are drawn between the two bounds in
    // either order, the command line always took them so, and checkpoints saved so must load.
    return {};
}

} // namespace firstspike

#pragma once
// The first trainCount training and testCount test digits of the embedded MNIST set, a data set
// small enough for a test to train on in a moment.

#include "core/data/IdxReader.h"

#include <memory>
#include <vector>

namespace firstspike::test {

inline std::shared_ptr<const DataSplit> embeddedSubset(int trainCount, int testCount)
{
    static const DataSplit full = loadEmbeddedMnist();
    auto d = std::make_shared<DataSplit>();
    d->source = full.source;
    std::vector<int> train(static_cast<std::size_t>(trainCount)), test(static_cast<std::size_t>(testCount));
    for (int i = 0; i < trainCount; ++i)
        train[static_cast<std::size_t>(i)] = i;
    for (int i = 0; i < testCount; ++i)
        test[static_cast<std::size_t>(i)] = i;
    d->train = full.train.subset(train, "train");
    d->test = full.test.subset(test, "test");
    return d;
}

} // namespace firstspike::test

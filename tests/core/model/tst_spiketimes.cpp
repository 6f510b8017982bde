// Closed-form spike times (docs/MODEL.md, z_out = sum_C w z / (sum_C w - theta)) against direct
// numerical integration of the neuron's ODE: dI/dt = -I + sum_i w_i delta(t - t_i), dV/dt = I.

#include "core/model/SpikeNetwork.h"
#include "core/model/SpikeOrder.h"
#include "core/common/Random.h"

#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

using namespace firstspike;

namespace {

struct Input {
    double t;
    double w;
};

// RK4 on (V, I) between input events; returns the first time V reaches theta, or +inf if it
// does not before tMax. maxV receives the largest V seen (for near-tangent cases).
double integrateFirstCrossing(std::vector<Input> inputs, double theta, double tMax, double h, double &maxV)
{
    std::sort(inputs.begin(), inputs.end(), [](const Input &a, const Input &b) { return a.t < b.t; });
    double V = 0.0, I = 0.0, t = 0.0;
    maxV = 0.0;
    std::size_t next = 0;
    auto rk4 = [](double &v, double &i, double dt) {
        // dV/dt = I, dI/dt = -I
        const double k1v = i, k1i = -i;
        const double k2v = i + 0.5 * dt * k1i, k2i = -(i + 0.5 * dt * k1i);
        const double k3v = i + 0.5 * dt * k2i, k3i = -(i + 0.5 * dt * k2i);
        const double k4v = i + dt * k3i, k4i = -(i + dt * k3i);
        v += dt / 6.0 * (k1v + 2 * k2v + 2 * k3v + k4v);
        i += dt / 6.0 * (k1i + 2 * k2i + 2 * k3i + k4i);
    };
    while (t < tMax) {
        while (next < inputs.size() && inputs[next].t <= t) // synaptic current jumps by w
            I += inputs[next++].w;
        double stepEnd = std::min(t + h, tMax);
        if (next < inputs.size())
            stepEnd = std::min(stepEnd, inputs[next].t);
        double v = V, i = I;
        rk4(v, i, stepEnd - t);
        if (v >= theta) {
            // Bisection on the step, re-integrating from the start of the step.
            double lo = 0.0, hi = stepEnd - t;
            for (int it = 0; it < 60; ++it) {
                const double mid = 0.5 * (lo + hi);
                double vm = V, im = I;
                rk4(vm, im, mid);
                (vm >= theta ? hi : lo) = mid;
            }
            maxV = theta;
            return t + hi;
        }
        V = v;
        I = i;
        maxV = std::max(maxV, V);
        t = stepEnd;
    }
    return kSilent;
}

} // namespace

class TestSpikeTimes : public QObject {
    Q_OBJECT

private:
    // Runs `neurons` random neurons sharing one layer (one input order, the production path)
    // and checks each against numerical integration.
    void checkRandomLayer(std::uint64_t seed, int fanIn, int neurons, bool quantisedTimes, bool bias,
                          double wLow, double wHigh, int &spiking, int &silent, int &tied)
    {
        Random rng(seed);
        const double theta = 1.0, tMax = 6.0;
        Vector inputZ(fanIn);
        std::vector<double> times(fanIn);
        for (int i = 0; i < fanIn; ++i) {
            double t = quantisedTimes ? 0.25 * static_cast<double>(rng.below(9)) : rng.uniform(0.0, 3.0);
            if (!quantisedTimes && rng.uniform() < 0.1)
                t = kSilent; // a silent presynaptic neuron never arrives
            times[i] = t;
            inputZ[i] = std::exp(t);
        }
        Matrix w(fanIn + (bias ? 1 : 0), neurons);
        for (Eigen::Index k = 0; k < w.size(); ++k)
            w.data()[k] = rng.uniform(wLow, wHigh);
        LayerActivity act;
        SpikeNetwork::forwardLayer(w, bias, theta, std::exp(tMax), inputZ, act);
        for (std::size_t g = 1; g <= act.groupEnd.size(); ++g) {
            const int size = act.groupEnd[g - 1] - (g > 1 ? act.groupEnd[g - 2] : 0);
            tied += size > 1 ? 1 : 0;
        }

        for (int j = 0; j < neurons; ++j) {
            std::vector<Input> inputs;
            for (int i = 0; i < fanIn; ++i)
                if (std::isfinite(times[i]))
                    inputs.push_back({times[i], w(i, j)});
            if (bias)
                inputs.push_back({0.0, w(fanIn, j)});
            double maxV = 0.0;
            const double numeric = integrateFirstCrossing(inputs, theta, tMax, 1e-3, maxV);
            const double closed = std::log(act.spikeZ[j]);
            if (std::isinf(numeric) != std::isinf(closed)) {
                // Only a neuron that grazes theta within the integration error may disagree.
                QVERIFY2(std::abs(maxV - theta) < 1e-6,
                         qPrintable(QString("neuron %1: closed form t=%2, numerical t=%3 (max V %4)")
                                        .arg(j).arg(closed).arg(numeric).arg(maxV)));
                continue;
            }
            if (std::isinf(closed)) {
                ++silent;
                QCOMPARE(act.causalSetSize[j], 0);
                continue;
            }
            ++spiking;
            QVERIFY2(std::abs(closed - numeric) < 1e-6,
                     qPrintable(QString("neuron %1: closed form t=%2, numerical t=%3").arg(j).arg(closed, 0, 'g', 12).arg(numeric, 0, 'g', 12)));
            // The causal set is exactly the inputs that arrived before the spike.
            int arrived = bias ? 1 : 0;
            for (double ti : times)
                arrived += ti < closed ? 1 : 0;
            QCOMPARE(act.causalSetSize[j], arrived);
            // The closed form evaluated on the causal set reproduces z_out.
            double a = 0.0, b = 0.0;
            for (int k = 0; k < act.causalSetSize[j]; ++k) {
                const int i = act.inputOrder[k];
                a += w(i, j) * act.orderedZ[k];
                b += w(i, j);
            }
            QVERIFY(std::abs(a / (b - theta) - act.spikeZ[j]) < 1e-9 * act.spikeZ[j]);
        }
    }

private slots:
    void randomNeuronsMatchIntegration()
    {
        int spiking = 0, silent = 0, tied = 0;
        for (std::uint64_t seed = 1; seed <= 6; ++seed)
            checkRandomLayer(seed, 30, 60, false, seed % 2 == 0, -0.15, 0.25, spiking, silent, tied);
        qInfo("continuous times: %d spiking, %d silent neurons checked", spiking, silent);
        QVERIFY(spiking >= 150);
        QVERIFY(silent >= 20);
    }

    void tiedInputTimes()
    {
        // Quantised times (as from binarised or 8-bit inputs) put many inputs in one step.
        int spiking = 0, silent = 0, tied = 0;
        for (std::uint64_t seed = 11; seed <= 16; ++seed)
            checkRandomLayer(seed, 40, 50, true, true, -0.1, 0.15, spiking, silent, tied);
        qInfo("tied times: %d spiking, %d silent, %d tied groups", spiking, silent, tied);
        QVERIFY(tied >= 30);
        QVERIFY(spiking >= 100);
        QVERIFY(silent >= 10);
    }

    void mostlyInhibitoryNeuronsStaySilent()
    {
        int spiking = 0, silent = 0, tied = 0;
        checkRandomLayer(21, 30, 80, false, true, -0.5, 0.1, spiking, silent, tied);
        QVERIFY(silent >= 60);
    }

    void singleInputClosedForm()
    {
        // One input of weight 2 at t = 0.5: V = 2(1 - exp(-(t - 0.5))) = 1 at t = 0.5 + ln 2.
        Matrix w(1, 1);
        w(0, 0) = 2.0;
        Vector z(1);
        z[0] = std::exp(0.5);
        LayerActivity act;
        SpikeNetwork::forwardLayer(w, false, 1.0, 1e9, z, act);
        QVERIFY(std::abs(std::log(act.spikeZ[0]) - (0.5 + std::log(2.0))) < 1e-12);
        QCOMPARE(act.causalSetSize[0], 1);
        // Weight exactly theta never reaches it (V -> 1 as t -> inf): silent, not inf*0 = NaN.
        w(0, 0) = 1.0;
        SpikeNetwork::forwardLayer(w, false, 1.0, 1e9, z, act);
        QVERIFY(std::isinf(act.spikeZ[0]));
        QCOMPARE(act.silentCount(), 1);
    }

    void horizonMakesLateNeuronsSilent()
    {
        // sum w - theta = 1e-6: the spike would be at z ~ 1e6 (t ~ 13.8), past a horizon t = 8.
        Matrix w(1, 1);
        w(0, 0) = 1.0 + 1e-6;
        Vector z(1);
        z[0] = 1.0;
        LayerActivity act;
        SpikeNetwork::forwardLayer(w, false, 1.0, std::exp(8.0), z, act);
        QVERIFY(std::isinf(act.spikeZ[0]));
        SpikeNetwork::forwardLayer(w, false, 1.0, std::exp(20.0), z, act);
        QVERIFY(std::isfinite(act.spikeZ[0]));
        QVERIFY(std::abs(act.spikeZ[0] - (1.0 + 1e-6) / 1e-6) < 1e-3);
    }

    void inputOrderIsSharedAndSorted()
    {
        Random rng(5);
        Vector z(100);
        for (int i = 0; i < 100; ++i)
            z[i] = std::exp(0.1 * static_cast<double>(rng.below(10)));
        Matrix w = Matrix::Constant(101, 3, 0.02);
        LayerActivity act;
        SpikeNetwork::forwardLayer(w, true, 1.0, 1e6, z, act);
        QCOMPARE(act.inputOrder.front(), 100); // bias leads (t = 0)
        for (std::size_t k = 1; k < act.orderedZ.size(); ++k)
            QVERIFY(act.orderedZ[k - 1] <= act.orderedZ[k]);
        QCOMPARE(act.groupEnd.back(), static_cast<int>(act.inputOrder.size()));
        // Neurons with identical weights fire together, at a group boundary of causal sets.
        QCOMPARE(act.spikeZ[0], act.spikeZ[1]);
        QCOMPARE(act.causalSetSize[0], act.causalSetSize[2]);
    }

    // orderInputs is the one order by (z, index) whatever the distribution of z: spread, tied,
    // clustered around one value with far outliers (its fast path gives up and sorts over every
    // byte), a few distinct values, silent (non-finite) inputs left out, all equal, a dense
    // descending run inside one 1/65536th of the range (the fast path's worst case), and times
    // like a trained hidden layer's (crowded, some silent, some tied); checked against
    // std::stable_sort.
    void inputOrderMatchesStableSort_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("size");
        for (int size : {0, 1, 2, 7, 24, 25, 100, 800, 3000})
            for (int kind = 0; kind < 7; ++kind)
                QTest::addRow("kind %d, %d inputs", kind, size) << kind << size;
    }
    void inputOrderMatchesStableSort()
    {
        QFETCH(int, kind);
        QFETCH(int, size);
        Random rng(static_cast<std::uint64_t>(17 * size + kind));
        Vector z(size);
        for (int i = 0; i < size; ++i) {
            switch (kind) {
            case 0: z[i] = std::exp(4.0 * rng.uniform()); break;                        // spread
            case 1: z[i] = std::exp(0.25 * static_cast<double>(rng.below(6))); break;   // many ties
            case 2: // a tight cluster, ties inside it, and a few far outliers
                z[i] = rng.below(50) == 0 ? std::exp(30.0 * rng.uniform())
                                          : 2.0 + 1e-12 * static_cast<double>(rng.below(40));
                break;
            case 3: { // silent (+inf) and, as any non-finite time would be, NaN and -inf: left out
                const int r = rng.below(8);
                z[i] = r < 2   ? std::numeric_limits<double>::infinity()
                       : r == 2 ? (i % 2 == 0 ? std::numeric_limits<double>::quiet_NaN() : -std::numeric_limits<double>::infinity())
                                : 1.0 + rng.uniform();
                break;
            }
            case 4: z[i] = 3.0; break; // all equal
            case 5: // descending, all within one bucket of the top bits, beside two far values
                z[i] = i == 0 ? 1.0 : i == 1 ? 1000.0 : 2.0 + 1e-13 * static_cast<double>(size - i);
                break;
            default: { // t ~ 1.8 +- 0.4 (sum of uniforms), 10 % silent, 5 % tied at t = ln 3
                const double t = 1.8 + 0.4 * (rng.uniform() + rng.uniform() + rng.uniform() - 1.5) * 2.0;
                const int r = rng.below(20);
                z[i] = r < 2 ? std::numeric_limits<double>::infinity() : r == 2 ? 3.0 : std::exp(t);
                break;
            }
            }
        }
        std::vector<int> expected(static_cast<std::size_t>(size));
        std::iota(expected.begin(), expected.end(), 0);
        expected.erase(std::remove_if(expected.begin(), expected.end(), [&](int i) { return !std::isfinite(z[i]); }),
                       expected.end());
        std::stable_sort(expected.begin(), expected.end(), [&](int a, int b) { return z[a] < z[b]; });
        for (bool bias : {false, true}) {
            LayerActivity act;
            SpikeNetwork::orderInputs(z, bias, act);
            std::vector<int> got(act.inputOrder.begin() + (bias ? 1 : 0), act.inputOrder.end());
            QCOMPARE(got, expected);
            if (bias)
                QCOMPARE(act.inputOrder.front(), size);
            for (std::size_t k = 0; k < act.orderedZ.size(); ++k) { // bit for bit
                const double expectedZ = bias && k == 0 ? 1.0 : z[act.inputOrder[k]];
                QVERIFY(std::memcmp(&act.orderedZ[k], &expectedZ, sizeof expectedZ) == 0);
            }
        }
    }
    // sortDistinctKeys (the single-precision early exit's packed (z bits, index) keys) sorts
    // like std::sort: spread keys, keys that share their top bits in long descending runs
    // (the insertion pass gives up and std::sort finishes), and keys all but equal.
    void distinctKeysSort()
    {
        for (int kind = 0; kind < 3; ++kind) {
            for (int size : {0, 1, 2, 65, 640, 3000}) {
                Random rng(static_cast<std::uint64_t>(31 * size + kind));
                KeySort s;
                for (int i = 0; i < size; ++i) {
                    const std::uint32_t index = static_cast<std::uint32_t>(i);
                    std::uint64_t high = 0;
                    switch (kind) {
                    case 0: high = 0x3F800000u + rng.below(1u << 23); break;                 // floats in [1, 2)
                    case 1: high = i < 2 ? 0x41000000u * (i + 1) : 0x40000000u + static_cast<std::uint32_t>(size - i); break;
                    default: high = 0x40400000u; break;                                      // one z, distinct indices
                    }
                    s.keys.push_back(high << 32 | index);
                }
                std::vector<std::uint64_t> expected = s.keys;
                std::sort(expected.begin(), expected.end());
                sortDistinctKeys(s);
                QVERIFY2(s.keys == expected, qPrintable(QString("kind %1, %2 keys").arg(kind).arg(size)));
            }
        }
    }

    // The pixel path (orderPixels: counting sort, lit pixels found 64 bytes at a time) gives
    // orderInputs' order, z and groups for both encodings, images from all black to all lit,
    // sizes around the 64-byte steps and above the fast path's limit, with and without bias.
    void pixelOrderMatchesInputOrder_data()
    {
        QTest::addColumn<int>("encoding");
        QTest::addColumn<int>("size");
        QTest::addColumn<int>("litPercent");
        for (int encoding : {0, 1})
            for (int size : {1, 63, 64, 65, 784, 5000})
                for (int lit : {0, 3, 19, 60, 100})
                    QTest::addRow("encoding %d, %d pixels, %d %% lit", encoding, size, lit) << encoding << size << lit;
    }
    void pixelOrderMatchesInputOrder()
    {
        QFETCH(int, encoding);
        QFETCH(int, size);
        QFETCH(int, litPercent);
        NetworkConfig cfg;
        cfg.layerSizes = {size, 4};
        cfg.encoding.kind = encoding == 0 ? InputEncoding::LinearLatency : InputEncoding::Binarized;
        Random rng(static_cast<std::uint64_t>(31 * size + litPercent + 7 * encoding));
        std::vector<std::uint8_t> pixels(static_cast<std::size_t>(size));
        for (auto &p : pixels) // lit pixels: mostly a few grey levels, some white, some anything
            p = static_cast<int>(rng.below(100)) >= litPercent ? 0
                : rng.below(3) == 0                             ? 255
                : rng.below(2) == 0                             ? static_cast<std::uint8_t>(1 + rng.below(255))
                                                                : static_cast<std::uint8_t>(100 + 10 * rng.below(5));
        for (bool bias : {false, true}) {
            cfg.bias = bias;
            const SpikeNetwork net(cfg);
            double table[256];
            net.encodingTable(table);
            Vector z(size);
            for (int i = 0; i < size; ++i)
                z[i] = table[pixels[static_cast<std::size_t>(i)]];
            LayerActivity expected, got, gotStatic;
            SpikeNetwork::orderInputs(z, bias, expected);
            net.orderInput(pixels.data(), got);
            SpikeNetwork::orderPixels(pixels.data(), size, table, bias, gotStatic);
            for (const LayerActivity *a : {&got, &gotStatic}) {
                QCOMPARE(a->inputOrder, expected.inputOrder);
                QCOMPARE(a->orderedZ, expected.orderedZ);
                QCOMPARE(a->groupEnd, expected.groupEnd);
            }
            std::vector<int> ends; // the groups by their definition
            for (std::size_t k = 1; k <= expected.orderedZ.size(); ++k)
                if (k == expected.orderedZ.size() || expected.orderedZ[k] != expected.orderedZ[k - 1])
                    ends.push_back(static_cast<int>(k));
            QCOMPARE(got.groupEnd, ends);
        }
    }
};

QTEST_APPLESS_MAIN(TestSpikeTimes)
#include "tst_spiketimes.moc"

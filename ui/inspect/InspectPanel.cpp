#include "ui/inspect/InspectPanel.h"

#include "core/data/Dataset.h"
#include "ui/draw/DrawPanel.h"
#include "ui/draw/DrawingPad.h"
#include "ui/draw/OutputSpikeTimesView.h"
#include "ui/inspect/DigitCausalView.h"
#include "core/model/MembranePotential.h"
#include "ui/inspect/MembranePotentialView.h"
#include "ui/inspect/OutputTimingView.h"
#include "ui/inspect/SpikeRasterView.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QGridLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QSplitter>
#include <QStyle>
#include <QTimer>
#include <QToolButton>

#include <algorithm>
#include <cmath>
#include <initializer_list>

namespace firstspike {

InspectPanel::InspectPanel(NetworkHistory *history, QWidget *parent)
    : QWidget(parent)
    , history_(history)
{
    setFocusPolicy(Qt::StrongFocus);
    engine_ = new InspectionEngine(this);

    raster_ = new SpikeRasterView;
    raster_->setObjectName(QStringLiteral("spikeRaster"));
    digit_ = new DigitCausalView;
    digit_->setObjectName(QStringLiteral("digitCausal"));
    membrane_ = new MembranePotentialView;
    membrane_->setObjectName(QStringLiteral("membranePotential"));
    timing_ = new OutputTimingView;
    timing_->setObjectName(QStringLiteral("outputTiming"));
    draw_ = new DrawPanel;
    draw_->setObjectName(QStringLiteral("drawPanel"));
    draw_->setVisible(false);

    // Controls: the sample row and the training-history row.
    sampleSlider_ = new QSlider(Qt::Horizontal);
    sampleSlider_->setObjectName(QStringLiteral("sampleSlider"));
    sampleSlider_->setToolTip(tr("Test digit to inspect (Left/Right arrows; Home/End)"));
    sampleSpin_ = new QSpinBox;
    sampleSpin_->setToolTip(tr("Test digit index"));
    sampleSpin_->setKeyboardTracking(false);
    sampleLabel_ = new QLabel;
    sampleLabel_->setMinimumWidth(150);
    filterLabel_ = new QLabel;
    filterLabel_->setToolTip(tr("The slider runs through these digits only (set by clicking a cell of the per-digit timing)"));
    clearFilter_ = new QToolButton;
    clearFilter_->setText(tr("All digits"));
    clearFilter_->setToolTip(tr("Scrub through the whole test set again"));
    clearFilter_->setVisible(false);

    snapshotSlider_ = new QSlider(Qt::Horizontal);
    snapshotSlider_->setObjectName(QStringLiteral("snapshotSlider"));
    snapshotSlider_->setToolTip(tr("Copy of the network from training history: initial weights, points during the first\n"
                                   "epoch, every epoch end, and the weights training is halted at (Up/Down arrows)"));
    snapshotSlider_->setTickPosition(QSlider::TicksBelow);
    snapshotLabel_ = new QLabel;
    snapshotLabel_->setMinimumWidth(240);
    playButton_ = new QToolButton;
    playButton_->setObjectName(QStringLiteral("playButton"));
    playButton_->setCheckable(true);
    playButton_->setIcon(style()->standardIcon(QStyle::SP_MediaPlay));
    playButton_->setText(tr("Play"));
    playButton_->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    playButton_->setToolTip(tr("Step through digits or training history at the chosen rate (P)"));
    playTarget_ = new QComboBox;
    playTarget_->addItem(tr("digits"));
    playTarget_->addItem(tr("training history"));
    playTarget_->setToolTip(tr("What Play steps through"));
    rate_ = new QDoubleSpinBox;
    rate_->setRange(0.25, 30);
    rate_->setValue(2);
    rate_->setSingleStep(0.5);
    rate_->setSuffix(tr(" /s"));
    rate_->setToolTip(tr("Play rate: steps per second"));
    loop_ = new QCheckBox(tr("Loop"));
    loop_->setChecked(true);
    loop_->setToolTip(tr("Start over at the end instead of stopping"));
    sorted_ = new QCheckBox(tr("Sort by spike time"));
    sorted_->setToolTip(tr("Order each band's neurons by spike time (earliest at the top); silent neurons last"));
    playTimer_ = new QTimer(this);

    auto *controls = new QGridLayout;
    controls->setContentsMargins(6, 4, 6, 0);
    controls->setHorizontalSpacing(8);
    // The digit's source: one of two buttons, the pad appearing left of the raster for "Drawn".
    auto *testSource = new QToolButton;
    testSource->setObjectName(QStringLiteral("sourceTest"));
    testSource->setText(tr("Test digit"));
    testSource->setToolTip(tr("Inspect digits of the test set (the slider)"));
    auto *drawnSource = new QToolButton;
    drawnSource->setObjectName(QStringLiteral("sourceDrawn"));
    drawnSource->setText(tr("Drawn digit"));
    drawnSource->setToolTip(tr("Draw a digit (or edit a test digit) and watch the network answer as you draw"));
    sourceGroup_ = new QButtonGroup(this);
    sourceGroup_->setExclusive(true);
    for (QToolButton *b : {testSource, drawnSource}) {
        b->setCheckable(true);
        sourceGroup_->addButton(b);
    }
    testSource->setChecked(true);
    auto *sourceRow = new QHBoxLayout;
    sourceRow->setSpacing(0);
    sourceRow->addWidget(testSource);
    sourceRow->addWidget(drawnSource);
    controls->addLayout(sourceRow, 0, 0);
    controls->addWidget(sampleSlider_, 0, 1);
    controls->addWidget(sampleSpin_, 0, 2);
    auto *row0 = new QHBoxLayout;
    row0->addWidget(sampleLabel_);
    row0->addWidget(filterLabel_, 1);
    row0->addWidget(clearFilter_);
    row0->addWidget(sorted_);
    controls->addLayout(row0, 0, 3);
    controls->addWidget(new QLabel(tr("Training")), 1, 0);
    controls->addWidget(snapshotSlider_, 1, 1);
    auto *row1 = new QHBoxLayout;
    row1->addWidget(snapshotLabel_, 1);
    row1->addWidget(playButton_);
    row1->addWidget(playTarget_);
    row1->addWidget(rate_);
    row1->addWidget(loop_);
    controls->addLayout(row1, 1, 2, 1, 2);
    controls->setColumnStretch(1, 3);
    controls->setColumnStretch(3, 2);

    auto *side = new QSplitter(Qt::Vertical);
    side->addWidget(digit_);
    side->addWidget(membrane_);
    side->setStretchFactor(0, 1);
    side->setStretchFactor(1, 1);
    auto *top = new QSplitter(Qt::Horizontal);
    top->addWidget(draw_);
    top->addWidget(raster_);
    top->addWidget(side);
    top->setStretchFactor(0, 0);
    top->setStretchFactor(1, 3);
    top->setStretchFactor(2, 2);
    views_ = top;
    auto *outer = new QSplitter(Qt::Vertical);
    outer_ = outer;
    outer->addWidget(top);
    outer->addWidget(timing_);
    outer->setStretchFactor(0, 3);
    outer->setStretchFactor(1, 2);
    // Initial proportions at 1280x800: raster and side column over a full-width timing panel.
    top->setSizes({0, 880, 400});
    side->setSizes({300, 280});
    outer->setSizes({420, 280});

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    problemLabel_ = new QLabel;
    problemLabel_->setObjectName(QStringLiteral("inspectProblem"));
    problemLabel_->setWordWrap(true);
    problemLabel_->setContentsMargins(6, 2, 6, 2);
    problemLabel_->setStyleSheet(QStringLiteral("color: #a02020;"));
    problemLabel_->setVisible(false);
    layout->addLayout(controls);
    layout->addWidget(problemLabel_);
    layout->addWidget(outer, 1);

    connect(sampleSlider_, &QSlider::valueChanged, this, [this](int v) {
        const int index = filter_.empty() ? v : filter_[static_cast<std::size_t>(std::clamp<int>(v, 0, static_cast<int>(filter_.size()) - 1))];
        if (source_ == Source::Drawn) { // the slider picks a test digit: back to the test set
            sample_ = index;
            setSource(Source::Test);
            return;
        }
        if (index == sample_)
            return;
        sample_ = index;
        syncSliders();
        requestUpdate();
    });
    connect(sampleSpin_, &QSpinBox::valueChanged, this, [this](int v) { setSample(v); });
    connect(testSource, &QToolButton::clicked, this, [this] { setSource(Source::Test); });
    connect(drawnSource, &QToolButton::clicked, this, [this] { setSource(Source::Drawn); });
    connect(draw_, &DrawPanel::digitChanged, this, [this] {
        if (source_ == Source::Drawn)
            requestUpdate();
    });
    connect(draw_, &DrawPanel::testDigitWanted, this, &InspectPanel::loadTestDigitIntoPad);
    connect(clearFilter_, &QToolButton::clicked, this, &InspectPanel::clearSampleFilter);
    connect(snapshotSlider_, &QSlider::valueChanged, this, [this](int v) {
        if (v == entryIndex_)
            return;
        entryIndex_ = v;
        followLatest_ = entryIndex_ == static_cast<int>(entries_.size()) - 1;
        syncSliders();
        requestUpdate();
    });
    connect(playButton_, &QToolButton::toggled, this, [this](bool on) { setPlaying(on); });
    connect(rate_, &QDoubleSpinBox::valueChanged, this, [this](double r) { playTimer_->setInterval(static_cast<int>(1000 / r)); });
    connect(playTimer_, &QTimer::timeout, this, &InspectPanel::playTick);
    connect(sorted_, &QCheckBox::toggled, raster_, &SpikeRasterView::setSortedByTime);
    connect(raster_, &SpikeRasterView::spikeClicked, this, [this](int band, int neuron) {
        if (band > 0)
            selectNeuron(band - 1, neuron);
    });
    connect(timing_, &OutputTimingView::samplesSelected, this,
            [this](const std::vector<int> &samples, const QString &description) { setSampleFilter(samples, description); });
    connect(engine_, &InspectionEngine::sampleReady, this, &InspectPanel::onSampleReady);
    connect(engine_, &InspectionEngine::statisticsReady, this, &InspectPanel::onStatisticsReady);
    connect(engine_, &InspectionEngine::statisticsFailed, this, [this](quint64 entryId, const QString &message) {
        const HistoryEntryPtr e = entry();
        if (!e || e->id != entryId)
            return;
        // Not asked again for this copy of the network (scrubbing would repeat the refusal).
        timingFailedId_ = entryId;
        timing_->clear();
        showProblem(message);
        checkAgreement();
    });
    connect(engine_, &InspectionEngine::sampleFailed, this, [this](int sampleIndex, const QString &message) {
        if (sampleIndex == cursorSample()) {
            showProblem(message);
            if (source_ == Source::Drawn)
                draw_->clearOutcome(message);
        }
    });
    if (history_)
        connect(history_, &NetworkHistory::changed, this, &InspectPanel::refreshHistory);
    playTimer_->setInterval(static_cast<int>(1000 / rate_->value()));
    refreshHistory();
}

InspectPanel::~InspectPanel() = default;

void InspectPanel::detachHistory()
{
    setPlaying(false);
    if (history_)
        history_->disconnect(this);
    history_ = nullptr;
}

QWidget *InspectPanel::inspectionViews() const
{
    return views_;
}

QString InspectPanel::problemText() const
{
    return problemLabel_->text();
}

quint64 InspectPanel::entryId() const
{
    const HistoryEntryPtr e = entry();
    return e ? e->id : 0;
}

HistoryEntryPtr InspectPanel::entry() const
{
    if (entryIndex_ < 0 || entryIndex_ >= static_cast<int>(entries_.size()))
        return nullptr;
    return entries_[static_cast<std::size_t>(entryIndex_)];
}

int InspectPanel::testSize() const
{
    return data_ ? data_->test.size() : 0;
}

void InspectPanel::refreshHistory()
{
    if (!history_)
        return;
    const quint64 generation = history_->generation();
    const HistoryEntryPtr previous = entry();
    entries_ = history_->entries();
    data_ = history_->data();
    if (generation != generation_) {
        generation_ = generation;
        engine_->clearCache();
        timingFailedId_ = 0;
        problemLabel_->clear();
        problemLabel_->setVisible(false);
        filter_.clear();
        filterDescription_.clear();
        inspection_.reset();
        followLatest_ = true;
        sample_ = std::clamp(sample_, 0, std::max(0, testSize() - 1));
    }
    int index = static_cast<int>(entries_.size()) - 1;
    if (!followLatest_ && previous) {
        // Stay on the same copy; if it was thinned away (or replaced), on the nearest in steps.
        long long bestGap = -1;
        for (int i = 0; i < static_cast<int>(entries_.size()); ++i) {
            const long long gap = std::llabs(entries_[static_cast<std::size_t>(i)]->step - previous->step)
                + (entries_[static_cast<std::size_t>(i)]->id == previous->id ? -1 : 0);
            if (bestGap < 0 || gap < bestGap) {
                bestGap = gap;
                index = i;
            }
        }
    }
    entryIndex_ = index;
    syncSliders();
    if (entryId() != (previous ? previous->id : 0) || !inspection_)
        requestUpdate();
}

void InspectPanel::syncSliders()
{
    const QSignalBlocker b1(sampleSlider_), b2(snapshotSlider_), b3(sampleSpin_);
    const int n = testSize();
    if (filter_.empty()) {
        sampleSlider_->setRange(0, std::max(0, n - 1));
        sampleSlider_->setValue(sample_);
    } else {
        sampleSlider_->setRange(0, static_cast<int>(filter_.size()) - 1);
        const auto it = std::find(filter_.begin(), filter_.end(), sample_);
        sampleSlider_->setValue(it == filter_.end() ? 0 : static_cast<int>(it - filter_.begin()));
    }
    sampleSlider_->setPageStep(std::max(1, sampleSlider_->maximum() / 20));
    sampleSpin_->setRange(0, std::max(0, n - 1));
    sampleSpin_->setValue(sample_);
    snapshotSlider_->setRange(0, std::max(0, static_cast<int>(entries_.size()) - 1));
    snapshotSlider_->setValue(std::max(0, entryIndex_));
    snapshotSlider_->setEnabled(entries_.size() > 1);
    updateLabels();
}

void InspectPanel::updateLabels()
{
    const int n = testSize();
    if (source_ == Source::Drawn)
        sampleLabel_->setText(draw_->predicted() >= 0 ? tr("drawn digit · predicted %1").arg(draw_->predicted()) : tr("drawn digit"));
    else if (data_ && sample_ >= 0 && sample_ < n)
        sampleLabel_->setText(tr("#%1 of %L2 · a %3").arg(sample_).arg(n).arg(data_->test.labels[static_cast<std::size_t>(sample_)]));
    else
        sampleLabel_->setText(tr("no test digits"));
    clearFilter_->setVisible(!filter_.empty());
    filterLabel_->setText(filter_.empty() ? QString()
                                          : tr("<b>%1 of %2</b> digits: %3")
                                                .arg(sampleSlider_->value() + 1)
                                                .arg(filter_.size())
                                                .arg(filterDescription_.toHtmlEscaped()));
    const HistoryEntryPtr e = entry();
    snapshotLabel_->setText(e ? tr("%1 / %2 · %3").arg(entryIndex_ + 1).arg(entries_.size()).arg(e->label()) : tr("no network yet"));
}

void InspectPanel::setSample(int testIndex)
{
    const int n = testSize();
    if (n == 0)
        return;
    testIndex = std::clamp(testIndex, 0, n - 1);
    if (!filter_.empty() && std::find(filter_.begin(), filter_.end(), testIndex) == filter_.end()) {
        filter_.clear();
        filterDescription_.clear();
    }
    if (source_ == Source::Drawn) {
        sample_ = testIndex;
        setSource(Source::Test);
        return;
    }
    if (testIndex == sample_) {
        syncSliders();
        return;
    }
    sample_ = testIndex;
    syncSliders();
    requestUpdate();
}

void InspectPanel::setSource(Source source)
{
    if (source == source_)
        return;
    source_ = source;
    const bool drawn = source == Source::Drawn;
    sourceGroup_->buttons().at(drawn ? 1 : 0)->setChecked(true);
    if (drawn && !draw_->isVisible()) {
        draw_->setVisible(true);
        // Room for the pad without squeezing the side column: width from the raster, height
        // from the test set's timing (the drawn digit is not in it), given back on leaving.
        QList<int> sizes = views_->sizes();
        const int want = std::max(draw_->sizeHint().width(), 300);
        sizes[1] = std::max(200, sizes[1] - want);
        sizes[0] = want;
        views_->setSizes(sizes);
        outerSizes_ = outer_->sizes();
        const int give = std::max(0, std::min(60, outerSizes_[1] - timing_->minimumSizeHint().height()));
        outer_->setSizes({outerSizes_[0] + give, outerSizes_[1] - give});
        // The views follow the winning output neuron of each new drawing (a click still selects).
        selection_.reset();
    } else if (!drawn) {
        draw_->setVisible(false);
        if (outerSizes_.size() == 2)
            outer_->setSizes(outerSizes_);
    }
    inspection_.reset();
    syncSliders();
    requestUpdate();
    if (drawn)
        draw_->pad()->setFocus(Qt::OtherFocusReason);
}

int InspectPanel::cursorSample() const
{
    return source_ == Source::Drawn ? SampleInspection::kDrawnSample : sample_;
}

void InspectPanel::loadTestDigitIntoPad()
{
    if (!data_ || sample_ < 0 || sample_ >= testSize() || data_->test.pixelCount() != DrawingPad::kSide * DrawingPad::kSide)
        return;
    const Dataset &set = data_->test;
    draw_->pad()->setDigit(std::vector<std::uint8_t>(set.image(sample_), set.image(sample_) + set.pixelCount()),
                           set.labels[static_cast<std::size_t>(sample_)]);
    setSource(Source::Drawn);
}

void InspectPanel::setEntryIndex(int index)
{
    if (entries_.empty())
        return;
    index = std::clamp(index, 0, static_cast<int>(entries_.size()) - 1);
    if (index == entryIndex_)
        return;
    entryIndex_ = index;
    followLatest_ = index == static_cast<int>(entries_.size()) - 1;
    syncSliders();
    requestUpdate();
}

void InspectPanel::setSampleFilter(std::vector<int> samples, const QString &description)
{
    if (samples.empty())
        return;
    filter_ = std::move(samples);
    filterDescription_ = description;
    sample_ = filter_.front();
    syncSliders();
    requestUpdate();
}

void InspectPanel::clearSampleFilter()
{
    filter_.clear();
    filterDescription_.clear();
    syncSliders();
}

void InspectPanel::selectNeuron(int layer, int neuron)
{
    selection_ = std::make_pair(layer, neuron);
    applySelection();
}

void InspectPanel::requestUpdate()
{
    Q_EMIT cursorChanged(cursorSample(), entryId());
    if (!isVisible()) {
        stale_ = true;
        return;
    }
    stale_ = false;
    const HistoryEntryPtr e = entry();
    if (source_ == Source::Drawn) {
        if (!e)
            return;
        // The clock runs from here: the pad's canvas and preprocessing (digit()), the forward
        // pass on the engine's thread, the views' repaint (onSampleReady).
        updateClock_.start();
        DrawingPad *pad = draw_->pad();
        requestedRevision_ = pad->revision();
        engine_->requestPixels(e, pad->digit(), DrawingPad::kSide, DrawingPad::kSide, requestedRevision_);
    } else {
        if (!e || !data_ || testSize() == 0)
            return;
        engine_->requestSample(e, data_, sample_);
    }
    if (!data_ || testSize() == 0)
        return;
    if (timing_->entryId() != e->id && timingFailedId_ != e->id) {
        timing_->setPending(e->id);
        engine_->requestStatistics(e, data_);
    }
}

void InspectPanel::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (stale_)
        requestUpdate();
}

void InspectPanel::onSampleReady(const SampleInspectionPtr &inspection)
{
    if (!inspection || !inspection->entry || inspection->sampleIndex != cursorSample() || inspection->entry->id != entryId()
        || (source_ == Source::Drawn && inspection->drawnRevision != requestedRevision_))
        return; // a newer request is on its way
    inspection_ = inspection;
    const SampleInspection &s = *inspection;
    const SpikeNetwork &net = s.network();
    auto data = std::make_shared<RasterData>();
    auto times = [](const Vector &z) {
        std::vector<double> t(static_cast<std::size_t>(z.size()));
        for (Eigen::Index j = 0; j < z.size(); ++j)
            t[static_cast<std::size_t>(j)] = spikeTimeOf(z[j]);
        return t;
    };
    RasterBand input;
    input.name = tr("input");
    input.times = times(s.pass.inputZ);
    data->bands.push_back(std::move(input));
    const int layers = static_cast<int>(s.pass.layers.size());
    for (int l = 0; l < layers; ++l) {
        RasterBand band;
        const bool output = l == layers - 1;
        band.name = output ? tr("output") : (layers > 2 ? tr("hidden %1").arg(l + 1) : tr("hidden"));
        band.times = times(s.pass.layers[static_cast<std::size_t>(l)].spikeZ);
        if (output)
            for (int k = 0; k < static_cast<int>(band.times.size()); ++k)
                band.neuronLabels << QString::number(k);
        data->bands.push_back(std::move(band));
    }
    data->decisionTime = spikeTimeOf(s.pass.decisionZ());
    data->label = s.label;
    data->predicted = s.predicted;
    data->maxTime = net.config().maxSpikeTime;
    data->sampleIndex = s.sampleIndex;
    data->entryId = s.entry->id;
    data->snapshotLabel = s.entry->label();
    raster_->setData(std::move(data));
    digit_->setDigit(s.pixels, s.rows, s.cols, s.sampleIndex, s.entry->id);
    digit_->setLabel(s.label);
    applySelection();
    if (source_ == Source::Drawn)
        showDrawnOutcome();
    checkAgreement();
}

void InspectPanel::showDrawnOutcome()
{
    const SampleInspection &s = *inspection_;
    const Vector &z = s.pass.layers.back().spikeZ;
    std::vector<double> times(static_cast<std::size_t>(z.size()));
    for (Eigen::Index k = 0; k < z.size(); ++k)
        times[static_cast<std::size_t>(k)] = spikeTimeOf(z[k]);
    draw_->setOutcome(std::move(times), s.predicted, s.network().config().maxSpikeTime);
    updateLabels();
    // Painted now rather than at the next frame, so that the time measured is the time until
    // the user sees the answer (the pad coalesces its updates, at most one per 16 ms).
    for (QWidget *view : std::initializer_list<QWidget *>{raster_, digit_, membrane_, draw_->outputTimes()})
        view->repaint();
    lastUpdateMs_ = static_cast<double>(updateClock_.nsecsElapsed()) / 1e6;
    Q_EMIT drawnDigitShown(lastUpdateMs_);
}

void InspectPanel::applySelection()
{
    if (!inspection_)
        return;
    const SampleInspection &s = *inspection_;
    const SpikeNetwork &net = s.network();
    const int layers = net.layerCount();
    int layer = layers - 1;
    int neuron = s.predicted >= 0 ? s.predicted : std::max(0, s.label);
    if (selection_ && selection_->first >= 0 && selection_->first < layers && selection_->second >= 0
        && selection_->second < net.fanOut(selection_->first)) {
        layer = selection_->first;
        neuron = selection_->second;
    }
    const std::vector<int> causal = causalSet(net, s.pass, layer, neuron);
    raster_->setSelection(SpikeRef{layer + 1, neuron}, causal);
    const bool output = layer == layers - 1;
    const QString name = output ? tr("output neuron %1 (digit %1)").arg(neuron)
                                : (layers > 2 ? tr("hidden-%1 neuron %2").arg(layer + 1).arg(neuron) : tr("hidden neuron %1").arg(neuron));
    membrane_->setTrace(std::make_shared<const MembraneTrace>(membraneTrace(net, s.pass, layer, neuron)), name,
                        net.config().maxSpikeTime, s.sampleIndex, s.entry->id);
    const double t = spikeTimeOf(s.pass.layers[static_cast<std::size_t>(layer)].spikeZ[neuron]);
    if (layer == 0) {
        std::vector<double> weights;
        weights.reserve(causal.size());
        for (int i : causal)
            weights.push_back(net.weights(0)(i, neuron));
        const QString caption = std::isfinite(t)
            ? tr("Causal set of %1 (spike at t = %2): %3 of %4 pixels").arg(name).arg(t, 0, 'f', 3).arg(causal.size()).arg(net.fanIn(0))
            : tr("%1 is silent on this digit: no causal set").arg(name);
        digit_->setCausalSet(causal, std::move(weights), caption);
    } else {
        digit_->setCausalSet({}, {},
                             std::isfinite(t) ? tr("Selected: %1. Its causal set is %2 spikes of the layer below (orange in the "
                                                   "raster); click a hidden spike to see its pixels here.")
                                                    .arg(name)
                                                    .arg(causal.size())
                                              : tr("Selected: %1, silent on this digit.").arg(name));
    }
}

void InspectPanel::showProblem(const QString &message)
{
    problemLabel_->setText(message);
    problemLabel_->setToolTip(message);
    problemLabel_->setVisible(true);
    Q_EMIT inspectionFailed(message);
}

void InspectPanel::onStatisticsReady(quint64 entryId, const TimingStatisticsPtr &statistics)
{
    const HistoryEntryPtr e = entry();
    if (!e || e->id != entryId)
        return;
    timing_->setStatistics(statistics, entryId, e->label());
    checkAgreement();
}

bool InspectPanel::viewsAgree() const
{
    const quint64 id = entryId();
    const int sample = cursorSample();
    const RasterData *r = raster_->data();
    if (source_ == Source::Drawn && (!inspection_ || inspection_->drawnRevision != draw_->pad()->revision()))
        return false; // the pad has changed since
    return id != 0 && r && r->sampleIndex == sample && r->entryId == id && digit_->sampleIndex() == sample
        && digit_->entryId() == id && membrane_->sampleIndex() == sample && membrane_->entryId() == id
        && (timing_->entryId() == id || timingFailedId_ == id);
}

bool InspectPanel::settled() const
{
    return viewsAgree() && !engine_->busy();
}

void InspectPanel::checkAgreement()
{
    if (viewsAgree())
        Q_EMIT viewsUpdated(cursorSample(), entryId());
}

void InspectPanel::setPlaying(bool playing)
{
    {
        const QSignalBlocker block(playButton_);
        playButton_->setChecked(playing);
    }
    playButton_->setIcon(style()->standardIcon(playing ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
    playButton_->setText(playing ? tr("Pause") : tr("Play"));
    if (playing)
        playTimer_->start();
    else
        playTimer_->stop();
}

bool InspectPanel::isPlaying() const
{
    return playTimer_->isActive();
}

void InspectPanel::setPlayTarget(PlayTarget target)
{
    playTarget_->setCurrentIndex(target == PlayTarget::Samples ? 0 : 1);
}

void InspectPanel::setPlayRate(double perSecond)
{
    rate_->setValue(perSecond);
}

void InspectPanel::setLoop(bool loop)
{
    loop_->setChecked(loop);
}

void InspectPanel::playTick()
{
    QSlider *slider = playTarget_->currentIndex() == 0 ? sampleSlider_ : snapshotSlider_;
    if (slider->value() < slider->maximum()) {
        slider->setValue(slider->value() + 1);
    } else if (loop_->isChecked()) {
        slider->setValue(slider->minimum());
    } else {
        setPlaying(false);
    }
}

void InspectPanel::keyPressEvent(QKeyEvent *event)
{
    switch (event->key()) {
    case Qt::Key_Left:
        sampleSlider_->setValue(sampleSlider_->value() - 1);
        return;
    case Qt::Key_Right:
        sampleSlider_->setValue(sampleSlider_->value() + 1);
        return;
    case Qt::Key_Home:
        sampleSlider_->setValue(sampleSlider_->minimum());
        return;
    case Qt::Key_End:
        sampleSlider_->setValue(sampleSlider_->maximum());
        return;
    case Qt::Key_Up:
        snapshotSlider_->setValue(snapshotSlider_->value() + 1);
        return;
    case Qt::Key_Down:
        snapshotSlider_->setValue(snapshotSlider_->value() - 1);
        return;
    case Qt::Key_P:
        setPlaying(!isPlaying());
        return;
    default:
        QWidget::keyPressEvent(event);
    }
}

} // namespace firstspike

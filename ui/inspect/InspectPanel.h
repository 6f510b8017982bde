#pragma once
// The "Inspect" area: one cursor (test sample, history entry) that every view follows. A slider
// (and Left/Right) moves through the test digits, a second one (and Up/Down) through the copies
// of the network kept during training; Play steps either at a chosen rate, optionally looping.
// Views: the spike raster of the sample, the digit with the selected neuron's causal set, the
// neuron's V(t), and the per-digit output timing of the whole test set. Everything heavy runs in
// the InspectionEngine's threads; this class only routes immutable results to the views.
//
// The digit comes from one of two sources ("Test digit | Drawn digit"): the test set (the
// slider), or the drawing pad (ui/draw/DrawPanel, shown left of the raster), whose digit goes
// through the same engine and views after every coalesced stroke update.

#include "ui/inspect/InspectionEngine.h"
#include "ui/training/NetworkHistory.h"

#include <QElapsedTimer>
#include <QList>
#include <QWidget>

#include <memory>
#include <optional>
#include <vector>

class QButtonGroup;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QSlider;
class QSpinBox;
class QSplitter;
class QTimer;
class QToolButton;

namespace firstspike {

class DigitCausalView;
class DrawPanel;
class MembranePotentialView;
class OutputTimingView;
class SpikeRasterView;

class InspectPanel : public QWidget {
    Q_OBJECT
public:
    enum class PlayTarget { Samples, History };
    enum class Source { Test, Drawn };

    explicit InspectPanel(NetworkHistory *history, QWidget *parent = nullptr);
    ~InspectPanel() override;

    // The cursor.
    int sampleIndex() const { return sample_; }
    int entryIndex() const { return entryIndex_; }
    quint64 entryId() const;
    HistoryEntryPtr entry() const;
    const std::vector<HistoryEntryPtr> &entries() const { return entries_; }
    void setSample(int testIndex);      // a test index (test source); leaves the filter if it is not in it
    // Where the digit comes from. Drawn: the views follow the pad; the slider goes back to Test.
    void setSource(Source source);
    Source source() const { return source_; }
    // The views' sample: the test index, or SampleInspection::kDrawnSample.
    int cursorSample() const;
    DrawPanel *drawPanel() const { return draw_; }
    // Milliseconds from the pad's last update (canvas, MNIST preprocessing, forward pass on the
    // engine's thread) to every view repainted with its answer; 0 before the first.
    double lastUpdateMs() const { return lastUpdateMs_; }
    void setEntryIndex(int index);
    void setSampleFilter(std::vector<int> samples, const QString &description);
    void clearSampleFilter();
    const std::vector<int> &sampleFilter() const { return filter_; }
    // The neuron whose causal set and V(t) are shown: weight layer (0 = first hidden) and index.
    void selectNeuron(int layer, int neuron);
    std::optional<std::pair<int, int>> selectedNeuron() const { return selection_; }

    void setPlaying(bool playing);
    bool isPlaying() const;
    void setPlayTarget(PlayTarget target);
    void setPlayRate(double perSecond);
    void setLoop(bool loop);

    // True when every view shows the cursor's (sample, entry) and no computation is pending.
    bool viewsAgree() const;
    bool settled() const;
    SampleInspectionPtr inspection() const { return inspection_; }
    int testSize() const;

    SpikeRasterView *raster() const { return raster_; }
    DigitCausalView *digitView() const { return digit_; }
    MembranePotentialView *membraneView() const { return membrane_; }
    OutputTimingView *timingView() const { return timing_; }
    QSlider *sampleSlider() const { return sampleSlider_; }
    QSlider *snapshotSlider() const { return snapshotSlider_; }
    QToolButton *playButton() const { return playButton_; }
    QWidget *inspectionViews() const; // raster + digit + V(t), for screenshots
    // The last refusal shown above the views ("" when none since the run began).
    QString problemText() const;

    // Stops reading the history (its owner is going away).
    void detachHistory();

public Q_SLOTS:
    void refreshHistory();

Q_SIGNALS:
    void cursorChanged(int sample, quint64 entryId);
    void viewsUpdated(int sample, quint64 entryId); // every view now shows this cursor
    void drawnDigitShown(double milliseconds);       // the views show the pad's digit (lastUpdateMs())
    // A computation was refused or failed, e.g. "784-1-30000: the output timing needs 24.0 GB,
    // 4.0 GB available"; the panel shows the line too (problemText()).
    void inspectionFailed(const QString &message);

protected:
    void keyPressEvent(QKeyEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    void requestUpdate();
    void onSampleReady(const SampleInspectionPtr &inspection);
    void onStatisticsReady(quint64 entryId, const TimingStatisticsPtr &statistics);
    void applySelection();
    void updateLabels();
    void syncSliders();
    void playTick();
    void checkAgreement();
    void showProblem(const QString &message);
    void showDrawnOutcome();
    void loadTestDigitIntoPad();

    NetworkHistory *history_ = nullptr;
    InspectionEngine *engine_ = nullptr;
    std::vector<HistoryEntryPtr> entries_;
    std::shared_ptr<const DataSplit> data_;
    quint64 generation_ = 0;
    int sample_ = 0;
    int entryIndex_ = -1;
    bool followLatest_ = true;
    std::vector<int> filter_;
    QString filterDescription_;
    std::optional<std::pair<int, int>> selection_; // (layer, neuron); none: follow the winner
    SampleInspectionPtr inspection_;
    bool stale_ = true; // the cursor moved while hidden
    quint64 timingFailedId_ = 0; // the entry whose output timing was refused

    SpikeRasterView *raster_ = nullptr;
    DigitCausalView *digit_ = nullptr;
    MembranePotentialView *membrane_ = nullptr;
    OutputTimingView *timing_ = nullptr;
    QSplitter *views_ = nullptr, *outer_ = nullptr;
    QList<int> outerSizes_; // the outer splitter before the pad took room
    QSlider *sampleSlider_ = nullptr, *snapshotSlider_ = nullptr;
    QSpinBox *sampleSpin_ = nullptr;
    QLabel *sampleLabel_ = nullptr, *snapshotLabel_ = nullptr, *filterLabel_ = nullptr, *problemLabel_ = nullptr;
    QToolButton *clearFilter_ = nullptr, *playButton_ = nullptr;
    QComboBox *playTarget_ = nullptr;
    QDoubleSpinBox *rate_ = nullptr;
    QCheckBox *loop_ = nullptr, *sorted_ = nullptr;
    QTimer *playTimer_ = nullptr;

    Source source_ = Source::Test;
    DrawPanel *draw_ = nullptr;
    QButtonGroup *sourceGroup_ = nullptr;
    quint64 requestedRevision_ = 0; // the pad revision last sent to the engine
    QElapsedTimer updateClock_;     // since that request's pad update
    double lastUpdateMs_ = 0;
};

} // namespace firstspike

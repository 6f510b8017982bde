#pragma once
// The hyper-parameters of a run. Batch size and learning rate are live-safe (they apply at the
// next mini-batch); the others are locked while a run is live.

#include "ui/training/TrainingSnapshot.h"

#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace firstspike {

class ConfigPanel : public QWidget {
    Q_OBJECT
public:
    explicit ConfigPanel(QWidget *parent = nullptr);

    RunConfig config() const;
    void setConfig(const RunConfig &config); // no configChanged
    void setLive(bool live);                // locks the settings that are not live-safe
    // The data set in use, shown above "Training digits" (File ▸ Open Data Set… changes it).
    void setDataSetDescription(const QString &text, const QString &toolTip = {});
    QString dataSetDescription() const;
    bool isLive() const { return live_; }

    // The widgets, for tests.
    QLineEdit *layersEdit() const { return layers_; }
    QDoubleSpinBox *learningRateSpin() const { return learningRate_; }
    QSpinBox *batchSpin() const { return batch_; }
    QComboBox *optimizerCombo() const { return optimizer_; }
    QComboBox *encodingCombo() const { return encoding_; }
    QSpinBox *epochsSpin() const { return epochs_; }
    QComboBox *scheduleCombo() const { return schedule_; }
    QSpinBox *patienceSpin() const { return patience_; }
    QSpinBox *seedSpin() const { return seed_; }

Q_SIGNALS:
    void configChanged(const firstspike::RunConfig &config);

private:
    void emitChanged();
    bool parseLayers(std::vector<int> &sizes, QString &problem) const;

    RunConfig base_; // the settings this panel does not show are kept from here
    bool live_ = false;
    bool updating_ = false;
    QLineEdit *layers_ = nullptr;
    QLabel *layersProblem_ = nullptr;
    QDoubleSpinBox *learningRate_ = nullptr;
    QSpinBox *batch_ = nullptr;
    QComboBox *optimizer_ = nullptr;
    QComboBox *encoding_ = nullptr;
    QSpinBox *epochs_ = nullptr;
    QComboBox *schedule_ = nullptr;
    QSpinBox *patience_ = nullptr;
    QSpinBox *seed_ = nullptr;
    QSpinBox *threads_ = nullptr;
    QSpinBox *trainLimit_ = nullptr;
    QLabel *dataSet_ = nullptr;
    QLabel *lockNote_ = nullptr;
};

} // namespace firstspike

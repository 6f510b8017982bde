#include "ui/training/ConfigPanel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QVBoxLayout>

#include <limits>

namespace firstspike {

ConfigPanel::ConfigPanel(QWidget *parent)
    : QWidget(parent)
{
    auto *network = new QGroupBox(tr("Network"));
    auto *networkForm = new QFormLayout(network);
    layers_ = new QLineEdit;
    layers_->setToolTip(tr("Layer sizes, input first, e.g. 784-800-10 (the paper's network).\n"
                           "The input must be 784 (28x28 pixels) and the output at least 10 classes.\n"
                           "Locked while a run is live."));
    layersProblem_ = new QLabel;
    layersProblem_->setStyleSheet(QStringLiteral("color: #b22;"));
    layersProblem_->setWordWrap(true);
    layersProblem_->hide();
    encoding_ = new QComboBox;
    encoding_->addItem(tr("Latency  t = s(1 − x)"), static_cast<int>(InputEncoding::LinearLatency));
    encoding_->addItem(tr("Binary  t ∈ {0, ln 6}"), static_cast<int>(InputEncoding::Binarized));
    encoding_->setToolTip(tr("How a pixel intensity x becomes one input spike time:\n"
                             "latency: brighter pixels spike earlier (s: the time of a black pixel), grey levels kept;\n"
                             "binary: pixels ≥ 0.5 spike at t = 0, the others at t = ln 6.\n"
                             "Locked while a run is live."));
    networkForm->addRow(tr("&Layers"), layers_);
    networkForm->addRow(QString(), layersProblem_);
    networkForm->addRow(tr("&Encoding"), encoding_);

    auto *training = new QGroupBox(tr("Training"));
    auto *trainingForm = new QFormLayout(training);
    optimizer_ = new QComboBox;
    optimizer_->addItem(tr("Adam"), static_cast<int>(OptimizerKind::Adam));
    optimizer_->addItem(tr("SGD"), static_cast<int>(OptimizerKind::Sgd));
    optimizer_->setToolTip(tr("Parameter update rule. Locked while a run is live."));
    learningRate_ = new QDoubleSpinBox;
    learningRate_->setDecimals(6);
    learningRate_->setRange(1e-6, 1.0);
    learningRate_->setStepType(QAbstractSpinBox::AdaptiveDecimalStepType);
    learningRate_->setKeyboardTracking(false);
    learningRate_->setToolTip(tr("Learning rate of the optimiser. Live: a change applies at the next mini-batch."));
    batch_ = new QSpinBox;
    batch_->setRange(1, 4096);
    batch_->setKeyboardTracking(false);
    batch_->setToolTip(tr("Samples per mini-batch (the paper uses 10). Live: a change applies at the next mini-batch."));
    epochs_ = new QSpinBox;
    epochs_->setRange(1, 10000);
    epochs_->setToolTip(tr("Passes over the training set; the run ends after this many. Locked while a run is live."));
    seed_ = new QSpinBox;
    seed_->setRange(0, std::numeric_limits<int>::max());
    seed_->setToolTip(tr("Seed of the initial weights, the validation split and the shuffling:\n"
                         "the same seed and settings give the same run. Reset draws new weights from it."));
    schedule_ = new QComboBox;
    schedule_->addItem(tr("Exp. over the run"), static_cast<int>(LrSchedule::ExponentialOverRun));
    schedule_->addItem(tr("Exp. per step"), static_cast<int>(LrSchedule::Exponential));
    schedule_->addItem(tr("Cosine"), static_cast<int>(LrSchedule::Cosine));
    schedule_->setToolTip(tr("Learning-rate schedule. Exponential over the run: lr0 * exp(-5 * step / steps of the run),\n"
                             "whatever the data set's size. Exponential per step: lr0 * exp(-decay * step).\n"
                             "Cosine: from lr0 down to the floor at the last step of the last epoch,\n"
                             "so every epoch of the run still learns. Locked while a run is live."));
    patience_ = new QSpinBox;
    patience_->setRange(0, 1000);
    patience_->setSpecialValueText(tr("off"));
    patience_->setSuffix(tr(" epochs"));
    patience_->setToolTip(tr("Early stopping: end the run when the validation accuracy has not improved for this many\n"
                             "epochs (the status bar says so). The final weights are the best validation epoch's.\n"
                             "Locked while a run is live."));
    trainingForm->addRow(tr("&Optimiser"), optimizer_);
    trainingForm->addRow(tr("Learning &rate"), learningRate_);
    trainingForm->addRow(tr("Sc&hedule"), schedule_);
    trainingForm->addRow(tr("&Batch size"), batch_);
    trainingForm->addRow(tr("E&pochs"), epochs_);
    trainingForm->addRow(tr("Stop &early"), patience_);
    trainingForm->addRow(tr("&Seed"), seed_);

    auto *compute = new QGroupBox(tr("Data and compute"));
    auto *computeForm = new QFormLayout(compute);
    trainLimit_ = new QSpinBox;
    trainLimit_->setRange(0, 10'000'000);
    trainLimit_->setSpecialValueText(tr("all"));
    trainLimit_->setSingleStep(500);
    trainLimit_->setToolTip(tr("Train on only the first N training digits (all: the whole training set of the data set in use)."));
    threads_ = new QSpinBox;
    threads_->setRange(0, 256);
    threads_->setSpecialValueText(tr("all cores"));
    threads_->setToolTip(tr("Worker threads of the trainer (all cores: one per hardware thread)."));
    dataSet_ = new QLabel(tr("loading…"));
    dataSet_->setObjectName(QStringLiteral("dataSetLabel"));
    dataSet_->setWordWrap(true);
    computeForm->addRow(tr("Data set"), dataSet_);
    computeForm->addRow(tr("Training &digits"), trainLimit_);
    computeForm->addRow(tr("&Threads"), threads_);

    lockNote_ = new QLabel(tr("A run is live: only the learning rate and the batch size can change. "
                              "Stop or Reset to edit the rest."));
    lockNote_->setWordWrap(true);
    lockNote_->setStyleSheet(QStringLiteral("color: #666;"));
    lockNote_->hide();

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(network);
    layout->addWidget(training);
    layout->addWidget(compute);
    layout->addWidget(lockNote_);
    layout->addStretch(1);

    connect(layers_, &QLineEdit::editingFinished, this, &ConfigPanel::emitChanged);
    connect(encoding_, &QComboBox::currentIndexChanged, this, &ConfigPanel::emitChanged);
    connect(optimizer_, &QComboBox::currentIndexChanged, this, &ConfigPanel::emitChanged);
    connect(schedule_, &QComboBox::currentIndexChanged, this, &ConfigPanel::emitChanged);
    connect(patience_, &QSpinBox::valueChanged, this, &ConfigPanel::emitChanged);
    connect(learningRate_, &QDoubleSpinBox::valueChanged, this, &ConfigPanel::emitChanged);
    for (QSpinBox *s : {batch_, epochs_, seed_, trainLimit_, threads_})
        connect(s, &QSpinBox::valueChanged, this, &ConfigPanel::emitChanged);

    setConfig(RunConfig{});
}

bool ConfigPanel::parseLayers(std::vector<int> &sizes, QString &problem) const
{
    std::vector<int> parsed;
    if (!parseLayerSizes(layers_->text().trimmed().toStdString(), parsed)) {
        problem = tr("Write the sizes like 784-800-10.");
        return false;
    }
    if (parsed.front() != 784) {
        problem = tr("The input layer must have 784 neurons (28x28 pixels).");
        return false;
    }
    if (parsed.back() < 10) {
        problem = tr("The output layer needs at least 10 neurons (digits 0-9).");
        return false;
    }
    sizes = parsed;
    return true;
}

RunConfig ConfigPanel::config() const
{
    RunConfig c = base_;
    std::vector<int> sizes;
    QString problem;
    if (parseLayers(sizes, problem))
        c.network.layerSizes = sizes;
    c.network.encoding.kind = static_cast<InputEncoding>(encoding_->currentData().toInt());
    c.training.optimizer.kind = static_cast<OptimizerKind>(optimizer_->currentData().toInt());
    c.training.optimizer.learningRate = learningRate_->value();
    c.training.batchSize = batch_->value();
    c.training.epochs = epochs_->value();
    c.training.optimizer.schedule = static_cast<LrSchedule>(schedule_->currentData().toInt());
    c.training.patience = patience_->value();
    c.training.seed = static_cast<std::uint64_t>(seed_->value());
    c.training.threads = threads_->value();
    c.trainLimit = trainLimit_->value();
    return c;
}

void ConfigPanel::setConfig(const RunConfig &config)
{
    updating_ = true;
    base_ = config;
    layers_->setText(QString::fromStdString(layerSizesToString(config.network.layerSizes)));
    layersProblem_->hide();
    encoding_->setCurrentIndex(encoding_->findData(static_cast<int>(config.network.encoding.kind)));
    optimizer_->setCurrentIndex(optimizer_->findData(static_cast<int>(config.training.optimizer.kind)));
    learningRate_->setValue(config.training.optimizer.learningRate);
    batch_->setValue(config.training.batchSize);
    epochs_->setValue(config.training.epochs);
    schedule_->setCurrentIndex(schedule_->findData(static_cast<int>(config.training.optimizer.schedule)));
    patience_->setValue(std::min(config.training.patience, patience_->maximum()));
    seed_->setValue(static_cast<int>(std::min<std::uint64_t>(config.training.seed, std::numeric_limits<int>::max())));
    threads_->setValue(config.training.threads);
    trainLimit_->setValue(config.trainLimit);
    updating_ = false;
}

void ConfigPanel::setLive(bool live)
{
    live_ = live;
    for (QWidget *w : std::initializer_list<QWidget *>{layers_, encoding_, optimizer_, schedule_, epochs_, patience_, seed_, threads_, trainLimit_})
        w->setEnabled(!live);
    lockNote_->setVisible(live);
}

void ConfigPanel::emitChanged()
{
    if (updating_)
        return;
    std::vector<int> sizes;
    QString problem;
    if (!parseLayers(sizes, problem)) {
        layersProblem_->setText(problem);
        layersProblem_->show();
        return; // a malformed architecture is never sent
    }
    layersProblem_->hide();
    const RunConfig c = config();
    base_ = c;
    Q_EMIT configChanged(c);
}

void ConfigPanel::setDataSetDescription(const QString &text, const QString &toolTip)
{
    dataSet_->setText(text);
    dataSet_->setToolTip(toolTip);
}

QString ConfigPanel::dataSetDescription() const
{
    return dataSet_->text();
}

} // namespace firstspike

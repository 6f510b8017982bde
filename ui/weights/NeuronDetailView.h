#pragma once
// One watched hidden neuron: its input weights enlarged, and its statistics (weight sum
// against the threshold, how often it fires on the probe digits, its mean spike time).

#include "ui/training/TrainingSnapshot.h"

#include <QWidget>

#include <memory>

class QLabel;

namespace firstspike {

class NeuronDetailView : public QWidget {
    Q_OBJECT
public:
    explicit NeuronDetailView(QWidget *parent = nullptr);

    void setTiles(std::shared_ptr<const WeightTiles> tiles);
    void setActivity(std::shared_ptr<const NeuronActivity> activity);
    void clear();
    int tile() const { return tile_; }
    QString statisticsText() const; // plain text of the statistics, for tests
    QSize sizeHint() const override { return {300, 190}; }
    QSize minimumSizeHint() const override { return {220, 150}; }

public Q_SLOTS:
    void showTile(int tile);

protected:
    void paintEvent(QPaintEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void updateText();
    QRect imageRect() const;

    std::shared_ptr<const WeightTiles> tiles_;
    std::shared_ptr<const NeuronActivity> activity_;
    int tile_ = 0;
    QLabel *text_ = nullptr;
};

} // namespace firstspike

#pragma once
// The 784 input weights of each watched hidden neuron as a 28x28 tile, all tiles in a grid,
// blue-white-red about zero with a legend. The mosaic is drawn into one QImage when new
// weights arrive (never thousands of scene items) and scaled with nearest-neighbour pixels.
// Click a tile to select its neuron (NeuronDetailView shows it enlarged).

#include "ui/training/TrainingSnapshot.h"

#include <QImage>
#include <QWidget>

#include <memory>

namespace firstspike {

class WeightMapView : public QWidget {
    Q_OBJECT
public:
    explicit WeightMapView(QWidget *parent = nullptr);

    void setTiles(std::shared_ptr<const WeightTiles> tiles);
    void setActivity(std::shared_ptr<const NeuronActivity> activity);
    void clear();
    const WeightTiles *tiles() const { return tiles_.get(); }
    int selectedTile() const { return selected_; }
    int tileAt(const QPoint &pos) const; // -1 outside the tiles
    QRect tileRect(int tile) const;      // widget coordinates
    QSize sizeHint() const override { return {420, 360}; }
    QSize minimumSizeHint() const override { return {200, 160}; }

public Q_SLOTS:
    void selectTile(int tile);

Q_SIGNALS:
    void tileSelected(int tile, int neuron);
    void imageUpdated(long long step); // the mosaic was redrawn from new weights

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    bool event(QEvent *event) override; // tooltips

private:
    void layoutGrid();
    void renderMosaic();

    std::shared_ptr<const WeightTiles> tiles_;
    std::shared_ptr<const NeuronActivity> activity_;
    QImage mosaic_;     // one pixel per weight, 1-pixel gaps between tiles
    int columns_ = 1;
    int gridRows_ = 1;
    QRect target_;      // where the mosaic is drawn
    QRect legendBar_;
    double scale_ = 1.0;
    int selected_ = 0;
};

} // namespace firstspike

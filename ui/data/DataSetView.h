#pragma once
// The Data tab: which data set is in use, its sizes, the number of digits per class in the
// training and test sets, and a preview grid with the first few training images of each class.

#include "core/data/Dataset.h"

#include <QImage>
#include <QWidget>

#include <memory>

class QLabel;
class QTableWidget;

namespace firstspike {

class DataSetPreview;

class DataSetView : public QWidget {
    Q_OBJECT
public:
    static constexpr int kPreviewPerClass = 12;

    explicit DataSetView(QWidget *parent = nullptr);

    // Null: nothing loaded yet.
    void setDataSet(std::shared_ptr<const DataSplit> data);
    std::shared_ptr<const DataSplit> dataSet() const { return data_; }

    // For tests.
    QString titleText() const;
    QString sizesText() const;
    QTableWidget *classTable() const { return classes_; }
    QImage previewImage() const;           // the grid as painted: a row per class
    int previewSamplesShown() const;       // images in the grid

private:
    std::shared_ptr<const DataSplit> data_;
    QLabel *title_ = nullptr;
    QLabel *sizes_ = nullptr;
    QTableWidget *classes_ = nullptr;
    DataSetPreview *preview_ = nullptr;
};

} // namespace firstspike

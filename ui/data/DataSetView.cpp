#include "ui/data/DataSetView.h"

#include "ui/data/DataSetLoader.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPainter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace firstspike {

// The first kPreviewPerClass training images of every class, one row per class, drawn from
// one QImage built when the data set changes (scaled when painted).
class DataSetPreview : public QWidget {
public:
    explicit DataSetPreview(QWidget *parent = nullptr)
        : QWidget(parent)
    {
        setMinimumSize(240, 200);
        setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    }

    void setData(const DataSplit *data)
    {
        shown_ = 0;
        image_ = QImage();
        if (!data || data->train.size() == 0) {
            update();
            return;
        }
        const Dataset &set = data->train;
        const int classes = set.classCount();
        const int rows = set.rows, cols = set.cols, gap = 2;
        const int per = DataSetView::kPreviewPerClass;
        image_ = QImage(per * (cols + gap) + gap, classes * (rows + gap) + gap, QImage::Format_Grayscale8);
        image_.fill(200);
        std::vector<int> placed(classes, 0);
        for (int i = 0; i < set.size(); ++i) {
            const int label = set.labels[i];
            if (placed[label] >= per)
                continue;
            const std::uint8_t *src = set.image(i);
            const int x0 = gap + placed[label] * (cols + gap), y0 = gap + label * (rows + gap);
            for (int r = 0; r < rows; ++r) {
                uchar *line = image_.scanLine(y0 + r) + x0;
                for (int c = 0; c < cols; ++c)
                    line[c] = static_cast<uchar>(255 - src[r * cols + c]); // dark ink on light paper
            }
            ++placed[label];
            ++shown_;
            if (std::all_of(placed.begin(), placed.end(), [per](int n) { return n >= per; }))
                break;
        }
        update();
    }
    const QImage &image() const { return image_; }
    int shown() const { return shown_; }

protected:
    void paintEvent(QPaintEvent *) override
    {
        QPainter p(this);
        p.fillRect(rect(), palette().window());
        if (image_.isNull()) {
            p.drawText(rect(), Qt::AlignCenter, tr("No data set loaded"));
            return;
        }
        const QSize size = image_.size().scaled(this->size(), Qt::KeepAspectRatio);
        const QRect target(QPoint((width() - size.width()) / 2, 0), size);
        p.drawImage(target, image_);
    }

private:
    QImage image_;
    int shown_ = 0;
};

DataSetView::DataSetView(QWidget *parent)
    : QWidget(parent)
{
    title_ = new QLabel;
    title_->setObjectName(QStringLiteral("dataSetTitle"));
    title_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    title_->setWordWrap(true);
    QFont bold = title_->font();
    bold.setBold(true);
    title_->setFont(bold);
    sizes_ = new QLabel;
    sizes_->setObjectName(QStringLiteral("dataSetSizes"));
    classes_ = new QTableWidget(0, 3);
    classes_->setObjectName(QStringLiteral("dataSetClasses"));
    classes_->setHorizontalHeaderLabels({tr("Class"), tr("Train"), tr("Test")});
    classes_->verticalHeader()->hide();
    classes_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    classes_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    classes_->setMaximumWidth(260);
    preview_ = new DataSetPreview;
    preview_->setObjectName(QStringLiteral("dataSetPreview"));
    preview_->setToolTip(tr("The first %1 training images of each class, one row per class").arg(kPreviewPerClass));

    auto *left = new QVBoxLayout;
    left->addWidget(sizes_);
    left->addWidget(classes_, 1);
    auto *body = new QHBoxLayout;
    body->addLayout(left);
    body->addWidget(preview_, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(title_);
    layout->addLayout(body, 1);
    setDataSet(nullptr);
}

void DataSetView::setDataSet(std::shared_ptr<const DataSplit> data)
{
    data_ = std::move(data);
    preview_->setData(data_.get());
    classes_->setRowCount(0);
    if (!data_) {
        title_->setText(tr("Loading data…"));
        sizes_->clear();
        return;
    }
    const bool embedded = data_->source == "embedded";
    title_->setText(embedded ? tr("Embedded MNIST subset (10,000 digits built into the program)")
                             : tr("Data set: %1").arg(QString::fromStdString(data_->source)));
    sizes_->setText(DataSetLoader::summary(*data_));
    const std::vector<int> train = data_->train.classHistogram();
    const std::vector<int> test = data_->test.classHistogram();
    const int classes = static_cast<int>(std::max(train.size(), test.size()));
    classes_->setRowCount(classes);
    for (int c = 0; c < classes; ++c) {
        const int values[] = {c, c < static_cast<int>(train.size()) ? train[c] : 0,
                              c < static_cast<int>(test.size()) ? test[c] : 0};
        for (int col = 0; col < 3; ++col) {
            auto *item = new QTableWidgetItem(QString::number(values[col]));
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            classes_->setItem(c, col, item);
        }
    }
}

QString DataSetView::titleText() const
{
    return title_->text();
}

QString DataSetView::sizesText() const
{
    return sizes_->text();
}

QImage DataSetView::previewImage() const
{
    return preview_->image();
}

int DataSetView::previewSamplesShown() const
{
    return preview_->shown();
}

} // namespace firstspike

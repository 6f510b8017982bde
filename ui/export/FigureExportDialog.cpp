#include "ui/export/FigureExportDialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

namespace firstspike {

FigureExportDialog::FigureExportDialog(const Figure &figure, const QString &folder, FigureFormat format, QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Export Figure — %1").arg(figure.title));
    path_ = new QLineEdit(QDir(folder).filePath(figure.name + QLatin1Char('.') + FigureExporter::extension(format)));
    auto *browse = new QPushButton(tr("Browse…"));
    auto *pathRow = new QHBoxLayout;
    pathRow->addWidget(path_, 1);
    pathRow->addWidget(browse);
    format_ = new QComboBox;
    format_->addItem(tr("PNG image"), static_cast<int>(FigureFormat::Png));
    format_->addItem(tr("SVG vector graphics"), static_cast<int>(FigureFormat::Svg));
    format_->addItem(tr("PDF document"), static_cast<int>(FigureFormat::Pdf));
    format_->setCurrentIndex(format_->findData(static_cast<int>(format)));
    width_ = new QSpinBox;
    height_ = new QSpinBox;
    for (QSpinBox *s : {width_, height_}) {
        s->setRange(50, kMaxFigureSide); // render() refuses, with the reason, a PNG beyond the limits
        s->setSuffix(tr(" px"));
    }
    width_->setValue(std::max(50, figure.size.width()));
    height_->setValue(std::max(50, figure.size.height()));
    dpi_ = new QDoubleSpinBox;
    dpi_->setRange(kMinFigureDpi, kMaxFigureDpi);
    dpi_->setDecimals(0);
    dpi_->setValue(192);
    dpi_->setSuffix(tr(" dpi"));
    dpi_->setToolTip(tr("PNG resolution: the image has size × dpi / 96 pixels"));

    auto *form = new QFormLayout;
    form->addRow(tr("File:"), pathRow);
    form->addRow(tr("Format:"), format_);
    form->addRow(tr("Width (1/96 in):"), width_);
    form->addRow(tr("Height (1/96 in):"), height_);
    form->addRow(tr("Resolution:"), dpi_);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);

    connect(browse, &QPushButton::clicked, this, &FigureExportDialog::browse);
    connect(format_, &QComboBox::currentIndexChanged, this, &FigureExportDialog::onFormatChanged);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    onFormatChanged();
}

QString FigureExportDialog::path() const
{
    return path_->text().trimmed();
}

FigureFormat FigureExportDialog::format() const
{
    return static_cast<FigureFormat>(format_->currentData().toInt());
}

FigureOptions FigureExportDialog::options() const
{
    FigureOptions o;
    o.size = QSize(width_->value(), height_->value());
    o.dpi = format() == FigureFormat::Png ? dpi_->value() : 96;
    return o;
}

void FigureExportDialog::onFormatChanged()
{
    dpi_->setEnabled(format() == FigureFormat::Png);
    // Keep the file name's extension in step with the format.
    QFileInfo info(path());
    const QString ext = FigureExporter::extension(format());
    if (!path().isEmpty() && info.suffix().toLower() != ext)
        path_->setText(QDir(info.path()).filePath(info.completeBaseName() + QLatin1Char('.') + ext));
}

void FigureExportDialog::browse()
{
    const QString ext = FigureExporter::extension(format());
    const QString chosen = QFileDialog::getSaveFileName(this, windowTitle(), path(),
                                                        tr("%1 files (*.%2)").arg(ext.toUpper(), ext));
    if (!chosen.isEmpty()) {
        path_->setText(chosen);
        format_->setCurrentIndex(format_->findData(static_cast<int>(FigureExporter::formatForPath(chosen, format()))));
    }
}

} // namespace firstspike

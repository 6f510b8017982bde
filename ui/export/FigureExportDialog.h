#pragma once
// Asks where and how to export one figure: file, format (PNG, SVG, PDF), size and, for PNG,
// resolution. Starts in the folder and format used last.

#include "ui/export/FigureExporter.h"

#include <QDialog>

class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;

namespace firstspike {

class FigureExportDialog : public QDialog {
    Q_OBJECT
public:
    FigureExportDialog(const Figure &figure, const QString &folder, FigureFormat format, QWidget *parent = nullptr);

    QString path() const;
    FigureFormat format() const;
    FigureOptions options() const;

private:
    void browse();
    void onFormatChanged();

    QLineEdit *path_ = nullptr;
    QComboBox *format_ = nullptr;
    QSpinBox *width_ = nullptr, *height_ = nullptr;
    QDoubleSpinBox *dpi_ = nullptr;
};

} // namespace firstspike

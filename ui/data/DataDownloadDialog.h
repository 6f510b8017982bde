#pragma once
// File ▸ Download Full MNIST…: runs a DataDownloader with a progress bar, a log of what was
// tried, and Cancel. On success the window switches to the downloaded set (MainWindow).
// Not modal: training and the views go on while it downloads.

#include "ui/data/DataDownloader.h"

#include <QDialog>

class QDialogButtonBox;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;

namespace firstspike {

class DataDownloadDialog : public QDialog {
    Q_OBJECT
public:
    explicit DataDownloadDialog(const DownloadSpec &spec, QWidget *parent = nullptr);

    void start();
    bool isRunning() const { return downloader_->isRunning(); }
    const DownloadSpec &spec() const { return spec_; }

    // For tests.
    DataDownloader *downloader() const { return downloader_; }
    QProgressBar *progressBar() const { return progress_; }
    QPushButton *cancelButton() const { return cancel_; }
    QString statusText() const;
    QString logText() const;

Q_SIGNALS:
    void downloaded(const QString &folder); // every file there and verified
    void failed(const QString &error);      // "cancelled" when the user stopped it

protected:
    void reject() override; // Escape or the window's close: cancel first

private:
    void onFinished(bool ok, const QString &error);

    DownloadSpec spec_;
    DataDownloader *downloader_ = nullptr;
    QLabel *status_ = nullptr;
    QProgressBar *progress_ = nullptr;
    QPlainTextEdit *log_ = nullptr;
    QPushButton *cancel_ = nullptr;
    QPushButton *close_ = nullptr;
};

} // namespace firstspike

#include "ui/data/DataDownloadDialog.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

namespace firstspike {

DataDownloadDialog::DataDownloadDialog(const DownloadSpec &spec, QWidget *parent)
    : QDialog(parent)
    , spec_(spec)
    , downloader_(new DataDownloader(this))
{
    setObjectName(QStringLiteral("dataDownloadDialog"));
    setWindowTitle(tr("Download %1").arg(spec_.title));
    status_ = new QLabel(tr("Downloading %1 into %2").arg(spec_.title, spec_.folder));
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    progress_ = new QProgressBar;
    progress_->setRange(0, 1000);
    progress_->setValue(0);
    log_ = new QPlainTextEdit;
    log_->setReadOnly(true);
    log_->setMaximumBlockCount(500);
    log_->setMinimumHeight(120);
    auto *buttons = new QDialogButtonBox;
    cancel_ = buttons->addButton(QDialogButtonBox::Cancel);
    close_ = buttons->addButton(QDialogButtonBox::Close);
    close_->setEnabled(false);
    connect(cancel_, &QPushButton::clicked, downloader_, &DataDownloader::cancel);
    connect(close_, &QPushButton::clicked, this, &QDialog::accept);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(status_);
    layout->addWidget(progress_);
    layout->addWidget(log_, 1);
    layout->addWidget(buttons);
    resize(560, 300);

    connect(downloader_, &DataDownloader::message, log_, &QPlainTextEdit::appendPlainText);
    connect(downloader_, &DataDownloader::progress, this,
            [this](int index, int count, const QString &name, qint64 received, qint64 total, double overall) {
                progress_->setValue(static_cast<int>(overall * 1000));
                const QString bytes = total > 0 ? tr("%1 of %2 kB").arg(received / 1024).arg(total / 1024)
                                                : tr("%1 kB").arg(received / 1024);
                status_->setText(tr("File %1 of %2: %3, %4").arg(index + 1).arg(count).arg(name, bytes));
            });
    connect(downloader_, &DataDownloader::finished, this, &DataDownloadDialog::onFinished);
}

void DataDownloadDialog::start()
{
    cancel_->setEnabled(true);
    close_->setEnabled(false);
    downloader_->start(spec_);
}

void DataDownloadDialog::onFinished(bool ok, const QString &error)
{
    cancel_->setEnabled(false);
    close_->setEnabled(true);
    close_->setDefault(true);
    if (ok) {
        progress_->setValue(progress_->maximum());
        status_->setText(tr("%1 is downloaded and verified in %2; training uses it from now on.").arg(spec_.title, spec_.folder));
        Q_EMIT downloaded(spec_.folder);
        return;
    }
    if (error == QLatin1String("cancelled"))
        status_->setText(tr("Cancelled. The partial files are kept: downloading again resumes them. "
                            "The data set in use stays."));
    else if (downloader_->failedOnNetwork())
        status_->setText(tr("The download failed: %1\nNo network, or no mirror answered: the data set in use "
                            "(by default the embedded digits) stays.")
                             .arg(error));
    else // refused here (a file name, a link in the folder): the reason alone
        status_->setText(tr("The download was refused: %1\nThe data set in use stays.").arg(error));
    Q_EMIT failed(error);
}

void DataDownloadDialog::reject()
{
    if (downloader_->isRunning())
        downloader_->cancel();
    QDialog::reject();
}

QString DataDownloadDialog::statusText() const
{
    return status_->text();
}

QString DataDownloadDialog::logText() const
{
    return log_->toPlainText();
}

} // namespace firstspike

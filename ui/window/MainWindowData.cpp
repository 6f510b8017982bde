// MainWindow: the data set in use (File ▸ Open Data Set…, the Data tab).

#include "ui/window/MainWindow.h"

#include "ui/data/DataDownloadDialog.h"
#include "ui/data/DataSetLoader.h"
#include "ui/data/DataSetView.h"

#include <QApplication>
#include <QFileDialog>
#include <QGuiApplication>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>

namespace firstspike {

bool MainWindow::openDataSet(const QString &folder, QString *error)
{
    QString problem;
    QApplication::setOverrideCursor(Qt::WaitCursor);
    std::shared_ptr<const DataSplit> data = DataSetLoader::open(folder, controller_->config().network.outputSize(), &problem);
    QApplication::restoreOverrideCursor();
    if (!data) {
        if (error)
            *error = problem;
        statusBar()->showMessage(tr("Data set refused: %1").arg(problem), 10000);
        return false;
    }
    dataFolder_ = folder;
    if (options_.useSettings)
        QSettings().setValue(QStringLiteral("data/folder"), folder);
    controller_->setData(std::move(data));
    statusBar()->showMessage(tr("Training on %1 from now on.").arg(folder), 6000);
    return true;
}

void MainWindow::useEmbeddedData()
{
    dataFolder_.clear();
    if (options_.useSettings)
        QSettings().remove(QStringLiteral("data/folder"));
    controller_->setData(nullptr);
}

bool MainWindow::confirmNewRun()
{
    if (!controller_->hasUnsavedTraining() || QGuiApplication::platformName() == QLatin1String("offscreen"))
        return true;
    return QMessageBox::question(this, tr("Switch the data set"),
                                 tr("Another data set starts a new run: the training not saved so far is discarded. "
                                    "Go on?"),
                                 QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel)
        == QMessageBox::Yes;
}

void MainWindow::openDataSetInteractively()
{
    if (!confirmNewRun())
        return;
    const QString folder = QFileDialog::getExistingDirectory(
        this, tr("Open Data Set (a folder with train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-…, raw or .gz)"),
        dataFolder_.isEmpty() ? lastFolder() : dataFolder_);
    if (folder.isEmpty())
        return;
    QString error;
    if (!openDataSet(folder, &error)) {
        auto *box = new QMessageBox(QMessageBox::Warning, tr("Data set refused"), error, QMessageBox::Ok, this);
        box->setInformativeText(tr("The data set in use stays loaded."));
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->setModal(false);
        box->setObjectName(QStringLiteral("dataSetErrorBox"));
        box->show();
        return;
    }
    tabs_->setCurrentWidget(dataView_);
}

DataDownloadDialog *MainWindow::downloadMnist()
{
    const DownloadSpec spec = options_.mnistDownload ? *options_.mnistDownload
                                                     : DataDownloader::mnistSpec(DataDownloader::defaultMnistFolder());
    auto *dialog = new DataDownloadDialog(spec, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &DataDownloadDialog::downloaded, this, [this](const QString &folder) {
        QString error;
        if (!openDataSet(folder, &error))
            showError(tr("The downloaded data set could not be opened: %1").arg(error));
    });
    connect(dialog, &DataDownloadDialog::failed, this, [this](const QString &error) {
        statusBar()->showMessage(error == QLatin1String("cancelled")
                                     ? tr("Download cancelled; the data set in use stays.")
                                     : tr("Download failed (%1); the data set in use stays.").arg(error),
                                 10000);
    });
    dialog->show();
    dialog->start();
    return dialog;
}

void MainWindow::showDataSet(const std::shared_ptr<const DataSplit> &data)
{
    dataView_->setDataSet(data);
}

} // namespace firstspike

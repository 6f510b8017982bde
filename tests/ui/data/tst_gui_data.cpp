// File ▸ Open Data Set…: a folder of IDX files is checked, refused with the reason (the set in
// use stays) or trained on; the Data tab shows its sizes, class counts and a preview grid; the
// folder is used again at the next start. A FIFO in the folder, or as the folder, is refused at
// once with its name (issue 25).

#include "ui/training/ConfigPanel.h"
#include "ui/data/DataSetLoader.h"
#include "ui/data/DataSetView.h"
#include "core/data/IdxReader.h"
#include "ui/window/MainWindow.h"
#include "ui/training/TrainingController.h"
#include "tests/common/FifoGuard.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

using namespace firstspike;
using State = TrainingController::State;

namespace {

void put32(QByteArray &out, quint32 v)
{
    for (int shift = 24; shift >= 0; shift -= 8)
        out.append(static_cast<char>((v >> shift) & 0xff));
}

// Writes NAME-images-idx3-ubyte and NAME-labels-idx1-ubyte (raw IDX).
void writeIdx(const QString &folder, const QString &name, const Dataset &set, int labelCount = -1, int overrideLabel = -1)
{
    QByteArray images;
    put32(images, 0x00000803);
    put32(images, static_cast<quint32>(set.size()));
    put32(images, static_cast<quint32>(set.rows));
    put32(images, static_cast<quint32>(set.cols));
    images.append(reinterpret_cast<const char *>(set.pixels.data()), static_cast<qsizetype>(set.pixels.size()));
    const int labels = labelCount < 0 ? set.size() : labelCount;
    QByteArray labelBytes;
    put32(labelBytes, 0x00000801);
    put32(labelBytes, static_cast<quint32>(labels));
    for (int i = 0; i < labels; ++i)
        labelBytes.append(static_cast<char>(i == 0 && overrideLabel >= 0 ? overrideLabel : set.labels[i]));
    QFile fi(QDir(folder).filePath(name + QStringLiteral("-images-idx3-ubyte")));
    QVERIFY(fi.open(QIODevice::WriteOnly));
    fi.write(images);
    QFile fl(QDir(folder).filePath(name + QStringLiteral("-labels-idx1-ubyte")));
    QVERIFY(fl.open(QIODevice::WriteOnly));
    fl.write(labelBytes);
}

Dataset firstN(const Dataset &set, int n)
{
    std::vector<int> idx(n);
    for (int i = 0; i < n; ++i)
        idx[i] = i;
    return set.subset(idx, set.name);
}

// The top-left 20x20 of every image: a set of another image size.
Dataset cropped(const Dataset &set, int side)
{
    Dataset out = set;
    out.rows = out.cols = side;
    out.pixels.clear();
    for (int i = 0; i < set.size(); ++i)
        for (int r = 0; r < side; ++r)
            for (int c = 0; c < side; ++c)
                out.pixels.push_back(set.image(i)[r * set.cols + c]);
    return out;
}


} // namespace

class TestGuiData : public QObject {
    Q_OBJECT

private:
    std::shared_ptr<const DataSplit> embedded_;
    QTemporaryDir dir_;

    QString makeSet(const QString &name, int train, int test)
    {
        const QString folder = dir_.filePath(name);
        QDir().mkpath(folder);
        writeIdx(folder, QStringLiteral("train"), firstN(embedded_->train, train));
        writeIdx(folder, QStringLiteral("t10k"), firstN(embedded_->test, test));
        return folder;
    }
    static MainWindowOptions options(bool useSettings = false)
    {
        MainWindowOptions o;
        RunConfig c;
        c.trainLimit = 300;
        c.testLimit = 100;
        c.training.epochs = 2;
        o.config = c;
        o.useSettings = useSettings;
        o.autosaveFolder = QString();
        o.watchedNeurons = 16;
        return o;
    }
    static void waitReady(MainWindow &w)
    {
        QTRY_VERIFY_WITH_TIMEOUT(w.controller()->state() == State::Ready && w.controller()->data(), 60000);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("FirstspikeTest"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_gui_data"));
        QSettings().clear();
        QVERIFY(dir_.isValid());
        embedded_ = std::make_shared<const DataSplit>(loadEmbeddedMnist());
    }
    void cleanupTestCase() { QSettings().clear(); }

    void dataTabShowsEmbeddedSet()
    {
        MainWindow w(options());
        waitReady(w);
        DataSetView *view = w.dataSetView();
        QVERIFY(view->titleText().contains(QStringLiteral("Embedded")));
        QVERIFY2(view->sizesText().contains(QStringLiteral("train 7996 / test 2004")), qPrintable(view->sizesText()));
        QCOMPARE(view->classTable()->rowCount(), 10);
        int train = 0, test = 0;
        for (int r = 0; r < 10; ++r) {
            train += view->classTable()->item(r, 1)->text().toInt();
            test += view->classTable()->item(r, 2)->text().toInt();
        }
        QCOMPARE(train, 7996);
        QCOMPARE(test, 2004);
        QCOMPARE(view->previewSamplesShown(), 10 * DataSetView::kPreviewPerClass);
        QCOMPARE(view->previewImage().height(), 10 * 30 + 2);
        QVERIFY(w.dataSetFolder().isEmpty());
    }

    void openValidSetTrainsOnIt()
    {
        const QString folder = makeSet(QStringLiteral("small"), 500, 150);
        MainWindow w(options());
        waitReady(w);
        QSignalSpy loaded(w.controller(), &TrainingController::dataLoaded);
        QSignalSpy resets(w.controller(), &TrainingController::runReset);
        QString error;
        QVERIFY2(w.openDataSet(folder, &error), qPrintable(error));
        QCOMPARE(resets.count(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 30000);
        QCOMPARE(loaded.at(0).at(0).toInt(), 500);
        QCOMPARE(loaded.at(0).at(1).toInt(), 150);
        waitReady(w);
        QCOMPARE(w.controller()->data()->train.size(), 500);
        QCOMPARE(w.dataSetFolder(), folder);
        QVERIFY(w.dataSetView()->titleText().contains(folder));
        QVERIFY(w.dataSetView()->sizesText().contains(QStringLiteral("train 500 / test 150, 28x28, 10 classes")));
        QVERIFY(w.windowTitle().contains(QStringLiteral("small")));
        QCOMPARE(w.configPanel()->dataSetDescription(), QStringLiteral("small, 500 / 150"));

        // It trains: a few mini-batches on the new set.
        QSignalSpy steps(w.controller(), &TrainingController::stepsDone);
        w.controller()->trainSteps(3);
        QTRY_COMPARE_WITH_TIMEOUT(steps.count(), 1, 30000);
        QCOMPARE(w.latestSnapshot()->testSize, 100); // testLimit of the config

        // Back to the embedded digits.
        w.useEmbeddedData();
        QTRY_VERIFY_WITH_TIMEOUT(w.controller()->data() && w.controller()->data()->source == "embedded", 30000);
        QVERIFY(w.dataSetFolder().isEmpty());
    }

    void refusedSetKeepsThePreviousOne_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("reason");
        QTest::newRow("count mismatch") << "count" << "count";
        QTest::newRow("label beyond output layer") << "label" << "does not fit the output layer";
        QTest::newRow("20x20 images") << "size" << "20x20";
        QTest::newRow("missing file") << "missing" << "t10k-labels";
        QTest::newRow("no folder") << "nofolder" << "no such folder";
    }
    void refusedSetKeepsThePreviousOne()
    {
        QFETCH(QString, kind);
        QFETCH(QString, reason);
        const QString folder = dir_.filePath(QStringLiteral("bad-") + kind);
        if (kind != QLatin1String("nofolder")) {
            QDir().mkpath(folder);
            const Dataset train = firstN(embedded_->train, 200), test = firstN(embedded_->test, 50);
            if (kind == QLatin1String("count")) {
                writeIdx(folder, QStringLiteral("train"), train, 199);
                writeIdx(folder, QStringLiteral("t10k"), test);
            } else if (kind == QLatin1String("label")) {
                writeIdx(folder, QStringLiteral("train"), train);
                writeIdx(folder, QStringLiteral("t10k"), test, -1, 12);
            } else if (kind == QLatin1String("size")) {
                writeIdx(folder, QStringLiteral("train"), cropped(train, 20));
                writeIdx(folder, QStringLiteral("t10k"), cropped(test, 20));
            } else {
                writeIdx(folder, QStringLiteral("train"), train);
                writeIdx(folder, QStringLiteral("t10k"), test);
                QVERIFY(QFile::remove(QDir(folder).filePath(QStringLiteral("t10k-labels-idx1-ubyte"))));
            }
        }
        MainWindow w(options());
        waitReady(w);
        const auto before = w.controller()->data();
        QSignalSpy resets(w.controller(), &TrainingController::runReset);
        QString error;
        QVERIFY(!w.openDataSet(folder, &error));
        QVERIFY2(error.contains(reason, Qt::CaseInsensitive), qPrintable(error));
        QCOMPARE(resets.count(), 0);
        QCOMPARE(w.controller()->data(), before);
        QCOMPARE(w.controller()->state(), State::Ready);
        QVERIFY(w.dataSetFolder().isEmpty());
    }

    // Issue 25: a FIFO as a member of the folder blocked the open forever; it is refused at once,
    // raw or .gz, with the file named.
    void fifoMemberIsRefusedPromptly_data()
    {
        QTest::addColumn<QString>("member");
        QTest::newRow("raw") << QStringLiteral("train-labels-idx1-ubyte");
        QTest::newRow("gz") << QStringLiteral("t10k-images-idx3-ubyte.gz");
    }
    void fifoMemberIsRefusedPromptly()
    {
        QFETCH(QString, member);
        const QString folder = makeSet(QStringLiteral("fifo-") + member, 100, 50);
        QFile::remove(QDir(folder).filePath(member));
        if (member.endsWith(QLatin1String(".gz")))
            QVERIFY(QFile::remove(QDir(folder).filePath(member.chopped(3))));
        const QString fifo = QDir(folder).filePath(member);
        QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
        std::shared_ptr<const DataSplit> split;
        QString error;
        QVERIFY(finishesWithoutBlocking(fifo, [&] { split = DataSetLoader::open(folder, 10, &error); }));
        QVERIFY(!split);
        QVERIFY2(error.startsWith(fifo + QStringLiteral(": is a FIFO")), qPrintable(error));
        QVERIFY(!error.contains(QLatin1Char('\n')));
    }

    // The folder itself (e.g. remembered in the settings) being a FIFO: refused, not opened.
    void fifoAsTheFolderIsRefused()
    {
        const QString fifo = dir_.filePath(QStringLiteral("folder.fifo"));
        QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
        QString error;
        std::shared_ptr<const DataSplit> split;
        QVERIFY(finishesWithoutBlocking(fifo, [&] { split = DataSetLoader::open(fifo, 10, &error); }));
        QVERIFY(!split);
        QCOMPARE(error, fifo + QStringLiteral(": not a folder"));
        QVERIFY(DataSetLoader::checkMembers(dir_.path(), &error)); // nothing of the set there: left to the reader
    }

    void labelsFitALargerOutputLayer()
    {
        DataSplit split;
        split.source = "letters";
        split.train = firstN(embedded_->train, 20);
        split.test = firstN(embedded_->test, 20);
        split.train.labels[0] = 25;
        QString error;
        QVERIFY(!DataSetLoader::check(split, 10, &error));
        QVERIFY(error.contains(QStringLiteral("label 25")));
        QVERIFY2(DataSetLoader::check(split, 26, &error), qPrintable(error));
    }

    void sessionReopensItsDataSet()
    {
        const QString folder = makeSet(QStringLiteral("session-data"), 250, 80);
        const QString path = dir_.filePath(QStringLiteral("data.fssession"));
        {
            MainWindow w(options());
            waitReady(w);
            QVERIFY(w.openDataSet(folder));
            waitReady(w);
            QSignalSpy steps(w.controller(), &TrainingController::stepsDone);
            w.controller()->trainSteps(2);
            QTRY_COMPARE_WITH_TIMEOUT(steps.count(), 1, 30000);
            QSignalSpy saved(&w, &MainWindow::sessionSaved);
            w.saveSession(path);
            QTRY_COMPARE_WITH_TIMEOUT(saved.count(), 1, 20000);
            QVERIFY2(saved.first().at(1).toString().isEmpty(), qPrintable(saved.first().at(1).toString()));
        }
        {
            MainWindow w(options());
            waitReady(w);
            QString error;
            QVERIFY2(w.openSession(path, &error), qPrintable(error));
            QCOMPARE(w.dataSetFolder(), folder);
            QTRY_VERIFY_WITH_TIMEOUT(w.controller()->data() && w.controller()->data()->train.size() == 250, 30000);
            // The checkpoint was restored onto that data set.
            QTRY_COMPARE_WITH_TIMEOUT(w.controller()->currentStep(), 2LL, 30000);
            QCOMPARE(w.controller()->state(), State::Stopped);
            QVERIFY(QFile::exists(w.controller()->checkpointPath()));
        }
        // The data set has gone: the session is refused with the reason.
        QVERIFY(QDir(folder).removeRecursively());
        MainWindow w(options());
        waitReady(w);
        QString error;
        QVERIFY(!w.openSession(path, &error));
        QVERIFY2(error.contains(QStringLiteral("data set")), qPrintable(error));
    }

    void folderIsUsedAgainAtTheNextStart()
    {
        const QString folder = makeSet(QStringLiteral("remembered"), 300, 100);
        {
            MainWindow w(options(true));
            waitReady(w);
            QVERIFY(w.openDataSet(folder));
            waitReady(w);
        }
        {
            MainWindow w(options(true));
            QCOMPARE(w.dataSetFolder(), folder);
            waitReady(w);
            QCOMPARE(w.controller()->data()->train.size(), 300);
        }
        // A remembered folder that has gone: the embedded set, and a message.
        QVERIFY(QDir(folder).removeRecursively());
        {
            MainWindow w(options(true));
            QVERIFY(w.dataSetFolder().isEmpty());
            waitReady(w);
            QCOMPARE(w.controller()->data()->source, std::string("embedded"));
        }
        QSettings().clear();
    }
};

QTEST_MAIN(TestGuiData)
#include "tst_gui_data.moc"

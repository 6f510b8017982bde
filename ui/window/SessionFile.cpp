#include "ui/window/SessionFile.h"

#include "ui/export/FigureExporter.h"
#include "core/training/Optimizer.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace firstspike {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("SessionFile", text);
}

} // namespace

QByteArray SessionFile::toJson(const Session &s, const QString &sessionPath)
{
    QJsonObject config;
    const RunConfig &c = s.config;
    config[QStringLiteral("layers")] = QString::fromStdString(layerSizesToString(c.network.layerSizes));
    config[QStringLiteral("bias")] = c.network.bias;
    config[QStringLiteral("threshold")] = c.network.threshold;
    config[QStringLiteral("maxSpikeTime")] = c.network.maxSpikeTime;
    config[QStringLiteral("encoding")] = QString::fromStdString(encodingName(c.network.encoding.kind));
    config[QStringLiteral("latencyScale")] = c.network.encoding.latencyScale;
    config[QStringLiteral("optimizer")] = QString::fromStdString(optimizerName(c.training.optimizer.kind));
    config[QStringLiteral("learningRate")] = c.training.optimizer.learningRate;
    config[QStringLiteral("batchSize")] = c.training.batchSize;
    config[QStringLiteral("epochs")] = c.training.epochs;
    config[QStringLiteral("seed")] = QString::number(c.training.seed); // 64-bit: a string, exact
    config[QStringLiteral("threads")] = c.training.threads;
    config[QStringLiteral("trainLimit")] = c.trainLimit;
    config[QStringLiteral("testLimit")] = c.testLimit;

    QJsonObject view;
    view[QStringLiteral("geometry")] = QString::fromLatin1(s.windowGeometry.toBase64());
    view[QStringLiteral("state")] = QString::fromLatin1(s.windowState.toBase64());
    view[QStringLiteral("tab")] = s.inspectTab ? QStringLiteral("inspect") : QStringLiteral("training");
    view[QStringLiteral("smoothing")] = s.smoothing;
    view[QStringLiteral("logScale")] = s.logScale;
    view[QStringLiteral("watchedNeurons")] = s.watchedNeurons;
    view[QStringLiteral("inspectSample")] = s.inspectSample;

    QJsonObject root;
    root[QStringLiteral("format")] = QStringLiteral("firstspike-session");
    root[QStringLiteral("version")] = Session::kFormatVersion;
    QString checkpoint;
    if (!s.checkpoint.isEmpty()) {
        const QDir folder = QFileInfo(sessionPath).absoluteDir();
        const QString relative = folder.relativeFilePath(s.checkpoint);
        checkpoint = relative.startsWith(QLatin1String("..")) ? QFileInfo(s.checkpoint).absoluteFilePath() : relative;
    }
    root[QStringLiteral("checkpoint")] = checkpoint.isEmpty() ? QJsonValue() : QJsonValue(checkpoint);
    root[QStringLiteral("data")] = s.dataFolder.isEmpty() ? QJsonValue() : QJsonValue(QFileInfo(s.dataFolder).absoluteFilePath());
    root[QStringLiteral("config")] = config;
    root[QStringLiteral("view")] = view;
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

bool SessionFile::fromJson(const QByteArray &json, const QString &sessionPath, Session &session, QString *error)
{
    auto fail = [&](const QString &why) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(sessionPath, why);
        return false;
    };
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (doc.isNull() || !doc.isObject())
        return fail(tr("not a session file (%1)").arg(parseError.errorString()));
    const QJsonObject root = doc.object();
    if (root.value(QStringLiteral("format")).toString() != QLatin1String("firstspike-session"))
        return fail(tr("not a Firstspike session file"));
    if (root.value(QStringLiteral("version")).toInt() != Session::kFormatVersion)
        return fail(tr("session format version %1 is not supported").arg(root.value(QStringLiteral("version")).toInt()));

    Session s;
    const QJsonObject config = root.value(QStringLiteral("config")).toObject();
    RunConfig &c = s.config;
    std::vector<int> sizes;
    if (!parseLayerSizes(config.value(QStringLiteral("layers")).toString().toStdString(), sizes))
        return fail(tr("config.layers is not like 784-800-10"));
    c.network.layerSizes = sizes;
    c.network.bias = config.value(QStringLiteral("bias")).toBool(c.network.bias);
    c.network.threshold = config.value(QStringLiteral("threshold")).toDouble(c.network.threshold);
    c.network.maxSpikeTime = config.value(QStringLiteral("maxSpikeTime")).toDouble(c.network.maxSpikeTime);
    if (config.contains(QStringLiteral("encoding"))
        && !parseEncoding(config.value(QStringLiteral("encoding")).toString().toStdString(), c.network.encoding.kind))
        return fail(tr("config.encoding is unknown"));
    c.network.encoding.latencyScale = config.value(QStringLiteral("latencyScale")).toDouble(c.network.encoding.latencyScale);
    if (config.contains(QStringLiteral("optimizer"))
        && !parseOptimizer(config.value(QStringLiteral("optimizer")).toString().toStdString(), c.training.optimizer.kind))
        return fail(tr("config.optimizer is unknown"));
    c.training.optimizer.learningRate = config.value(QStringLiteral("learningRate")).toDouble(c.training.optimizer.learningRate);
    c.training.batchSize = std::max(1, config.value(QStringLiteral("batchSize")).toInt(c.training.batchSize));
    c.training.epochs = std::max(1, config.value(QStringLiteral("epochs")).toInt(c.training.epochs));
    bool seedOk = true;
    if (config.contains(QStringLiteral("seed")))
        c.training.seed = config.value(QStringLiteral("seed")).toString().toULongLong(&seedOk);
    if (!seedOk)
        return fail(tr("config.seed is not a number"));
    c.training.threads = std::max(0, config.value(QStringLiteral("threads")).toInt(0));
    c.trainLimit = std::max(0, config.value(QStringLiteral("trainLimit")).toInt(0));
    c.testLimit = std::max(0, config.value(QStringLiteral("testLimit")).toInt(0));

    const QString checkpoint = root.value(QStringLiteral("checkpoint")).toString();
    if (!checkpoint.isEmpty())
        s.checkpoint = QFileInfo(QFileInfo(sessionPath).absoluteDir(), checkpoint).absoluteFilePath();

    s.dataFolder = root.value(QStringLiteral("data")).toString();

    const QJsonObject view = root.value(QStringLiteral("view")).toObject();
    s.windowGeometry = QByteArray::fromBase64(view.value(QStringLiteral("geometry")).toString().toLatin1());
    s.windowState = QByteArray::fromBase64(view.value(QStringLiteral("state")).toString().toLatin1());
    s.inspectTab = view.value(QStringLiteral("tab")).toString() == QLatin1String("inspect");
    s.smoothing = std::clamp(view.value(QStringLiteral("smoothing")).toDouble(s.smoothing), 0.0, 0.999);
    s.logScale = view.value(QStringLiteral("logScale")).toBool(false);
    s.watchedNeurons = std::clamp(view.value(QStringLiteral("watchedNeurons")).toInt(64), 1, 4096);
    s.inspectSample = std::max(0, view.value(QStringLiteral("inspectSample")).toInt(0));
    session = s;
    return true;
}

bool SessionFile::save(const Session &session, const QString &path, QString *error)
{
    return writeFileSafely(path, toJson(session, path), error);
}

bool SessionFile::load(const QString &path, Session &session, QString *error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("%1: %2").arg(path, file.errorString());
        return false;
    }
    return fromJson(file.readAll(), path, session, error);
}

} // namespace firstspike

#include "ui/window/SessionParser.h"

#include "core/files/SafeFile.h"
#include "core/training/Optimizer.h"
#include "core/training/SettingsLimits.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <new>

namespace firstspike {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("SessionFile", text);
}

// A value from the file shown in a message: quoted, at most 80 characters, control characters
// (a newline would break the one-line message) as '?'.
QString quoted(const QString &text)
{
    QString shown = text.left(80);
    for (QChar &c : shown)
        if (c.category() == QChar::Other_Control || c.category() == QChar::Separator_Line
            || c.category() == QChar::Separator_Paragraph)
            c = QLatin1Char('?');
    if (text.size() > 80)
        shown += QStringLiteral("…");
    return QLatin1Char('"') + shown + QLatin1Char('"');
}

QString typeName(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null: return QStringLiteral("null");
    case QJsonValue::Bool: return QStringLiteral("a boolean");
    case QJsonValue::Double: return QStringLiteral("a number");
    case QJsonValue::String: return QStringLiteral("a string");
    case QJsonValue::Array: return QStringLiteral("an array");
    case QJsonValue::Object: return QStringLiteral("an object");
    case QJsonValue::Undefined: break;
    }
    return QStringLiteral("missing");
}

// Reads the fields of one JSON object; a field that is absent keeps the caller's default, one
// of the wrong type or outside its range sets problem (the first one wins) naming it as
// "<section>.<key>".
class Fields {
public:
    Fields(const QJsonObject &object, const char *section, QString &problem)
        : object_(object)
        , section_(QString::fromLatin1(section))
        , problem_(problem)
    {
    }

    QString name(const char *key) const
    {
        return section_.isEmpty() ? QString::fromLatin1(key) : section_ + QLatin1Char('.') + QLatin1String(key);
    }

    void number(const char *key, double &out, double min, double max)
    {
        const QJsonValue v = object_.value(QLatin1String(key));
        if (v.isUndefined() || !problem_.isEmpty())
            return;
        if (!v.isDouble())
            return wrongType(key, v, tr("a number"));
        const double value = v.toDouble();
        if (!std::isfinite(value) || value < min || value > max)
            return setProblem(tr("%1 = %2 is outside [%3, %4]").arg(name(key)).arg(value).arg(min).arg(max));
        out = value;
    }
    void number(const char *key, double &out, const SettingRange &range) { number(key, out, range.min, range.max); }

    void integer(const char *key, int &out, long long min, long long max)
    {
        const QJsonValue v = object_.value(QLatin1String(key));
        if (v.isUndefined() || !problem_.isEmpty())
            return;
        if (!v.isDouble())
            return wrongType(key, v, tr("a whole number"));
        const double value = v.toDouble();
        if (value != std::floor(value))
            return setProblem(tr("%1 = %2 is not a whole number").arg(name(key)).arg(value));
        if (value < static_cast<double>(min) || value > static_cast<double>(max))
            return setProblem(tr("%1 = %2 is outside [%3, %4]").arg(name(key)).arg(value).arg(min).arg(max));
        out = static_cast<int>(value);
    }

    void boolean(const char *key, bool &out)
    {
        const QJsonValue v = object_.value(QLatin1String(key));
        if (v.isUndefined() || !problem_.isEmpty())
            return;
        if (!v.isBool())
            return wrongType(key, v, tr("true or false"));
        out = v.toBool();
    }

    // Strings may be null where the format allows "none" (nullable).
    bool string(const char *key, QString &out, bool nullable = false)
    {
        const QJsonValue v = object_.value(QLatin1String(key));
        if (v.isUndefined() || !problem_.isEmpty() || (nullable && v.isNull()))
            return false;
        if (!v.isString()) {
            wrongType(key, v, tr("a string"));
            return false;
        }
        out = v.toString();
        return true;
    }

    void setProblem(const QString &text)
    {
        if (problem_.isEmpty())
            problem_ = text;
    }

private:
    void wrongType(const char *key, const QJsonValue &v, const QString &expected)
    {
        setProblem(tr("%1 is %2, not %3").arg(name(key), typeName(v), expected));
    }

    const QJsonObject &object_;
    QString section_;
    QString &problem_;
};

// "784-800-10" into sizes, with the reason when it is not a network.
QString layersProblem(const QString &text, std::vector<int> &sizes)
{
    sizes.clear();
    const QStringList parts = text.split(QLatin1Char('-'));
    if (parts.size() > kMaxLayerEntries)
        return tr("config.layers has %1 entries, at most %2 are accepted").arg(parts.size()).arg(kMaxLayerEntries);
    for (const QString &part : parts) {
        bool ok = false;
        const int n = part.toInt(&ok);
        if (!ok || part.startsWith(QLatin1Char('+')))
            return tr("config.layers %1 is not like 784-800-10").arg(quoted(text));
        sizes.push_back(n);
    }
    if (const std::string p = layerSizesProblem(sizes); !p.empty())
        return tr("config.layers %1: %2").arg(quoted(text), QString::fromStdString(p));
    std::vector<int> parsed;
    if (!parseLayerSizes(text.toStdString(), parsed) || parsed != sizes)
        return tr("config.layers %1 is not like 784-800-10").arg(quoted(text));
    return {};
}

bool parse(const QByteArray &json, const QString &sessionPath, Session &session, QString &problem)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        problem = tr("not a session file: JSON syntax error at byte %1 (%2)").arg(parseError.offset).arg(parseError.errorString());
        return false;
    }
    if (!doc.isObject()) {
        problem = tr("not a session file: the JSON is %1, not an object").arg(doc.isArray() ? tr("an array") : tr("empty"));
        return false;
    }
    const QJsonObject root = doc.object();
    Fields top(root, "", problem);
    const QJsonValue format = root.value(QStringLiteral("format"));
    if (format.toString() != QLatin1String("firstspike-session")) {
        problem = format.isUndefined() ? tr("not a Firstspike session file (no \"format\" field)")
                                       : tr("not a Firstspike session file (format is %1, not \"firstspike-session\")")
                                             .arg(format.isString() ? quoted(format.toString()) : typeName(format));
        return false;
    }
    const QJsonValue version = root.value(QStringLiteral("version"));
    if (!version.isDouble()) {
        problem = tr("version is %1, not a number").arg(typeName(version));
        return false;
    }
    if (version.toDouble() != Session::kFormatVersion) {
        problem = tr("session format version %1 is not supported (this program reads version %2)")
                      .arg(version.toDouble())
                      .arg(Session::kFormatVersion);
        return false;
    }

    Session s;
    RunConfig &c = s.config;
    const QJsonValue configValue = root.value(QStringLiteral("config"));
    if (!configValue.isObject()) {
        problem = tr("config is %1, not an object").arg(typeName(configValue));
        return false;
    }
    const QJsonObject config = configValue.toObject();
    Fields f(config, "config", problem);
    const QJsonValue layers = config.value(QStringLiteral("layers"));
    if (!layers.isString()) {
        problem = tr("config.layers is %1, not a string like \"784-800-10\"").arg(typeName(layers));
        return false;
    }
    std::vector<int> sizes;
    problem = layersProblem(layers.toString(), sizes);
    if (!problem.isEmpty())
        return false;
    c.network.layerSizes = sizes;
    f.boolean("bias", c.network.bias);
    f.number("threshold", c.network.threshold, limits::kThreshold);
    f.number("maxSpikeTime", c.network.maxSpikeTime, limits::kHorizon);
    QString text;
    if (f.string("encoding", text) && !parseEncoding(text.toStdString(), c.network.encoding.kind))
        f.setProblem(tr("config.encoding %1 is unknown (latency or binary)").arg(quoted(text)));
    f.number("latencyScale", c.network.encoding.latencyScale, limits::kLatencyScale);
    if (f.string("optimizer", text) && !parseOptimizer(text.toStdString(), c.training.optimizer.kind))
        f.setProblem(tr("config.optimizer %1 is unknown (adam or sgd)").arg(quoted(text)));
    f.number("learningRate", c.training.optimizer.learningRate, limits::kLearningRate);
    f.integer("batchSize", c.training.batchSize, 1, limits::kMaxBatchSize);
    f.integer("epochs", c.training.epochs, 1, limits::kMaxEpochs);
    if (f.string("schedule", text) && !parseSchedule(text.toStdString(), c.training.optimizer.schedule))
        f.setProblem(tr("config.schedule %1 is unknown (exp-run, exp or cosine)").arg(quoted(text)));
    f.integer("patience", c.training.patience, 0, limits::kMaxPatience);
    if (f.string("seed", text)) {
        bool ok = false;
        c.training.seed = text.toULongLong(&ok);
        if (!ok)
            f.setProblem(tr("config.seed %1 is not a whole number from 0 to 2^64-1").arg(quoted(text)));
    }
    c.training.threads = 0;
    f.integer("threads", c.training.threads, 0, limits::kMaxThreads);
    f.integer("trainLimit", c.trainLimit, 0, std::numeric_limits<int>::max());
    f.integer("testLimit", c.testLimit, 0, std::numeric_limits<int>::max());
    if (!problem.isEmpty())
        return false;
    // The same rules as the command line and checkpoints, in case a field above missed one.
    if (const std::string p = networkConfigProblem(c.network); !p.empty()) {
        problem = tr("config: %1").arg(QString::fromStdString(p));
        return false;
    }
    if (const std::string p = trainConfigProblem(c.training); !p.empty()) {
        problem = tr("config: %1").arg(QString::fromStdString(p));
        return false;
    }

    QString checkpoint;
    top.string("checkpoint", checkpoint, true);
    if (!checkpoint.isEmpty())
        s.checkpoint = QFileInfo(QFileInfo(sessionPath).absoluteDir(), checkpoint).absoluteFilePath();
    top.string("data", s.dataFolder, true);
    if (!problem.isEmpty())
        return false;

    const QJsonValue viewValue = root.value(QStringLiteral("view"));
    if (!viewValue.isUndefined() && !viewValue.isObject()) {
        problem = tr("view is %1, not an object").arg(typeName(viewValue));
        return false;
    }
    const QJsonObject view = viewValue.toObject();
    Fields v(view, "view", problem);
    if (v.string("geometry", text))
        s.windowGeometry = QByteArray::fromBase64(text.toLatin1());
    if (v.string("state", text))
        s.windowState = QByteArray::fromBase64(text.toLatin1());
    if (v.string("tab", text))
        s.inspectTab = text == QLatin1String("inspect");
    v.number("smoothing", s.smoothing, 0.0, 0.999);
    v.boolean("logScale", s.logScale);
    v.integer("watchedNeurons", s.watchedNeurons, 1, 4096);
    v.integer("inspectSample", s.inspectSample, 0, std::numeric_limits<int>::max());
    if (!problem.isEmpty())
        return false;
    session = s;
    return true;
}

} // namespace

QByteArray sessionToJson(const Session &s, const QString &sessionPath)
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
    config[QStringLiteral("schedule")] = QString::fromStdString(scheduleName(c.training.optimizer.schedule));
    config[QStringLiteral("patience")] = c.training.patience;
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

bool parseSession(const QByteArray &json, const QString &sessionPath, Session &session, QString *error)
{
    QString problem;
    bool ok = false;
    try {
        ok = parse(json, sessionPath, session, problem);
    } catch (const std::bad_alloc &) {
        problem = tr("not enough memory to read it");
    } catch (const std::exception &e) {
        problem = QString::fromStdString(e.what());
    }
    if (!ok && error)
        *error = QStringLiteral("%1: %2").arg(sessionPath, problem.isEmpty() ? tr("not a session file") : problem);
    return ok;
}

bool readSession(const QString &path, Session &session, QString *error)
{
    QByteArray json;
    try {
        const std::vector<std::uint8_t> bytes = readRegularFile(path.toStdString(), "session", Session::kMaxFileBytes);
        json = QByteArray(reinterpret_cast<const char *>(bytes.data()), static_cast<qsizetype>(bytes.size()));
    } catch (const std::bad_alloc &) {
        if (error)
            *error = tr("%1: not enough memory to read it").arg(path);
        return false;
    } catch (const std::exception &e) {
        // FileError's message already names the file: "<path>: is a FIFO (named pipe), not a session file".
        if (error)
            *error = QString::fromStdString(e.what());
        return false;
    }
    return parseSession(json, path, session, error);
}

} // namespace firstspike

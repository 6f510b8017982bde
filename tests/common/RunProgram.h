#pragma once
// Runs a program to its end for the tests that drive the real binaries: its exit status (-2 when
// it crashed, -1 with err "timeout" when it ran past timeoutMs and was killed), standard output
// and standard error. `environment` adds or replaces NAME=VALUE entries.

#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace firstspike::test {

struct ProgramResult {
    int exitCode = -1;
    QString out;
    QString err;
};

inline ProgramResult runToEnd(const QString &program, const QStringList &args, int timeoutMs,
                              const QStringList &environment = {})
{
    QProcess p;
    if (!environment.isEmpty()) {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        for (const QString &kv : environment)
            env.insert(kv.section('=', 0, 0), kv.section('=', 1));
        p.setProcessEnvironment(env);
    }
    p.start(program, args);
    ProgramResult r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("timeout");
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

} // namespace firstspike::test

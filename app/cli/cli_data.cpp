// firstspike-cli data list|verify|download (ui/DataCommand.h). Only QtCore and QtNetwork are
// used: no display is needed.

#include "app/cli/DataCommand.h"

#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>

int runDataCommand(int argc, char **argv)
{
    int qtArgc = 1;
    char *qtArgv[] = {argv[0], nullptr};
    QCoreApplication app(qtArgc, qtArgv);
    // The same names as the desktop app: the same data folder and settings.
    QCoreApplication::setOrganizationName(QStringLiteral("Firstspike"));
    QCoreApplication::setApplicationName(QStringLiteral("firstspike"));
    QStringList args;
    for (int i = 2; i < argc; ++i)
        args.append(QString::fromLocal8Bit(argv[i]));
    QTextStream out(stdout), err(stderr);
    return firstspike::DataCommand::run(args, out, err);
}

#pragma once
// For tests of readers handed a FIFO: runs `work` on another thread. Should it block on the FIFO
// (the bug), a writer opens and closes the FIFO after 20 s so that the read ends, and false is
// returned: the test fails, it does not hang. An exception thrown by `work` counts as finished
// (the test checks what `work` recorded), never as std::terminate on the thread.

#include <QElapsedTimer>
#include <QFile>
#include <QString>
#include <QTest>

#include <atomic>
#include <fcntl.h>
#include <thread>
#include <unistd.h>

template <typename Work>
bool finishesWithoutBlocking(const QString &fifo, Work work)
{
    std::atomic<bool> done{false};
    std::thread thread([&] {
        try {
            work();
        } catch (...) {
        }
        done = true;
    });
    QElapsedTimer clock;
    clock.start();
    while (!done && clock.elapsed() < 20000)
        QTest::qWait(10);
    const bool prompt = done;
    while (!done) {
        const int fd = ::open(QFile::encodeName(fifo).constData(), O_WRONLY | O_NONBLOCK);
        if (fd >= 0)
            ::close(fd);
        QTest::qWait(10);
    }
    thread.join();
    return prompt;
}

#pragma once
// Paces the views' redraws while a run trains. Frames come every kFastestMs (25 a second) as
// long as the GUI thread has a core to itself. When the trainer's threads take every core, each
// millisecond the GUI thread draws is taken from a training thread (and the trainer's other
// threads wait for that one at the end of each step), so frames are spaced out to hold the GUI
// thread near `kBusyShare` of one core, never below 1000 / kSlowestMs frames a second.
//
// The cost of a frame is the GUI thread's CPU time from one frame to the next (drawing, the
// snapshots that arrived, everything else it did), averaged over the last few frames.

namespace firstspike {

class FrameBudget {
public:
    static constexpr int kFastestMs = 40;     // 25 frames a second
    static constexpr int kSlowestMs = 100;    // 10 frames a second
    static constexpr double kBusyShare = 0.03; // of one core, while the trainer takes every core

    // CPU time of the calling thread, in seconds (0 where the platform has no such clock).
    static double threadCpuSeconds();

    // Called at each frame with the GUI thread's CPU time now; returns the milliseconds to the
    // next frame. `crowded`: the trainer's threads take every core.
    int nextIntervalMs(double cpuSeconds, bool crowded);
    // Forget the frames so far (e.g. training paused: the next run starts fast).
    void reset();
    double cpuPerFrameSeconds() const { return cpuPerFrame_; }

private:
    double lastCpu_ = -1.0;
    double cpuPerFrame_ = 0.0;
    int frames_ = 0;
};

} // namespace firstspike

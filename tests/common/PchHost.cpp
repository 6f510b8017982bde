// The host of the test suites' precompiled headers (tests/CMakeLists.txt): a library that
// compiles them once with the suites' flags; the suites reuse its precompiled header.

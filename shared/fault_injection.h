// Named crash points for fault-injection tests.
//
// crash_point("apply.switched") kills the process on the spot (SIGKILL, no
// clean-up, as a power cut would) when the environment variable
// UPKEEP_CRASH_AT names that step. Compiled in only with
// UPKEEP_FAULT_INJECTION (the default build, for the test suite); release
// builds can turn it off and pay nothing. Thread-safe.
#pragma once

namespace upkeep {

#ifdef UPKEEP_FAULT_INJECTION
void crash_point(const char* step);
#else
inline void crash_point(const char*) {}
#endif

}  // namespace upkeep

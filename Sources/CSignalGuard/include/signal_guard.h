#ifndef HEADMAPS_SIGNAL_GUARD_H
#define HEADMAPS_SIGNAL_GUARD_H

#include <stddef.h>

/// Registers a read-only file mapping. A SIGBUS inside it (the file was
/// truncated while mapped) no longer kills the process: the rest of the
/// mapping is replaced by zero pages and the mapping is marked as faulted.
/// Returns a slot to pass to the other calls, or -1 when all slots are taken.
int headmaps_guard_register(const void *start, size_t length);

/// 1 when a SIGBUS hit the mapping of this slot since it was registered.
int headmaps_guard_faulted(int slot);

void headmaps_guard_unregister(int slot);

#endif

// A SIGBUS handler for memory-mapped checkpoints. When a mapped file shrinks,
// touching a page past its new end raises SIGBUS. The handler, if the address
// lies in a registered mapping, maps anonymous zero pages over the rest of it
// (so the faulting read completes) and records the fault; the Swift side
// checks the record after each read and reports the file as changed. Any
// other SIGBUS gets the default action.
#define _GNU_SOURCE
#include "signal_guard.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SLOTS 4096

static _Atomic uintptr_t starts[SLOTS];
static _Atomic uintptr_t ends[SLOTS];
static _Atomic int faulted[SLOTS];
static atomic_flag installed = ATOMIC_FLAG_INIT;

static void on_sigbus(int sig, siginfo_t *info, void *context) {
    (void)context;
    uintptr_t address = (uintptr_t)info->si_addr;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < SLOTS; i++) {
        uintptr_t start = atomic_load(&starts[i]), end = atomic_load(&ends[i]);
        if (start != 0 && address >= start && address < end) {
            uintptr_t from = address & ~(page - 1);
            void *p = mmap((void *)from, end - from, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
            if (p != MAP_FAILED) {
                atomic_store(&faulted[i], 1);
                return;
            }
            break;
        }
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install(void) {
    if (atomic_flag_test_and_set(&installed)) return;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, NULL);
}

int headmaps_guard_register(const void *start, size_t length) {
    install();
    uintptr_t s = (uintptr_t)start;
    for (int i = 0; i < SLOTS; i++) {
        uintptr_t expected = 0;
        if (atomic_compare_exchange_strong(&starts[i], &expected, (uintptr_t)1)) {
            atomic_store(&faulted[i], 0);
            atomic_store(&ends[i], s + length);
            atomic_store(&starts[i], s);
            return i;
        }
    }
    return -1;
}

int headmaps_guard_faulted(int slot) {
    return slot >= 0 && slot < SLOTS ? atomic_load(&faulted[slot]) : 0;
}

void headmaps_guard_unregister(int slot) {
    if (slot < 0 || slot >= SLOTS) return;
    atomic_store(&ends[slot], 0);
    atomic_store(&starts[slot], 0);
}

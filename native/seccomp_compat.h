/* The seccomp uapi this project uses, for the headers that predate it (C and
 * C++: included by the addon, test/fixtures/probe.c and bench/c/filter_ref.c,
 * so that the probe asks the kernel exactly what the addon will). Include
 * after <linux/seccomp.h>. */
#pragma once
#include <linux/seccomp.h>

/* Linux 6.6; not yet in Debian 12's uapi headers. */
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
/* Linux 5.19; uapi headers before 6.0 lack it. */
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

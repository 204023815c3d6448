/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Client of the oom_notify generic netlink family (libnl-3): the GET_STATE
 * and SET_THRESHOLDS requests and the GET_PROCESSES dump on a blocking
 * command socket, and the
 * multicast events on a separate non-blocking socket whose fd the caller's
 * event loop watches. The messages (their structs and pure parsers) are
 * oomn-genl-msg.h, included here for the callers of both.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "oomn-genl-msg.h"
#include "oomn-macro.h"

/* Groups for oomn_genl_subscribe(). */
#define OOMN_GROUP_PRESSURE (1u << 0)
#define OOMN_GROUP_OOM (1u << 1) /* needs CAP_SYS_ADMIN */

/*
 * Called from oomn_genl_dispatch(). Any may be NULL. The handlers may call
 * oomn_genl_get_state() (it uses the other socket), but must not free the
 * OomnGenl.
 */
struct oomn_genl_handlers {
	void (*on_pressure)(const struct oomn_pressure_event *ev, void *userdata);
	void (*on_oom)(const struct oomn_oom_event *ev, void *userdata);
	/* The module was loaded (the library has already re-joined the groups
	 * subscribed to) or unloaded. Re-read the state after appeared. */
	void (*on_family)(bool appeared, void *userdata);
	/* The event socket overflowed (ENOBUFS): events were lost. Re-read the
	 * state with oomn_genl_get_state(). */
	void (*on_overflow)(void *userdata);
	/* An event of @group (OOMN_GROUP_*) came with a sequence number past
	 * the one due: events were lost. Called before that event is delivered.
	 * For pressure, if the handler re-reads the state, the event is dropped
	 * when the state already reflects it. OOM events are always delivered
	 * (the state holds no victim); their own LOST counts the kernel's drops. */
	void (*on_gap)(unsigned group, uint64_t expected, uint64_t got,
		       void *userdata);
	/* A message was dropped: @error is -EBADMSG for a malformed message,
	 * -EMSGSIZE for a truncated datagram, -EPROTO for a family of another
	 * version; @what says which. For the caller's log. */
	void (*on_invalid)(int error, const char *what, void *userdata);
};

typedef struct OomnGenl OomnGenl;

/* Flags for oomn_genl_open(). */
#define OOMN_GENL_ALLOW_MISSING (1u << 0) /* succeed without the module */

/*
 * Opens the command and event sockets, joins the genl controller's "notify"
 * group (to see the module come and go) and resolves the family and its
 * groups by name. Returns -ENOENT when the module is not loaded (unless
 * OOMN_GENL_ALLOW_MISSING: then requests fail with -ENOENT until the family
 * appears), -EPROTO when its version is not OOM_NOTIFY_FAMILY_VERSION.
 */
int oomn_genl_open(OomnGenl **ret, unsigned flags);
int oomn_genl_new(OomnGenl **ret); /* oomn_genl_open(ret, 0) */
OomnGenl *oomn_genl_free(OomnGenl *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(OomnGenl *, oomn_genl_free);

/* Whether the family is currently resolved, and its version (0 if not). */
bool oomn_genl_has_family(const OomnGenl *g);
uint32_t oomn_genl_family_version(const OomnGenl *g);

/*
 * GET_STATE. Also re-bases the pressure gap tracking on the reply's PRESSURE_SEQ, so
 * pressure events the state already reflects are dropped as stale (OOM
 * tracking is left alone: an OOM event is news even if OOM_SEQ counts it). Returns 0,
 * -ENOENT without the module, -ETIMEDOUT when the kernel does not answer,
 * -EBADMSG for a malformed reply, or the kernel's error.
 */
int oomn_genl_get_state(OomnGenl *g, struct oomn_state *ret);

/*
 * GET_PROCESSES: dumps every process, calling @cb once per process in the
 * kernel's order (ascending tgid) as the parts arrive. Needs CAP_SYS_ADMIN.
 *
 * Each part must come from the kernel with the request's sequence number
 * (anything else is ignored) and within the GET_STATE timeout of the one
 * before it. A malformed part is skipped and counted in *ret_malformed
 * (optional; set on every return); it does not end the dump. A negative
 * return of @cb stops the calls and is returned once the rest of the dump
 * has been read (the socket is ready for the next request). @cb must not
 * make requests on @g: the dump is still arriving on its socket.
 *
 * Returns 0 (also for an empty dump), @cb's error, -ENOENT without the
 * module (or while it is being unloaded), -ETIMEDOUT when a part is late, -EBADMSG for a malformed end of
 * the dump, or the kernel's error: -EPERM without CAP_SYS_ADMIN,
 * -EOPNOTSUPP from a module older than the command. On an error other than
 * @cb's, some processes may have been reported already. After -ETIMEDOUT
 * the kernel may still send the rest: later requests skip it, but a new
 * dump may get -EBUSY until the kernel has finished the old one. A dump
 * holds the module: an unload (rmmod, O_NONBLOCK) while one runs is refused
 * as "in use".
 */
int oomn_genl_dump_processes(OomnGenl *g,
			     int (*cb)(const struct oomn_proc *p, void *userdata),
			     void *userdata, unsigned *ret_malformed);

/*
 * SET_THRESHOLDS with the thresholds in u->mask; waits for the kernel's ack.
 * Returns 0; -EINVAL for an empty mask; the kernel's error, e.g. -EPERM
 * without CAP_SYS_ADMIN or -EINVAL with *ret_errmsg set to the kernel's
 * extended-ack text. *ret_errmsg (optional) is NULL when there is none;
 * the caller frees it.
 */
int oomn_genl_set_thresholds(OomnGenl *g, const struct oomn_thresholds_update *u,
			     char **ret_errmsg);

/*
 * Joins the OOMN_GROUP_* in @groups (all or none: on error none of them is
 * joined by this call). Joining "oom" without CAP_SYS_ADMIN returns the
 * kernel's -EPERM. Without the module the groups are remembered and joined
 * when it appears. The groups are re-joined automatically, in
 * oomn_genl_dispatch(), whenever the family re-appears (module reload), and
 * after an overflow if the family's ids changed meanwhile.
 */
int oomn_genl_subscribe(OomnGenl *g, unsigned groups);
int oomn_genl_unsubscribe(OomnGenl *g, unsigned groups);

/* The event socket's fd (non-blocking), for the caller's loop: on EPOLLIN
 * call oomn_genl_dispatch(). */
int oomn_genl_event_fd(const OomnGenl *g);

/* Called with the handlers' userdata; @h is copied. */
void oomn_genl_set_handlers(OomnGenl *g, const struct oomn_genl_handlers *h,
			    void *userdata);

/*
 * Reads everything pending on the event socket and calls the handlers.
 * Malformed messages and messages not sent by the kernel are dropped (the
 * former reported to on_invalid). Returns 0 once the socket is drained, or
 * a negative errno for a socket error or a failed re-join (after handling
 * what it could).
 */
int oomn_genl_dispatch(OomnGenl *g);

/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * liboom-notify: hear about memory pressure from the oom-notify broker
 * (oom-notifyd, org.oomnotify.Broker1 on the system bus) and take part in
 * redemption: when the killer (oom-killerd) picks this process as its next
 * victim, it is told so with a deadline, and may free memory or checkpoint
 * its work and say so before the deadline.
 *
 *	OomnClient *c;
 *	int r = oomn_client_new(&c, NULL);            // the system bus
 *	oomn_client_on_pressure(c, on_pressure, app);
 *	oomn_client_on_kill_pending(c, on_kill_pending, app);
 *	oomn_client_attach_event(c, event, 0);         // or drive it by its fd
 *	oomn_client_register(c, 50, OOMN_CLIENT_CAN_FREE_MEMORY, NULL);
 *	...
 *	static void on_kill_pending(OomnClient *c, uint32_t msec, uint64_t deadline,
 *				    const char *reason, void *app)
 *	{
 *		uint64_t freed = drop_caches(app);
 *		oomn_client_relieved(c, freed, false);
 *	}
 *
 * Threads: an OomnClient belongs to the thread that drives it; the library
 * keeps no global state, so separate clients may live in separate threads.
 *
 * Errors: every function that can fail returns a negative errno-style code
 * (0 or a positive value on success). The broker's own refusals map as:
 *   -EINVAL    bad argument (band above 100, unknown flags), from the library
 *              or org.freedesktop.DBus.Error.InvalidArgs from the broker
 *   -EACCES    the bus policy or the broker refused the call
 *   -ENOENT    org.oomnotify.Error.NotRegistered: Relieved/Unregister
 *              without a registration
 *   -ENOMSG    org.oomnotify.Error.NoNotice: Relieved with no KillPending
 *              to answer (not notified, or answered already)
 *   -EUSERS    org.oomnotify.Error.LimitsExceeded: too many registrations
 *   -ENOTCONN  the broker is not running (no owner of its name)
 * oomn_client_get_error_message() returns the broker's or the bus's text of
 * the last failed call, for a log line.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct OomnClient OomnClient;
/* sd-event's loop (systemd/sd-event.h); only a pointer to it is used here */
struct sd_event;

/* The one level scale of oom-notify (GMemoryMonitor: low 50, medium 100, critical 255). */
typedef enum {
	OOMN_LEVEL_NORMAL = 0,
	OOMN_LEVEL_LOW = 1,
	OOMN_LEVEL_MEDIUM = 2,
	OOMN_LEVEL_CRITICAL = 3,
} OomnLevel;

/*
 * oomn_client_register() flags: what the application does on KillPending
 * (Register's flags on the bus: 1 can free memory, 2 can checkpoint).
 */
#define OOMN_CLIENT_CAN_FREE_MEMORY (1u << 0) /* it frees memory (caches, buffers) */
#define OOMN_CLIENT_CAN_CHECKPOINT (1u << 1)  /* it saves its work so a kill loses nothing */
/* Deprecated: the first name of OOMN_CLIENT_CAN_FREE_MEMORY, kept for applications that use it. */
#define OOMN_CLIENT_CAN_FREE OOMN_CLIENT_CAN_FREE_MEMORY

/*
 * Called on every system-wide level change (PressureChanged), from
 * oomn_client_process() or the sd-event loop. @signal_seq is the broker's
 * count of PressureChanged signals (its SignalSeq property): a gap means a
 * change was missed (the level given is still the current one). Sizes in
 * bytes. (The two figures come here in the order this callback has always
 * had, MemAvailable first; on the bus, MemTotal comes first.)
 */
typedef void (*OomnPressureFn)(OomnClient *c, OomnLevel level, OomnLevel prev,
			       uint64_t mem_available, uint64_t mem_total, uint64_t signal_seq,
			       void *userdata);

/*
 * Called when this process is the killer's candidate (KillPending, addressed
 * to this connection and sent by the broker only). It has @deadline_msec from
 * the notice, i.e. until @deadline_boottime_usec on CLOCK_BOOTTIME, to free
 * memory or checkpoint, then answer with oomn_client_relieved(). @reason is
 * the killer's explanation, valid during the call only.
 */
typedef void (*OomnKillPendingFn)(OomnClient *c, uint32_t deadline_msec,
				  uint64_t deadline_boottime_usec, const char *reason,
				  void *userdata);

/*
 * Called when the broker appears (@present true: it started or restarted;
 * a registration asked for earlier has been sent again) or goes away
 * (@present false: registrations end with it; the level is unknown until
 * it is back). Also called with false when the bus connection itself is
 * lost; then the client is dead and oomn_client_process() fails.
 */
typedef void (*OomnBrokerFn)(OomnClient *c, bool present, void *userdata);

/*
 * Connects to @bus_address (a D-Bus address, e.g. "unix:path=/run/x"; NULL
 * for the system bus) and starts following the broker. Succeeds when the bus
 * is reachable even if the broker is not running: the client notices when it
 * starts. Blocks until the bus has answered (a few round trips).
 * On success *@ret owns one reference; release it with oomn_client_unref().
 * Returns 0, or -EINVAL, -ENOMEM, or the connection's error (-ENOENT,
 * -ECONNREFUSED, -EACCES ...).
 */
int oomn_client_new(OomnClient **ret, const char *bus_address);

/* References: unref closes the connection (the broker drops its registration). NULL is fine. */
OomnClient *oomn_client_ref(OomnClient *c);
OomnClient *oomn_client_unref(OomnClient *c);

/*
 * Set the callbacks (NULL unsets). They run from oomn_client_process() or the
 * attached sd-event loop, never from another function of this library. A
 * callback may call any function of this library except oomn_client_unref()
 * of the last reference.
 */
void oomn_client_on_pressure(OomnClient *c, OomnPressureFn fn, void *userdata);
void oomn_client_on_kill_pending(OomnClient *c, OomnKillPendingFn fn, void *userdata);
void oomn_client_on_broker(OomnClient *c, OomnBrokerFn fn, void *userdata);

/*
 * Driving the client from any event loop: watch oomn_client_get_fd() for
 * oomn_client_get_events() (poll(2) bits; they change, ask again every
 * time), wake up no later than oomn_client_get_timeout() (an absolute
 * CLOCK_MONOTONIC time in µs, UINT64_MAX for none, 0 for at once), then
 * call oomn_client_process(), which handles everything pending and runs the
 * callbacks. oomn_client_process() returns 0, or a negative errno when the
 * connection is lost (-ECONNRESET, -ENOTCONN): the client is then dead.
 */
int oomn_client_get_fd(OomnClient *c);
int oomn_client_get_events(OomnClient *c);
int oomn_client_get_timeout(OomnClient *c, uint64_t *ret_usec);
int oomn_client_process(OomnClient *c);

/*
 * Or: let the sd-event loop @event drive the client (NULL: the thread's
 * default loop). @priority as for sd-event sources. Returns 0, -EBUSY when
 * already attached, or a negative errno. oomn_client_unref() detaches.
 */
int oomn_client_attach_event(OomnClient *c, struct sd_event *event, int priority);

/*
 * Takes part in redemption. @band: 0 (background) .. 20 (idle) .. 50
 * (default) .. 80 (foreground) .. 100 (essential); the lower, the sooner the
 * process is chosen; above 50 only for root (-EACCES). @flags:
 * OOMN_CLIENT_CAN_FREE_MEMORY, OOMN_CLIENT_CAN_CHECKPOINT. The registration is this
 * process's: register from the process that opened the connection.
 * Calling it again changes band and flags. The registration is kept by the
 * client: when the broker restarts it is sent again (see OomnBrokerFn).
 * Blocks for the broker's answer. Returns 0 and the broker's id in *@ret_id
 * (may be NULL); -ENOTCONN when the broker is not running now (the
 * registration is made once it starts); -EINVAL, -EUSERS, -EACCES as above
 * (nothing is kept).
 */
int oomn_client_register(OomnClient *c, unsigned band, unsigned flags, uint64_t *ret_id);

/* Ends the registration. Returns 0, -ENOENT if there was none, or -ENOTCONN. */
int oomn_client_unregister(OomnClient *c);

/*
 * The answer to a KillPending notice: @freed bytes freed since the notice,
 * and whether the work was @checkpointed (a kill now loses nothing). The
 * killer then decides at once instead of waiting for the deadline. Blocks
 * for the broker's answer. Returns 0, -ENOMSG (no notice to answer), -ENOENT
 * (not registered), -ENOTCONN.
 */
int oomn_client_relieved(OomnClient *c, uint64_t freed, bool checkpointed);

/*
 * The current level as last told by the broker (read once at connection
 * and whenever the broker starts, then from PressureChanged). Returns an
 * OomnLevel (>= 0), -ENOTCONN while the broker is not running, or -ENODATA
 * while it runs but its answer to GetState has not come yet.
 */
int oomn_client_get_level(OomnClient *c);

/* true while the broker runs (owns its name on the bus). */
bool oomn_client_broker_present(OomnClient *c);

/* The text of the last failed call's error, "" if none; valid until the next call. */
const char *oomn_client_get_error_message(OomnClient *c);

/* "normal", "low", "medium", "critical"; NULL for anything else. */
const char *oomn_client_level_to_string(OomnLevel level);

#ifdef __cplusplus
}
#endif

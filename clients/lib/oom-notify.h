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
 *   -EOPNOTSUPP org.freedesktop.DBus.Error.UnknownMethod: a broker older
 *              than the method (since OOM_NOTIFY_1.1)
 * oomn_client_get_error_message() returns the broker's or the bus's text of
 * the last failed call, for a log line.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
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

/*
 * Since OOM_NOTIFY_1.1: everything the broker says on the bus, for monitors
 * such as the oom-notify CLI. An application that only frees memory and
 * takes part in redemption needs none of it.
 */

/*
 * The kinds of event oomn_client_subscribe() delivers; each is a bit, a set
 * of them an OR. The kill events (OOMN_EVENT_KERNEL_OOM_KILL,
 * _KILL_ANNOUNCED, _KILLED, _REDEEMED) name other users' processes: the
 * broker sends them only to connections that called oomn_client_watch_kills(),
 * which only root may.
 */
typedef enum {
	OOMN_EVENT_STATE = 1u << 0,		 /* the broker's state (GetState), read when it starts */
	OOMN_EVENT_PRESSURE = 1u << 1,		 /* a system-wide level change (PressureChanged), in full */
	OOMN_EVENT_CGROUP_PRESSURE = 1u << 2,	 /* a cgroup's level change (CgroupPressureChanged) */
	OOMN_EVENT_KERNEL_OOM_KILL = 1u << 3,	 /* the kernel's OOM killer killed (KernelOomKill) */
	OOMN_EVENT_KILL_ANNOUNCED = 1u << 4,	 /* the killer noticed a candidate (KillAnnounced: the KillPending sent to another process) */
	OOMN_EVENT_CANDIDATE_ANSWERED = 1u << 5, /* a candidate answered (CandidateAnswered: to the killer, to everyone while it is gone) */
	OOMN_EVENT_KILLED = 1u << 6,		 /* the killer killed (Killed) */
	OOMN_EVENT_REDEEMED = 1u << 7,		 /* the killer spared a candidate (Redeemed) */
} OomnEventKind;
#define OOMN_EVENTS_ALL 0xffu

/*
 * One event, as the broker's signal (or GetState's reply) carries it. Which
 * fields mean something depends on @kind (in brackets: STATE, PRESSURE ...);
 * the others are 0 and NULL. Strings are the broker's, may hold anything,
 * and are valid during the callback only (for oomn_client_get_state(): until
 * the next call of it). Levels are names: "normal" .. "critical", or a name
 * newer than this library (oomn_client_level_from_string() is -EINVAL for it).
 * Sizes in bytes. The library only ever hands out pointers to one: new fields
 * may be added at the end.
 */
typedef struct OomnEvent {
	OomnEventKind kind;
	const char *level;	  /* [STATE PRESSURE CGROUP_PRESSURE] the level now */
	const char *prev_level;	  /* [PRESSURE CGROUP_PRESSURE] the level before */
	const char *source;	  /* [STATE PRESSURE] where the broker reads pressure: kernel, psi, meminfo */
	uint64_t signal_seq;	  /* [STATE PRESSURE] the broker's PressureChanged count (see OomnPressureFn) */
	uint64_t mem_total, mem_available, swap_total, swap_free; /* [STATE PRESSURE] */
	uint64_t timestamp_ns;	  /* [STATE PRESSURE CGROUP_PRESSURE] CLOCK_BOOTTIME of the reading */
	const char *cgroup;	  /* [CGROUP_PRESSURE KERNEL_OOM_KILL KILLED] a cgroup v2 path */
	uint32_t pid;		  /* [KERNEL_OOM_KILL KILL_ANNOUNCED CANDIDATE_ANSWERED KILLED REDEEMED] */
	const char *comm;	  /* [KERNEL_OOM_KILL KILL_ANNOUNCED KILLED REDEEMED] the process name */
	uint32_t uid;		  /* [KERNEL_OOM_KILL KILLED] */
	uint64_t anon_rss;	  /* [KERNEL_OOM_KILL] */
	uint64_t oom_seq;	  /* [KERNEL_OOM_KILL] the kernel's count of OOM kills */
	uint32_t deadline_msec;	  /* [KILL_ANNOUNCED] as KillPending's */
	uint64_t deadline_boottime_usec; /* [KILL_ANNOUNCED] */
	const char *reason;	  /* [KILL_ANNOUNCED KILLED REDEEMED] the killer's explanation */
	const char *rule;	  /* [KILLED] the killer's rule that chose it, "" if none */
	uint64_t freed;		  /* [CANDIDATE_ANSWERED KILLED] bytes */
	bool checkpointed;	  /* [CANDIDATE_ANSWERED] */
} OomnEvent;

/* Called for each event subscribed to, from oomn_client_process() or the sd-event loop. */
typedef void (*OomnEventFn)(OomnClient *c, const OomnEvent *event, void *userdata);

/*
 * Subscribes to the kinds in @events (OomnEventKind bits; 0 ends every
 * subscription), delivered to @fn, replacing what was subscribed before.
 * Only the broker's signals count (as for KillPending). The bus sends this
 * connection only what is subscribed to. OOMN_EVENT_STATE comes each time a
 * broker starts (after OomnBrokerFn's true), not at the first connection:
 * read that with oomn_client_get_state(). Blocks until the bus has taken the
 * subscription. Returns 0, -EINVAL (unknown bits), or the bus's error.
 */
int oomn_client_subscribe(OomnClient *c, unsigned events, OomnEventFn fn, void *userdata);

/*
 * Reads the broker's state now (GetState) into *@ret (kind OOMN_EVENT_STATE);
 * its strings stay valid until the next call or oomn_client_unref(). Blocks
 * for the broker's answer. Returns 0, -ENOTCONN (the broker is not running),
 * -EACCES, -EBADMSG (a malformed answer), or the bus's error.
 */
int oomn_client_get_state(OomnClient *c, OomnEvent *ret);

/* A registration, as oomn_client_list_clients() gives it. */
typedef struct OomnClientInfo {
	uint64_t id;		 /* the broker's id (oomn_client_register()'s) */
	uint32_t pid, uid;
	const char *bus_name;	 /* its connection's unique name */
	const char *comm;	 /* the process name */
	uint32_t band, flags;	 /* as registered: 0..100, OOMN_CLIENT_CAN_* */
} OomnClientInfo;

/*
 * The processes registered for redemption (ListClients), which only root may
 * know. On success *@ret is one malloc'ed block, the strings inside it:
 * free() it; NULL when there are none, *@ret_n their number. Blocks for the
 * broker's answer. Returns 0, -EACCES (not root), -ENOTCONN, -EBADMSG, or the
 * bus's error.
 */
int oomn_client_list_clients(OomnClient *c, OomnClientInfo **ret, size_t *ret_n);

/*
 * Asks the broker for the kill events (WatchKills; root only). Kept like a
 * registration: when the broker restarts it is asked again by itself (a
 * failure then goes to OomnErrorFn). Blocks for the broker's answer. Returns
 * 0; -EACCES (not root: nothing is kept); -EUSERS (too many watchers);
 * -EOPNOTSUPP (an older broker, which sends them to everyone); -ENOTCONN (the
 * broker is not running now: asked once it starts).
 */
int oomn_client_watch_kills(OomnClient *c);

/* Stops them (UnwatchKills). Returns 0, -ENOTCONN, or the broker's refusal. */
int oomn_client_unwatch_kills(OomnClient *c);

/*
 * Called when something the library did by itself failed: a call it made
 * without being asked (GetState, and Register and WatchKills asked again when
 * the broker starts; @member is the method), or a signal of a subscribed
 * kind from the broker that it could not read (@member is the signal, @error
 * -EBADMSG; the signal is dropped). @error as the functions return (-EACCES,
 * -ENOTCONN: the broker went away meanwhile ...), @message the broker's or
 * the bus's text. For a log line: the client goes on.
 */
typedef void (*OomnErrorFn)(OomnClient *c, const char *member, int error, const char *message,
			    void *userdata);
void oomn_client_on_error(OomnClient *c, OomnErrorFn fn, void *userdata);

/*
 * Called once when the bus connection is lost (the bus went away or closed
 * it): the client is dead. It comes before OomnBrokerFn's false, if the
 * broker was there.
 */
typedef void (*OomnDisconnectFn)(OomnClient *c, void *userdata);
void oomn_client_on_disconnect(OomnClient *c, OomnDisconnectFn fn, void *userdata);

/* The OomnLevel named @s ("normal" .. "critical"), or -EINVAL for anything else. */
int oomn_client_level_from_string(const char *s);

#ifdef __cplusplus
}
#endif

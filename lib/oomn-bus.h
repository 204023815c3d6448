/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The bus contract with a C face: dbus/org.oomnotify.Broker1.xml as names,
 * paths, errors, flags, bands, limits and signatures. The broker, the killer,
 * liboom-notify and the CLI take them from here, and the codec
 * (oomn-bus-codec.h) reads and writes every signal and method reply with
 * them. tests/core/test-bus-contract.c holds every signature here to the XML,
 * both ways. Pure: no bus types.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* org.oomnotify.Broker1 */
#define OOMN_BUS_NAME "org.oomnotify.Broker1"
#define OOMN_BUS_PATH "/org/oomnotify/Broker1"
#define OOMN_BUS_INTERFACE "org.oomnotify.Broker1"
#define OOMN_BUS_VERSION 1u /* the Version property */

/* org.freedesktop.LowMemoryMonitor, which the broker serves for GLib's GMemoryMonitor */
#define OOMN_LMM_NAME "org.freedesktop.LowMemoryMonitor"
#define OOMN_LMM_PATH "/org/freedesktop/LowMemoryMonitor"
#define OOMN_LMM_INTERFACE "org.freedesktop.LowMemoryMonitor"

/* The bus daemon, whose NameOwnerChanged tells when the broker comes and goes. */
#define OOMN_DBUS_NAME "org.freedesktop.DBus"
#define OOMN_DBUS_PATH "/org/freedesktop/DBus"
#define OOMN_DBUS_INTERFACE "org.freedesktop.DBus"
/* The match rule for the broker's name changing owner. */
#define OOMN_BUS_OWNER_MATCH                                                                 \
	"type='signal',sender='" OOMN_DBUS_NAME "',path='" OOMN_DBUS_PATH "',interface='"    \
	OOMN_DBUS_INTERFACE "',member='NameOwnerChanged',arg0='" OOMN_BUS_NAME "'"

/* Properties */
#define OOMN_BUS_PROP_LEVEL "Level"
#define OOMN_BUS_PROP_SIGNAL_SEQ "SignalSeq"
#define OOMN_BUS_PROP_MEM_TOTAL "MemTotal"
#define OOMN_BUS_PROP_MEM_AVAILABLE "MemAvailable"
#define OOMN_BUS_PROP_SWAP_TOTAL "SwapTotal"
#define OOMN_BUS_PROP_SWAP_FREE "SwapFree"
#define OOMN_BUS_PROP_SOURCE "Source"
#define OOMN_BUS_PROP_VERSION "Version"

/* Methods */
#define OOMN_BUS_REGISTER "Register"
#define OOMN_BUS_UNREGISTER "Unregister"
#define OOMN_BUS_RELIEVED "Relieved"
#define OOMN_BUS_GET_STATE "GetState"
#define OOMN_BUS_LIST_CLIENTS "ListClients"
#define OOMN_BUS_WATCH_KILLS "WatchKills"
#define OOMN_BUS_UNWATCH_KILLS "UnwatchKills"
#define OOMN_BUS_NOTIFY_CANDIDATE "NotifyCandidate"
#define OOMN_BUS_REPORT_OUTCOME "ReportOutcome"

/* Signals */
#define OOMN_BUS_PRESSURE_CHANGED "PressureChanged"
#define OOMN_BUS_CGROUP_PRESSURE_CHANGED "CgroupPressureChanged"
#define OOMN_BUS_KERNEL_OOM_KILL "KernelOomKill"
#define OOMN_BUS_KILL_PENDING "KillPending"
#define OOMN_BUS_KILL_ANNOUNCED "KillAnnounced"
#define OOMN_BUS_CANDIDATE_ANSWERED "CandidateAnswered"
#define OOMN_BUS_KILLED "Killed"
#define OOMN_BUS_REDEEMED "Redeemed"
#define OOMN_LMM_LOW_MEMORY_WARNING "LowMemoryWarning"

/*
 * Signatures: _IN of a method's arguments, _OUT of its reply, and a signal's
 * own. "" for none. The only place they are typed.
 */
#define OOMN_BUS_SIG_LEVEL "s"
#define OOMN_BUS_SIG_SIGNAL_SEQ "t"
#define OOMN_BUS_SIG_MEM_TOTAL "t"
#define OOMN_BUS_SIG_MEM_AVAILABLE "t"
#define OOMN_BUS_SIG_SWAP_TOTAL "t"
#define OOMN_BUS_SIG_SWAP_FREE "t"
#define OOMN_BUS_SIG_SOURCE "s"
#define OOMN_BUS_SIG_VERSION "u"

#define OOMN_BUS_SIG_REGISTER_IN "uu"		/* band, flags */
#define OOMN_BUS_SIG_REGISTER_OUT "t"		/* id */
#define OOMN_BUS_SIG_UNREGISTER_IN ""
#define OOMN_BUS_SIG_UNREGISTER_OUT ""
#define OOMN_BUS_SIG_RELIEVED_IN "tb"		/* freed, checkpointed */
#define OOMN_BUS_SIG_RELIEVED_OUT ""
#define OOMN_BUS_SIG_GET_STATE_IN ""
#define OOMN_BUS_SIG_GET_STATE_OUT "stttttst"	/* struct oomn_bus_state */
#define OOMN_BUS_SIG_LIST_CLIENTS_IN ""
#define OOMN_BUS_SIG_CLIENT "(tuussuu)"		/* struct oomn_bus_client */
#define OOMN_BUS_SIG_LIST_CLIENTS_OUT "a" OOMN_BUS_SIG_CLIENT
#define OOMN_BUS_SIG_WATCH_KILLS_IN ""
#define OOMN_BUS_SIG_WATCH_KILLS_OUT ""
#define OOMN_BUS_SIG_UNWATCH_KILLS_IN ""
#define OOMN_BUS_SIG_UNWATCH_KILLS_OUT ""
#define OOMN_BUS_SIG_NOTIFY_CANDIDATE_IN "uus"	/* struct oomn_bus_notice */
#define OOMN_BUS_SIG_NOTIFY_CANDIDATE_OUT "u"	/* notified */
#define OOMN_BUS_SIG_REPORT_OUTCOME_IN "susussts" /* kind, then struct oomn_bus_outcome */
#define OOMN_BUS_SIG_REPORT_OUTCOME_OUT ""

#define OOMN_BUS_SIG_PRESSURE_CHANGED "sstttttst"	/* struct oomn_bus_pressure */
#define OOMN_BUS_SIG_CGROUP_PRESSURE_CHANGED "ssst"	/* struct oomn_bus_cgroup_pressure */
#define OOMN_BUS_SIG_KERNEL_OOM_KILL "usustt"		/* struct oomn_bus_oom_kill */
#define OOMN_BUS_SIG_KILL_PENDING "uuts"		/* struct oomn_bus_kill_pending */
#define OOMN_BUS_SIG_KILL_ANNOUNCED "usuts"		/* struct oomn_bus_kill_announced */
#define OOMN_BUS_SIG_CANDIDATE_ANSWERED "utb"		/* struct oomn_bus_answer */
#define OOMN_BUS_SIG_KILLED "usussts"			/* struct oomn_bus_outcome */
#define OOMN_BUS_SIG_REDEEMED "uss"			/* pid, comm, reason of it */
#define OOMN_LMM_SIG_LOW_MEMORY_WARNING "y"		/* GMemoryMonitor's 50, 100, 255 */

/* Errors of the broker's own; a malformed argument is org.freedesktop.DBus.Error.InvalidArgs. */
#define OOMN_ERROR_NOT_REGISTERED "org.oomnotify.Error.NotRegistered"
#define OOMN_ERROR_LIMITS_EXCEEDED "org.oomnotify.Error.LimitsExceeded"
#define OOMN_ERROR_NO_NOTICE "org.oomnotify.Error.NoNotice"

/*
 * Register's flags: what the client does on KillPending. liboom-notify's
 * public header (clients/lib/oom-notify.h) defines the same two names with
 * the same text, for applications, which do not see this file.
 */
#define OOMN_CLIENT_CAN_FREE_MEMORY (1u << 0)
#define OOMN_CLIENT_CAN_CHECKPOINT (1u << 1)
#define OOMN_CLIENT_FLAGS_ALL (OOMN_CLIENT_CAN_FREE_MEMORY | OOMN_CLIENT_CAN_CHECKPOINT)

/* Register's band: the lower, the sooner chosen; above the default for root only. */
#define OOMN_BAND_BACKGROUND 0	 /* nobody is looking at it */
#define OOMN_BAND_IDLE 20	 /* cached, can be restarted cheaply */
#define OOMN_BAND_DEFAULT 50	 /* an ordinary application */
#define OOMN_BAND_FOREGROUND 80	 /* what the user is working with */
#define OOMN_BAND_ESSENTIAL 100 /* the session breaks without it (the most protected band) */
#define OOMN_BAND_MAX OOMN_BAND_ESSENTIAL

/* Limits the broker holds callers to. */
#define OOMN_BUS_DEADLINE_MAX_MSEC (60u * 60u * 1000u) /* NotifyCandidate's deadline_msec */
#define OOMN_BUS_KILL_WATCHERS_MAX 64u	/* WatchKills connections at once */
#define OOMN_BUS_NAME_MAX 256u		/* a process name, a rule name (ReportOutcome) */
#define OOMN_BUS_REASON_MAX 1024u	/* NotifyCandidate's and ReportOutcome's reason */
#define OOMN_BUS_CGROUP_MAX 4096u	/* ReportOutcome's cgroup */

/* ReportOutcome's kinds */
#define OOMN_BUS_OUTCOME_KILLED "killed"
#define OOMN_BUS_OUTCOME_REDEEMED "redeemed"

/*
 * The arguments of each signal and method reply, in the order of the XML
 * (lib/oomn-bus-codec.c lists each struct's fields in that order once).
 * Strings are borrowed: from the message they were read from (valid while it
 * is), or the caller's when appending (NULL appends as "").
 */

/* PressureChanged */
struct oomn_bus_pressure {
	const char *level, *prev_level;
	uint64_t signal_seq; /* the broker's own PressureChanged count (the SignalSeq property) */
	uint64_t mem_total, mem_available, swap_total, swap_free;
	const char *source;
	uint64_t timestamp_ns;
};

/* GetState's reply (the figures in PressureChanged's order) */
struct oomn_bus_state {
	const char *level;
	uint64_t signal_seq;
	uint64_t mem_total, mem_available, swap_total, swap_free;
	const char *source;
	uint64_t timestamp_ns;
};

/* CgroupPressureChanged */
struct oomn_bus_cgroup_pressure {
	const char *cgroup, *level, *prev_level;
	uint64_t timestamp_ns;
};

/* KernelOomKill */
struct oomn_bus_oom_kill {
	uint32_t pid;
	const char *comm;
	uint32_t uid;
	const char *cgroup;
	uint64_t anon_rss, oom_seq;
};

/* KillPending */
struct oomn_bus_kill_pending {
	uint32_t pid, deadline_msec;
	uint64_t deadline_boottime_usec;
	const char *reason;
};

/* KillAnnounced */
struct oomn_bus_kill_announced {
	uint32_t pid;
	const char *comm;
	uint32_t deadline_msec;
	uint64_t deadline_boottime_usec;
	const char *reason;
};

/* CandidateAnswered */
struct oomn_bus_answer {
	uint32_t pid;
	uint64_t freed; /* bytes */
	int checkpointed; /* 0 or 1, as D-Bus's b */
};

/* Killed, Redeemed (pid, comm and reason only) and ReportOutcome after its kind */
struct oomn_bus_outcome {
	uint32_t pid;
	const char *comm;
	uint32_t uid;
	const char *cgroup, *rule;
	uint64_t freed; /* bytes */
	const char *reason;
};

/* NotifyCandidate's arguments */
struct oomn_bus_notice {
	uint32_t pid, deadline_msec;
	const char *reason;
};

/* One entry of ListClients' reply */
struct oomn_bus_client {
	uint64_t id;
	uint32_t pid, uid;
	const char *bus_name, *comm;
	uint32_t band, flags;
};

/* Every member of the contract, for the test that holds it to the XML. */
enum oomn_bus_member_kind {
	OOMN_BUS_METHOD,
	OOMN_BUS_SIGNAL,
	OOMN_BUS_PROPERTY,
};

struct oomn_bus_member {
	const char *interface;
	enum oomn_bus_member_kind kind;
	const char *name;
	const char *in;	 /* a method's arguments; "" for a signal or a property */
	const char *out; /* a method's reply, a signal's arguments, a property's type */
};

extern const struct oomn_bus_member oomn_bus_members[];
extern const size_t oomn_bus_n_members;

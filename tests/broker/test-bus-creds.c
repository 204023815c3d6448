/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The broker asks the bus for a caller's credentials without blocking.
 *
 * The real oom-notifyd runs against a bus of our own: this test listens on a
 * unix socket and plays the bus (org.freedesktop.DBus: Hello, AddMatch,
 * RequestName, GetConnectionCredentials) with sd-bus in server mode, and
 * sends the broker method calls under senders it makes up. It answers
 * GetConnectionCredentials only when the test says so, which no real bus
 * lets a test do. So it can show that: the broker keeps working (hears
 * pressure, emits PressureChanged) while a credentials query is
 * unanswered; many queries are outstanding at once; the identity of a
 * registration is exactly what the bus answered, in whatever order the
 * answers come; a failed query is an error reply, never a registration.
 * tests/broker/test-bus.c runs the same calls against a real dbus-daemon.
 */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "test-util.h"

#define BROKER_NAME   "org.oomnotify.Broker1"
#define BROKER_PATH   "/org/oomnotify/Broker1"
#define BROKER_IFACE  "org.oomnotify.Broker1"
#define DRIVER	      "org.freedesktop.DBus"
#define BROKER_UNIQUE ":1.1"
/* Only so that a broken broker fails the test instead of hanging it. */
#define GIVE_UP_USEC (60u * G_USEC_PER_SEC)

typedef struct {
	char *tmpdir;
	char *proc;
	int listen_fd;
	GPid broker_pid;
	sd_bus *bus;	    /* our end: the fake bus */
	bool owns_name;	    /* the broker requested its name */
	GPtrArray *pending; /* GetConnectionCredentials calls not answered yet */
	GPtrArray *replies; /* replies to our calls, sd_bus_message* */
	GPtrArray *levels;  /* PressureChanged levels, char* */
} Fixture;

static void message_unref(gpointer m)
{
	sd_bus_message_unref(m);
}

/* Replies of the bus driver carry its name as sender, as dbus-daemon's do. */
static void driver_reply(Fixture *f, sd_bus_message *call, const char *types, ...)
{
	sd_bus_message *reply = NULL;
	va_list ap;

	g_assert_cmpint(sd_bus_message_new_method_return(call, &reply), >=, 0);
	g_assert_cmpint(sd_bus_message_set_sender(reply, DRIVER), >=, 0);
	if (types) {
		va_start(ap, types);
		g_assert_cmpint(sd_bus_message_appendv(reply, types, ap), >=, 0);
		va_end(ap);
	}
	g_assert_cmpint(sd_bus_send(f->bus, reply, NULL), >=, 0);
	sd_bus_message_unref(reply);
}

/* Everything the broker sends arrives here. */
static int fake_bus_on_message(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Fixture *f = userdata;
	const char *member = sd_bus_message_get_member(m);
	uint8_t type = 0;

	(void)sd_bus_message_get_type(m, &type);
	if (type == SD_BUS_MESSAGE_METHOD_CALL &&
	    g_strcmp0(sd_bus_message_get_destination(m), DRIVER) == 0) {
		if (strcmp(member, "Hello") == 0)
			driver_reply(f, m, "s", BROKER_UNIQUE);
		else if (strcmp(member, "AddMatch") == 0 || strcmp(member, "RemoveMatch") == 0)
			driver_reply(f, m, NULL);
		else if (strcmp(member, "RequestName") == 0) {
			const char *name;

			g_assert_cmpint(sd_bus_message_read(m, "s", &name), >=, 0);
			if (strcmp(name, BROKER_NAME) == 0)
				f->owns_name = true;
			driver_reply(f, m, "u", 1 /* PRIMARY_OWNER */);
		} else if (strcmp(member, "ReleaseName") == 0)
			driver_reply(f, m, "u", 1);
		else if (strcmp(member, "GetConnectionCredentials") == 0)
			g_ptr_array_add(f->pending, sd_bus_message_ref(m));
		else
			g_error("the broker called the bus's %s", member);
		return 1;
	}
	if (type == SD_BUS_MESSAGE_SIGNAL && g_strcmp0(member, "PressureChanged") == 0) {
		const char *level;

		g_assert_cmpint(sd_bus_message_read(m, "s", &level), >=, 0);
		g_ptr_array_add(f->levels, g_strdup(level));
		return 1;
	}
	if (type == SD_BUS_MESSAGE_METHOD_RETURN || type == SD_BUS_MESSAGE_METHOD_ERROR) {
		g_ptr_array_add(f->replies, sd_bus_message_ref(m));
		return 1;
	}
	return 1; /* other signals: not ours to check here */
}

static void pump(Fixture *f)
{
	int r;

	while ((r = sd_bus_process(f->bus, NULL)) > 0)
		;
	g_assert_cmpint(r, >=, 0);
	(void)sd_bus_wait(f->bus, 20000);
}

/* Runs the fake bus until @cond holds. */
#define PUMP_UNTIL(f, cond)                                                                        \
	do {                                                                                       \
		gint64 end_ = g_get_monotonic_time() + GIVE_UP_USEC;                               \
		while (!(cond)) {                                                                  \
			g_assert_cmpint(g_get_monotonic_time(), <, end_);                          \
			pump(f);                                                                   \
		}                                                                                  \
	} while (0)

static void fixture_setup(Fixture *f, gconstpointer data)
{
	const char *broker = g_getenv("OOMN_BROKER");
	g_autofree char *sock = NULL, *address = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	g_autoptr(GError) error = NULL;
	sd_id128_t id = { .bytes = { 1, 2, 3, 4 } };
	int fd;

	g_assert_nonnull(broker);
	f->pending = g_ptr_array_new_with_free_func(message_unref);
	f->replies = g_ptr_array_new_with_free_func(message_unref);
	f->levels = g_ptr_array_new_with_free_func(g_free);
	f->tmpdir = g_dir_make_tmp("oomn-creds-XXXXXX", &error);
	g_assert_no_error(error);
	f->proc = g_build_filename(f->tmpdir, "proc", NULL);
	g_assert_cmpint(g_mkdir(f->proc, 0755), ==, 0);
	test_write_meminfo(f->proc, MEMINFO_NORMAL);

	sock = g_build_filename(f->tmpdir, "bus", NULL);
	g_assert_cmpuint(strlen(sock), <, sizeof(sa.sun_path));
	strcpy(sa.sun_path, sock);
	f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	g_assert_cmpint(f->listen_fd, >=, 0);
	g_assert_cmpint(bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), ==, 0);
	g_assert_cmpint(listen(f->listen_fd, 1), ==, 0);

	address = g_strdup_printf("unix:path=%s", sock);
	{
		const char *argv[] = { broker,
				       "--bus-address",
				       address,
				       "--source",
				       "meminfo",
				       "--proc-root",
				       f->proc,
				       "--no-mlock",
				       "--oom-score-adj",
				       "keep",
				       "--no-lmm",
				       "--poll-max-ms",
				       "50",
				       NULL };

		g_spawn_async(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
			      test_child_die_with_parent, NULL, &f->broker_pid, &error);
		g_assert_no_error(error);
	}

	fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	g_assert_cmpint(fd, >=, 0);
	g_assert_cmpint(sd_bus_new(&f->bus), >=, 0);
	g_assert_cmpint(sd_bus_set_fd(f->bus, fd, fd), >=, 0);
	g_assert_cmpint(sd_bus_set_server(f->bus, 1, id), >=, 0);
	g_assert_cmpint(sd_bus_add_filter(f->bus, NULL, fake_bus_on_message, f), >=, 0);
	g_assert_cmpint(sd_bus_start(f->bus), >=, 0);
	PUMP_UNTIL(f, f->owns_name);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
	int status;

	/* It must still be there, and stop cleanly: nothing crashed it. */
	g_assert_cmpint(kill(f->broker_pid, SIGTERM), ==, 0);
	while (waitpid(f->broker_pid, &status, WNOHANG) == 0) {
		/* its goodbye may reset the connection: no more checks here */
		while (sd_bus_process(f->bus, NULL) > 0)
			;
		(void)sd_bus_wait(f->bus, 20000);
	}
	g_assert_true(WIFEXITED(status));
	g_assert_cmpint(WEXITSTATUS(status), ==, 0);
	g_spawn_close_pid(f->broker_pid);

	f->bus = sd_bus_flush_close_unref(f->bus);
	close(f->listen_fd);
	g_ptr_array_unref(f->pending);
	g_ptr_array_unref(f->replies);
	g_ptr_array_unref(f->levels);
	test_rm_tree(f->tmpdir);
	g_free(f->tmpdir);
	g_free(f->proc);
}

/* A method call to the broker from @sender, a unique name we make up.
 * Returns its cookie, to find the reply by. */
static uint64_t call_broker(Fixture *f, const char *sender, const char *member, const char *types,
			    ...)
{
	sd_bus_message *m = NULL;
	uint64_t cookie;
	va_list ap;

	g_assert_cmpint(sd_bus_message_new_method_call(f->bus, &m, BROKER_NAME, BROKER_PATH,
						       BROKER_IFACE, member),
			>=, 0);
	g_assert_cmpint(sd_bus_message_set_sender(m, sender), >=, 0);
	if (types) {
		va_start(ap, types);
		g_assert_cmpint(sd_bus_message_appendv(m, types, ap), >=, 0);
		va_end(ap);
	}
	g_assert_cmpint(sd_bus_send(f->bus, m, &cookie), >=, 0);
	sd_bus_message_unref(m);
	return cookie;
}

static sd_bus_message *find_reply(Fixture *f, uint64_t cookie)
{
	for (guint i = 0; i < f->replies->len; i++) {
		sd_bus_message *m = g_ptr_array_index(f->replies, i);
		uint64_t c = 0;

		if (sd_bus_message_get_reply_cookie(m, &c) >= 0 && c == cookie)
			return m;
	}
	return NULL;
}

static sd_bus_message *wait_reply(Fixture *f, uint64_t cookie)
{
	PUMP_UNTIL(f, find_reply(f, cookie));
	return find_reply(f, cookie);
}

/* The pending query about @name, or NULL. */
static sd_bus_message *find_query(Fixture *f, const char *name, guint *ret_index)
{
	for (guint i = 0; i < f->pending->len; i++) {
		sd_bus_message *q = g_ptr_array_index(f->pending, i);
		const char *asked;

		g_assert_cmpint(sd_bus_message_rewind(q, true), >=, 0);
		g_assert_cmpint(sd_bus_message_read(q, "s", &asked), >=, 0);
		if (strcmp(asked, name) == 0) {
			if (ret_index)
				*ret_index = i;
			return q;
		}
	}
	return NULL;
}

/* Answers the query about @name as dbus-daemon would. */
static void answer_creds(Fixture *f, const char *name, uint32_t pid, uint32_t uid)
{
	guint i;
	sd_bus_message *q = find_query(f, name, &i);

	g_assert_nonnull(q);
	driver_reply(f, q, "a{sv}", 3, "UnixUserID", "u", uid, "ProcessID", "u", pid,
		     "UnixGroupIDs", "au", 1, uid);
	g_ptr_array_remove_index(f->pending, i);
}

static void fail_creds(Fixture *f, const char *name)
{
	sd_bus_message *q, *reply = NULL;
	guint i;

	q = find_query(f, name, &i);
	g_assert_nonnull(q);
	g_assert_cmpint(sd_bus_message_new_method_errorf(
				q, &reply, "org.freedesktop.DBus.Error.NameHasNoOwner",
				"Could not get credentials of %s", name),
			>=, 0);
	g_assert_cmpint(sd_bus_message_set_sender(reply, DRIVER), >=, 0);
	g_assert_cmpint(sd_bus_send(f->bus, reply, NULL), >=, 0);
	sd_bus_message_unref(reply);
	g_ptr_array_remove_index(f->pending, i);
}

static bool has_level(Fixture *f, const char *level)
{
	for (guint i = 0; i < f->levels->len; i++)
		if (strcmp(g_ptr_array_index(f->levels, i), level) == 0)
			return true;
	return false;
}

/* ListClients, asked by a (root) caller of its own: (pid, uid, comm) of @name. */
static bool client_identity(Fixture *f, const char *name, uint32_t *pid, uint32_t *uid, char **comm)
{
	uint64_t cookie = call_broker(f, ":1.999", "ListClients", NULL);
	sd_bus_message *reply;
	bool found = false;
	int r;

	/* other users' processes are root's to know: the broker asks who calls */
	PUMP_UNTIL(f, find_query(f, ":1.999", NULL));
	answer_creds(f, ":1.999", (uint32_t)getpid(), 0);
	reply = wait_reply(f, cookie);

	g_assert_false(sd_bus_message_is_method_error(reply, NULL));
	g_assert_cmpint(sd_bus_message_enter_container(reply, 'a', "(tuussuu)"), >=, 0);
	for (;;) {
		uint64_t id;
		uint32_t p, u, band, flags;
		const char *n, *c;

		r = sd_bus_message_read(reply, "(tuussuu)", &id, &p, &u, &n, &c, &band, &flags);
		g_assert_cmpint(r, >=, 0);
		if (r == 0)
			break;
		if (strcmp(n, name) == 0) {
			*pid = p;
			*uid = u;
			if (comm)
				*comm = g_strdup(c);
			found = true;
		}
	}
	return found;
}

static void test_not_blocked(Fixture *f, gconstpointer data)
{
	sd_bus_message *reply;
	uint64_t cookie, id = 0;
	uint32_t pid = 0, uid = 0;
	g_autofree char *comm = NULL;
	g_autofree char *expected_comm = NULL;

	cookie = call_broker(f, ":1.2", "Register", "uu", 50, 1);
	PUMP_UNTIL(f, find_query(f, ":1.2", NULL));

	/* The bus has not answered: the broker still hears pressure and tells. */
	test_write_meminfo(f->proc, MEMINFO_LOW);
	PUMP_UNTIL(f, has_level(f, "low"));
	g_assert_nonnull(find_query(f, ":1.2", NULL));
	g_assert_null(find_reply(f, cookie));
	/* ...and answers other callers. */
	reply = wait_reply(f, call_broker(f, ":1.3", "GetState", NULL));
	g_assert_false(sd_bus_message_is_method_error(reply, NULL));
	g_assert_null(find_reply(f, cookie));

	/* The answer comes: the registration is who the bus said. */
	answer_creds(f, ":1.2", (uint32_t)getpid(), (uint32_t)getuid());
	reply = wait_reply(f, cookie);
	g_assert_false(sd_bus_message_is_method_error(reply, NULL));
	g_assert_cmpint(sd_bus_message_read(reply, "t", &id), >=, 0);
	g_assert_cmpuint(id, >, 0);
	g_assert_true(client_identity(f, ":1.2", &pid, &uid, &comm));
	g_assert_cmpuint(pid, ==, (uint32_t)getpid());
	g_assert_cmpuint(uid, ==, (uint32_t)getuid());
	g_assert_true(g_file_get_contents("/proc/self/comm", &expected_comm, NULL, NULL));
	g_strchomp(expected_comm);
	g_assert_cmpstr(comm, ==, expected_comm);
}

/*
 * The pid the bus tells is checked against the process: one that has
 * exited, or whose pid now belongs to another user's process, is refused.
 */
static void test_pid_checked(Fixture *f, gconstpointer data)
{
	sd_bus_message *reply;
	uint64_t cookie;
	uint32_t pid, uid;
	pid_t gone = fork();

	g_assert_cmpint(gone, >=, 0);
	if (gone == 0)
		_exit(0);
	g_assert_cmpint(waitpid(gone, NULL, 0), ==, gone);

	cookie = call_broker(f, ":1.30", "Register", "uu", 50, 0);
	PUMP_UNTIL(f, find_query(f, ":1.30", NULL));
	answer_creds(f, ":1.30", (uint32_t)gone, (uint32_t)getuid());
	reply = wait_reply(f, cookie);
	g_assert_true(sd_bus_message_is_method_error(reply, SD_BUS_ERROR_ACCESS_DENIED));
	g_assert_false(client_identity(f, ":1.30", &pid, &uid, NULL));

	/* this process, said to be uid 4242's: its pid is not that user's */
	cookie = call_broker(f, ":1.31", "Register", "uu", 50, 0);
	PUMP_UNTIL(f, find_query(f, ":1.31", NULL));
	answer_creds(f, ":1.31", (uint32_t)getpid(), 4242);
	reply = wait_reply(f, cookie);
	g_assert_true(sd_bus_message_is_method_error(reply, SD_BUS_ERROR_ACCESS_DENIED));
	g_assert_false(client_identity(f, ":1.31", &pid, &uid, NULL));
}

#define MANY 200

static void test_many(Fixture *f, gconstpointer data)
{
	uint64_t cookies[MANY];
	char names[MANY][16];
	pid_t pids[MANY];

	int ready[2];
	char c;

	/* each registration a process of its own, of a user of its own (the
	 * broker checks the pid, and registrations per user are limited) */
	g_assert_cmpint(pipe(ready), ==, 0);
	for (unsigned i = 0; i < MANY; i++) {
		pids[i] = fork();
		g_assert_cmpint(pids[i], >=, 0);
		if (pids[i] == 0) {
			if (setuid(1000 + i) || prctl(PR_SET_PDEATHSIG, SIGKILL) ||
			    write(ready[1], "x", 1) != 1)
				_exit(1);
			pause();
			_exit(0);
		}
	}
	for (unsigned i = 0; i < MANY; i++)
		g_assert_cmpint(read(ready[0], &c, 1), ==, 1);
	close(ready[0]);
	close(ready[1]);

	for (unsigned i = 0; i < MANY; i++) {
		(void)snprintf(names[i], sizeof(names[i]), ":1.%u", 100 + i);
		cookies[i] = call_broker(f, names[i], "Register", "uu", i % 51, 0);
	}
	/* All asked at once: a broker that waited for each answer would ask one. */
	PUMP_UNTIL(f, f->pending->len == MANY);
	g_assert_cmpuint(f->replies->len, ==, 0);

	/* Answered last to first: each registration still gets its own identity. */
	for (unsigned i = MANY; i-- > 0;)
		answer_creds(f, names[i], (uint32_t)pids[i], 1000 + i);
	for (unsigned i = 0; i < MANY; i++) {
		sd_bus_message *reply = wait_reply(f, cookies[i]);

		g_assert_false(sd_bus_message_is_method_error(reply, NULL));
	}
	for (unsigned i = 0; i < MANY; i += 37) {
		uint32_t pid = 0, uid = 0;

		g_assert_true(client_identity(f, names[i], &pid, &uid, NULL));
		g_assert_cmpuint(pid, ==, (uint32_t)pids[i]);
		g_assert_cmpuint(uid, ==, 1000 + i);
	}
	for (unsigned i = 0; i < MANY; i++) {
		(void)kill(pids[i], SIGKILL);
		(void)waitpid(pids[i], NULL, 0);
	}
}

static void test_query_fails(Fixture *f, gconstpointer data)
{
	sd_bus_message *reply;
	uint64_t cookie;
	uint32_t pid, uid;

	/* The caller left before the bus was asked: an error, no registration. */
	cookie = call_broker(f, ":1.7", "Register", "uu", 50, 0);
	PUMP_UNTIL(f, find_query(f, ":1.7", NULL));
	fail_creds(f, ":1.7");
	reply = wait_reply(f, cookie);
	g_assert_true(sd_bus_message_is_method_error(reply, NULL));
	g_assert_false(client_identity(f, ":1.7", &pid, &uid, NULL));

	/* A reply without the pid is no identity either. */
	cookie = call_broker(f, ":1.8", "Register", "uu", 50, 0);
	PUMP_UNTIL(f, find_query(f, ":1.8", NULL));
	{
		guint i;
		sd_bus_message *q = find_query(f, ":1.8", &i);

		driver_reply(f, q, "a{sv}", 1, "UnixUserID", "u", 0);
		g_ptr_array_remove_index(f->pending, i);
	}
	reply = wait_reply(f, cookie);
	g_assert_true(sd_bus_message_is_method_error(reply, NULL));
	g_assert_false(client_identity(f, ":1.8", &pid, &uid, NULL));
}

static void test_root_only(Fixture *f, gconstpointer data)
{
	sd_bus_message *reply;
	uint64_t cookie;
	uint32_t n = 99;

	cookie = call_broker(f, ":1.20", "NotifyCandidate", "uus", 1, 1000, "x");
	PUMP_UNTIL(f, find_query(f, ":1.20", NULL));
	answer_creds(f, ":1.20", (uint32_t)getpid(), 4242);
	reply = wait_reply(f, cookie);
	g_assert_true(sd_bus_message_is_method_error(reply, SD_BUS_ERROR_ACCESS_DENIED));

	cookie = call_broker(f, ":1.21", "ReportOutcome", "susussts", "killed", 1, "x", 0, "", "",
			     (uint64_t)0, "");
	PUMP_UNTIL(f, find_query(f, ":1.21", NULL));
	answer_creds(f, ":1.21", (uint32_t)getpid(), 4242);
	reply = wait_reply(f, cookie);
	g_assert_true(sd_bus_message_is_method_error(reply, SD_BUS_ERROR_ACCESS_DENIED));

	cookie = call_broker(f, ":1.22", "NotifyCandidate", "uus", 1, 1000, "x");
	PUMP_UNTIL(f, find_query(f, ":1.22", NULL));
	answer_creds(f, ":1.22", (uint32_t)getpid(), 0);
	reply = wait_reply(f, cookie);
	g_assert_false(sd_bus_message_is_method_error(reply, NULL));
	g_assert_cmpint(sd_bus_message_read(reply, "u", &n), >=, 0);
	g_assert_cmpuint(n, ==, 0);
}

int main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);

#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	ADD("/broker/creds/not-blocked", test_not_blocked);
	ADD("/broker/creds/many", test_many);
	ADD("/broker/creds/pid-checked", test_pid_checked);
	ADD("/broker/creds/query-fails", test_query_fails);
	ADD("/broker/creds/root-only", test_root_only);
	return g_test_run();
}

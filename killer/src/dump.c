/* SPDX-License-Identifier: GPL-2.0-only */
#include "dump.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oomn-genl.h"

struct KillerDump {
	OomnGenl *genl;
	/* kept from one dump to the next: no allocation at decision time once warm */
	CandidateRecord *recs;
	size_t n, size;
	uint64_t tick_ns; /* /proc/PID/stat's start time unit */
};

int killer_dump_new(KillerDump **ret)
{
	KillerDump *d;
	long hz = sysconf(_SC_CLK_TCK);
	int r;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->tick_ns = 1000000000ull / (uint64_t)(hz > 0 ? hz : 100);
	r = oomn_genl_open(&d->genl, OOMN_GENL_ALLOW_MISSING);
	if (r < 0) {
		free(d);
		return r;
	}
	*ret = d;
	return 0;
}

KillerDump *killer_dump_free(KillerDump *d)
{
	if (!d)
		return NULL;
	oomn_genl_free(d->genl);
	free(d->recs);
	free(d);
	return NULL;
}

static int on_proc(const struct oomn_proc *p, void *userdata)
{
	KillerDump *d = userdata;
	CandidateRecord *rec;

	if (d->n == d->size) {
		size_t size = d->size ? d->size * 2 : 1024;
		CandidateRecord *v = reallocarray(d->recs, size, sizeof(*v));

		if (!v)
			return -ENOMEM;
		d->recs = v;
		d->size = size;
	}
	rec = &d->recs[d->n++];
	*rec = (CandidateRecord){
		.pid = (pid_t)p->pid,
		.ppid = (pid_t)p->ppid,
		.starttime = p->start_ns / d->tick_ns,
		.state = p->state,
		.flags = p->flags,
		.uid = p->uid,
		.oom_score_adj = p->oom_score_adj,
		.has_mm = p->has_mm,
		.rss_kb = p->rss / 1024,
		.swap_kb = p->swap / 1024,
		.pte_kb = p->pgtables / 1024,
		.cgroup_id = p->cgroup_id,
		.exec_id = p->exec_id,
	};
	memcpy(rec->comm, p->comm, sizeof(p->comm));
	return 0;
}

int killer_dump_refresh(KillerDump *d, Candidates *c, unsigned flags, CandidatesStats *ret_stats)
{
	unsigned malformed = 0;
	int r;

	/* the controller's news: the module loaded, unloaded or reloaded since */
	(void)oomn_genl_dispatch(d->genl);
	d->n = 0;
	r = oomn_genl_dump_processes(d->genl, on_proc, d, &malformed);
	if (r < 0)
		return r;
	if (malformed > 0)
		return -EBADMSG;
	return candidates_refresh_records(c, d->recs, d->n, flags, ret_stats);
}

// SPDX-License-Identifier: MIT
/*
 * The scaling model behind sharded rings (docs/DESIGN.md, "Sharded rings:
 * why they scale"): a discrete-event simulation of P producers on P cores
 * reserving records, either all through ONE shared counter (producer_pos,
 * claimed with a CAS: one ring) or each through its own (one ring per CPU).
 *
 * The model. A cache line has one owner at a time. Taking it from another
 * core costs a transfer X (read for ownership: about 60 ns between the two
 * cores of these machines, measured; 100-200 ns across sockets); using
 * it while owned costs a local access L. Requests for the line are served
 * one at a time, first come first served. A reservation is: load the
 * counter (needs the line), compute, CAS (needs the line again; it fails
 * when another CAS succeeded since our load, and we retry from the load).
 * Between reservations a producer spends W ns writing its record (64 B at
 * memcpy speed plus the fixed costs of a reserve/submit). A producer's
 * commit touches only its record's lines, which the consumer pulls later:
 * that cost is the consumer's (C per record), the same in both designs.
 *
 * What it shows: one counter serves at most one successful CAS per ~2X
 * whatever P is, and failed CASes make it worse as P grows; per-CPU
 * counters never move, so producers scale with P until the consumer's
 * per-record cost C is the bound (then: more consumers, one per shard
 * group, which sharding allows and one ring does not).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct sim_cfg {
	int p;          /* producers, one per core */
	double x, l;    /* line transfer, local access (ns) */
	double w;       /* producer work per record outside the counter (ns) */
	int shared;     /* 1: one counter; 0: a counter per producer */
	int rmw;        /* shared: the load and the CAS in one ownership (the
			 * best case: no CAS ever fails); else each needs
			 * the line on its own, FIFO (the worst case) */
	long records;   /* successful reservations to simulate */
};

struct sim_out {
	double mrps;        /* reservations per microsecond = M/s */
	double cas_fail;    /* failed CAS per reservation */
	double wait_ns;     /* mean time a reservation waits for the line */
};

/* Producer states: 0 wants the line for its load, 1 for its CAS. */
struct prod {
	double ready;      /* time its next line request is issued */
	int want_cas;
	uint64_t seen;     /* counter version its load saw */
};

static double sim(const struct sim_cfg *c, struct sim_out *o)
{
	struct prod *pr = calloc((size_t)c->p, sizeof(*pr));
	double line_free = 0, t = 0, waited = 0;
	uint64_t version = 0;
	long done = 0, fails = 0;
	int owner = -1;

	if (!pr)
		return 0;
	for (int i = 0; i < c->p; i++)
		pr[i].ready = c->w * (double)i / c->p; /* start out of phase */
	if (!c->shared) {
		/* Each counter stays in its producer's cache: L per access,
		 * never a failed CAS. */
		double per = c->w + 2 * c->l;

		o->mrps = (double)c->p / per * 1e3;
		o->cas_fail = 0;
		o->wait_ns = 0;
		free(pr);
		return o->mrps;
	}
	while (done < c->records) {
		/* The line serves the earliest request (FIFO by issue time). */
		int k = 0;
		double start, cost;

		for (int i = 1; i < c->p; i++)
			if (pr[i].ready < pr[k].ready)
				k = i;
		start = pr[k].ready > line_free ? pr[k].ready : line_free;
		waited += start - pr[k].ready;
		cost = owner == k ? c->l : c->x;
		owner = k;
		t = start + cost;
		line_free = t;
		if (c->rmw) {
			t += c->l;  /* load, compute, CAS while owning it */
			line_free = t;
			version++;
			done++;
			pr[k].ready = t + c->w;
		} else if (!pr[k].want_cas) {
			pr[k].seen = version;
			pr[k].want_cas = 1;
			pr[k].ready = t + c->l; /* compute the new position */
		} else if (pr[k].seen == version) {
			version++;
			done++;
			pr[k].want_cas = 0;
			pr[k].ready = t + c->w; /* write the record, commit */
		} else {
			fails++;
			pr[k].want_cas = 0;
			pr[k].ready = t;       /* reload at once */
		}
	}
	o->mrps = (double)done / t * 1e3;
	o->cas_fail = (double)fails / (double)done;
	o->wait_ns = waited / (double)(done + fails);
	free(pr);
	return o->mrps;
}

int bench_scaling_model(FILE *out)
{
	static const int ps[] = { 1, 2, 4, 8, 16, 32, 64 };
	/* X: measured cross-core transfer on these machines (50-65 ns one
	 * way) and a two-socket figure; W: a 64-byte record's fill and the
	 * reserve/submit fixed costs, measured single-producer back-to-back
	 * (about 25 ns per record); C: the consumer's cost per record seen
	 * in the busy rows (about 20-50 ns: 20-50 M/s per consumer). */
	static const double xs[] = { 60, 150 };
	const double l = 2, w = 25, cons_ns = 30;

	fprintf(out, "\nScaling model (bench/scaling.c): P producers on P cores, one shared counter vs "
		"one per CPU.\nAssumed: line transfer X, local access %.0f ns, producer work per "
		"record %.0f ns, consumer %.0f ns per record.\n", l, w, cons_ns);
	for (size_t xi = 0; xi < sizeof(xs) / sizeof(xs[0]); xi++) {
		fprintf(out, "%-4s %-6s %11s %11s %11s %12s %11s %12s %11s\n", "P", "X ns",
			"shared-best", "wait ns", "shared-FIFO", "CAS fail/rec", "per-CPU", "per-CPU/1p",
			"1 consumer");
		for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
			struct sim_cfg c = { .p = ps[i], .x = xs[xi], .l = l, .w = w,
					     .shared = 1, .rmw = 1, .records = 50000 };
			struct sim_out best = { 0 }, fifo = { 0 }, pc = { 0 }, one = { 0 };
			double cons_cap = 1e3 / cons_ns;

			sim(&c, &best);
			c.rmw = 0;
			sim(&c, &fifo);
			c.shared = 0;
			sim(&c, &pc);
			c.p = 1;
			sim(&c, &one);
			fprintf(out, "%-4d %-6.0f %11.1f %11.0f %11.1f %12.2f %11.1f %11.1fx %11.1f\n",
				ps[i], xs[xi], best.mrps, best.wait_ns, fifo.mrps, fifo.cas_fail,
				pc.mrps, pc.mrps / one.mrps, pc.mrps < cons_cap ? pc.mrps : cons_cap);
		}
	}
	fprintf(out, "shared-best: every claim one ownership of the counter line (no failed CAS); "
		"shared-FIFO: load and CAS\nrequest the line separately, first come first served "
		"(every other producer's CAS in between fails).\nReal hardware lies between the two; "
		"both are flat or falling in P, per-CPU counters grow linearly.\n");
	return 0;
}

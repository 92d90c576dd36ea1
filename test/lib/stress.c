// SPDX-License-Identifier: MIT
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include "ringbuf.h"
#include "stress.h"
#include "testutil.h"

struct producer {
	pthread_t thread;
	const struct stress_target *t;
	const struct stress_cfg *cfg;
	uint32_t id;
	uint8_t *discarded;        /* discarded[seq]: set before the discard */
	uint64_t enospc;
	int *done;                 /* producers finished (overwrite mode) */
};

struct consumer_state {
	const struct stress_cfg *cfg;
	struct producer *prods;
	uint64_t *next_min;        /* per producer: lowest seq still acceptable */
	uint8_t **seen;
	uint64_t delivered;
	int ended;                 /* end markers received */
};


/* The plain ring as a target. */
static void *ring_reserve(void *rb, size_t len) { return ringbuf_reserve(rb, len, 0); }
static void ring_commit(void *rb, void *rec, uint64_t flags, int discard)
{
	if (discard)
		ringbuf_discard(rb, rec, flags);
	else
		ringbuf_submit(rb, rec, flags);
}
static int ring_reserve_batch(void *rb, size_t len, unsigned int n, void **recs)
{
	return ringbuf_reserve_batch(rb, len, n, recs, 0);
}
static int ring_output(void *rb, const void *d, size_t len, uint64_t flags)
{
	return ringbuf_output(rb, d, len, flags);
}
static int ring_consume(void *rb, int (*fn)(void *, void *, size_t), void *ctx)
{
	return ringbuf_consume(rb, fn, ctx);
}
static int ring_add(struct ringbuf_consumer *c, void *rb, int (*fn)(void *, void *, size_t), void *ctx)
{
	return ringbuf_consumer_add(c, rb, fn, ctx);
}
static uint64_t ring_avail(void *rb) { return ringbuf_query(rb, RINGBUF_AVAIL_DATA); }

/* A record's payload size, uniform in [min_size, max_size]. */
static size_t rand_len(const struct stress_cfg *c, uint64_t *rnd)
{
	return c->min_size + (size_t)(test_rand(rnd) % (c->max_size - c->min_size + 1));
}

/* A batch producer: up to cfg->batch records of one size per claim, filled,
 * then committed in a shuffled order; the consumer must still see them in
 * ring order and stop at the first one not yet committed. */
static void produce_batches(struct producer *p, uint64_t *rnd)
{
	const struct stress_cfg *c = p->cfg;
	unsigned int max = c->batch;
	void *recs[STRESS_MAX_BATCH];
	unsigned int order[STRESS_MAX_BATCH];

	CHECK(p->t->reserve_batch && max <= STRESS_MAX_BATCH && !c->use_output);
	for (long seq = 0; seq < c->records_per_producer;) {
		size_t len = rand_len(c, rnd);
		long left = c->records_per_producer - seq;
		unsigned int k = left < (long)max ? (unsigned int)left : max;
		int err;

		if (p->t->before_record)
			p->t->before_record(p->t->obj, p->id, seq);
		while ((err = p->t->reserve_batch(p->t->obj, len, k, recs))) {
			if (err == -E2BIG && k > 1) { /* never fits: fewer */
				k /= 2;
				continue;
			}
			CHECK_EQ(err, -ENOSPC);
			p->enospc++;
			sched_yield();
		}
		for (unsigned int i = 0; i < k; i++) {
			test_rec_fill(recs[i], len, p->id, (uint64_t)(seq + i));
			order[i] = i;
		}
		for (unsigned int i = k; i > 1; i--) {
			unsigned int j = (unsigned int)(test_rand(rnd) % i), t = order[i - 1];

			order[i - 1] = order[j];
			order[j] = t;
		}
		for (unsigned int i = 0; i < k; i++) {
			long q = seq + order[i];
			int discard = c->discard_pct && (int)(test_rand(rnd) % 100) < c->discard_pct;

			if (discard)
				p->discarded[q] = 1;
			p->t->commit(p->t->obj, recs[order[i]], c->commit_flags, discard);
		}
		seq += k;
	}
}

/* A single-record producer: reserve and commit (or output) each record,
 * retrying on a full ring. tmp: a buffer for output's copies. */
static void produce_singles(struct producer *p, uint64_t *rnd, uint8_t *tmp)
{
	const struct stress_cfg *c = p->cfg;

	for (long seq = 0; seq < c->records_per_producer; seq++) {
		size_t len = rand_len(c, rnd);
		int discard = c->discard_pct && (int)(test_rand(rnd) % 100) < c->discard_pct;
		void *rec;

		if (discard)
			p->discarded[seq] = 1;
		if (p->t->before_record)
			p->t->before_record(p->t->obj, p->id, seq);
		for (;;) {
			if (c->use_output && !discard) {
				test_rec_fill(tmp, len, p->id, (uint64_t)seq);
				int err = p->t->output(p->t->obj, tmp, len, c->commit_flags);

				if (!err)
					break;
				CHECK_EQ(err, -ENOSPC);
			} else {
				rec = p->t->reserve(p->t->obj, len);
				if (rec) {
					test_rec_fill(rec, len, p->id, (uint64_t)seq);
					p->t->commit(p->t->obj, rec, c->commit_flags, discard);
					break;
				}
				CHECK_EQ(errno, ENOSPC);
			}
			p->enospc++;
			sched_yield();
		}
	}
}

static void *produce(void *arg)
{
	struct producer *p = arg;
	const struct stress_cfg *c = p->cfg;
	uint64_t rnd = 0x9e3779b97f4a7c15ULL * (p->id + 1);
	uint8_t tmp[1 << 16];

	if (c->batch > 1 && p->id % 2 == 0)
		produce_batches(p, &rnd);
	else
		produce_singles(p, &rnd, tmp);
	/* The end marker: seq == records_per_producer. Per-producer order
	 * means every record of this producer is in once it arrives. */
	test_rec_fill(tmp, sizeof(struct test_rec), p->id, (uint64_t)c->records_per_producer);
	while (p->t->output(p->t->obj, tmp, sizeof(struct test_rec), 0) == -ENOSPC)
		sched_yield();
	__atomic_fetch_add(p->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct consumer_state *s = ctx;
	struct test_rec r;

	if (test_rec_verify(data, size)) {
		fprintf(stderr, "stress: corrupt record of %zu bytes\n", size);
		exit(1);
	}
	memcpy(&r, data, sizeof(r));
	if (r.producer < (uint32_t)s->cfg->producers && r.seq == (uint64_t)s->cfg->records_per_producer) {
		s->ended++;
		return 0;
	}
	if (r.producer >= (uint32_t)s->cfg->producers || r.seq >= (uint64_t)s->cfg->records_per_producer) {
		fprintf(stderr, "stress: impossible producer %u seq %llu\n", r.producer,
			(unsigned long long)r.seq);
		exit(1);
	}
	if (s->prods[r.producer].discarded[r.seq]) {
		fprintf(stderr, "stress: discarded record %u/%llu delivered\n", r.producer,
			(unsigned long long)r.seq);
		exit(1);
	}
	if ((!s->cfg->unordered && r.seq < s->next_min[r.producer]) || s->seen[r.producer][r.seq]) {
		fprintf(stderr, "stress: producer %u seq %llu out of order or duplicated (next >= %llu)\n",
			r.producer, (unsigned long long)r.seq, (unsigned long long)s->next_min[r.producer]);
		exit(1);
	}
	s->seen[r.producer][r.seq] = 1;
	s->next_min[r.producer] = r.seq + 1;
	s->delivered++;
	return 0;
}

/* STRESS_HOLD: the records held, by position, oldest first. */
struct hold_state {
	struct consumer_state *s;
	uint64_t pos[256];
	int n;
	uint64_t rnd;
};

static int on_held(void *ctx, void *data, size_t size, uint64_t pos)
{
	struct hold_state *h = ctx;

	h->pos[h->n++] = pos;
	return on_record(h->s, data, size);
}

/* One hold round: hold up to the free slots, then release all but 0..7. */
static int hold_round(struct ringbuf *rb, struct hold_state *h)
{
	int ret = ringbuf_consume_hold(rb, on_held, h, (size_t)(256 - h->n));
	int keep = (int)(test_rand(&h->rnd) % 8);

	if (ret >= 0 && h->n > keep) {
		int i = h->n - keep - 1;

		CHECK_EQ(ringbuf_release(rb, h->pos[i]), 0);
		memmove(h->pos, h->pos + i + 1, (size_t)keep * sizeof(h->pos[0]));
		h->n = keep;
	}
	return ret;
}

void stress_run(struct ringbuf *rb, const struct stress_cfg *cfg, struct stress_result *res)
{
	int n = cfg->producers;
	long per = cfg->records_per_producer;
	struct producer *prods = calloc((size_t)n, sizeof(*prods));
	struct consumer_state s = { .cfg = cfg, .prods = prods };
	const struct stress_target ring_target = {
		.obj = rb, .reserve = ring_reserve, .commit = ring_commit, .output = ring_output,
		.consume = ring_consume, .add = ring_add, .avail = ring_avail,
		.reserve_batch = ring_reserve_batch,
	};
	const struct stress_target *t = cfg->target ? cfg->target : &ring_target;
	int done = 0;

	res->overwritten = 0;

	CHECK(prods);
	/* A target other than one plain ring has no poll, hold or overwrite. */
	CHECK(!cfg->target || ((cfg->consumer == STRESS_BUSY || cfg->consumer == STRESS_MANAGER ||
				cfg->consumer == STRESS_MANAGER_BUSY) && !cfg->overwrite));
	s.next_min = calloc((size_t)n, sizeof(uint64_t));
	s.seen = calloc((size_t)n, sizeof(uint8_t *));
	for (int i = 0; i < n; i++) {
		prods[i] = (struct producer){ .t = t, .cfg = cfg, .id = (uint32_t)i, .done = &done };
		prods[i].discarded = calloc((size_t)per, 1);
		s.seen[i] = calloc((size_t)per, 1);
		CHECK(prods[i].discarded && s.seen[i]);
	}
	for (int i = 0; i < n; i++)
		CHECK(pthread_create(&prods[i].thread, NULL, produce, &prods[i]) == 0);

	/* Manager mode: rb and an idle ring, both armed before every sleep. */
	struct ringbuf_consumer *mgr = NULL;
	struct ringbuf *idle = NULL;
	int idle_cnt = 0;
	struct hold_state hold = { .s = &s, .rnd = 12345 };

	if (cfg->consumer == STRESS_MANAGER || cfg->consumer == STRESS_MANAGER_BUSY) {
		mgr = ringbuf_consumer_new();
		idle = ringbuf_create(NULL, test_page_size(), NULL);
		CHECK(mgr && idle);
		CHECK_EQ(ringbuf_consumer_add(mgr, idle, on_record, &idle_cnt), 0);
		CHECK_EQ(t->add(mgr, t->obj, on_record, &s), 0);
		if (cfg->idle)
			CHECK_EQ(ringbuf_consumer_set_idle(mgr, cfg->idle), 0);
	} else if (cfg->idle) {
		CHECK(rb); /* the idle policy of one plain ring */
		CHECK_EQ(ringbuf_set_idle(rb, cfg->idle), 0);
	}

	/* Consume until every producer's end marker is in (overwrite mode:
	 * until every producer is done, as end markers may be overwritten). */
	while (cfg->overwrite ? __atomic_load_n(&done, __ATOMIC_ACQUIRE) < n : s.ended < n) {
		int ret;

		test_watchdog((unsigned)(cfg->watchdog_s ? cfg->watchdog_s : 60),
			      "consuming: the consumer made no progress (lost wakeup?)");
		if (cfg->consumer == STRESS_BLOCKING)
			ret = ringbuf_poll(rb, on_record, &s, -1);
		else if (cfg->consumer == STRESS_MANAGER)
			ret = ringbuf_consumer_poll(mgr, -1);
		else if (cfg->consumer == STRESS_HOLD)
			ret = hold_round(rb, &hold);
		else if (cfg->consumer == STRESS_MANAGER_BUSY)
			ret = ringbuf_consumer_consume(mgr);
		else
			ret = t->consume(t->obj, on_record, &s);
		if (ret < 0) {
			fprintf(stderr, "stress: consume failed: %s\n", strerror(-ret));
			exit(1);
		}
		if (ret > 0 && t->after_consume)
			t->after_consume(t->obj);
		if (ret == 0 && (cfg->consumer == STRESS_BUSY || cfg->consumer == STRESS_HOLD))
			sched_yield();
	}
	test_watchdog(0, NULL);
	ringbuf_consumer_free(mgr);
	ringbuf_free(idle);
	for (int i = 0; i < n; i++)
		pthread_join(prods[i].thread, NULL);
	if (cfg->unordered) {
		/* End markers may overtake records in another ring: consume
		 * until every committed record is in (the producers are joined,
		 * so their discard marks are final). */
		uint64_t expect = 0;

		for (int i = 0; i < n; i++)
			for (long q = 0; q < per; q++)
				expect += !prods[i].discarded[q];
		test_watchdog((unsigned)(cfg->watchdog_s ? cfg->watchdog_s : 60),
			      "stress: consuming the records left in other rings");
		while (s.delivered < expect) {
			int ret = t->consume(t->obj, on_record, &s);

			CHECK(ret >= 0);
			if (ret == 0)
				sched_yield();
		}
		test_watchdog(0, NULL);
	}
	if (cfg->overwrite) {
		/* Drain what is left; then every record is delivered or was
		 * counted as overwritten, exactly once. */
		struct ringbuf_stats st = { .sz = sizeof(st) };
		uint64_t expect = (uint64_t)n; /* end markers */
		int ret;

		while ((ret = ringbuf_consume(rb, on_record, &s)) > 0)
			;
		CHECK_EQ(ret, 0);
		CHECK_EQ(ringbuf_get_stats(rb, &st), 0);
		for (int i = 0; i < n; i++)
			for (long q = 0; q < per; q++)
				expect += !prods[i].discarded[q];
		CHECK_EQ(s.delivered + (uint64_t)s.ended + st.overwritten_records, expect);
		res->overwritten = st.overwritten_records;
	}
	/* Nothing more may arrive after the last record. */
	CHECK_EQ(t->consume(t->obj, on_record, &s), 0);
	CHECK_EQ(t->avail(t->obj), 0);

	res->delivered = s.delivered;
	res->discarded = 0;
	res->enospc = 0;
	for (int i = 0; i < n; i++) {
		for (long q = 0; q < per; q++) {
			if (!cfg->overwrite && !prods[i].discarded[q] && !s.seen[i][q]) {
				fprintf(stderr, "stress: record %d/%ld lost\n", i, q);
				exit(1);
			}
		}
		for (long q = 0; q < per; q++)
			res->discarded += prods[i].discarded[q];
		res->enospc += prods[i].enospc;
		free(prods[i].discarded);
		free(s.seen[i]);
	}
	free(s.seen);
	free(s.next_min);
	free(prods);
}

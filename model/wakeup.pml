/*
 * The wakeup protocol of libringbuf (src/produce.c commit(), src/consume.c
 * rb_consume() and ringbuf_wait_prepare(), src/manager.c poll()).
 *
 * Claim: a consumer that sleeps with no timeout never sleeps forever while
 * a committed record is unconsumed ("no lost wakeup").
 *
 * Model: NPROD producers reserve NREC records between them (one atomic
 * step: the CAS [P2]) and commit each, in any order, with the adaptive rule
 * or FORCE_WAKEUP. The consumer consumes, publishes consumer_pos, arms
 * (cons_waiting = 1), fences [C5], looks again, and sleeps on an
 * eventfd-like counter. Promela is sequentially consistent; a missing
 * fence is modelled as the reordering it permits on x86 (TSO) and
 * everywhere weaker: the later load performed before the earlier store
 * becomes visible (store buffering).
 *
 * Check: when nothing can move any more (timeout), every record was
 * consumed. A lost wakeup leaves the consumer blocked in its sleep with a
 * committed record unconsumed: the assertion fails, and so does Spin's
 * end-state check.
 *
 * Variants: -DNO_FENCE_CONSUMER drops [C5], -DNO_FENCE_PRODUCER drops the
 * full barrier of the commit [P5]. Spin must find a lost wakeup in both.
 */
#ifndef NPROD
#define NPROD 2
#endif
#ifndef NREC
#define NREC 3
#endif

byte prod = 0;            /* producer_pos, in records */
byte cons = 0;            /* consumer_pos as published */
bit hdr[NREC];            /* 1: committed (or discarded) */
bit cons_waiting = 0;     /* consumer page +8 */
byte efd = 0;             /* the eventfd counter */

proctype producer()
{
	byte idx, c;
	bit w, old;

	do
	:: atomic { prod < NREC -> idx = prod; prod++ }   /* [P2] the claim */
		/* (write the payload: not modelled) */
#ifdef NO_FENCE_PRODUCER
		/* Loads satisfied before the header store is visible. */
		c = cons;
		w = cons_waiting;
		hdr[idx] = 1;
#else
		hdr[idx] = 1;                    /* [P5] seq_cst store */
		c = cons;
		w = cons_waiting;
#endif
		if
		:: c == idx && w ->              /* adaptive rule */
			atomic { old = cons_waiting; cons_waiting = 0 };  /* xchg */
			if
			:: old -> efd++
			:: else -> skip
			fi
		:: c != idx || !w -> skip
		:: true -> efd++                 /* FORCE_WAKEUP */
		fi
	:: else -> break
	od
}

active proctype consumer()
{
	byte c;
	bit d;

	do
	:: cons == NREC -> break
	:: else ->
		/* rb_consume: clear the flag, read every committed record,
		 * publish consumer_pos [C3] at the end. */
		cons_waiting = 0;
		c = cons;
		do
		:: c < NREC && hdr[c] -> c++
		:: else -> break
		od;
		cons = c;
		if
		:: cons == NREC -> break
		:: else -> skip
		fi;
		/* ringbuf_wait_prepare */
#ifdef NO_FENCE_CONSUMER
		d = hdr[cons];                   /* load ahead of the store */
		cons_waiting = 1;
#else
		cons_waiting = 1;
		d = hdr[cons];                   /* after [C5] */
#endif
		if
		:: d -> cons_waiting = 0         /* data: consume, no sleep */
		:: else ->
			/* epoll_wait(-1), then drain the eventfd */
			atomic { efd > 0 -> efd = 0 }
		fi
	od
}

init
{
	byte i;

	atomic {
		for (i : 1 .. NPROD) {
			run producer()
		}
	}
}

/* When nothing can move any more, every record was consumed. */
active proctype no_lost_wakeup()
{
	timeout -> assert(cons == NREC)
}

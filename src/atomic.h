/* SPDX-License-Identifier: MIT */
/*
 * The one vocabulary for atomics and fences in libringbuf. Nothing else in
 * src/ calls __atomic_* directly. Every use site carries a tag such as [P2]
 * that docs/DESIGN.md's ordering table explains and pairs.
 */
#ifndef RB_ATOMIC_H
#define RB_ATOMIC_H

#include <stdbool.h>

#define rb_load_relaxed(p)      __atomic_load_n((p), __ATOMIC_RELAXED)
#define rb_load_acquire(p)      __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define rb_store_relaxed(p, v)  __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define rb_store_release(p, v)  __atomic_store_n((p), (v), __ATOMIC_RELEASE)
/* A store that is also a full barrier (xchg on x86): later loads cannot be
 * satisfied before it is visible. */
#define rb_store_seq_cst(p, v)  __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define rb_xchg_acq_rel(p, v)   __atomic_exchange_n((p), (v), __ATOMIC_ACQ_REL)
#define rb_add_relaxed(p, v)    ((void)__atomic_fetch_add((p), (v), __ATOMIC_RELAXED))
#define rb_fetch_add_relaxed(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
/* Strong CAS; on failure *expp receives the current value (acquire). */
#define rb_cas_acq_rel(p, expp, v) \
	__atomic_compare_exchange_n((p), (expp), (v), false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)
#define rb_cas_relaxed(p, expp, v) \
	__atomic_compare_exchange_n((p), (expp), (v), false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)
#if defined(__SANITIZE_THREAD__)
/* gcc refuses fences under ThreadSanitizer, which does not model them. A
 * seq_cst read-modify-write is a full barrier too (lock xadd on x86) and
 * TSan does understand it. */
extern int rb_tsan_fence_word;
#define rb_fence_full()         ((void)__atomic_fetch_add(&rb_tsan_fence_word, 0, __ATOMIC_SEQ_CST))
#else
#define rb_fence_full()         __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif
#define rb_fence_acquire()      __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define rb_fence_release()      __atomic_thread_fence(__ATOMIC_RELEASE)

static inline void rb_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

#endif /* RB_ATOMIC_H */

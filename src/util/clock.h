/* SPDX-License-Identifier: ISC */
/*
 * clock: the monotonic clock in the units its callers count in. Deadlines,
 * budgets and durations use it, never the wall clock, so that a clock step
 * (NTP, an operator) neither shortens nor stretches them.
 */
#ifndef TERN_UTIL_CLOCK_H
#define TERN_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
clock_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t
clock_mono_us(void)
{
	return clock_mono_ns() / 1000u;
}

static inline uint64_t
clock_mono_ms(void)
{
	return clock_mono_ns() / 1000000u;
}

#endif

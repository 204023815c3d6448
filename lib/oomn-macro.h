/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The few helpers every oom-notify source uses to make ownership visible:
 * a local that owns something carries a cleanup attribute, and TAKE_PTR() /
 * TAKE_FD() hand it on without a double free.
 */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))

/* Number of elements of an array; refuses to compile for a pointer. */
#define ELEMENTSOF(x)                                                          \
	(__builtin_choose_expr(                                                \
		!__builtin_types_compatible_p(typeof(x), typeof(&*(x))),       \
		sizeof(x) / sizeof((x)[0]), (void)0))

/* Defines func##p(type *p) that calls func(*p) unless *p is NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                \
	static inline void func##p(type *p)                                    \
	{                                                                      \
		if (*p)                                                        \
			func(*p);                                              \
	}

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

/* Keeps errno: cleanup runs on the way out of a function that just set it. */
static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		(void)close(*fd);
		errno = saved;
	}
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f)
{
	if (*f) {
		int saved = errno;

		(void)fclose(*f);
		errno = saved;
	}
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Returns p and sets it to NULL, so that its cleanup attribute does nothing. */
#define TAKE_PTR(p)                                                            \
	({                                                                     \
		typeof(p) *_pp_ = &(p);                                        \
		typeof(p) _p_ = *_pp_;                                         \
		*_pp_ = NULL;                                                  \
		_p_;                                                           \
	})

/* Returns fd and sets it to -EBADF, so that _cleanup_close_ does nothing. */
#define TAKE_FD(fd)                                                            \
	({                                                                     \
		int *_fdp_ = &(fd);                                            \
		int _fd_ = *_fdp_;                                             \
		*_fdp_ = -EBADF;                                               \
		_fd_;                                                          \
	})

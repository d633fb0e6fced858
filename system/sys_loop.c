#include "system/sys_loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

struct io_watch {
	int fd;
	ev_io_cb cb;
	void *arg;
	struct io_watch *next;
};

struct ev_timer {
	struct ev_loop *loop;
	ev_timer_cb cb;
	void *arg;
	uint64_t deadline_us;
	size_t heap_index;     /* SIZE_MAX when not queued */
};

struct ev_loop {
	int epfd;
	bool stop;
	struct io_watch *watches;   /* few dozen fds: a list is enough */
	struct io_watch *dead;      /* deleted during a batch; freed after it */
	struct ev_timer **heap;
	size_t heap_len, heap_cap;
	ev_hook_cb presleep;
	void *presleep_arg;
};

static void free_dead(struct ev_loop *loop);

uint64_t ev_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

struct ev_loop *ev_loop_create(void)
{
	struct ev_loop *loop = calloc(1, sizeof *loop);
	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	return loop;
}

void ev_loop_destroy(struct ev_loop *loop)
{
	if (!loop)
		return;
	while (loop->watches) {
		struct io_watch *w = loop->watches;
		loop->watches = w->next;
		free(w);
	}
	free_dead(loop);
	for (size_t i = 0; i < loop->heap_len; i++)
		loop->heap[i]->heap_index = SIZE_MAX;
	free(loop->heap);
	close(loop->epfd);
	free(loop);
}

static struct io_watch *find_watch(struct ev_loop *loop, int fd)
{
	for (struct io_watch *w = loop->watches; w; w = w->next)
		if (w->fd == fd)
			return w;
	return NULL;
}

int ev_io_add(struct ev_loop *loop, int fd, uint32_t events, ev_io_cb cb,
	      void *arg)
{
	struct io_watch *w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	struct epoll_event ev = { .events = events, .data.ptr = w };
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;
		free(w);
		return err;
	}
	w->next = loop->watches;
	loop->watches = w;
	return 0;
}

int ev_io_mod(struct ev_loop *loop, int fd, uint32_t events)
{
	struct io_watch *w = find_watch(loop, fd);
	if (!w)
		return -ENOENT;
	struct epoll_event ev = { .events = events, .data.ptr = w };
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void ev_io_del(struct ev_loop *loop, int fd)
{
	for (struct io_watch **pp = &loop->watches; *pp; pp = &(*pp)->next) {
		if ((*pp)->fd != fd)
			continue;
		struct io_watch *w = *pp;
		*pp = w->next;
		epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
		/* A callback may delete a watch whose event is still in this
		 * round's batch; mark it dead instead of freeing it now. */
		w->cb = NULL;
		w->fd = -1;
		w->next = loop->dead;
		loop->dead = w;
		return;
	}
}

/* ---- timer heap ---- */

static void heap_swap(struct ev_loop *loop, size_t a, size_t b)
{
	struct ev_timer *t = loop->heap[a];
	loop->heap[a] = loop->heap[b];
	loop->heap[b] = t;
	loop->heap[a]->heap_index = a;
	loop->heap[b]->heap_index = b;
}

static void heap_up(struct ev_loop *loop, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (loop->heap[parent]->deadline_us <= loop->heap[i]->deadline_us)
			break;
		heap_swap(loop, i, parent);
		i = parent;
	}
}

static void heap_down(struct ev_loop *loop, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < loop->heap_len &&
		    loop->heap[l]->deadline_us < loop->heap[m]->deadline_us)
			m = l;
		if (r < loop->heap_len &&
		    loop->heap[r]->deadline_us < loop->heap[m]->deadline_us)
			m = r;
		if (m == i)
			return;
		heap_swap(loop, i, m);
		i = m;
	}
}

static void heap_remove(struct ev_loop *loop, struct ev_timer *t)
{
	size_t i = t->heap_index;
	if (i == SIZE_MAX)
		return;
	size_t last = loop->heap_len - 1;
	if (i != last)
		heap_swap(loop, i, last);
	loop->heap_len--;
	t->heap_index = SIZE_MAX;
	if (i < loop->heap_len) {
		heap_up(loop, i);
		heap_down(loop, i);
	}
}

struct ev_timer *ev_timer_create(struct ev_loop *loop, ev_timer_cb cb,
				 void *arg)
{
	struct ev_timer *t = calloc(1, sizeof *t);
	if (!t)
		abort();
	t->loop = loop;
	t->cb = cb;
	t->arg = arg;
	t->heap_index = SIZE_MAX;
	return t;
}

void ev_timer_start(struct ev_timer *t, uint64_t after_us)
{
	struct ev_loop *loop = t->loop;
	heap_remove(loop, t);
	t->deadline_us = ev_now_us() + after_us;
	if (loop->heap_len == loop->heap_cap) {
		size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 16;
		struct ev_timer **h = realloc(loop->heap, cap * sizeof *h);
		if (!h)
			abort();
		loop->heap = h;
		loop->heap_cap = cap;
	}
	t->heap_index = loop->heap_len;
	loop->heap[loop->heap_len++] = t;
	heap_up(loop, t->heap_index);
}

void ev_timer_stop(struct ev_timer *t) { heap_remove(t->loop, t); }

bool ev_timer_pending(const struct ev_timer *t)
{
	return t->heap_index != SIZE_MAX;
}

void ev_timer_destroy(struct ev_timer *t)
{
	if (!t)
		return;
	heap_remove(t->loop, t);
	free(t);
}

void ev_loop_set_presleep(struct ev_loop *loop, ev_hook_cb cb, void *arg)
{
	loop->presleep = cb;
	loop->presleep_arg = arg;
}

void ev_loop_stop(struct ev_loop *loop) { loop->stop = true; }

static void free_dead(struct ev_loop *loop)
{
	while (loop->dead) {
		struct io_watch *w = loop->dead;
		loop->dead = w->next;
		free(w);
	}
}

static void run_timers(struct ev_loop *loop)
{
	uint64_t now = ev_now_us();
	while (loop->heap_len && loop->heap[0]->deadline_us <= now) {
		struct ev_timer *t = loop->heap[0];
		heap_remove(loop, t);
		t->cb(loop, t, t->arg);   /* may re-arm or destroy t */
	}
}

int ev_loop_run(struct ev_loop *loop)
{
	struct epoll_event events[64];

	loop->stop = false;
	while (!loop->stop) {
		run_timers(loop);
		if (loop->stop)
			break;
		if (loop->presleep)
			loop->presleep(loop, loop->presleep_arg);
		int timeout_ms = -1;
		if (loop->heap_len) {
			uint64_t now = ev_now_us();
			uint64_t dl = loop->heap[0]->deadline_us;
			timeout_ms = dl <= now ? 0 : (int)((dl - now + 999) / 1000);
		}
		int n = epoll_wait(loop->epfd, events, 64, timeout_ms);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct io_watch *w = events[i].data.ptr;
			if (w->cb)   /* NULL: deleted earlier in this batch */
				w->cb(loop, w->fd, events[i].events, w->arg);
		}
		free_dead(loop);
	}
	return 0;
}

/*
 * sys_loop: the daemon's one event loop.  epoll for descriptors, a binary
 * heap of timers on CLOCK_MONOTONIC (per-group failover timers come and go
 * constantly, so no linear scans), and a pre-sleep hook that runs before
 * every wait: flash commits happen there, before replies or replication go
 * out.  No threads.
 */
#ifndef MCTX_SYS_LOOP_H
#define MCTX_SYS_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct ev_loop;
struct ev_timer;

typedef void (*ev_io_cb)(struct ev_loop *loop, int fd, uint32_t events,
			 void *arg);
typedef void (*ev_timer_cb)(struct ev_loop *loop, struct ev_timer *t,
			    void *arg);
typedef void (*ev_hook_cb)(struct ev_loop *loop, void *arg);

struct ev_loop *ev_loop_create(void);
void ev_loop_destroy(struct ev_loop *loop);

/* events: EPOLLIN/EPOLLOUT...; returns 0 or -errno. */
int ev_io_add(struct ev_loop *loop, int fd, uint32_t events, ev_io_cb cb,
	      void *arg);
int ev_io_mod(struct ev_loop *loop, int fd, uint32_t events);
void ev_io_del(struct ev_loop *loop, int fd);

struct ev_timer *ev_timer_create(struct ev_loop *loop, ev_timer_cb cb,
				 void *arg);
/* (Re)arms the timer to fire once, after_us microseconds from now. */
void ev_timer_start(struct ev_timer *t, uint64_t after_us);
void ev_timer_stop(struct ev_timer *t);
bool ev_timer_pending(const struct ev_timer *t);
void ev_timer_destroy(struct ev_timer *t);

/* Monotonic clock in microseconds. */
uint64_t ev_now_us(void);

/* Called before every wait for events (one hook). */
void ev_loop_set_presleep(struct ev_loop *loop, ev_hook_cb cb, void *arg);

/* Runs until ev_loop_stop(); returns 0, or -errno if epoll failed. */
int ev_loop_run(struct ev_loop *loop);
void ev_loop_stop(struct ev_loop *loop);

#endif

/*
 * heartbeat_thread.c: a native thread that sends pre-signed UDP datagrams at their time slots, so heartbeats keep
 * going out while the JS main thread is stalled (GC, a large relist, CPU starvation) without a second V8 isolate.
 *
 * Invariants:
 *  - The thread only sends what the main thread handed it: slot k's datagram goes out at most once, only while
 *    the monotonic clock is inside slot k (slot = floor((now_ms - start_ms) / interval_ms), CLOCK_MONOTONIC as
 *    process.hrtime reads it), and the slots sent only grow. Slots older than the current one are dropped unsent.
 *    With no datagram for the current slot the thread sends nothing: a hung main thread goes silent once the
 *    slots it signed ahead are used up. An urgent send is at most one slot early.
 *  - The thread never calls into JS or V8. Everything it shares with the main thread (slots, destinations,
 *    sockets, counters) is guarded by one mutex; sends are non-blocking (MSG_DONTWAIT), so the lock is held for
 *    microseconds.
 *  - Sockets (one per address family, opened when first needed) are bound to the source address if it is of
 *    their family, else the kernel picks the source; the source port is always ephemeral (receivers check only
 *    the source address). A failed bind is recorded for hb_stats and the socket sends unbound; the next
 *    hb_set_peers with that source tries again.
 *  - Send failures are never silent: each is counted, and the last errno is kept for hb_stats.
 *  - After hb_stop, nothing is sent (by the thread or by hb_send_now / hb_send_urgent).
 */
#define _GNU_SOURCE
#include "heartbeat_thread.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
  int64_t slot;
  size_t len;
  unsigned char *data; /* NULL: free entry */
} hb_slot_t;

struct hb {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t thread;
  int stopping, stopped;
  int64_t start_ms, interval_ms;
  hb_slot_t *slots;
  size_t cap;
  int64_t last_sent;
  hb_dest_t *dests;
  size_t ndests;
  int fd[2]; /* [0] AF_INET, [1] AF_INET6; -1 until needed */
  int has_source;
  hb_dest_t source;
  char source_text[HB_ADDRESS_MAX];
  hb_stats_t stats;
};

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

static int64_t current_slot(hb_t *hb) { return floor_div(now_ms() - hb->start_ms, hb->interval_ms); }

int hb_parse_address(const char *text, int port, hb_dest_t *out) {
  memset(out, 0, sizeof *out);
  struct sockaddr_in *a4 = (struct sockaddr_in *)&out->addr;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&out->addr;
  if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    out->len = sizeof *a4;
    return 1;
  }
  if (inet_pton(AF_INET6, text, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    out->len = sizeof *a6;
    return 1;
  }
  return 0;
}

static void close_sockets(hb_t *hb) {
  for (int i = 0; i < 2; i++) {
    if (hb->fd[i] >= 0) close(hb->fd[i]);
    hb->fd[i] = -1;
  }
}

static void count_error(hb_t *hb, int e) {
  hb->stats.errors++;
  hb->stats.last_error = e;
}

/* The socket for a family (opened and bound on first use); -1 if it cannot be opened. Lock held. */
static int socket_for(hb_t *hb, int family) {
  int i = family == AF_INET6 ? 1 : 0;
  if (hb->fd[i] >= 0) return hb->fd[i];
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    count_error(hb, errno);
    return -1;
  }
  if (hb->has_source && hb->source.addr.ss_family == family &&
      bind(fd, (struct sockaddr *)&hb->source.addr, hb->source.len) < 0) {
    /* Not a local address (misconfiguration): send unbound, the kernel picks; reported once by hb_stats. */
    hb->stats.bind_error = errno;
    memcpy(hb->stats.bind_address, hb->source_text, HB_ADDRESS_MAX);
    hb->has_source = 0;
    hb->source_text[0] = '\0';
    close(fd);
    fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      count_error(hb, errno);
      return -1;
    }
  }
  hb->fd[i] = fd;
  return fd;
}

/* Sends one datagram to one destination and counts the outcome. Lock held. */
static void send_one(hb_t *hb, const unsigned char *data, size_t len, const hb_dest_t *d) {
  int fd = socket_for(hb, d->addr.ss_family);
  if (fd < 0) return;
  if (sendto(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&d->addr, d->len) < 0)
    count_error(hb, errno);
  else
    hb->stats.datagrams++;
}

static hb_slot_t *find_slot(hb_t *hb, int64_t slot) {
  for (size_t i = 0; i < hb->cap; i++)
    if (hb->slots[i].data != NULL && hb->slots[i].slot == slot) return &hb->slots[i];
  return NULL;
}

static void free_slot(hb_slot_t *s) {
  free(s->data);
  s->data = NULL;
  s->len = 0;
}

/* Sends a slot's datagram to every destination, at most once, only above the last slot sent. Lock held. */
static int send_slot(hb_t *hb, int64_t slot) {
  hb_slot_t *s = find_slot(hb, slot);
  if (s == NULL || slot <= hb->last_sent) return 0;
  hb->last_sent = slot;
  for (size_t i = 0; i < hb->ndests; i++) send_one(hb, s->data, s->len, &hb->dests[i]);
  hb->stats.heartbeats++;
  free_slot(s);
  return 1;
}

static void *run(void *arg) {
  hb_t *hb = (hb_t *)arg;
  pthread_mutex_lock(&hb->mu);
  while (!hb->stopping) {
    int64_t slot = current_slot(hb);
    for (size_t i = 0; i < hb->cap; i++)
      if (hb->slots[i].data != NULL && hb->slots[i].slot < slot) free_slot(&hb->slots[i]);
    send_slot(hb, slot);
    /* Sleep until the next slot starts (or hb_stop); an early wake-up finds this slot sent and sleeps again. */
    int64_t next_ms = hb->start_ms + (slot + 1) * hb->interval_ms;
    struct timespec until = {.tv_sec = next_ms / 1000, .tv_nsec = (next_ms % 1000) * 1000000};
    pthread_cond_timedwait(&hb->cv, &hb->mu, &until);
  }
  pthread_mutex_unlock(&hb->mu);
  return NULL;
}

hb_t *hb_start(int64_t start_ms, int64_t interval_ms, size_t capacity, int *err) {
  hb_t *hb = calloc(1, sizeof *hb);
  hb_slot_t *slots = calloc(capacity, sizeof *slots);
  if (hb == NULL || slots == NULL) {
    free(hb);
    free(slots);
    *err = ENOMEM;
    return NULL;
  }
  hb->slots = slots;
  hb->cap = capacity;
  hb->start_ms = start_ms;
  hb->interval_ms = interval_ms;
  hb->last_sent = INT64_MIN;
  hb->fd[0] = hb->fd[1] = -1;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&hb->cv, &ca);
  pthread_condattr_destroy(&ca);
  pthread_mutex_init(&hb->mu, NULL);
  int e = pthread_create(&hb->thread, NULL, run, hb);
  if (e != 0) {
    hb->stopped = 1; /* nothing to join */
    hb_free(hb);
    *err = e;
    return NULL;
  }
  return hb;
}

void hb_set_peers(hb_t *hb, hb_dest_t *dests, size_t n, const char *source_text) {
  hb_dest_t source;
  int has_source = source_text[0] != '\0' && hb_parse_address(source_text, 0, &source);
  pthread_mutex_lock(&hb->mu);
  free(hb->dests);
  hb->dests = dests;
  hb->ndests = n;
  if (strncmp(source_text, hb->source_text, HB_ADDRESS_MAX) != 0) {
    /* A new source: reopen (and rebind) the sockets on next use. */
    snprintf(hb->source_text, HB_ADDRESS_MAX, "%s", has_source ? source_text : "");
    hb->has_source = has_source;
    if (has_source) hb->source = source;
    close_sockets(hb);
  }
  pthread_mutex_unlock(&hb->mu);
}

void hb_put_slot(hb_t *hb, int64_t slot, unsigned char *data, size_t len) {
  pthread_mutex_lock(&hb->mu);
  hb_slot_t *s = find_slot(hb, slot);
  for (size_t j = 0; s == NULL && j < hb->cap; j++)
    if (hb->slots[j].data == NULL) s = &hb->slots[j];
  if (s == NULL) {
    /* Full: the lowest slot gives way to a higher one. */
    hb_slot_t *lowest = &hb->slots[0];
    for (size_t j = 1; j < hb->cap; j++)
      if (hb->slots[j].slot < lowest->slot) lowest = &hb->slots[j];
    if (lowest->slot < slot) s = lowest;
  }
  if (s != NULL && !hb->stopped) {
    free(s->data);
    s->slot = slot;
    s->data = data;
    s->len = len;
  } else {
    free(data);
  }
  pthread_mutex_unlock(&hb->mu);
}

void hb_send_urgent(hb_t *hb) {
  pthread_mutex_lock(&hb->mu);
  if (!hb->stopping) {
    int64_t slot = current_slot(hb);
    if (!send_slot(hb, slot)) send_slot(hb, slot + 1);
  }
  pthread_mutex_unlock(&hb->mu);
}

void hb_send_now(hb_t *hb, const unsigned char *data, size_t len, const hb_dest_t *dests, size_t n) {
  pthread_mutex_lock(&hb->mu);
  if (!hb->stopping)
    for (size_t i = 0; i < n; i++) send_one(hb, data, len, &dests[i]);
  pthread_mutex_unlock(&hb->mu);
}

void hb_clear(hb_t *hb) {
  pthread_mutex_lock(&hb->mu);
  for (size_t i = 0; i < hb->cap; i++) free_slot(&hb->slots[i]);
  pthread_mutex_unlock(&hb->mu);
}

void hb_stats(hb_t *hb, hb_stats_t *out) {
  pthread_mutex_lock(&hb->mu);
  *out = hb->stats;
  out->running = !hb->stopping;
  hb->stats.bind_error = 0;
  pthread_mutex_unlock(&hb->mu);
}

void hb_stop(hb_t *hb) {
  if (hb->stopped) return;
  pthread_mutex_lock(&hb->mu);
  hb->stopping = 1;
  pthread_cond_signal(&hb->cv);
  pthread_mutex_unlock(&hb->mu);
  pthread_join(hb->thread, NULL);
  pthread_mutex_lock(&hb->mu);
  hb->stopped = 1;
  close_sockets(hb);
  for (size_t i = 0; i < hb->cap; i++) free_slot(&hb->slots[i]);
  pthread_mutex_unlock(&hb->mu);
}

void hb_free(hb_t *hb) {
  hb_stop(hb);
  for (size_t i = 0; i < hb->cap; i++) free_slot(&hb->slots[i]);
  pthread_mutex_destroy(&hb->mu);
  pthread_cond_destroy(&hb->cv);
  free(hb->slots);
  free(hb->dests);
  free(hb);
}

/*
 * heartbeat_sender.c: a native thread that sends pre-signed UDP datagrams at their time slots, so heartbeats keep
 * going out while the JS main thread is stalled (GC, a large relist, CPU starvation) without a second V8 isolate.
 *
 * Invariants:
 *  - The thread only sends what the main thread handed it: slot k's datagram goes out at most once, only while
 *    the monotonic clock is inside slot k (slot = floor((now_ms - start_ms) / interval_ms), the clock of
 *    process.hrtime), and slot numbers sent only grow. Slots older than the current one are dropped unsent. With
 *    no datagram for the current slot the thread sends nothing: a hung main thread goes silent once the slots it
 *    signed ahead are used up.
 *  - The thread never calls into JS or V8. Everything it shares with the main thread (slots, destinations,
 *    sockets, counters) is guarded by one mutex; sends are non-blocking (MSG_DONTWAIT), so the lock is held for
 *    microseconds.
 *  - Sockets (one per address family, opened when first needed) are bound to the source address if one of their
 *    family is set, else the kernel picks the source; the source port is always ephemeral (receivers check only
 *    the source address). A failed bind is recorded for stats() and the socket sends unbound.
 *  - Send failures are never silent: each is counted, and the last error code is kept for stats().
 *  - stop() wakes and joins the thread, then closes the sockets; after it, nothing is sent. The JS object's
 *    finalizer stops a sender that was not stopped.
 *  - JS exceptions are thrown only for wrong arguments (a bug in the caller); expected failures are values.
 */
#define _GNU_SOURCE
#include "heartbeat_sender.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define DATAGRAM_MAX 65507
#define CAPACITY_MAX 100000
#define ADDRESS_MAX 64

typedef struct {
  int64_t slot;
  size_t len;
  unsigned char *data; /* NULL: free entry */
} hb_slot_t;

typedef struct {
  struct sockaddr_storage addr;
  socklen_t len;
} hb_dest_t;

typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t thread;
  int started, stopping, stopped;
  int64_t start_ms, interval_ms;
  hb_slot_t *slots;
  size_t cap;
  int64_t last_sent;
  hb_dest_t *dests;
  size_t ndests;
  int fd[2]; /* [0] AF_INET, [1] AF_INET6; -1 until needed */
  int has_source;
  struct sockaddr_storage source;
  char source_text[ADDRESS_MAX];
  uint64_t heartbeats, datagrams, errors;
  int last_error;                   /* errno of the last failed send, 0 if none yet */
  int bind_error;                   /* errno of a failed bind not yet reported by stats(), 0 if none */
  char bind_address[ADDRESS_MAX];   /* the address that failed to bind */
} hb_t;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

static int64_t current_slot(hb_t *hb) { return floor_div(now_ms() - hb->start_ms, hb->interval_ms); }

/* Parses a numeric IPv4 or IPv6 address into addr (port set); returns 0 if it is neither. */
static int parse_address(const char *text, int port, struct sockaddr_storage *addr, socklen_t *len) {
  memset(addr, 0, sizeof *addr);
  struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
  if (inet_pton(AF_INET, text, &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons((uint16_t)port);
    *len = sizeof *a4;
    return 1;
  }
  if (inet_pton(AF_INET6, text, &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons((uint16_t)port);
    *len = sizeof *a6;
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

/* The socket for a family (opened and bound on first use); -1 if it cannot be opened. Called with the lock held. */
static int socket_for(hb_t *hb, int family) {
  int i = family == AF_INET6 ? 1 : 0;
  if (hb->fd[i] >= 0) return hb->fd[i];
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    hb->errors++;
    hb->last_error = errno;
    return -1;
  }
  if (hb->has_source && hb->source.ss_family == family) {
    socklen_t len = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (bind(fd, (struct sockaddr *)&hb->source, len) < 0) {
      /* Not a local address (misconfiguration): send unbound, the kernel picks; reported once by stats(). */
      hb->bind_error = errno;
      memcpy(hb->bind_address, hb->source_text, sizeof hb->bind_address);
      hb->has_source = 0;
      hb->source_text[0] = '\0'; /* the next heartbeatPeers with this source tries again */
      close(fd);
      fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) {
        hb->errors++;
        hb->last_error = errno;
        return -1;
      }
    }
  }
  hb->fd[i] = fd;
  return fd;
}

/* Sends one datagram to one destination; counts the outcome. Called with the lock held. */
static void send_one(hb_t *hb, const unsigned char *data, size_t len, const hb_dest_t *d) {
  int fd = socket_for(hb, d->addr.ss_family);
  if (fd < 0) return;
  ssize_t r = sendto(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)&d->addr, d->len);
  if (r < 0) {
    hb->errors++;
    hb->last_error = errno;
  } else {
    hb->datagrams++;
  }
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
  hb->heartbeats++;
  free_slot(s);
  return 1;
}

static void drop_before(hb_t *hb, int64_t slot) {
  for (size_t i = 0; i < hb->cap; i++)
    if (hb->slots[i].data != NULL && hb->slots[i].slot < slot) free_slot(&hb->slots[i]);
}

static void *run(void *arg) {
  hb_t *hb = (hb_t *)arg;
  pthread_mutex_lock(&hb->mu);
  while (!hb->stopping) {
    int64_t slot = current_slot(hb);
    drop_before(hb, slot);
    send_slot(hb, slot);
    /* Sleep until the next slot starts (or stop()); an early wake-up finds this slot sent and sleeps again. */
    int64_t next_ms = hb->start_ms + (slot + 1) * hb->interval_ms;
    struct timespec until = {.tv_sec = next_ms / 1000, .tv_nsec = (next_ms % 1000) * 1000000};
    pthread_cond_timedwait(&hb->cv, &hb->mu, &until);
  }
  pthread_mutex_unlock(&hb->mu);
  return NULL;
}

/* Wakes and joins the thread, closes the sockets and frees the slots; idempotent. */
static void hb_stop(hb_t *hb) {
  if (hb->stopped) return;
  pthread_mutex_lock(&hb->mu);
  hb->stopping = 1;
  pthread_cond_signal(&hb->cv);
  pthread_mutex_unlock(&hb->mu);
  if (hb->started) pthread_join(hb->thread, NULL);
  hb->stopped = 1;
  close_sockets(hb);
  for (size_t i = 0; i < hb->cap; i++) free_slot(&hb->slots[i]);
}

static void hb_free(hb_t *hb) {
  for (size_t i = 0; i < hb->cap; i++) free_slot(&hb->slots[i]);
  pthread_mutex_destroy(&hb->mu);
  pthread_cond_destroy(&hb->cv);
  free(hb->slots);
  free(hb->dests);
  free(hb);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  hb_t *hb = (hb_t *)data;
  hb_stop(hb);
  hb_free(hb);
}

static napi_value str(napi_env env, const char *s) {
  napi_value v = NULL;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

static napi_value errno_value(napi_env env, int e) { return str(env, uv_err_name(-e)); }

static napi_value bug(napi_env env, const char *usage) {
  napi_throw_type_error(env, NULL, usage);
  return NULL;
}

static hb_t *unwrap(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_unwrap(env, v, &p) != napi_ok) return NULL;
  return (hb_t *)p;
}

static int get_int64(napi_env env, napi_value v, int64_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return 0;
  return napi_get_value_int64(env, v, out) == napi_ok;
}

static int get_array(napi_env env, napi_value v, uint32_t *len) {
  bool is = false;
  if (napi_is_array(env, v, &is) != napi_ok || !is) return 0;
  return napi_get_array_length(env, v, len) == napi_ok;
}

static int get_bytes(napi_env env, napi_value v, unsigned char **data, size_t *len) {
  bool is_ta = false;
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  void *p = NULL;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  if (napi_get_typedarray_info(env, v, &type, len, &p, &ab, &off) != napi_ok || type != napi_uint8_array) return 0;
  *data = (unsigned char *)p;
  return *len <= DATAGRAM_MAX;
}

/* Reads [address: string, port: number][] into a new array; returns 0 on a malformed entry. */
static int get_dests(napi_env env, napi_value v, hb_dest_t **out, size_t *n) {
  uint32_t len;
  if (!get_array(env, v, &len)) return 0;
  hb_dest_t *dests = calloc(len == 0 ? 1 : len, sizeof *dests);
  if (dests == NULL) return 0;
  for (uint32_t i = 0; i < len; i++) {
    napi_value pair, a, p;
    uint32_t plen;
    char text[ADDRESS_MAX];
    size_t tlen;
    int64_t port;
    if (napi_get_element(env, v, i, &pair) != napi_ok || !get_array(env, pair, &plen) || plen != 2 ||
        napi_get_element(env, pair, 0, &a) != napi_ok || napi_get_element(env, pair, 1, &p) != napi_ok ||
        napi_get_value_string_utf8(env, a, text, sizeof text, &tlen) != napi_ok || !get_int64(env, p, &port) ||
        port < 1 || port > 65535 || !parse_address(text, (int)port, &dests[i].addr, &dests[i].len)) {
      free(dests);
      return 0;
    }
  }
  *out = dests;
  *n = len;
  return 1;
}

/* heartbeatOpen(startMs, intervalMs, capacity): handle | errno code string. Starts the sending thread. */
static napi_value js_open(napi_env env, napi_callback_info info) {
  const char *usage = "heartbeatOpen(startMs: integer, intervalMs: integer >= 1, capacity: 1..100000)";
  napi_value argv[3], obj;
  size_t argc = 3;
  int64_t start, interval, cap;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 || !get_int64(env, argv[0], &start) ||
      !get_int64(env, argv[1], &interval) || !get_int64(env, argv[2], &cap) || interval < 1 || cap < 1 ||
      cap > CAPACITY_MAX)
    return bug(env, usage);
  hb_t *hb = calloc(1, sizeof *hb);
  hb_slot_t *slots = calloc((size_t)cap, sizeof *slots);
  if (hb == NULL || slots == NULL) {
    free(hb);
    free(slots);
    return errno_value(env, ENOMEM);
  }
  hb->slots = slots;
  hb->cap = (size_t)cap;
  hb->start_ms = start;
  hb->interval_ms = interval;
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
    hb->stopped = 1;
    hb_free(hb);
    return errno_value(env, e);
  }
  hb->started = 1;
  napi_create_object(env, &obj);
  if (napi_wrap(env, obj, hb, finalize, NULL, NULL) != napi_ok) {
    hb_stop(hb);
    hb_free(hb);
    return errno_value(env, ENOMEM);
  }
  return obj;
}

/* heartbeatPeers(handle, peers: [address, port][], source: string | undefined): undefined. Sockets reopen (and
 * rebind) when the source changes; a bind failure shows in stats(). */
static napi_value js_peers(napi_env env, napi_callback_info info) {
  const char *usage = "heartbeatPeers(handle, peers: [address: string, port: number][], source?: string)";
  napi_value argv[3];
  size_t argc = 3;
  hb_t *hb;
  hb_dest_t *dests;
  size_t n;
  char text[ADDRESS_MAX] = "";
  size_t tlen = 0;
  napi_valuetype t = napi_undefined;
  struct sockaddr_storage source;
  socklen_t slen;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      (hb = unwrap(env, argv[0])) == NULL)
    return bug(env, usage);
  if (argc >= 3 && napi_typeof(env, argv[2], &t) != napi_ok) return bug(env, usage);
  if (t != napi_undefined && (napi_get_value_string_utf8(env, argv[2], text, sizeof text, &tlen) != napi_ok ||
                              !parse_address(text, 0, &source, &slen)))
    return bug(env, usage);
  if (!get_dests(env, argv[1], &dests, &n)) return bug(env, usage);
  pthread_mutex_lock(&hb->mu);
  free(hb->dests);
  hb->dests = dests;
  hb->ndests = n;
  if (strcmp(text, hb->source_text) != 0) {
    memcpy(hb->source_text, text, sizeof text);
    hb->has_source = tlen > 0;
    if (hb->has_source) hb->source = source;
    close_sockets(hb);
  }
  pthread_mutex_unlock(&hb->mu);
  return NULL;
}

/* heartbeatSlots(handle, slots: number[], datagrams: Uint8Array[], urgent: boolean): undefined. Adds or replaces
 * the datagrams of these slots (copied); when full, the lowest slot gives way to a higher one. `urgent`: send the
 * current slot's datagram now, or if it is already out the next slot's (never more than one slot early). */
static napi_value js_slots(napi_env env, napi_callback_info info) {
  const char *usage = "heartbeatSlots(handle, slots: number[], datagrams: Uint8Array[] (<= 65507 bytes), urgent: boolean)";
  napi_value argv[4], v;
  size_t argc = 4;
  hb_t *hb;
  uint32_t ns, nd;
  bool urgent;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      (hb = unwrap(env, argv[0])) == NULL || !get_array(env, argv[1], &ns) || !get_array(env, argv[2], &nd) ||
      ns != nd || napi_get_value_bool(env, argv[3], &urgent) != napi_ok)
    return bug(env, usage);
  for (uint32_t i = 0; i < ns; i++) {
    int64_t slot;
    unsigned char *data;
    size_t len;
    if (napi_get_element(env, argv[1], i, &v) != napi_ok || !get_int64(env, v, &slot) ||
        napi_get_element(env, argv[2], i, &v) != napi_ok || !get_bytes(env, v, &data, &len))
      return bug(env, usage);
    unsigned char *copy = malloc(len == 0 ? 1 : len);
    if (copy == NULL) return errno_value(env, ENOMEM);
    memcpy(copy, data, len);
    pthread_mutex_lock(&hb->mu);
    hb_slot_t *s = find_slot(hb, slot);
    for (size_t j = 0; s == NULL && j < hb->cap; j++)
      if (hb->slots[j].data == NULL) s = &hb->slots[j];
    if (s == NULL) {
      hb_slot_t *lowest = &hb->slots[0];
      for (size_t j = 1; j < hb->cap; j++)
        if (hb->slots[j].slot < lowest->slot) lowest = &hb->slots[j];
      if (lowest->slot < slot) s = lowest;
    }
    if (s != NULL) {
      free(s->data);
      s->slot = slot;
      s->data = copy;
      s->len = len;
    } else {
      free(copy);
    }
    pthread_mutex_unlock(&hb->mu);
  }
  if (urgent) {
    pthread_mutex_lock(&hb->mu);
    if (!hb->stopping) {
      int64_t slot = current_slot(hb);
      if (!send_slot(hb, slot)) send_slot(hb, slot + 1);
    }
    pthread_mutex_unlock(&hb->mu);
  }
  return NULL;
}

/* heartbeatSend(handle, datagrams: Uint8Array[], to: [address, port][]): undefined. Sends now, from the calling
 * thread, over the same sockets (claim chunks, pulls, leave messages); outcomes are counted as for slots. */
static napi_value js_send(napi_env env, napi_callback_info info) {
  const char *usage = "heartbeatSend(handle, datagrams: Uint8Array[], to: [address: string, port: number][])";
  napi_value argv[3], v;
  size_t argc = 3;
  hb_t *hb;
  uint32_t nd;
  hb_dest_t *dests;
  size_t n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      (hb = unwrap(env, argv[0])) == NULL || !get_array(env, argv[1], &nd) || !get_dests(env, argv[2], &dests, &n))
    return bug(env, usage);
  for (uint32_t i = 0; i < nd; i++) {
    unsigned char *data;
    size_t len;
    if (napi_get_element(env, argv[1], i, &v) != napi_ok || !get_bytes(env, v, &data, &len)) {
      free(dests);
      return bug(env, usage);
    }
    pthread_mutex_lock(&hb->mu);
    if (!hb->stopping)
      for (size_t j = 0; j < n; j++) send_one(hb, data, len, &dests[j]);
    pthread_mutex_unlock(&hb->mu);
  }
  free(dests);
  return NULL;
}

/* heartbeatClear(handle): undefined. Drops every pending slot: nothing more goes out unless handed again. */
static napi_value js_clear(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  hb_t *hb;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      (hb = unwrap(env, argv[0])) == NULL)
    return bug(env, "heartbeatClear(handle)");
  pthread_mutex_lock(&hb->mu);
  for (size_t i = 0; i < hb->cap; i++) free_slot(&hb->slots[i]);
  pthread_mutex_unlock(&hb->mu);
  return NULL;
}

static void set_number(napi_env env, napi_value obj, const char *key, double n) {
  napi_value v;
  napi_create_double(env, n, &v);
  napi_set_named_property(env, obj, key, v);
}

/* heartbeatStats(handle): { heartbeats, datagrams, errors, lastError?, bindError?, bindAddress?, running }.
 * heartbeats: slots sent; datagrams / errors: sendto outcomes (slots and send() together); lastError: errno code
 * of the last failed send; bindError / bindAddress: a bind failure since the previous call (reported once). */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1], obj, v;
  size_t argc = 1;
  hb_t *hb;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      (hb = unwrap(env, argv[0])) == NULL)
    return bug(env, "heartbeatStats(handle)");
  napi_create_object(env, &obj);
  pthread_mutex_lock(&hb->mu);
  set_number(env, obj, "heartbeats", (double)hb->heartbeats);
  set_number(env, obj, "datagrams", (double)hb->datagrams);
  set_number(env, obj, "errors", (double)hb->errors);
  if (hb->last_error != 0) napi_set_named_property(env, obj, "lastError", errno_value(env, hb->last_error));
  if (hb->bind_error != 0) {
    napi_set_named_property(env, obj, "bindError", errno_value(env, hb->bind_error));
    napi_set_named_property(env, obj, "bindAddress", str(env, hb->bind_address));
    hb->bind_error = 0;
  }
  napi_get_boolean(env, !hb->stopping, &v);
  napi_set_named_property(env, obj, "running", v);
  pthread_mutex_unlock(&hb->mu);
  return obj;
}

/* heartbeatStop(handle): undefined; joins the thread and closes the sockets. Idempotent. */
static napi_value js_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  hb_t *hb;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      (hb = unwrap(env, argv[0])) == NULL)
    return bug(env, "heartbeatStop(handle)");
  hb_stop(hb);
  return NULL;
}

void heartbeat_sender_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"heartbeatOpen", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"heartbeatPeers", NULL, js_peers, NULL, NULL, NULL, napi_enumerable, NULL},
      {"heartbeatSlots", NULL, js_slots, NULL, NULL, NULL, napi_enumerable, NULL},
      {"heartbeatSend", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"heartbeatClear", NULL, js_clear, NULL, NULL, NULL, napi_enumerable, NULL},
      {"heartbeatStats", NULL, js_stats, NULL, NULL, NULL, napi_enumerable, NULL},
      {"heartbeatStop", NULL, js_stop, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}

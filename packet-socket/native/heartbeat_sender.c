/*
 * heartbeat_sender.c: the Node-API surface of the heartbeat thread (heartbeat_thread.c, where its invariants are).
 *
 * Invariants:
 *  - Everything here runs on the JS thread; datagrams and destinations are copied before the thread sees them.
 *  - JS exceptions are thrown only for wrong arguments (a bug in the caller); expected failures are values
 *    (an errno code name from heartbeatOpen, counters and codes from heartbeatStats).
 *  - The JS object's finalizer stops (joins) a thread that was not stopped, then frees it.
 */
#define _GNU_SOURCE
#include "heartbeat_sender.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "heartbeat_thread.h"

#define CAPACITY_MAX 100000

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  hb_free((hb_t *)data);
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

/* Fetches at least `min` of `max` arguments and unwraps the handle in the first. */
static hb_t *handle_args(napi_env env, napi_callback_info info, size_t min, size_t max, napi_value *argv) {
  size_t argc = max;
  void *p = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < min) return NULL;
  if (napi_unwrap(env, argv[0], &p) != napi_ok) return NULL;
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

/* A Uint8Array (Buffers are) of at most HB_DATAGRAM_MAX bytes; 0 otherwise. */
static int get_bytes(napi_env env, napi_value v, unsigned char **data, size_t *len) {
  bool is_ta = false;
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  void *p = NULL;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  if (napi_get_typedarray_info(env, v, &type, len, &p, &ab, &off) != napi_ok || type != napi_uint8_array) return 0;
  *data = (unsigned char *)p;
  return *len <= HB_DATAGRAM_MAX;
}

/* Reads [address: string, port: 1..65535][] into a new malloc'd array; 0 on a malformed entry. */
static int get_dests(napi_env env, napi_value v, hb_dest_t **out, size_t *n) {
  uint32_t len;
  if (!get_array(env, v, &len)) return 0;
  hb_dest_t *dests = calloc(len == 0 ? 1 : len, sizeof *dests);
  if (dests == NULL) return 0;
  for (uint32_t i = 0; i < len; i++) {
    napi_value pair, a, p;
    uint32_t plen;
    char text[HB_ADDRESS_MAX];
    size_t tlen;
    int64_t port;
    if (napi_get_element(env, v, i, &pair) != napi_ok || !get_array(env, pair, &plen) || plen != 2 ||
        napi_get_element(env, pair, 0, &a) != napi_ok || napi_get_element(env, pair, 1, &p) != napi_ok ||
        napi_get_value_string_utf8(env, a, text, sizeof text, &tlen) != napi_ok || !get_int64(env, p, &port) ||
        port < 1 || port > 65535 || !hb_parse_address(text, (int)port, &dests[i])) {
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
  napi_value argv[3], obj;
  size_t argc = 3;
  int64_t start, interval, cap;
  int err = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      !get_int64(env, argv[0], &start) || !get_int64(env, argv[1], &interval) || !get_int64(env, argv[2], &cap) ||
      interval < 1 || cap < 1 || cap > CAPACITY_MAX)
    return bug(env, "heartbeatOpen(startMs: integer, intervalMs: integer >= 1, capacity: 1..100000)");
  hb_t *hb = hb_start(start, interval, (size_t)cap, &err);
  if (hb == NULL) return errno_value(env, err);
  napi_create_object(env, &obj);
  if (napi_wrap(env, obj, hb, finalize, NULL, NULL) != napi_ok) {
    hb_free(hb);
    return errno_value(env, ENOMEM);
  }
  return obj;
}

/* heartbeatPeers(handle, peers: [address, port][], source: string | undefined): undefined. */
static napi_value js_peers(napi_env env, napi_callback_info info) {
  const char *usage = "heartbeatPeers(handle, peers: [address: string, port: number][], source?: string)";
  napi_value argv[3] = {NULL, NULL, NULL};
  hb_t *hb = handle_args(env, info, 2, 3, argv);
  hb_dest_t *dests, source;
  size_t n, tlen = 0;
  char text[HB_ADDRESS_MAX] = "";
  napi_valuetype t = napi_undefined;
  if (hb == NULL || (argv[2] != NULL && napi_typeof(env, argv[2], &t) != napi_ok)) return bug(env, usage);
  if (t != napi_undefined && (napi_get_value_string_utf8(env, argv[2], text, sizeof text, &tlen) != napi_ok ||
                              !hb_parse_address(text, 0, &source)))
    return bug(env, usage);
  if (!get_dests(env, argv[1], &dests, &n)) return bug(env, usage);
  hb_set_peers(hb, dests, n, text);
  return NULL;
}

/* heartbeatSlots(handle, slots: number[], datagrams: Uint8Array[], urgent: boolean): undefined. Adds or replaces
 * the datagrams of these slots; `urgent` sends the current slot's now, or the next slot's if it is already out. */
static napi_value js_slots(napi_env env, napi_callback_info info) {
  const char *usage = "heartbeatSlots(handle, slots: number[], datagrams: Uint8Array[] (<= 65507 B), urgent: boolean)";
  napi_value argv[4], v;
  hb_t *hb = handle_args(env, info, 4, 4, argv);
  uint32_t ns, nd;
  bool urgent;
  if (hb == NULL || !get_array(env, argv[1], &ns) || !get_array(env, argv[2], &nd) || ns != nd ||
      napi_get_value_bool(env, argv[3], &urgent) != napi_ok)
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
    hb_put_slot(hb, slot, copy, len);
  }
  if (urgent) hb_send_urgent(hb);
  return NULL;
}

/* heartbeatSend(handle, datagrams: Uint8Array[], to: [address, port][]): undefined. Sends now, from this thread,
 * over the same sockets (claim chunks, pulls, leave messages); outcomes are counted as for slots. */
static napi_value js_send(napi_env env, napi_callback_info info) {
  const char *usage = "heartbeatSend(handle, datagrams: Uint8Array[], to: [address: string, port: number][])";
  napi_value argv[3], v;
  hb_t *hb = handle_args(env, info, 3, 3, argv);
  uint32_t nd;
  hb_dest_t *dests;
  size_t n;
  if (hb == NULL || !get_array(env, argv[1], &nd) || !get_dests(env, argv[2], &dests, &n)) return bug(env, usage);
  for (uint32_t i = 0; i < nd; i++) {
    unsigned char *data;
    size_t len;
    if (napi_get_element(env, argv[1], i, &v) != napi_ok || !get_bytes(env, v, &data, &len)) {
      free(dests);
      return bug(env, usage);
    }
    hb_send_now(hb, data, len, dests, n);
  }
  free(dests);
  return NULL;
}

/* heartbeatClear(handle): undefined. Drops every pending slot. */
static napi_value js_clear(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  hb_t *hb = handle_args(env, info, 1, 1, argv);
  if (hb == NULL) return bug(env, "heartbeatClear(handle)");
  hb_clear(hb);
  return NULL;
}

static void set_number(napi_env env, napi_value obj, const char *key, double n) {
  napi_value v;
  napi_create_double(env, n, &v);
  napi_set_named_property(env, obj, key, v);
}

/* heartbeatStats(handle): { heartbeats, datagrams, errors, lastError?, bindError?, bindAddress?, running }.
 * A bind failure is reported by one call only. */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1], obj, v;
  hb_t *hb = handle_args(env, info, 1, 1, argv);
  hb_stats_t s;
  if (hb == NULL) return bug(env, "heartbeatStats(handle)");
  hb_stats(hb, &s);
  napi_create_object(env, &obj);
  set_number(env, obj, "heartbeats", (double)s.heartbeats);
  set_number(env, obj, "datagrams", (double)s.datagrams);
  set_number(env, obj, "errors", (double)s.errors);
  if (s.last_error != 0) napi_set_named_property(env, obj, "lastError", errno_value(env, s.last_error));
  if (s.bind_error != 0) {
    napi_set_named_property(env, obj, "bindError", errno_value(env, s.bind_error));
    napi_set_named_property(env, obj, "bindAddress", str(env, s.bind_address));
  }
  napi_get_boolean(env, s.running != 0, &v);
  napi_set_named_property(env, obj, "running", v);
  return obj;
}

/* heartbeatStop(handle): undefined; joins the thread and closes the sockets. Idempotent. */
static napi_value js_stop(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  hb_t *hb = handle_args(env, info, 1, 1, argv);
  if (hb == NULL) return bug(env, "heartbeatStop(handle)");
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

/*
 * packet_socket.c: a minimal Node-API addon over Linux AF_PACKET for ARP and NDP. Needs only CAP_NET_RAW.
 *
 * Invariants:
 *  - A socket never delivers an unfiltered frame: it is opened with protocol 0 (no protocol hook, nothing
 *    queued), the classic BPF filter is attached, and only then is it bound to (ifindex, EtherType).
 *  - Frames the host itself sent are never delivered: a socket bound to one EtherType is not on the transmit
 *    tap at all (only ETH_P_ALL sockets are, verified in packet-socket.test.ts), and PACKET_OUTGOING frames
 *    are skipped as well should the binding ever change.
 *  - Expected failures are returned as values: "ok", "again" (EAGAIN), or an errno code name such as
 *    "ENETDOWN". JS exceptions are thrown only for wrong argument types (a bug in the caller).
 *  - JS callbacks run on the main thread from the libuv poll callback; one readiness event yields at most
 *    one onFrames(Buffer[]) call carrying at most BATCH frames, then at most one onError(code, message).
 *  - After a receive error the poll is stopped: the socket stays silent until the caller closes it.
 *  - The receive buffer is asked for with SO_RCVBUFFORCE (needs CAP_NET_ADMIN; the kernel then doubles the
 *    request), and on EPERM with SO_RCVBUF (the kernel caps the request at net.core.rmem_max, then doubles
 *    it). What the socket really got is read back with getsockopt(SO_RCVBUF), never computed here.
 *  - The native state is freed only when both the libuv handle is closed and the JS object is collected.
 *
 * The NDP filter assumes no IPv6 extension headers (RFC 4861 messages carry none in practice): it checks
 * next header == 58 (ICMPv6) directly in the fixed IPv6 header, hop limit == 255 and ICMPv6 type 135/136.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "heartbeat_sender.h"

#define BATCH 256
#define FRAME_MAX 65536
#define RCVBUF_DEFAULT (4 * 1024 * 1024)
#define RCVBUF_LIMIT (1024 * 1024 * 1024)
#define ACCEPT 0x40000

typedef struct {
  napi_env env;
  int fd;
  int ifindex;
  int rcvbuf_requested;
  int rcvbuf_forced; /* 1: SO_RCVBUFFORCE succeeded; 0: SO_RCVBUF, capped at net.core.rmem_max */
  uv_poll_t poll;
  napi_ref on_frames;
  napi_ref on_error;
  napi_async_context actx;
  int open;        /* 1 until close(): fd, refs and async context are valid */
  int poll_closed; /* uv_close callback ran, fd closed */
  int finalized;   /* JS object collected */
} ps_t;

/* ARP for Ethernet/IPv4 (htype 1, ptype 0x0800, hlen 6, plen 4), any opcode. */
static struct sock_filter arp_filter[] = {
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_ARP, 0, 7),
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 14),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 5),
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 16),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 3),
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 18),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0604, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, ACCEPT),
    BPF_STMT(BPF_RET | BPF_K, 0),
};

/* IPv6, next header 58, hop limit 255, ICMPv6 type 135 (NS) or 136 (NA); no extension headers. */
static struct sock_filter ndp_filter[] = {
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 8),
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 6),
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 21),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 255, 0, 4),
    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 54),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 135, 1, 0),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 136, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, ACCEPT),
    BPF_STMT(BPF_RET | BPF_K, 0),
};

static napi_value str(napi_env env, const char *s) {
  napi_value v = NULL;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

static napi_value errno_value(napi_env env, int e) { return str(env, uv_err_name(-e)); }

static void set(napi_env env, napi_value obj, const char *key, napi_value v) {
  napi_set_named_property(env, obj, key, v);
}

static napi_value bug(napi_env env, const char *usage) {
  napi_throw_type_error(env, NULL, usage);
  return NULL;
}

/* Fetches exactly n arguments; returns 0 if fewer were passed. */
static int args(napi_env env, napi_callback_info info, size_t n, napi_value *argv) {
  size_t argc = n;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  return argc >= n;
}

static ps_t *unwrap(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_unwrap(env, v, &p) != napi_ok) return NULL;
  return (ps_t *)p;
}

/* Reads a Uint8Array (Buffers are Uint8Arrays); returns 0 if v is not one. */
static int bytes(napi_env env, napi_value v, unsigned char **data, size_t *len) {
  bool is_ta = false;
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  void *p = NULL;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  if (napi_get_typedarray_info(env, v, &type, len, &p, &ab, &off) != napi_ok) return 0;
  if (type != napi_uint8_array) return 0;
  *data = (unsigned char *)p;
  return 1;
}

static int is_function(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && t == napi_function;
}

static void on_poll_closed(uv_handle_t *h) {
  ps_t *ps = (ps_t *)h->data;
  close(ps->fd);
  ps->fd = -1;
  ps->poll_closed = 1;
  if (ps->finalized) free(ps);
}

static void ps_close(ps_t *ps) {
  if (!ps->open) return;
  ps->open = 0;
  uv_poll_stop(&ps->poll);
  uv_close((uv_handle_t *)&ps->poll, on_poll_closed);
  napi_delete_reference(ps->env, ps->on_frames);
  napi_delete_reference(ps->env, ps->on_error);
  napi_async_destroy(ps->env, ps->actx);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  ps_t *ps = (ps_t *)data;
  ps_close(ps);
  ps->finalized = 1;
  if (ps->poll_closed) free(ps);
}

/* Calls a JS callback with the global object as receiver; an exception becomes an uncaught exception. */
static void call(ps_t *ps, napi_ref ref, size_t argc, napi_value *argv) {
  napi_env env = ps->env;
  napi_value fn, global, result, exc;
  if (napi_get_reference_value(env, ref, &fn) != napi_ok || fn == NULL) return;
  napi_get_global(env, &global);
  if (napi_make_callback(env, ps->actx, global, fn, argc, argv, &result) == napi_pending_exception &&
      napi_get_and_clear_last_exception(env, &exc) == napi_ok) {
    napi_fatal_exception(env, exc);
  }
}

static void on_readable(uv_poll_t *h, int status, int events) {
  (void)events;
  ps_t *ps = (ps_t *)h->data;
  if (!ps->open) return;
  napi_env env = ps->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  unsigned char frame_buf[FRAME_MAX]; /* on the stack: each worker thread (env) has its own loop */
  napi_value frames, b;
  napi_create_array(env, &frames);
  uint32_t n = 0;
  int err = 0;
  if (status < 0) {
    /* libuv reports POLLERR as UV_EBADF (and stops the handle): the real cause (ENETDOWN when the link went
     * down or away) is the pending socket error. */
    int so = 0;
    socklen_t so_len = sizeof so;
    err = getsockopt(ps->fd, SOL_SOCKET, SO_ERROR, &so, &so_len) == 0 && so != 0 ? so : -status;
  }
  for (int i = 0; i < BATCH && err == 0; i++) {
    struct sockaddr_ll sll;
    socklen_t sl = sizeof sll;
    ssize_t r = recvfrom(ps->fd, frame_buf, sizeof frame_buf, MSG_TRUNC, (struct sockaddr *)&sll, &sl);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) err = errno;
      break;
    }
    if (sll.sll_pkttype == PACKET_OUTGOING) continue;
    if ((size_t)r > sizeof frame_buf) continue; /* truncated: never a valid ARP/NDP frame */
    if (napi_create_buffer_copy(env, (size_t)r, frame_buf, NULL, &b) != napi_ok) break;
    napi_set_element(env, frames, n++, b);
  }
  if (n > 0) call(ps, ps->on_frames, 1, &frames);
  if (err != 0 && ps->open) {
    uv_poll_stop(&ps->poll);
    napi_value argv[2] = {errno_value(env, err), str(env, strerror(err))};
    call(ps, ps->on_error, 2, argv);
  }
  napi_close_handle_scope(env, scope);
}

/* Asks for a receive buffer of `bytes`; returns 1 if forced, 0 if capped by rmem_max, -1 (errno set) on failure. */
static int request_rcvbuf(int fd, int bytes) {
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) == 0) return 1;
  if (errno != EPERM) return -1;
  return setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) == 0 ? 0 : -1;
}

/* open(ifindex, kind: 'arp' | 'ndp', onFrames, onError, rcvbufBytes?): handle object | errno code string.
 * rcvbufBytes (1 .. 1 GiB, default 4 MiB) is the receive buffer asked for; see receiveBuffer(). */
static napi_value js_open(napi_env env, napi_callback_info info) {
  const char *usage = "open(ifindex: number, kind: 'arp' | 'ndp', onFrames: Function, onError: Function, "
                      "rcvbufBytes?: 1..1073741824)";
  napi_value argv[5], obj;
  size_t argc = 5;
  int32_t ifindex, rcv = RCVBUF_DEFAULT;
  char kind[8];
  size_t klen;
  napi_valuetype rcv_type = napi_undefined;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4 ||
      napi_get_value_int32(env, argv[0], &ifindex) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], kind, sizeof kind, &klen) != napi_ok ||
      !is_function(env, argv[2]) || !is_function(env, argv[3]))
    return bug(env, usage);
  if (argc >= 5 && napi_typeof(env, argv[4], &rcv_type) != napi_ok) return bug(env, usage);
  if (rcv_type != napi_undefined &&
      (napi_get_value_int32(env, argv[4], &rcv) != napi_ok || rcv < 1 || rcv > RCVBUF_LIMIT))
    return bug(env, usage);
  int arp = strcmp(kind, "arp") == 0;
  if (!arp && strcmp(kind, "ndp") != 0) return bug(env, usage);

  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno_value(env, errno);
  struct sock_fprog prog;
  prog.len = arp ? sizeof arp_filter / sizeof arp_filter[0] : sizeof ndp_filter / sizeof ndp_filter[0];
  prog.filter = arp ? arp_filter : ndp_filter;
  int e = 0, forced;
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(arp ? ETH_P_ARP : ETH_P_IPV6);
  sll.sll_ifindex = ifindex;
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0) goto fail;
  if ((forced = request_rcvbuf(fd, rcv)) < 0) goto fail;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) goto fail;

  uv_loop_t *loop = NULL;
  ps_t *ps = calloc(1, sizeof *ps);
  if (ps == NULL) {
    errno = ENOMEM;
    goto fail;
  }
  napi_get_uv_event_loop(env, &loop);
  if (uv_poll_init(loop, &ps->poll, fd) != 0) {
    free(ps);
    errno = EINVAL;
    goto fail;
  }
  ps->env = env;
  ps->fd = fd;
  ps->ifindex = ifindex;
  ps->rcvbuf_requested = rcv;
  ps->rcvbuf_forced = forced;
  ps->open = 1;
  ps->poll.data = ps;
  napi_create_object(env, &obj);
  napi_create_reference(env, argv[2], 1, &ps->on_frames);
  napi_create_reference(env, argv[3], 1, &ps->on_error);
  napi_async_init(env, obj, str(env, "ironlb:packet-socket"), &ps->actx);
  napi_wrap(env, obj, ps, finalize, NULL, NULL);
  uv_poll_start(&ps->poll, UV_READABLE, on_readable);
  return obj;
fail:
  e = errno;
  close(fd);
  return errno_value(env, e);
}

/* send(handle, frame: Uint8Array): 'ok' | 'again' | errno code string */
static napi_value js_send(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  unsigned char *data;
  size_t len;
  ps_t *ps;
  if (!args(env, info, 2, argv) || (ps = unwrap(env, argv[0])) == NULL || !bytes(env, argv[1], &data, &len))
    return bug(env, "send(handle, frame: Uint8Array)");
  if (!ps->open) return str(env, "EBADF");
  ssize_t r = send(ps->fd, data, len, MSG_DONTWAIT);
  if (r < 0) return (errno == EAGAIN || errno == EWOULDBLOCK) ? str(env, "again") : errno_value(env, errno);
  return str(env, (size_t)r == len ? "ok" : "EMSGSIZE");
}

static napi_value membership(napi_env env, napi_callback_info info, int opt) {
  napi_value argv[2];
  unsigned char *mac;
  size_t len;
  ps_t *ps;
  if (!args(env, info, 2, argv) || (ps = unwrap(env, argv[0])) == NULL || !bytes(env, argv[1], &mac, &len) ||
      len != 6)
    return bug(env, "addMembership/dropMembership(handle, mac: Uint8Array(6))");
  if (!ps->open) return str(env, "EBADF");
  struct packet_mreq mr;
  memset(&mr, 0, sizeof mr);
  mr.mr_ifindex = ps->ifindex;
  mr.mr_type = PACKET_MR_MULTICAST;
  mr.mr_alen = 6;
  memcpy(mr.mr_address, mac, 6);
  if (setsockopt(ps->fd, SOL_PACKET, opt, &mr, sizeof mr) < 0) return errno_value(env, errno);
  return str(env, "ok");
}

static napi_value js_add_membership(napi_env env, napi_callback_info info) {
  return membership(env, info, PACKET_ADD_MEMBERSHIP);
}

static napi_value js_drop_membership(napi_env env, napi_callback_info info) {
  return membership(env, info, PACKET_DROP_MEMBERSHIP);
}

/* receiveBuffer(handle): { bytes, requested, forced } | errno code string. `bytes` is getsockopt(SO_RCVBUF):
 * twice what the kernel granted (it reserves half for its own bookkeeping), at most 2 * net.core.rmem_max
 * unless forced. */
static napi_value js_receive_buffer(napi_env env, napi_callback_info info) {
  napi_value argv[1], obj, v;
  ps_t *ps;
  if (!args(env, info, 1, argv) || (ps = unwrap(env, argv[0])) == NULL) return bug(env, "receiveBuffer(handle)");
  if (!ps->open) return str(env, "EBADF");
  int bytes = 0;
  socklen_t len = sizeof bytes;
  if (getsockopt(ps->fd, SOL_SOCKET, SO_RCVBUF, &bytes, &len) < 0) return errno_value(env, errno);
  napi_create_object(env, &obj);
  napi_create_int32(env, bytes, &v);
  set(env, obj, "bytes", v);
  napi_create_int32(env, ps->rcvbuf_requested, &v);
  set(env, obj, "requested", v);
  napi_get_boolean(env, ps->rcvbuf_forced != 0, &v);
  set(env, obj, "forced", v);
  return obj;
}

/* close(handle): undefined; idempotent. */
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  ps_t *ps;
  if (!args(env, info, 1, argv) || (ps = unwrap(env, argv[0])) == NULL) return bug(env, "close(handle)");
  ps_close(ps);
  return NULL;
}

/* interfaceInfo(name): { ifindex, mac: Buffer, hwType, up, running } | errno code string */
static napi_value js_interface_info(napi_env env, napi_callback_info info) {
  napi_value argv[1], obj, v;
  struct ifreq ifr;
  char name[IFNAMSIZ + 1]; /* one more than fits: a longer name is seen as such, not truncated to 15 */
  size_t len;
  memset(&ifr, 0, sizeof ifr);
  if (!args(env, info, 1, argv) || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok)
    return bug(env, "interfaceInfo(name: string)");
  if (len == 0 || len >= IFNAMSIZ) return str(env, "EINVAL"); /* at most 15 bytes + NUL */
  memcpy(ifr.ifr_name, name, len + 1);
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno_value(env, errno);
  int ifindex, e = 0;
  if (ioctl(s, SIOCGIFINDEX, &ifr) < 0) e = errno;
  ifindex = ifr.ifr_ifindex;
  if (e == 0 && ioctl(s, SIOCGIFHWADDR, &ifr) < 0) e = errno;
  unsigned char mac[6];
  int hw_type = ifr.ifr_hwaddr.sa_family;
  memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  if (e == 0 && ioctl(s, SIOCGIFFLAGS, &ifr) < 0) e = errno;
  close(s);
  if (e != 0) return errno_value(env, e);
  napi_create_object(env, &obj);
  napi_create_int32(env, ifindex, &v);
  set(env, obj, "ifindex", v);
  napi_create_buffer_copy(env, 6, mac, NULL, &v);
  set(env, obj, "mac", v);
  napi_create_int32(env, hw_type, &v);
  set(env, obj, "hwType", v);
  napi_get_boolean(env, (ifr.ifr_flags & IFF_UP) != 0, &v);
  set(env, obj, "up", v);
  napi_get_boolean(env, (ifr.ifr_flags & IFF_RUNNING) != 0, &v);
  set(env, obj, "running", v);
  return obj;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"addMembership", NULL, js_add_membership, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dropMembership", NULL, js_drop_membership, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"receiveBuffer", NULL, js_receive_buffer, NULL, NULL, NULL, napi_enumerable, NULL},
      {"interfaceInfo", NULL, js_interface_info, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  heartbeat_sender_register(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

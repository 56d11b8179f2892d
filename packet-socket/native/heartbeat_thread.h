/*
 * heartbeat_thread.h: a thread that sends pre-signed UDP datagrams at their time slots (no JS, no V8). The
 * invariants are stated in heartbeat_thread.c; the Node-API surface is heartbeat_sender.c.
 */
#ifndef IRONLB_HEARTBEAT_THREAD_H
#define IRONLB_HEARTBEAT_THREAD_H
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define HB_DATAGRAM_MAX 65507
#define HB_ADDRESS_MAX 64

typedef struct hb hb_t;

typedef struct {
  struct sockaddr_storage addr;
  socklen_t len;
} hb_dest_t;

typedef struct {
  uint64_t heartbeats, datagrams, errors;
  int last_error;                     /* errno of the last failed send, 0 if none yet */
  int bind_error;                     /* errno of a bind failure since the previous hb_stats, 0 if none */
  char bind_address[HB_ADDRESS_MAX];  /* the source address that failed to bind */
  int running;
} hb_stats_t;

/* Parses a numeric IPv4 or IPv6 address and a port; returns 0 if the text is neither. */
int hb_parse_address(const char *text, int port, hb_dest_t *out);

/* Creates the state and starts the thread; NULL with *err set (an errno) on failure. */
hb_t *hb_start(int64_t start_ms, int64_t interval_ms, size_t capacity, int *err);

/* Replaces the destinations (takes ownership of dests, from malloc) and the source ("" for none). */
void hb_set_peers(hb_t *hb, hb_dest_t *dests, size_t n, const char *source_text);

/* Adds or replaces a slot's datagram (takes ownership of data, from malloc). */
void hb_put_slot(hb_t *hb, int64_t slot, unsigned char *data, size_t len);

/* Sends the current slot's datagram now, or if it is already out the next slot's. */
void hb_send_urgent(hb_t *hb);

/* Sends one datagram to each destination now, from the calling thread. */
void hb_send_now(hb_t *hb, const unsigned char *data, size_t len, const hb_dest_t *dests, size_t n);

/* Drops every pending slot. */
void hb_clear(hb_t *hb);

void hb_stats(hb_t *hb, hb_stats_t *out);

/* Wakes and joins the thread, closes the sockets, drops the slots; idempotent. */
void hb_stop(hb_t *hb);

/* Stops (if needed) and frees. */
void hb_free(hb_t *hb);

#endif

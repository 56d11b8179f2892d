/* heartbeat_sender.h: the native heartbeat sending thread (heartbeat_sender.c), registered on the addon's exports. */
#ifndef IRONLB_HEARTBEAT_SENDER_H
#define IRONLB_HEARTBEAT_SENDER_H
#include <node_api.h>

void heartbeat_sender_register(napi_env env, napi_value exports);

#endif

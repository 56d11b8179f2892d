{
  "targets": [
    {
      "target_name": "packet_socket",
      "sources": ["native/packet_socket.c", "native/heartbeat_sender.c", "native/heartbeat_thread.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-pthread"],
      "ldflags": ["-pthread"]
    }
  ]
}

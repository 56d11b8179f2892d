{
  "targets": [
    {
      "target_name": "packet_socket",
      "sources": ["native/packet_socket.c"],
      "cflags": ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2"]
    }
  ]
}

# qrpc native backend (Linux epoll). Build: `npx node-gyp rebuild`.
#
# C++ exceptions: OFF (NAPI_DISABLE_CPP_EXCEPTIONS, -fno-exceptions). The addon
# never throws; node-addon-api reports N-API failures as pending JS
# exceptions, every JS-facing function validates its arguments and returns
# early, and socket errors are plain return codes. No unwinding tables, and no
# C++ exception can ever escape into the event loop.
#
# Sanitizer build (ASan + UBSan), see native/README.md:
#   QRPC_SANITIZE=1 npx node-gyp rebuild
{
  "variables": {
    "qrpc_sanitize%": "<!(node -p \"process.env.QRPC_SANITIZE === '1' ? 1 : 0\")"
  },
  "targets": [
    {
      "target_name": "qrpc_native",
      "sources": [
        "native/addon.cc",
        "native/loop.cc",
        "native/payload_memory.cc",
        "native/conn_table.cc",
        "native/send_queue.cc",
        "native/timer_wheel.cc",
        "native/pidfd.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fexceptions"],
      "cflags_cc!": ["-fexceptions", "-std=gnu++14", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fno-exceptions", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "conditions": [
        ["qrpc_sanitize==1", {
          "cflags_cc": ["-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-fno-sanitize-recover=undefined"],
          "ldflags": ["-fsanitize=address,undefined"]
        }, {
          "cflags_cc": ["-O3"]
        }]
      ]
    }
  ]
}

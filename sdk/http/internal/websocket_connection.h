// Internal to sdk/http: the civetweb connection a WebSocket writes to, shared
// by https_server.cc (which creates it) and websocket.cc (which writes).
#pragma once

#include <civetweb.h>

#include "sdk/http/https_server.h"

namespace ews::http {

struct WebSocket::Connection {
  mg_connection* const handle;
};

}  // namespace ews::http

# Sourced by the gateway benchmarks: the peer they compare `meshwasm run` with.
#
# nginx_header_auth_rule LISTEN_PORT UPSTREAM_PORT KEEPALIVE prints the http-block contents of
# nginx doing header_auth.wasm's job: without `allow: true` a 403 with the plugin's body,
# otherwise proxy_pass to 127.0.0.1:UPSTREAM_PORT over keep-alive connections (at most
# KEEPALIVE idle ones kept).
nginx_header_auth_rule() {
  cat <<CONF
  upstream backend {
    server 127.0.0.1:$2;
    keepalive $3;
  }
  server {
    listen 127.0.0.1:$1;
    location / {
      if (\$http_allow != "true") {
        return 403 "Forbidden by ASM Wasm Plugin, cpp version\\n";
      }
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
CONF
}

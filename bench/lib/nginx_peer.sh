# Sourced by the gateway benchmarks: the peer they compare `meshwasm run` with, and the nginx
# configuration helpers they share.
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

# nginx_conf NAME writes $tmp/NAME.conf: nginx in the foreground with $workers worker processes
# around the http-block contents read from stdin (access log off, temporary files in $tmp).
nginx_conf() {
  local name=$1 d
  {
    echo "daemon off;"
    echo "worker_processes $workers;"
    echo "pid $tmp/$name.pid;"
    echo "error_log $tmp/$name.error.log warn;"
    echo "events { worker_connections 4096; }"
    echo "http {"
    echo "  access_log off;"
    for d in client_body proxy fastcgi uwsgi scgi; do
      echo "  ${d}_temp_path $tmp/$name.$d;"
    done
    echo "  default_type text/plain;"
    cat
    echo "}"
  } >"$tmp/$name.conf"
}

# nginx_teapot_upstream PORT prints the http-block contents of the upstream the benchmarks'
# proxies share: /status/418 answered with status 418 and httpbin's teapot (written to
# $tmp/teapot.txt).
nginx_teapot_upstream() {
  printf '\n    -=[ teapot ]=-\n\n       _...._\n     .'"'"'  _ _ `.\n    | ."` ^ `". _,\n    \\_;`"---"`|//\n      |       ;/\n      \\_     _/\n        `"""`\n' >"$tmp/teapot.txt"
  cat <<CONF
  server {
    listen 127.0.0.1:$1;
    location = /status/418 {
      error_page 418 /teapot.txt;
      return 418;
    }
    location = /teapot.txt {
      internal;
      root $tmp;
      default_type "text/html; charset=utf-8";
    }
  }
CONF
}

# start_nginx_peers UPSTREAM_PORT PROXY_PORT starts the teapot upstream (its own nginx, so its CPU
# is not counted as the proxy's) and nginx doing header_auth.wasm's job in front of it; their
# pids go to $pids, the proxy's master pid to $nginx_pid. Needs $nginx_bin, $tmp and $workers.
start_nginx_peers() {
  nginx_teapot_upstream "$1" | nginx_conf upstream
  nginx_header_auth_rule "$2" "$1" 128 | nginx_conf proxy
  "$nginx_bin" -c "$tmp/upstream.conf" -p "$tmp" 2>"$tmp/upstream.stderr" &
  pids+=($!)
  "$nginx_bin" -c "$tmp/proxy.conf" -p "$tmp" 2>"$tmp/nginx.stderr" &
  nginx_pid=$!
  pids+=($nginx_pid)
}

#!/usr/bin/python3
"""A registry front for the oci end-to-end tests, listening on 127.0.0.1 only.

Forwards every request to an upstream registry after checking credentials:
  --mode basic            answers 401 + `WWW-Authenticate: Basic` without valid user/password
  --mode bearer           answers 401 + `WWW-Authenticate: Bearer realm=.../token,...`; the
                          token endpoint wants the same user/password (Basic) and hands out
                          a token bound to the requested scope (pull, or pull,push)
  --mode tamper-manifest  no auth; appends a byte to every manifest body it forwards while
                          keeping the registry's Docker-Content-Digest (a lying registry)
"""
import argparse
import base64
import hashlib
import http.client
import http.server
import json
import sys
import urllib.parse

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate", "content-length"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--upstream", required=True)  # host:port of the plain-http registry
    ap.add_argument("--mode", choices=["basic", "bearer", "tamper-manifest"], required=True)
    ap.add_argument("--user", default="alice")
    ap.add_argument("--password", default="s3cret")
    args = ap.parse_args()
    good_basic = "Basic " + base64.b64encode(f"{args.user}:{args.password}".encode()).decode()
    secret = hashlib.sha256(f"{args.user}:{args.password}:{args.port}".encode()).hexdigest()

    def token_for(scope):
        return "tok-" + hashlib.sha256((secret + scope).encode()).hexdigest()[:32]

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            sys.stderr.write("proxy: " + (fmt % a) + "\n")

        def reply(self, status, body=b"", headers=None):
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def unauthorized(self, challenge):
            body = json.dumps({"errors": [{"code": "UNAUTHORIZED",
                                           "message": "authentication required",
                                           "detail": None}]}).encode()
            self.reply(401, body, {"WWW-Authenticate": challenge,
                                   "Content-Type": "application/json"})

        def scope(self):
            path = urllib.parse.urlsplit(self.path).path
            parts = path.split("/")
            # /v2/<repo...>/(manifests|blobs)/...
            for i, p in enumerate(parts):
                if p in ("manifests", "blobs") and i > 2:
                    repo = "/".join(parts[2:i])
                    actions = "pull" if self.command in ("GET", "HEAD") else "pull,push"
                    return f"repository:{repo}:{actions}"
            return ""

        def handle_token(self):
            if self.headers.get("Authorization") != good_basic:
                self.reply(401, b'{"details":"bad credentials"}',
                           {"Content-Type": "application/json"})
                return
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            scope = query.get("scope", [""])[0]
            body = json.dumps({"token": token_for(scope), "expires_in": 300}).encode()
            self.reply(200, body, {"Content-Type": "application/json"})

        def authorized(self):
            given = self.headers.get("Authorization", "")
            if args.mode == "basic":
                if given != good_basic:
                    self.unauthorized('Basic realm="meshwasm-test"')
                    return False
            elif args.mode == "bearer":
                scope = self.scope()
                if given != "Bearer " + token_for(scope):
                    realm = f"http://127.0.0.1:{args.port}/token"
                    challenge = f'Bearer realm="{realm}",service="meshwasm-test"'
                    if scope:
                        challenge += f',scope="{scope}"'
                    self.unauthorized(challenge)
                    return False
            return True

        def forward(self):
            if urllib.parse.urlsplit(self.path).path == "/token":
                return self.handle_token()
            if not self.authorized():
                return
            length = int(self.headers.get("Content-Length", "0") or "0")
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in HOP_BY_HOP and k.lower() != "authorization"}
            conn = http.client.HTTPConnection(args.upstream, timeout=60)
            conn.request(self.command, self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            out = {k: v for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP}
            if (args.mode == "tamper-manifest" and self.command == "GET"
                    and "/manifests/" in self.path and resp.status == 200):
                data += b" "
            conn.close()
            self.reply(resp.status, data, out)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward

    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""tee.py LISTEN_PORT UPSTREAM_PORT LOG: a scrape recorder on 127.0.0.1.

Passes each GET from Prometheus to the exporter at 127.0.0.1:UPSTREAM_PORT
(a guest's forwarded port) and answers with the exporter's reply, byte for
byte, after appending one JSON line to LOG: the host time the request
arrived and was answered, the status and the body. The fleet scenario
(tools/fleet.sh) reads the ledger as served at each scrape from it, to
check what PromQL answers against. Runs until killed.
"""

import http.server
import json
import sys
import time
import urllib.error
import urllib.request


def main():
    if len(sys.argv) != 4:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    port, upstream, log_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    log = open(log_path, "a", encoding="utf-8")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            t0 = time.time()
            req = urllib.request.Request(
                f"http://127.0.0.1:{upstream}{self.path}",
                headers={"Accept": self.headers.get("Accept", "*/*")})
            ctype = "text/plain"
            try:
                with urllib.request.urlopen(req, timeout=5) as r:
                    status, body = r.status, r.read()
                    ctype = r.headers.get("Content-Type", ctype)
            except urllib.error.HTTPError as e:
                status, body = e.code, e.read()
            except OSError as e:
                status, body = 502, f"upstream: {e}\n".encode()
            log.write(json.dumps({"t0": t0, "t1": time.time(), "status": status,
                                  "body": body.decode("utf-8", "replace")}) + "\n")
            log.flush()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, fmt, *args):
            pass

    http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""${{ values.name }}: ${{ values.description }}

Runs on Python's standard library: `python3 app.py` serves on PORT (default
${{ values.port }}). GET /healthz answers 200 while the service is healthy;
GET /metrics exposes its request counts and durations for Prometheus.
"""

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICE = "${{ values.name }}"
VERSION = os.environ.get("VERSION", "dev")
_lock = threading.Lock()
_requests = {}  # (route, code) -> count
_seconds = {}  # route -> total seconds


def _observe(route, code, seconds):
    with _lock:
        _requests[(route, code)] = _requests.get((route, code), 0) + 1
        _seconds[route] = _seconds.get(route, 0.0) + seconds


def _metrics():
    lines = [
        "# HELP http_requests_total Requests served, by route and status code.",
        "# TYPE http_requests_total counter",
    ]
    with _lock:
        for (route, code), count in sorted(_requests.items()):
            lines.append(f'http_requests_total{{service="{SERVICE}",route="{route}",code="{code}"}} {count}')
        lines.append("# HELP http_request_duration_seconds_sum Time spent serving, by route.")
        lines.append("# TYPE http_request_duration_seconds_sum counter")
        for route, seconds in sorted(_seconds.items()):
            lines.append(f'http_request_duration_seconds_sum{{service="{SERVICE}",route="{route}"}} {seconds:.6f}')
    return "\n".join(lines) + "\n"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        started = time.monotonic()
        if self.path == "/healthz":
            code, body, kind = 200, json.dumps({"service": SERVICE, "version": VERSION}), "application/json"
        elif self.path == "/metrics":
            code, body, kind = 200, _metrics(), "text/plain; version=0.0.4"
        elif self.path == "/":
            code, body, kind = 200, json.dumps({"hello": "from " + SERVICE}), "application/json"
        else:
            code, body, kind = 404, json.dumps({"error": "not found"}), "application/json"
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        _observe(self.path if code != 404 else "other", code, time.monotonic() - started)

    def log_message(self, *args):
        pass


def main():
    port = int(os.environ.get("PORT", "${{ values.port }}"))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()

"""The service's own tests: `python3 -m unittest`."""

import json
import threading
import unittest
import urllib.request
from http.server import ThreadingHTTPServer

import app


class HealthTest(unittest.TestCase):
    def test_healthz_answers_with_the_service(self):
        server = ThreadingHTTPServer(("127.0.0.1", 0), app.Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{server.server_port}/healthz"
            with urllib.request.urlopen(url) as response:
                self.assertEqual(response.status, 200)
                self.assertEqual(json.load(response)["service"], "${{ values.name }}")
        finally:
            server.shutdown()


if __name__ == "__main__":
    unittest.main()

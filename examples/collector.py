#!/usr/bin/env python3
"""The demo's stand-in for https://evil.example: stores every POST body it receives.

Usage: collector.py ADDRESS PORT_FILE RECEIVED_FILE
Binds ADDRESS on a free port, writes the port to PORT_FILE once it listens (so the demo waits
on a file, not a sleep), and appends each request body to RECEIVED_FILE.
"""
import http.server
import sys


class Collector(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(sys.argv[3], "ab") as received:
            received.write(body + b"\n")
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.HTTPServer((sys.argv[1], 0), Collector)
with open(sys.argv[2], "w") as port_file:
    port_file.write(str(server.server_address[1]))
server.serve_forever()

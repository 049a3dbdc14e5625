"""A `requests` transport adapter that calls a WSGI app in-process, so tests and scripts need no port."""

from __future__ import annotations

import io
import sys
from urllib.parse import urlsplit

import requests
from urllib3 import HTTPHeaderDict, HTTPResponse
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict


class WSGIAdapter(BaseAdapter):
    def __init__(self, app):
        super().__init__()
        self.app = app

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        url = urlsplit(request.url)
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        environ = {
            "REQUEST_METHOD": request.method, "SCRIPT_NAME": "", "PATH_INFO": url.path, "QUERY_STRING": url.query,
            "SERVER_NAME": url.hostname or "localhost", "SERVER_PORT": str(url.port or 80),
            "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.version": (1, 0), "wsgi.url_scheme": url.scheme or "http",
            "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.multithread": True,
            "wsgi.multiprocess": False, "wsgi.run_once": False, "CONTENT_LENGTH": str(len(body)),
        }
        for key, value in request.headers.items():
            key = key.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key != "CONTENT_LENGTH":
                environ[f"HTTP_{key}"] = value
        started = {}

        def start_response(status, headers, exc_info=None):
            started["status"], started["headers"] = status, headers

        chunks = self.app(environ, start_response)
        try:
            content = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        if any(k.lower() == "x-cloudtower-sim-drop" for k, _ in started["headers"]):  # an injected `drop` fault
            raise requests.ConnectionError(f"{request.url}: the connection was closed without an answer",
                                           request=request)
        response = requests.Response()
        response.status_code = int(started["status"].split()[0])
        response.reason = started["status"].partition(" ")[2]
        response.headers = CaseInsensitiveDict(started["headers"])
        response._content = content
        # A raw urllib3 response too, so tools that read `response.raw` (Schemathesis) see the headers and version.
        response.raw = HTTPResponse(body=io.BytesIO(content), headers=HTTPHeaderDict(started["headers"]),
                                    status=response.status_code, version=11, reason=response.reason,
                                    preload_content=False)
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self):
        pass


def wsgi_session(app) -> requests.Session:
    """A session whose every request goes to `app` in-process, whatever the host in the URL."""
    session = requests.Session()
    adapter = WSGIAdapter(app)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session

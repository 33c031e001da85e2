"""uvicorn's HTTP/1.1 protocol with a deadline for the request head.

uvicorn times out idle keep-alive connections, but a client that sends
part of its headers (or nothing) after connecting holds the connection
open for ever. Here every request head must be complete within
`header_timeout_s` of its first byte (or of the connection): otherwise
the server answers 408 and closes. The body has its own deadline in
`RequestGuard`.
"""

from uvicorn.protocols.http.h11_impl import H11Protocol

DEFAULT_HEADER_TIMEOUT_S = 10.0
_TIMEOUT_BODY = b'{"error": "the request headers did not arrive in time"}'
_TIMEOUT_RESPONSE = (b"HTTP/1.1 408 Request Timeout\r\n"
                     b"content-type: application/json\r\n"
                     b"connection: close\r\ncontent-length: %d\r\n\r\n"
                     % len(_TIMEOUT_BODY)) + _TIMEOUT_BODY


class _HeaderDeadline:
    """Mixed into a uvicorn protocol class (see the module doc)."""

    def connection_made(self, transport):
        super().connection_made(transport)
        self._head_timer = None
        self._arm()

    def _timeout_s(self):
        return getattr(self.config, "header_timeout_s",
                       DEFAULT_HEADER_TIMEOUT_S)

    def _waiting_for_head(self):
        return self.cycle is None or self.cycle.response_complete

    def _arm(self):
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self._timeout_s(),
                                                    self._expire)

    def _disarm(self):
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _expire(self):
        self._head_timer = None
        if self._waiting_for_head() and not self.transport.is_closing():
            self.transport.write(_TIMEOUT_RESPONSE)
            self.transport.close()

    def data_received(self, data):
        if self._waiting_for_head():
            self._arm()
        super().data_received(data)
        if not self._waiting_for_head():
            self._disarm()

    def connection_lost(self, exc):
        self._disarm()
        super().connection_lost(exc)


class H11HeaderTimeout(_HeaderDeadline, H11Protocol):
    """uvicorn's h11 protocol with a request-head deadline."""


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # No httptools: uvicorn's "auto" picks h11 too.
    HttpToolsHeaderTimeout = None
else:
    class HttpToolsHeaderTimeout(_HeaderDeadline, HttpToolsProtocol):
        """uvicorn's httptools protocol with a request-head deadline."""


def protocol_class():
    """The protocol uvicorn's "auto" would pick, with the deadline.

    Example:
    ```python
    config = uvicorn.Config(app, http=protocol_class())
    config.header_timeout_s = 5.0
    ```
    """
    return HttpToolsHeaderTimeout or H11HeaderTimeout

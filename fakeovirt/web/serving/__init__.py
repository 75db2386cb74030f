"""fakeovirt's HTTP(S) server: a thread per connection, as the imageio daemon has, with
bounded waits so that no client can delay another (see docs/server.md).

The design, and why: cheroot did the TLS handshake on its accept loop (one silent client
froze every other one) and gave its 16 workers to idle keep-alive connections; werkzeug's
development server closes every connection after one answer. Here the standard library's
`socket`, `ssl` and `threading` do the work: an accept loop that never waits on a client, a
thread per connection doing the handshake and the requests under its own timeouts, and a
small HTTP/1.1 layer that frames bodies exactly, so that a response is whole or visibly cut.
"""

from .limits import ENVIRON_IDLE_TIMEOUT, Limits, Timeouts
from .server import BackgroundServer

__all__ = ["ENVIRON_IDLE_TIMEOUT", "BackgroundServer", "Limits", "Timeouts"]

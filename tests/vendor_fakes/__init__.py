"""In-memory fake vendors built from the documented request/response shapes: usable as respx side effects and,
wrapped by `asgi.serve`, as a local HTTP server on 127.0.0.1."""

"""The HTTP API: a thin FastAPI adapter over `ctexchange.service`.

`create_app(settings, exchange)` in `app.py` builds the application. Every route parses its input, calls
one service method with the caller its API key stands for, and renders the domain objects it gets back
through the explicit models of `schemas.py`. Errors of every kind leave as one JSON envelope
(`errors.py`); request ids, body limits and the access log are pure ASGI middlewares (`middleware.py`).
"""

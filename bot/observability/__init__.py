"""Health and readiness endpoints, Prometheus metrics and structured logs (issue #7).

Nothing here changes what a process does; the rest of the code calls small hooks
(`metrics.py`) and the front-end processes serve them (`health_server.py`).
"""

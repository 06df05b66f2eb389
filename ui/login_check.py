"""Gradio's login check, awaited on the event loop instead of run in a thread for every request.

    app.demo.launch(..., prevent_thread_lock=True)
    check_logins_on_the_loop(app.demo.server_app)   # then demo.block_thread()

Gradio guards its routes (the pad's /component_server among them) with `login_check`, a plain
function, and FastAPI runs a plain dependency in a worker thread: for each of the pad's readings
the request went to a thread and back, about a fifth of the app process's CPU under a crowd
(py-spy under wrk, 2026-12-03: the threadpool's queue and condition variable). The check only
compares values (is there an auth, is there a user), so the same function is called here from an
async dependency that FastAPI awaits, through FastAPI's own `dependency_overrides`: what it
allows and refuses is Gradio's, unchanged.
"""

from __future__ import annotations

import logging

from fastapi import Depends, FastAPI

log = logging.getLogger("draw-a-digit")


def check_logins_on_the_loop(app: FastAPI) -> bool:
    """Override Gradio's `login_check` dependency with an async one that calls it; False (and
    nothing changed) where this Gradio has no such route."""
    route = _login_check_route(app)
    if route is None or len(route.dependant.dependencies) != 1:
        log.warning("Gradio's login_check not found: it keeps running in a thread per request")
        return False
    check = route.endpoint
    current_user = route.dependant.dependencies[0].call  # Gradio's: the user from the cookie

    async def login_check(user: str | None = Depends(current_user)) -> None:
        return check(user)

    app.dependency_overrides[check] = login_check
    return True


def _login_check_route(app: FastAPI) -> object | None:
    """Gradio's /login_check route, whose endpoint is the dependency its other routes use."""
    routes = list(app.routes)
    while routes:
        route = routes.pop()
        if getattr(route, "path", "").endswith("/login_check") and hasattr(route, "dependant"):
            return route
        routes += getattr(getattr(route, "original_router", None), "routes", [])  # FastAPI's included routers
    return None

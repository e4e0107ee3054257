"""Starting a small aiohttp app on a free 127.0.0.1 port, for tests that need a real web peer."""

from __future__ import annotations

from aiohttp import web


async def start_local(app: web.Application) -> tuple[web.AppRunner, int]:
    """Serve `app` on 127.0.0.1 and an OS-chosen port; the caller awaits runner.cleanup()."""
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, shutdown_timeout=1.0).start()
    return runner, int(runner.addresses[0][1])

"""`citegraph serve`: the live map on localhost."""

from __future__ import annotations

import signal
from pathlib import Path

import click

from .common import _analysis_options, _err, _expansion_options, _session, cli


@cli.command("serve")
@click.argument("seeds", nargs=-1, required=True)
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--no-browser", is_flag=True, help="Print the URL only; do not open a browser.")
@click.option("--save-to", "seed_file", type=click.Path(dir_okay=False),
              help="Text seed file that 'Save seeds' writes (default: NAME.seeds.txt next to the first seed "
                   "file, else citegraph-seeds.txt).")
@_analysis_options
@_expansion_options
def serve_command(seeds, port, no_browser, seed_file, top, method, resolution, **expansion):
    """Serve the SEEDS' map on localhost: make a paper a seed, watch the map grow, save the list.

    The page shows the map (as `citegraph map` draws it) with live actions on any
    paper: make it a seed, remove it from the seeds, expand its neighbourhood.
    Only what is missing is fetched, with the same store and pacing, and the
    page shows the requests planned and done; work can be cancelled. "Save
    seeds" writes a text seed file (IDs, titles as comments); with a markdown
    reading list, the seeds added can be appended to it. Exports download from
    the page. The server listens on 127.0.0.1 and every request needs the
    token in the printed URL. Ctrl-C stops it.

    \b
    Example:
      citegraph serve seeds/ai-chips-llm-deployment.md
      citegraph serve 1706.03762 --port 8800 --no-browser
    """
    from ..outputs import default_seed_file
    from ..serve import ServeApp, make_server
    from ..serve_runner import Runner
    from ..threads import start_daemon

    runner = server = app = None
    serving = False
    # `kill` (SIGTERM) stops the server as Ctrl-C does: the store is closed, the session's work cancelled
    signal.signal(signal.SIGTERM, _interrupt)
    # the first build may ask on the terminal before a step over an hour (as `map` does; --yes runs it);
    # from then on actions come from the page, which cannot answer there: such a step stops with its message
    with _session(seeds, top=top, method=method, resolution=resolution, progress=False, **expansion) as explorer:
        try:
            explorer.build()
            runner = Runner(explorer)
            target = Path(seed_file) if seed_file else default_seed_file(seeds)
            app = ServeApp(runner, seed_file=target, reading_list=explorer.reading_list())
            server = make_server(app, port)
            info = explorer.session_summary()
            _err(f"map: {info.map_papers} papers of {info.run.papers} in the graph; "
                 f"{info.run.requests} requests (floor {info.run.request_floor}; {info.run.retries_note()})")
            click.echo(f"citegraph serve: open {app.url()}", err=False)
            _err("Ctrl-C stops the server")
            if not no_browser:
                import webbrowser

                start_daemon(webbrowser.open, app.url(), name="citegraph-browser")
            # the server's threads (and the handlers and watchdogs they start) leave Ctrl-C to this one
            start_daemon(server.serve_forever, poll_interval=0.2, name="citegraph-server")
            serving = True
            # the session's work is done here, on the thread that opened it and where a Ctrl-C lands
            runner.run()
        except KeyboardInterrupt:
            # the normal way to stop: every response was stored as it arrived
            _err("\nstopped: everything fetched is in the store")
        finally:
            if runner is not None:
                runner.stop()
            if app is not None:
                app.close()
            if server is not None:
                if serving:
                    server.shutdown()
                server.server_close()


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt

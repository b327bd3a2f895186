"""``sepsistwin serve``: the local web dashboard and JSON API (FastAPI served by uvicorn)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sepsistwin.cli._common import err_console, fail


def bind_warning(host: str) -> str | None:
    """The warning printed when the dashboard is bound to a non-loopback address.

    Examples
    --------
    >>> bind_warning("127.0.0.1") is None
    True
    >>> "no login" in bind_warning("0.0.0.0")
    True
    """
    from sepsistwin.web.settings import LOOPBACK_HOSTS

    if host in LOOPBACK_HOSTS:
        return None
    return (
        f"binding {host}: the dashboard has no login and anyone who can reach this address "
        "can upload data and run trials; bind 127.0.0.1 (the default) unless the network is "
        "trusted."
    )


def allowed_hosts(host: str) -> tuple[str, ...]:
    """Host names the dashboard answers to when bound to ``host``: the loopback names and
    ``host`` itself; any name when bound to every interface.

    Examples
    --------
    >>> allowed_hosts("127.0.0.1")
    ('127.0.0.1', 'localhost', '::1')
    >>> allowed_hosts("0.0.0.0")
    ('*',)
    """
    if host in ("0.0.0.0", "::"):
        return ("*",)
    names = ("127.0.0.1", "localhost", "::1")
    return names if host in names else (*names, host)


def register(app: typer.Typer) -> None:
    """Add the ``serve`` command to ``app``."""

    @app.command("serve")
    def serve_command(
        host: Annotated[
            str, typer.Option(help="Address to bind; anything but loopback is warned about.")
        ] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
        data_dir: Annotated[
            Path,
            typer.Option(
                help="Folder of the dashboard's files: session uploads and trial run stores."
            ),
        ] = Path("sepsistwin-web"),
        runs_dir: Annotated[
            Path | None,
            typer.Option(
                help="Folder of trial stores listed as past runs and written by dashboard "
                "trials (default DATA_DIR/runs; `runs` shows the CLI's runs)."
            ),
        ] = None,
        max_upload_mb: Annotated[
            float, typer.Option(min=0.001, help="Largest upload in MB (413 above it).")
        ] = 50.0,
        upload_ttl: Annotated[
            float,
            typer.Option(min=1.0, help="Seconds an idle session's uploads are kept."),
        ] = 3600.0,
        max_trial_size: Annotated[
            int, typer.Option(min=1, help="Largest virtual population a dashboard trial may use.")
        ] = 20_000,
        max_jobs: Annotated[
            int, typer.Option(min=1, help="Trials running at once (one per session).")
        ] = 2,
        trial_chunk_size: Annotated[
            int,
            typer.Option(min=1, help="Patients per chunk (the step of progress and cancel)."),
        ] = 500,
        interim_every: Annotated[
            float,
            typer.Option(min=0.0, help="Least seconds between interim analyses of a trial."),
        ] = 2.0,
        simulator: Annotated[
            str | None,
            typer.Option(help="Trial simulator as MODULE:NAME (default: the sepsistwin model)."),
        ] = None,
    ) -> None:
        """Serve the dashboard (patients, recommendations, trials, evidence) and the JSON API
        with its documentation at /docs. Binds 127.0.0.1 unless told otherwise."""
        import uvicorn

        from sepsistwin.web import WebSettings, create_app

        warning = bind_warning(host)
        if warning:
            err_console.print(f"[bold yellow]warning:[/] {warning}", highlight=False)
        try:
            settings = WebSettings(
                data_dir=data_dir,
                max_upload_bytes=int(max_upload_mb * 1024 * 1024),
                upload_ttl_s=upload_ttl,
                max_trial_size=max_trial_size,
                max_jobs=max_jobs,
                trial_chunk_size=trial_chunk_size,
                interim_every_s=interim_every,
                simulator=simulator,
                prewarm_worker=True,
                runs_dir_override=runs_dir,
                allowed_hosts=allowed_hosts(host),
            )
        except ValueError as exc:
            fail(str(exc))
        err_console.print(
            f"sepsistwin dashboard on http://{host}:{port}/ (API docs /docs); "
            f"files in {settings.data_dir}",
            highlight=False,
        )
        uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")

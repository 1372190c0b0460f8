"""The `ctx` application: global options, the command table, and the one place errors become exit codes.

`CtxGroup.invoke` wraps every command, so each error, whichever command raised it, is rendered by
`output.report_error` and ends the process with its code from `output.EXIT_CODES`; click's own usage
errors (exit 2) and exits pass through untouched. Nothing below this module ends the process.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from ctexchange import __version__
from ctexchange.cli import alerts, content, output, requests, screening, setup
from ctexchange.cli.audit import audit_app
from ctexchange.cli.cases import case_app
from ctexchange.cli.collections import collection_app
from ctexchange.cli.lists import import_app
from ctexchange.cli.members import group_app, key_app, org_app, user_app
from ctexchange.cli.remotes import remote_app
from ctexchange.cli.reports import report_app
from ctexchange.cli.state import Invocation, invocation
from ctexchange.cli.stix import export_app, import_stix
from ctexchange.cli.webhooks import webhook_app

PASSING = (typer.Exit, typer.Abort, typer.TyperException)  # click's own exits and usage errors


class CtxGroup(TyperGroup):
    """The root command group: maps every error raised by a command to one line and an exit code."""

    def invoke(self, ctx: Any) -> Any:  # Any: the parameter is typed with Typer's private click Context
        """Run the command; on error, report it and exit with its code."""
        try:
            return super().invoke(ctx)
        except PASSING:
            raise
        except Exception as exc:
            code = output.report_error(exc, wants_traceback=invocation(ctx).wants_traceback)
            raise typer.Exit(code) from None


app = typer.Typer(
    name="ctx",
    cls=CtxGroup,
    help="The counter-terrorism signal exchange: set up, administer and serve it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(is_asked: bool) -> None:
    if is_asked:
        output.say(f"ctx {__version__}")
        raise typer.Exit()


@app.callback()
def options(
    ctx: typer.Context,
    home: Annotated[
        str | None,
        typer.Option("--home", metavar="DIR", help="Data directory (CTX_HOME; default ./ctx-data)."),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", help="Print the version and exit.", callback=_print_version)
    ] = False,
) -> None:
    """The counter-terrorism signal exchange: set up, administer and serve it."""
    ctx.obj = Invocation(home=home, is_debug=debug)


app.command("init")(setup.init)
app.command("migrate")(setup.migrate)
app.command("serve")(setup.serve)
app.add_typer(setup.config_app, name="config")
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(key_app, name="key")
app.add_typer(group_app, name="group")
app.add_typer(collection_app, name="collection")
app.add_typer(audit_app, name="audit")
app.add_typer(import_app, name="import")
import_app.command("stix")(import_stix)
app.add_typer(export_app, name="export")
app.command("screen")(screening.screen)
app.command("screen-batch")(screening.screen_batch)
app.command("hash")(content.hash_files)
app.add_typer(content.bank_app, name="bank")
app.command("match")(content.match)
app.command("match-batch")(content.match_batch)
app.add_typer(requests.request_app, name="request")
app.add_typer(alerts.alert_app, name="alert")
app.add_typer(case_app, name="case")
app.add_typer(report_app, name="report")
app.add_typer(webhook_app, name="webhook")
app.add_typer(remote_app, name="remote")


def main() -> None:
    """Run `ctx` (the console script and `python -m ctexchange`)."""
    app(prog_name="ctx")

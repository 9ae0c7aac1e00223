"""`cadencia audit …`: verify the log, show a run, prove a record, sign a checkpoint, migrate an old log."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from cadencia.console import make_console
from cadencia.servers.paths import default_db, default_workdir
from cadencia.servers.safety.reconcile import unaudited_calls
from cadencia.tools.audit.errors import AuditError, AuditIntegrityError
from cadencia.tools.audit.log import AuditLog
from cadencia.tools.audit.migrate import migrate as migrate_log
from cadencia.tools.audit.signing import KEY_FILENAME, SignedCheckpoint, public_key_hex, read_checkpoints
from cadencia.tools.audit.verify import VerifyReport
from cadencia.tools.store.canonical import canonical_json

EXIT_OK, EXIT_TAMPERED, EXIT_USAGE = 0, 1, 2
PAYLOAD_WIDTH = 80

audit_app = typer.Typer(
    name="audit",
    help="Verify, inspect and prove entries of the tamper-evident audit log.",
    no_args_is_help=True,
)

Workdir = Annotated[
    Path | None,
    typer.Option(
        "--workdir",
        help="Directory holding audit.db and audit-signing-key.pem (default: $CADENCIA_WORKDIR or the user data dir)",
        file_okay=False,
    ),
]
AuditUrl = Annotated[
    str | None,
    typer.Option(
        "--audit-url",
        envvar="CADENCIA_AUDIT_URL",
        help="Database URL of the log (sqlite:///… or postgresql://…) instead of WORKDIR/audit.db",
    ),
]


class OutputFormat(StrEnum):
    """How `show` prints records."""

    TABLE = "table"
    JSONL = "jsonl"


def _fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    make_console(stderr=True).print(f"[red]error:[/red] {escape(message)}")
    return typer.Exit(code)


def _open(workdir: Path | None, audit_url: str | None, *, create_key: bool) -> AuditLog:
    """The log named by the options; a missing SQLite file is an error unless a key is being created."""
    root = workdir or default_workdir()
    target: str | Path = audit_url or root / "audit.db"
    if isinstance(target, Path) and not target.exists() and not create_key:
        raise _fail(f"no audit log at {target}; pass --workdir or --audit-url")
    try:
        return AuditLog.open(target, key_path=root / KEY_FILENAME, create_key=create_key)
    except AuditError as exc:
        raise _fail(str(exc)) from exc


def _summary() -> Table:
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold", no_wrap=True)
    summary.add_column(overflow="fold")
    return summary


def _print_report(console: Console, report: VerifyReport) -> None:
    summary = _summary()
    summary.add_row("Records", str(report.records))
    summary.add_row("Signed", f"records 1..{report.signed_records}" if report.signed_records else "none")
    if report.mac_records:
        summary.add_row("After the last checkpoint", f"{report.mac_records} records, each with a valid MAC")
    summary.add_row("Checkpoints checked", str(report.checkpoints_checked))
    summary.add_row("Tree root", report.root_hash)
    summary.add_row("Trusted key", report.key_id)
    if report.ok:
        summary.add_row("Status", "[bold green]intact[/bold green]")
    else:
        status = "NOT SIGNED" if report.unsigned_only else "TAMPERED"
        summary.add_row("Status", f"[bold red]{status}[/bold red]")
        summary.add_row("First bad record", str(report.first_bad_seq) if report.first_bad_seq else "-")
        for problem in report.problems:
            summary.add_row("Problem", f"[red]{escape(problem)}[/red]")
    console.print(summary)


@audit_app.command()
def verify(
    workdir: Workdir = None,
    audit_url: AuditUrl = None,
    checkpoints: Annotated[
        Path | None, typer.Option("--checkpoints", help="JSON-lines file of checkpoints kept outside the log")
    ] = None,
    public_key: Annotated[
        Path | None, typer.Option("--public-key", help="Trusted public key (PEM or hex) instead of the workdir key")
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Also check every older checkpoint, not just the newest that proves the rest")
    ] = False,
    calls_db: Annotated[
        str | None,
        typer.Option(
            "--calls-db",
            help="The servers' store (SQLite path or URL) whose call record must all be in the log. "
            "Default: $CADENCIA_DB or WORKDIR/sandbox.db when it exists",
        ),
    ] = None,
) -> None:
    """Recompute every hash and the chain, check the signed checkpoints and each record's MAC; exit 1 if anything
    was altered, or (with only a public key) if records are not signed yet.

    Example: cadencia audit verify --workdir ./run --checkpoints ./checkpoints.jsonl
    """
    try:
        external = read_checkpoints(checkpoints) if checkpoints else None
        trusted = public_key.read_text() if public_key else None
    except (OSError, ValidationError) as exc:
        raise _fail(f"cannot read {checkpoints or public_key}: {exc}") from exc
    with _open(workdir, audit_url, create_key=False) as log:
        try:
            report = log.verify(external_checkpoints=external, public_key=trusted, full=full)
        except AuditError as exc:
            raise _fail(f"{exc} (use --public-key)") from exc
        missing = _unaudited(log, calls_db, workdir)
    _print_report(make_console(), report)
    raise typer.Exit(EXIT_OK if report.ok and not missing else EXIT_TAMPERED)


def _unaudited(log: AuditLog, calls_db: str | None, workdir: Path | None) -> int:
    """Print the servers' calls missing from the log (a crash between execute and append); returns how many."""
    target = calls_db or default_db(workdir or default_workdir())
    if calls_db is None and "://" not in target and not Path(target).exists():
        return 0
    try:
        missing = unaudited_calls(target, log)
    except SQLAlchemyError as exc:  # an unreadable store is reported, not a crash of verify
        raise _fail(f"cannot read the servers' call record in {target}: {exc}") from exc
    console = make_console()
    if not missing:
        console.print(escape(f"Servers' call record: every guarded call in {target} is in the log"))
        return 0
    console.print(f"[red]Calls missing from the audit log: {len(missing)}[/red] (executed, never appended)")
    for call in missing:
        console.print(escape(f"  {call.call_ref}  {call.capability}.{call.tool}  at {call.recorded_at}"))
    return len(missing)


@audit_app.command()
def show(
    run_id: Annotated[str, typer.Argument(help="The run whose records to show")],
    workdir: Workdir = None,
    audit_url: AuditUrl = None,
    output: Annotated[OutputFormat, typer.Option("--format", help="table, or jsonl on stdout")] = OutputFormat.TABLE,
    jsonl: Annotated[Path | None, typer.Option("--jsonl", help="Write the run's records to this JSONL file")] = None,
) -> None:
    """Show one run's records as a table, or export them as JSON lines.

    Example: cadencia audit show run-42 --workdir ./run --jsonl run-42.jsonl
    """
    with _open(workdir, audit_url, create_key=False) as log:
        records = log.records(run_id=run_id)
    if not records:
        make_console(stderr=True).print(escape(f"error: no audit records for run {run_id!r} in this log"))
        raise typer.Exit(2)
    lines = "".join(record.model_dump_json() + "\n" for record in records)
    if jsonl is not None:
        jsonl.write_text(lines, encoding="utf-8")
        make_console().print(escape(f"wrote {len(records)} records of run {run_id!r} to {jsonl}"))
        return
    if output is OutputFormat.JSONL:
        typer.echo(lines, nl=False)
        return
    table = Table(title=escape(f"run {run_id}: {len(records)} records"))
    for column in ("seq", "recorded at (UTC)", "actor", "kind"):
        table.add_column(column, no_wrap=True)
    table.add_column("payload", overflow="fold")
    for record in records:
        payload = canonical_json(record.payload)
        if len(payload) > PAYLOAD_WIDTH:
            payload = payload[: PAYLOAD_WIDTH - 1] + "…"
        when = record.recorded_at[:19].replace("T", " ")
        table.add_row(str(record.seq), when, escape(record.actor), str(record.kind), escape(payload))
    make_console().print(table)


@audit_app.command()
def prove(
    seq: Annotated[int, typer.Argument(help="Seq of the record to prove")],
    workdir: Workdir = None,
    audit_url: AuditUrl = None,
    tree_size: Annotated[int | None, typer.Option("--tree-size", help="Prove against this tree size")] = None,
) -> None:
    """Print the Merkle inclusion proof of one record and whether it verifies. Exit 1 if it does not.

    Example: cadencia audit prove 7 --workdir ./run
    """
    with _open(workdir, audit_url, create_key=False) as log:
        try:
            proof = log.prove(seq, tree_size=tree_size)
        except AuditIntegrityError as exc:
            raise _fail(str(exc), EXIT_TAMPERED) from exc
        except AuditError as exc:
            raise _fail(str(exc)) from exc
        verified = log.verify_inclusion(proof)
    typer.echo(proof.model_dump_json(indent=2))
    typer.echo(f"verifies: {'yes' if verified else 'NO'}")
    raise typer.Exit(EXIT_OK if verified else EXIT_TAMPERED)


def _print_checkpoint(console: Console, checkpoint: SignedCheckpoint, public_hex: str) -> None:
    summary = _summary()
    summary.add_row("Tree size", str(checkpoint.tree_size))
    summary.add_row("Root", checkpoint.root_hash)
    summary.add_row("Issued at", checkpoint.issued_at)
    summary.add_row("Key id", checkpoint.key_id)
    summary.add_row("Public key", public_hex)
    console.print(summary)


@audit_app.command()
def checkpoint(
    workdir: Workdir = None,
    audit_url: AuditUrl = None,
    export: Annotated[
        Path | None, typer.Option("--export", help="Also write every checkpoint to this JSONL file (keep it elsewhere)")
    ] = None,
) -> None:
    """Sign the current tree head with the workdir key and store it; exit 1 if the log no longer matches.

    Example: cadencia audit checkpoint --workdir ./run --export ./checkpoints.jsonl
    """
    with _open(workdir, audit_url, create_key=True) as log:
        try:
            signed = log.checkpoint()
        except AuditIntegrityError as exc:
            raise _fail(str(exc), EXIT_TAMPERED) from exc
        console = make_console()
        assert log.signing_key is not None
        _print_checkpoint(console, signed, public_key_hex(log.signing_key.public_key()))
        if export is not None:
            count = log.export_checkpoints(export)
            console.print(escape(f"exported {count} checkpoints to {export}"))


@audit_app.command()
def migrate(
    workdir: Workdir = None,
    audit_url: AuditUrl = None,
    checkpoints: Annotated[
        Path | None, typer.Option("--checkpoints", help="JSON-lines file of checkpoints exported from the old log")
    ] = None,
) -> None:
    """Check a log written before Cadencia signed its records, then MAC every record and sign it (one transaction).

    Example: cadencia audit migrate --workdir ./run --checkpoints ./checkpoints.jsonl
    """
    try:
        external = read_checkpoints(checkpoints) if checkpoints else None
    except (OSError, ValidationError) as exc:
        raise _fail(f"cannot read {checkpoints}: {exc}") from exc
    with _open(workdir, audit_url, create_key=False) as log:
        try:
            done = migrate_log(log, external_checkpoints=external)
        except AuditIntegrityError as exc:
            raise _fail(str(exc), EXIT_TAMPERED) from exc
        except AuditError as exc:
            raise _fail(str(exc)) from exc
    console = make_console()
    console.print(
        escape(f"checked {done.records} records against {done.checkpoints_checked} checkpoints; signed them:")
    )
    _print_checkpoint(console, done.checkpoint, public_key_hex(log.verifier().public_key))

"""The `stripe-gateway` command: serve, match, import-contacts, export-schema, check-key."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stripe_gateway.config import ConfigError, Settings, load_settings
from stripe_gateway.errors import GatewayError


def _require_key(settings: Settings) -> None:
    if not settings.stripe_api_key.get_secret_value():
        raise ConfigError("STRIPE_API_KEY is not set: give the gateway a restricted key (rk_...)")


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    if args.demo and args.federation:
        raise ConfigError("--demo serves the standalone schema: leave out --federation")
    if args.demo and args.host != "127.0.0.1":
        raise ConfigError("--demo always binds 127.0.0.1: leave out --host")
    # The gateway's own messages (start-up warnings, unexpected errors with their request
    # id) next to uvicorn's; other libraries only from WARNING up.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s:     %(name)s: %(message)s")
    logging.getLogger("stripe_gateway").setLevel(logging.INFO)
    if args.demo:
        from stripe_gateway.demo import run_demo

        asyncio.run(run_demo(port=args.port))
        return
    settings = load_settings(**({"graphql_federation": True} if args.federation else {}))
    _require_key(settings)
    from stripe_gateway.server import create_app

    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")


async def _match(settings: Settings, email: str | None, customer_id: str | None) -> dict[str, Any]:
    from stripe_gateway.matching import CUSTOMER_ID_KEY, match_contact
    from stripe_gateway.resolvers.context import GatewayContext
    from stripe_gateway.server import close_services, open_services

    services = await open_services(settings)
    try:
        context = GatewayContext(services=services)
        result = await match_contact(
            email=email,
            custom_data={CUSTOMER_ID_KEY: customer_id} if customer_id else {},
            lookup=context.loaders,
            settings=services.match_settings,
        )
    finally:
        await close_services(services)
    return {
        "method": result.method.value,
        "customer": result.customer.id if result.customer else None,
        "alternatives": [c.id for c in result.alternatives],
        "trail": [
            {"method": s.method.value, "outcome": s.outcome.value, "detail": s.detail}
            for s in result.trail
        ],
        "error": {"code": result.error.code, "message": result.error.message}
        if result.error
        else None,
    }


def cmd_match(args: argparse.Namespace) -> None:
    settings = load_settings()
    _require_key(settings)
    print(json.dumps(asyncio.run(_match(settings, args.email, args.customer_id)), indent=2))


def _read_contacts(path: Path) -> list[Any]:
    """Contacts from a JSON array, a JSON object with a `contacts` array, or JSON lines."""
    text = path.read_text(encoding="utf-8")
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if isinstance(whole, dict):
        # One JSON line holding a single contact parses as a whole document too.
        return list(whole["contacts"]) if "contacts" in whole else [whole]
    rows = whole
    if not isinstance(rows, list):
        raise ValueError(f"{path}: expected a JSON array of contacts or an object with `contacts`")
    return rows


async def _import(settings: Settings, rows: list[Any]) -> list[str]:
    """Identify every row; return one message per row that was refused."""
    from stripe_gateway.contacts import UNSET, ContactStore

    problems: list[str] = []
    store = await ContactStore.open(
        settings.database_url, custom_data_max_bytes=settings.contact_custom_data_max_bytes
    )
    try:
        for number, row in enumerate(rows, start=1):
            if not isinstance(row, dict) or "id" not in row:
                problems.append(f"contact {number}: needs an object with an `id`")
                continue
            try:
                await store.identify(
                    str(row["id"]),
                    name=row.get("name", UNSET),
                    email=row.get("email", UNSET),
                    custom_data=row.get("customData", UNSET),
                )
            except GatewayError as exc:
                problems.append(f"contact {number} ({row['id']}): {exc.message}")
    finally:
        await store.close()
    return problems


def cmd_import_contacts(args: argparse.Namespace) -> None:
    rows = _read_contacts(Path(args.file))
    problems = asyncio.run(_import(load_settings(), rows))
    for problem in problems:
        print(f"stripe-gateway: {problem}", file=sys.stderr)
    print(f"imported {len(rows) - len(problems)} of {len(rows)} contacts")
    if problems:
        raise SystemExit(1)


def cmd_export_schema(args: argparse.Namespace) -> None:
    from stripe_gateway.schema import build_schema

    # The same text as the subgraph's `_service { sdl }`, plus a final newline.
    print(build_schema(federation=args.federation).as_str())


def cmd_check_key(args: argparse.Namespace) -> None:
    from stripe_gateway.security import key_kind, mask_secret
    from stripe_gateway.stripe_api.key_check import PERMISSION_LABELS, check_key

    settings = load_settings()
    _require_key(settings)
    key = settings.stripe_api_key.get_secret_value()
    kind = key_kind(key)
    mode = "live" if settings.stripe_livemode else "test"
    print(f"key {mask_secret(key)} ({kind} key, {mode} mode), Stripe at {settings.stripe_api_base}")
    if kind == "secret":
        print(
            "warning: this is a secret key (sk_): it can write, refund and delete. Give the "
            "gateway a restricted key with only the read permissions below.",
            file=sys.stderr,
        )
    elif kind != "restricted":
        print("warning: not a restricted key (rk_live_/rk_test_)", file=sys.stderr)
    results = asyncio.run(check_key(settings))
    for probe in results:
        if probe.skipped:
            status, detail = "skipped", probe.message or ""
        elif probe.ok:
            status, detail = "ok", ""
        elif probe.permission:
            label = PERMISSION_LABELS.get(probe.permission)
            named = f"{probe.permission} ({label})" if label else probe.permission
            status, detail = "DENIED", f"needs {named}"
        else:
            status, detail = "FAILED", f"{probe.code}: {probe.message}"
        print(f"  {status:<8} {probe.name:<20} {probe.request:<26} {detail}".rstrip())
    failed = [p for p in results if not p.ok]
    missing = sorted({p.permission for p in failed if p.permission})
    if missing:
        grants = ", ".join(f"{PERMISSION_LABELS.get(p, p)} ({p})" for p in missing)
        print(f"grant the key these permissions: {grants}")
    readable = sum(1 for p in results if p.ok and not p.skipped)
    print(f"{readable} of {sum(1 for p in results if not p.skipped)} reads work")
    if failed or len(results) < 6:
        raise SystemExit(1)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stripe-gateway",
        description="GraphQL gateway: the Stripe customer behind each helpdesk contact.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve /graphql")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--demo", action="store_true", help="run with an in-process fake Stripe and demo data"
    )
    serve.add_argument(
        "--federation",
        action="store_true",
        help="serve as an Apollo Federation v2 subgraph (GRAPHQL_FEDERATION=true)",
    )
    serve.set_defaults(run=cmd_serve)

    match = commands.add_parser("match", help="print a contact's Stripe match and trail")
    match.add_argument("--email")
    match.add_argument("--customer-id")
    match.set_defaults(run=cmd_match)

    imports = commands.add_parser(
        "import-contacts",
        help="identify contacts from JSON (an array, or an object with `contacts`) or JSON lines",
    )
    imports.add_argument("file")
    imports.set_defaults(run=cmd_import_contacts)

    export = commands.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument(
        "--federation", action="store_true", help="the Apollo Federation v2 subgraph's SDL"
    )
    export.set_defaults(run=cmd_export_schema)

    check = commands.add_parser(
        "check-key",
        help="probe, with one limit=1 read each, every Stripe endpoint the gateway reads",
    )
    check.set_defaults(run=cmd_check_key)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; clear one-line errors, never a traceback."""
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except ConfigError as exc:
        print(f"stripe-gateway: {exc}", file=sys.stderr)
        return 2
    except GatewayError as exc:
        print(f"stripe-gateway: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    except (OSError, ValueError, KeyError) as exc:
        print(f"stripe-gateway: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

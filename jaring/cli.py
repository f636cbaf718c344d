"""The ``jaring`` command: one entry point for every process Jaring runs.

Subcommands import their service lazily, so ``jaring broker`` needs neither
Faust nor a reachable Kafka, and settings are read from the environment
only by the process that uses them.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from jaring.health import SERVICES

if TYPE_CHECKING:
    from infra.settings import Settings

__all__ = ["main"]


def _broker(args: argparse.Namespace) -> int:
    """Run the broker until a signal; whatever ends the run, no Kafka JVM outlives this process.

    The handlers go in before anything starts: a Ctrl-C that came while the
    JVM was starting used to kill Python by KeyboardInterrupt and leave the
    JVM (in its own session, so out of the terminal's reach) running. They
    only set ``stop``; the start and the wait below look at it, and the JVMs
    are stopped by ``KafkaCluster.start`` (early stop) or ``stop`` (later).
    """
    from deploy.kafka.runner import KafkaCluster, KafkaDataDirError

    stop = threading.Event()
    handled = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in handled}
    try:
        cluster = KafkaCluster(size=args.nodes, workdir=Path(args.data_dir), port=args.port, heap=args.heap)
        print(f"starting Kafka ({args.nodes} node(s)) in {args.data_dir} ...", flush=True)
        try:
            cluster.start(cancel=stop)
        except KafkaDataDirError as exc:
            print(exc, file=sys.stderr, flush=True)
            return 2
        except Exception as exc:
            if stop.is_set():  # KafkaStartCancelledError, or what the signal interrupted
                print("stopped before Kafka was ready", flush=True)
                return 0
            print(exc, file=sys.stderr, flush=True)
            return 1
        try:
            print(f"Kafka ready: JARING_KAFKA_BOOTSTRAP={cluster.bootstrap_servers}", flush=True)
            print("logs: " + ", ".join(str(n.log_path) for n in cluster.nodes), flush=True)
            while not stop.wait(1.0):
                dead = [n.node_id for n in cluster.nodes if not n.running]
                if dead:
                    print(f"Kafka node(s) {dead} exited; see their logs", file=sys.stderr, flush=True)
                    return 1
            print("stopping Kafka ...", flush=True)
            return 0
        finally:
            cluster.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def faust_log_level(level: str) -> str:
    """Faust's CLI spells ``warning`` as ``warn``; every other level is the same word."""
    return "warn" if level == "warning" else level


EXIT_CONFIG = 78
"""sysexits' EX_CONFIG: the process cannot work as configured, and restarting it will not help."""


def kafka_tls_refused(settings: Settings) -> bool:
    """Run the TLS pre-flight (``infra.kafka_security.check_tls``); print its coded error if it fails."""
    from infra.kafka_security import KafkaTlsError, check_tls

    try:
        check_tls(settings)
    except KafkaTlsError as exc:
        print(exc, file=sys.stderr, flush=True)
        return True
    return False


def _worker(args: argparse.Namespace) -> NoReturn:
    from infra.settings import Settings

    if kafka_tls_refused(Settings()):
        raise SystemExit(EXIT_CONFIG)
    if Settings().event_loop == "uvloop":
        import mode.loop

        mode.loop.use("uvloop")  # before Faust makes its loop
    from streams.worker import main, settings

    main(["jaring-worker", "worker", "--loglevel", faust_log_level(settings.log_level)])


def _topics(args: argparse.Namespace) -> int:
    import asyncio

    from infra.settings import Settings

    # Before streams.worker, whose import builds the clients' TLS context.
    if not args.dry_run and kafka_tls_refused(Settings()):
        return EXIT_CONFIG
    from streams.provision import TopicMismatchError, create_all, required
    from streams.worker import settings

    specs = required()
    if not args.dry_run:
        try:
            created = set(asyncio.run(create_all()))
        except TopicMismatchError as exc:
            print(exc, file=sys.stderr)
            return 1
    for spec in specs:
        state = "planned" if args.dry_run else "created" if spec.name in created else "exists"
        config = " ".join(f"{k}={v}" for k, v in sorted(spec.config.items()))
        print(f"{state:<8} {spec.name}  partitions={spec.partitions} "
              f"replication={spec.replication_factor} {config}")
    print(f"{len(specs)} topics in namespace {settings.namespace!r} at {settings.kafka_bootstrap}",
          file=sys.stderr)
    return 0


def _health(args: argparse.Namespace) -> int:
    from infra.settings import Settings
    from jaring.health import check

    return 0 if check(args.service, Settings()) else 1


def _dashboard(args: argparse.Namespace) -> int:
    from dashboard.service import run
    from infra.settings import Settings

    settings = Settings()
    if kafka_tls_refused(settings):
        return EXIT_CONFIG
    return run(settings)


def _webhooks(args: argparse.Namespace) -> int:
    from infra.settings import Settings
    from webhooks.service import run

    settings = Settings()
    if kafka_tls_refused(settings):
        return EXIT_CONFIG
    return run(settings)


def _demo(args: argparse.Namespace) -> int:
    from jaring.demo import run_demo

    return run_demo(workers=args.workers, keep_running=args.keep_running)


def _api(args: argparse.Namespace) -> int:
    from infra.settings import Settings

    if args.print_openapi:
        import json

        from api.app import openapi_document

        print(json.dumps(openapi_document(), indent=2, ensure_ascii=False))  # committed as api/openapi.json
        return 0
    from api.server import serve

    settings = Settings()
    if kafka_tls_refused(settings):
        return EXIT_CONFIG
    return serve(settings)


def _keys(args: argparse.Namespace) -> int:
    """Errors are one line with a code on stderr: 2 for a wrong command line, 1 for a wrong state."""
    from datetime import UTC, datetime

    from api.keys import SUBJECT_RULE, KeyFile, KeyFileInvalidError, Role, is_subject, issue
    from infra.settings import Settings

    keys = KeyFile(Path(Settings().api_keys_file))
    try:
        if args.action == "create":
            role = Role(args.role)
            named = {Role.SPONSOR: args.sponsor_id, Role.OFFICER: args.officer_id, Role.PAYER: args.payer_id}
            subject = args.subject or named[role]
            if not subject:
                print(f"keys_subject_missing: --role {role.value} needs --{role.value}-id (or --subject)",
                      file=sys.stderr)
                return 2
            if not is_subject(subject):
                flag = "--subject" if args.subject else f"--{role.value}-id"
                print(f"keys_subject_invalid: {flag} {subject!r} is not an id; use {SUBJECT_RULE}",
                      file=sys.stderr)
                return 2
            key, record = issue(role, subject, datetime.now(UTC))
            keys.add(record)
            print(f"created key {record.key_id} ({role.value} {subject}) in {keys.path}", file=sys.stderr)
            print("store it now; it is not shown again:", file=sys.stderr)
            print(key)
        elif args.action == "list":
            for r in keys.records():
                state = "revoked" if r.revoked else "active"
                print(f"{r.key_id}  {r.role.value:<7}  {r.subject}  {r.created_at:%Y-%m-%dT%H:%MZ}  {state}")
        elif not keys.revoke(args.key_id):
            print(f"key_unknown: no key {args.key_id} in {keys.path}", file=sys.stderr)
            return 1
    except KeyFileInvalidError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def _policy(args: argparse.Namespace) -> int:
    """Print the policy in force (``JARING_POLICY_FILE``, else Kendari's): the start of a new policy file."""
    from infra.settings import Settings

    print(Settings().city_policy().model_dump_json(indent=2))
    return 0


def _replay(args: argparse.Namespace) -> int:
    """Exit as diff(1) does: 0 no difference, 1 differences, 2 a bad policy file or command line."""
    import asyncio

    from infra.settings import Settings
    from infra.topic_io import read_until
    from jaring.replay_policy import PolicyFileError, compare, parse_policy, render, run, to_csv
    from models.regions import is_known_regency
    from models.tariff import BPU_TARIFF, TariffFileError, load_tariff
    from models.topics import REGION_LOG

    if not is_known_regency(args.region):
        print(f"region_unknown: {args.region!r} is not a regency code in Kemendagri's table (e.g. 74.71)",
              file=sys.stderr)
        return 2
    try:
        new = parse_policy(Path(args.policy).read_bytes(), args.policy)
    except OSError as exc:
        print(f"policy_unreadable: {args.policy}: {exc.strerror}", file=sys.stderr)
        return 2
    except PolicyFileError as exc:
        print(exc, file=sys.stderr)
        return 2
    tariff = BPU_TARIFF
    if args.tariff:
        try:
            tariff = load_tariff(Path(args.tariff).read_text(encoding="utf-8"))
        except OSError as exc:
            print(f"tariff_unreadable: {args.tariff}: {exc.strerror}", file=sys.stderr)
            return 2
        except TariffFileError as exc:
            print(f"tariff_invalid: {args.tariff}: {exc}", file=sys.stderr)
            return 2
    settings = Settings()
    if kafka_tls_refused(settings):
        return EXIT_CONFIG
    current = settings.city_policy()
    topic = settings.topic(REGION_LOG.name)
    log = asyncio.run(read_until(settings, [topic], lambda _: True, args.timeout))
    if not any(r.key == args.region.encode() for r in log):
        print(f"region_log_empty: {topic} holds no record for {args.region}; check JARING_NAMESPACE and "
              "JARING_KAFKA_BOOTSTRAP (nothing to compare)", file=sys.stderr)
        return 2
    key = settings.pseudonym_key.get_secret_value().encode()
    diff = compare(run(log, args.region, key, current), run(log, args.region, key, new, tariff))
    print(render(diff, args.region, args.policy), end="")
    if args.csv:
        Path(args.csv).write_text(to_csv(diff), encoding="utf-8")
        print(f"wrote {len(diff.changes)} worker row(s) to {args.csv}: pseudonyms with their groups, "
              "an operator's file; keep it where the region log is kept", file=sys.stderr)
    return 0 if diff.empty else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jaring", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    broker = sub.add_parser("broker", help="run a local Apache Kafka (KRaft) broker until Ctrl-C")
    broker.add_argument(
        "--nodes", type=int, choices=(1, 3), default=1, help="1 combined node, or a quorum of 3"
    )
    broker.add_argument("--port", type=int, default=9092, help="client port of node 1 (controller: port+1)")
    broker.add_argument("--data-dir", default=".jaring-kafka", help="broker data and logs (kept across runs)")
    broker.add_argument("--heap", default="512m", help="JVM max heap per node")
    broker.set_defaults(func=_broker)

    worker = sub.add_parser("worker", help="run a stream worker (configured by JARING_* variables)")
    worker.set_defaults(func=_worker)

    topics = sub.add_parser("topics", help="create the namespace's topics on a cluster (JARING_* variables)")
    topics_sub = topics.add_subparsers(dest="action", required=True)
    create_topics = topics_sub.add_parser(
        "create", help="create every declared topic and table changelog that is missing; check the others"
    )
    create_topics.add_argument("--dry-run", action="store_true", help="print the plan without connecting")
    topics.set_defaults(func=_topics)

    health = sub.add_parser("health", help="exit 0 if a service on this host answers its health URL")
    health.add_argument("service", choices=SERVICES)
    health.set_defaults(func=_health)

    dashboard = sub.add_parser("dashboard", help="serve the live city dashboard (reads the output topics)")
    dashboard.set_defaults(func=_dashboard)

    webhooks = sub.add_parser(
        "webhooks", help="deliver sponsors' events to their endpoints, signed (JARING_WEBHOOK_* variables)"
    )
    webhooks.set_defaults(func=_webhooks)

    api = sub.add_parser("api", help="serve the sponsor HTTP API (JARING_API_* variables)")
    api.add_argument("--print-openapi", action="store_true", help="print the OpenAPI document and exit")
    api.set_defaults(func=_api)

    keys = sub.add_parser("keys", help="manage API keys in JARING_API_KEYS_FILE")
    keys_sub = keys.add_subparsers(dest="action", required=True)
    create = keys_sub.add_parser("create", help="create a key and print it once")
    create.add_argument("--role", choices=("sponsor", "officer", "payer"), required=True)
    create.add_argument("--subject", help="the key's sponsor, officer desk or payer id (any role)")
    create.add_argument("--sponsor-id", help="the sponsor this key pledges for (role sponsor)")
    create.add_argument("--officer-id", help="the enrolment desk this key submits for (role officer)")
    create.add_argument("--payer-id", help="the payer this key reports payments for (role payer)")
    keys_sub.add_parser("list", help="list keys (ids, roles, subjects; never the keys)")
    revoke = keys_sub.add_parser("revoke", help="revoke a key; a running API stops accepting it at once")
    revoke.add_argument("key_id")
    keys.set_defaults(func=_keys)

    policy = sub.add_parser("policy", help="the city's policy (JARING_POLICY_FILE)")
    policy_sub = policy.add_subparsers(dest="action", required=True)
    policy_sub.add_parser("show", help="print the policy in force as JSON: edit it into a new policy file")
    policy.set_defaults(func=_policy)

    replay = sub.add_parser(
        "replay",
        help="re-run a region's log under another policy file and print who and what would differ",
        description="Reads the region log from the start (JARING_* variables), runs the core under the "
        "current policy and under FILE (and --tariff, if given), and prints the workers whose outcome "
        "differs, their counts by group (small cells merged) and the money by pledge. Exit 0: no "
        "difference; 1: differences; 2: a bad region, policy or tariff file, or no record of the region.",
    )
    replay.add_argument("--region", required=True, help="the regency or city code, e.g. 74.71")
    replay.add_argument("--policy", required=True, metavar="FILE",
                        help="a policy JSON file (the format of `jaring policy show`)")
    replay.add_argument("--tariff", metavar="FILE",
                        help="price the new run's seats, and bill its months, with this tariff file "
                        "(the format of models/data/bpu-tariff.json; its schedules and discounts)")
    replay.add_argument("--csv", metavar="OUT",
                        help="also write one row per differing worker (pseudonym, groups, outcomes): "
                        "an operator's file")
    replay.add_argument("--timeout", type=float, default=120.0, help="seconds to read the region log")
    replay.set_defaults(func=_replay)

    demo = sub.add_parser("demo", help="run the Kendari programme through a real broker and worker")
    demo.add_argument("--workers", type=int, default=1500, help="informal workers who apply")
    demo.add_argument("--keep-running", action="store_true", help="leave broker and worker up until Ctrl-C")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result

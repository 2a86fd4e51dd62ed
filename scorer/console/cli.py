"""``benchscore users``: the console's accounts, from the scorer host's shell.

    benchscore users add NAME --role judge --config scorer.toml [--display-name ...]
                         [--contestant C01] [--password-stdin]
    benchscore users list --config scorer.toml
    benchscore users passwd NAME --config scorer.toml [--password-stdin]
    benchscore users disable NAME --config scorer.toml   (and ``enable``)

There is no default account and no default password: ``add`` and ``passwd`` print a random
password unless one is given on standard input. ``benchscore demo`` creates its accounts with
:func:`scorer.console.demo.create_demo_accounts` and prints them.

Hook for ``benchscore/app/cli.py``: ``add_parser(sub)`` in ``build_parser`` and
``if args.command == "users": return console_cli.run(args)`` in ``main``.
"""

from __future__ import annotations

import argparse
import sys

from ..accounts import audit
from ..accounts.auth import (
    ROLES,
    AccountError,
    add_user,
    generate_password,
    list_users,
    set_disabled,
)
from ..accounts.auth import set_password as _set_password
from ..accounts.db import ConsoleDB
from ..config import ConfigError, load_config
from ..store import Store


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = sub.add_parser("users", help="console accounts: add, list, passwd, disable, enable")
    users_sub = users.add_subparsers(dest="users_command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", required=True, help="scorer TOML file (names the database)")

    add = users_sub.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--display-name", default=None)
    add.add_argument("--contestant", default=None, help="competitor id (role contestant)")
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    common(add)
    common(users_sub.add_parser("list", help="list accounts"))
    pw = users_sub.add_parser("passwd", help="set a new password (ends the user's sessions)")
    pw.add_argument("username")
    pw.add_argument("--password-stdin", action="store_true")
    common(pw)
    for name in ("disable", "enable"):
        p = users_sub.add_parser(name, help=f"{name} an account")
        p.add_argument("username")
        common(p)


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    if getattr(args, "password_stdin", False):
        return sys.stdin.readline().rstrip("\n"), False
    return generate_password(), True


def run(args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(f"benchscore users: {exc}", file=sys.stderr)
        return 2
    store = Store(config.storage_target)
    try:
        db = ConsoleDB(store.db)
        cmd = args.users_command
        if cmd == "list":
            for u in list_users(db):
                flag = " (disabled)" if u["disabled"] else ""
                who = f" contestant {u['contestant']}" if u["contestant"] else ""
                print(f"{u['username']:<24} {u['role']:<11} {u['display_name']}{who}{flag}")
            return 0
        if cmd == "add":
            password, generated = _password(args)
            user = add_user(
                db,
                args.username,
                args.role,
                password,
                display_name=args.display_name,
                contestant=args.contestant,
            )
            audit.append(
                db,
                "cli",
                "user.add",
                user.username,
                None,
                {"role": user.role, "contestant": user.contestant},
            )
            print(f"created {user.role} {user.username}")
        elif cmd == "passwd":
            password, generated = _password(args)
            _set_password(db, args.username, password)
            audit.append(db, "cli", "user.passwd", args.username, None, None)
            print(f"new password set for {args.username}")
        else:
            set_disabled(db, args.username, cmd == "disable")
            audit.append(db, "cli", f"user.{cmd}", args.username, None, None)
            print(f"{cmd}d {args.username}")
            return 0
        if generated:
            print(f"password: {password}")
        return 0
    except AccountError as exc:
        print(f"benchscore users: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchscore")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

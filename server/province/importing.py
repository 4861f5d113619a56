"""An import from start to end: plan, passwords for new users, apply, commit.

The slow part, hashing new users' passwords (scrypt, about 50 ms each), happens between
two transactions, so that on SQLite no writer waits for it. The plan is then made
again in the writing transaction and applied there: all of it is committed, or none.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from server.engine import cache
from server.passwords import generate_password, hash_password
from server.province.apply import apply
from server.province.checks import Parsed
from server.province.plan import Plan, plan

#: Hashes a list of passwords (the API hands this to a thread of its own).
Hasher = Callable[[list[str]], list[str]]


def hash_each(passwords: list[str]) -> list[str]:
    return [hash_password(p) for p in passwords]


def hash_on_every_core(passwords: list[str]) -> list[str]:
    """The same on a thread per core: scrypt lets go of the GIL (the CLI's choice; a served
    worker under gevent must not start threads of its own). At most 8: each takes 16 MB."""
    workers = min(len(passwords), os.cpu_count() or 1, 8)
    if workers <= 1:
        return hash_each(passwords)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(hash_password, passwords))


@dataclass(frozen=True)
class Outcome:
    plan: Plan
    applied: bool
    #: New users' passwords by user name: shown once, never stored (only their hashes).
    passwords: dict[str, str] = field(default_factory=dict)


def run(session: Session, parsed: Parsed, *, dry_run: bool, hasher: Hasher = hash_each) -> Outcome:
    """Import ``parsed`` (``ProvinceInvalid`` if anything is wrong); a dry run changes nothing."""
    try:
        preview = plan(session, parsed)
    finally:
        session.rollback()  # holds no lock while passwords are hashed, nor after a dry run
    if dry_run:
        return Outcome(preview, applied=False)
    passwords = {name: generate_password() for name in preview.new_users}
    hashes = dict(zip(passwords, hasher(list(passwords.values())), strict=True))
    try:
        final = plan(session, parsed)
        late = [name for name in final.new_users if name not in hashes]  # removed meanwhile
        passwords.update({name: generate_password() for name in late})
        hashes.update(zip(late, hasher([passwords[name] for name in late]), strict=True))
        apply(session, final, hashes)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    cache.forget()  # this process sees the new names at once; others within seconds
    return Outcome(final, applied=True, passwords={n: passwords[n] for n in final.new_users})

"""A kiosk's rate limit holds across server processes: they count together in Redis."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid

import pytest

from harness import builders, services
from harness.processes import Cluster
from server.database import make_engine
from server.engine.sessions import make_sessionmaker
from server.models import TokenKind

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster(database, tmp_path_factory):
    """Two processes as deployed: rate limits on (the default), counted in the shared Redis."""
    result = Cluster(database, tmp_path_factory.mktemp("instance"), services.REDIS_URL)
    try:
        result.start(2)
        yield result
    finally:
        result.stop()


def kiosk_of_new_office(database: str) -> tuple[str, str]:
    engine = make_engine(database)
    with make_sessionmaker(engine)() as session:
        code = f"o{uuid.uuid4().hex[:8]}"
        office = builders.office(session, code)
        token = builders.device_token(session, TokenKind.KIOSK, office)
        session.commit()
    engine.dispose()
    return code, token


def issue(url: str, office: str, token: str, service: str) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(
        f"{url}/api/v1/offices/{office}/tickets",
        data=json.dumps({"service": service}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as refused:
        return refused.code, dict(refused.headers)


def test_a_flood_through_two_processes_gets_one_kiosks_60_tickets_not_120(cluster, database):
    office, kiosk = kiosk_of_new_office(database)
    services_ = ("insurance", "civil", "post")
    answers = [issue(cluster.urls[n % 2], office, kiosk, services_[n % 3]) for n in range(80)]
    statuses = [status for status, _headers in answers]
    assert statuses.count(201) == 60
    assert statuses[:60] == [201] * 60
    # Refused by either process, each telling the kiosk when to come back.
    refused = answers[60:]
    assert {status for status, _ in refused} == {429}
    assert all(1 <= int(headers["Retry-After"]) <= 60 for _, headers in refused)
    assert len({cluster.urls[n % 2] for n in range(60, 80)}) == 2

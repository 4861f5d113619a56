"""Liveness: answers without touching the database (load balancers, and the benchmark's ceiling)."""

from __future__ import annotations

from flask.views import MethodView

from server.api.blueprint import Blueprint
from server.api.schemas import Health

blp = Blueprint("health", __name__, url_prefix="/api/v1", description="Health", public=True)


@blp.route("/health")
class Alive(MethodView):
    @blp.response(200, Health)
    @blp.doc(security=[])
    def get(self) -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}

"""Which offices a regional manager oversees, besides the office they belong to."""

from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from server.database import Base


class ManagerOffice(Base):
    """One office in a manager's scope (a regional manager has several rows)."""

    __tablename__ = "manager_offices"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    office_id: Mapped[int] = mapped_column(
        ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True, index=True
    )

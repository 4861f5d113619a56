"""REST API v1: thin views that validate, authorise, call the engine, commit and answer."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register(app: Flask, api: Api) -> None:
    """Register every API blueprint on ``api``."""
    from server.api import (
        audit,
        counters,
        devices,
        health,
        office_devices,
        offices,
        printing,
        province,
        setup,
        staffing,
        stats,
        tickets,
        voice,
    )
    from server.api.blueprint import register_converters

    register_converters(app, api)
    for module in (
        health,
        offices,
        counters,
        tickets,
        printing,
        devices,
        office_devices,
        voice,
        stats,
        staffing,
        audit,
        province,
        setup,
    ):
        api.register_blueprint(module.blp)

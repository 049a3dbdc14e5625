"""`get-<x>s` and `get-<x>s-connection`, the same for every entity: the domain's query, counted or listed."""

from flask import Blueprint

from .wire import operation


def register_reads(bp: Blueprint, kind: str) -> None:
    plural = f"/get-{kind.lower()}s"

    @operation(bp, plural)
    def _list(world, body, user):
        return world.query(kind, body)

    @operation(bp, plural + "-connection")
    def _count(world, body, user):
        return {"aggregate": {"count": len(world.query(kind, body))}}

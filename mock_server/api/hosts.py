"""Tag Host."""

from flask import Blueprint

from .reads import register_reads

bp = Blueprint("hosts", __name__)
register_reads(bp, "Host")

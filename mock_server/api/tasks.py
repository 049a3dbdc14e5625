"""Tag Task."""

from flask import Blueprint

from .reads import register_reads

bp = Blueprint("tasks", __name__)
register_reads(bp, "Task")

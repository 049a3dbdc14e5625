"""Tag Cluster."""

from flask import Blueprint

from .reads import register_reads

bp = Blueprint("clusters", __name__)
register_reads(bp, "Cluster")

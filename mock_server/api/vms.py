"""Tag Vm."""

from flask import Blueprint

from .reads import register_reads

bp = Blueprint("vms", __name__)
register_reads(bp, "Vm")

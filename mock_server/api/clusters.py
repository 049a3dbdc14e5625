"""Tag Cluster."""

from .registry import reads

reads("Cluster")

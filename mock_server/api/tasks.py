"""Tag Task."""

from .registry import reads

reads("Task")

"""A minimal client for CloudTower's /v2/api (real or simulated): one method per operation, typed errors, task
waiting, and the maintenance workflow in one call."""

from .core import Backoff, CloudTowerClient
from .errors import (BadRequest, CloudTowerError, ConnectionFailed, Forbidden, NotFound, NotSimulated, ResourceLocked,
                     ServerError, TaskFailed, TaskStalled, TaskTimeout, Unauthorized)
from .transport import WSGIAdapter, wsgi_session
from .types import (EnterMaintenanceModeResult, ExitMaintenanceModeResult, MaintenanceModeVmInfo, MaintenanceReport)

__all__ = ["Backoff", "CloudTowerClient", "BadRequest", "CloudTowerError", "ConnectionFailed", "Forbidden",
           "NotFound", "NotSimulated", "ResourceLocked", "ServerError", "TaskFailed", "TaskStalled", "TaskTimeout",
           "Unauthorized", "WSGIAdapter", "wsgi_session", "EnterMaintenanceModeResult", "ExitMaintenanceModeResult",
           "MaintenanceModeVmInfo", "MaintenanceReport"]

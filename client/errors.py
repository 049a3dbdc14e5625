"""One exception hierarchy for everything the client can meet: CloudTower's ErrorBody, the network, and tasks."""

from __future__ import annotations


class CloudTowerError(Exception):
    """An error answer from CloudTower: `status`, `message`, `code`, `path` and the `request_id` to quote."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None, path: str | None = None,
                 request_id: str | None = None, operation: str | None = None, body=None):
        self.message, self.status, self.code, self.path = message, status, code, path
        self.request_id, self.operation, self.body = request_id, operation, body
        where = f" on {path}" if path else ""
        rid = f" [request {request_id}]" if request_id else ""
        super().__init__(f"{status or ''} {message}{where}{rid}".strip())


class BadRequest(CloudTowerError):
    """400: the request breaks the schema, or the object is in the wrong state."""


class ResourceLocked(BadRequest):
    """400 with code ResourceLocked: a task is working on the object; try again when it has finished."""


class Unauthorized(CloudTowerError):
    """401: no token, or a token CloudTower does not know."""


class Forbidden(CloudTowerError):
    """403."""


class NotFound(CloudTowerError):
    """404: no such object, or no such path."""


class ServerError(CloudTowerError):
    """5xx."""


class NotSimulated(ServerError):
    """501: an upstream operation the simulator does not simulate."""


class ConnectionFailed(CloudTowerError):
    """The request never got an answer (refused, reset, timed out, TLS); `url` says where it went."""

    def __init__(self, url: str, cause: Exception):
        self.url, self.cause = url, cause
        super().__init__(f"cannot reach {url}: {type(cause).__name__}: {cause}", path=url)


class TaskFailed(CloudTowerError):
    """A task ended FAILED: its `error_code` and `error_message`, and the whole `task`."""

    def __init__(self, task: dict, others: list | None = None):
        self.task, self.task_id = task, task.get("id")
        self.error_code, self.error_message = task.get("error_code"), task.get("error_message")
        self.failures = [task, *(others or [])]
        more = f" (and {len(others)} more failed)" if others else ""
        super().__init__(f"task {self.task_id} ({task.get('description')}) failed: "
                         f"{self.error_code}: {self.error_message}{more}", code=self.error_code)


class TaskTimeout(CloudTowerError):
    """A task did not end in time: how long was waited, and the state last seen."""

    def __init__(self, task_id: str, waited: float, last: dict | None):
        self.task_id, self.waited, self.last = task_id, waited, last
        super().__init__(f"task {task_id} did not finish within {waited:.1f} s; {self._seen('last seen ')}")

    def _seen(self, prefix: str) -> str:
        last = self.last
        return f"{prefix}{last.get('status')} at progress {last.get('progress')}" if last else "never seen by get-tasks"


class TaskStalled(TaskTimeout):
    """A task whose status and progress stayed the same for `waited` seconds: it may never finish."""

    def __init__(self, task_id: str, waited: float, last: dict | None):
        self.task_id, self.waited, self.last = task_id, waited, last
        CloudTowerError.__init__(self, f"task {task_id} made no progress for {waited:.1f} s: {self._seen('still ')}")


def from_response(status: int, body, request_id: str | None, operation: str | None,
                  path: str | None = None) -> CloudTowerError:
    """The exception for an error answer: the ErrorBody when there is one, else the status and text alone; `path`
    (the request's) stands in when the answer names none."""
    if isinstance(body, dict) and "message" in body:
        message, code, path = str(body["message"]), body.get("code"), body.get("path") or path
    else:
        message, code = (str(body)[:500] if body else f"HTTP {status}"), None
    cls = {400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 501: NotSimulated}.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else CloudTowerError
    if code == "ResourceLocked":
        cls = ResourceLocked
    return cls(message, status, code, path, request_id, operation, body)

"""Domain refusals. The API layer turns each into an `ErrorBody` with the status named here, in one place."""


class DomainError(Exception):
    status = 400
    code = None

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadRequest(DomainError):
    """An operation on an object in the wrong state, or a request that cannot be carried out as asked."""


class NotFound(DomainError):
    status = 404


class Unauthorized(DomainError):
    status = 401


class Forbidden(DomainError):
    """Allowed to no user of this role (upstream declares no 403, but the official SDK maps it to
    ForbiddenException)."""
    status = 403


class NotSimulated(DomainError):
    """A form of a simulated operation that cloudtower-sim does not carry out: 501, as an operation it does not
    simulate at all answers, rather than a guess."""
    status = 501


class ResourceLocked(DomainError):
    """A task is already working on this host or VM (upstream's only `ErrorCode`)."""
    code = "ResourceLocked"


class TaskError(Exception):
    """Raised by a task step: the task ends FAILED with this code and message."""

    def __init__(self, message: str, code: str = "TASK_FAILED"):
        super().__init__(message)
        self.message, self.code = message, code

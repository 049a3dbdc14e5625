"""Tags User and ApiInfo: log in, and the API version."""

from .registry import operation


@operation("/login", mutation=False)
def login(world, body, user):
    return {"task_id": None, "data": {"token": world.login(body["username"], body["password"], body.get("source"))}}


@operation("/get-version", mutation=False, read=True)
def get_version(world, body, user):
    return world.api_version

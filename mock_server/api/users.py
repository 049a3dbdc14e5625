"""Tags User and ApiInfo: log in, and the API version."""

from .registry import operation, with_task


@operation("/login", mutation=False)
def login(world, body, user):
    return with_task(None, {"token": world.login(body["username"], body["password"], body.get("source"),
                                                 body.get("auth_config_id"))})


@operation("/get-version", mutation=False, read=True)
def get_version(world, body, user):
    return world.api_version

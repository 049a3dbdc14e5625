"""Tags User and ApiInfo: log in, and the API version."""

from flask import Blueprint

from .wire import operation

bp = Blueprint("users", __name__)
API_VERSION = "4.6.0"


@operation(bp, "/login")
def login(world, body, user):
    return {"task_id": None, "data": {"token": world.login(body["username"], body["password"])}}


@operation(bp, "/get-version")
def get_version(world, body, user):
    return API_VERSION

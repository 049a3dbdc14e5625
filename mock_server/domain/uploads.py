"""Uploading an ISO image as CloudTower takes it: in chunks of 8 MiB, each a multipart request. The first request
names the cluster, the image and its whole size and carries the first chunk; it opens an `UploadTask`. Each next
request carries that task's id and the next chunk. After the last chunk the task is SUCCESSED and the image is in
the cluster, found by the task's `args.attributes.uuid` (its `local_id`). The simulator keeps sizes, not bytes.

Sources: the SDKs' upload examples (cloudtower-python-sdk and cloudtower-go-sdk, examples/upload/readme.md: "8388608
是目前tower上传代码的切片大小", 8388608 is the tower's chunk size; the first request uploads the first chunk and answers
the upload task), and the Python SDK's image_utils.get_elf_image_by_upload_task (a SUCCESSED ELF_IMAGE task's
`args.attributes.uuid` is the image's local_id). What the sources leave open is refused rather than guessed: a part
larger than a chunk, a short part before the last, fields that change between the chunks of one upload."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import BadRequest, NotFound
from .inventory import ElfImage
from .model import BYTE_UNITS, Entity

CHUNK_SIZE = 8 * 1024 * 1024
UPLOADING, SUCCESSED, FAILED = "UPLOADING", "SUCCESSED", "FAILED"  # upstream's UploadTaskStatus


@dataclass(eq=False, repr=False, slots=True)
class UploadTask(Entity):
    table = "upload_tasks"
    read = True

    id: str
    resource_type: str  # UploadResourceType
    size: int  # bytes, the whole file
    args: dict  # what the upload makes: {"attributes": {"uuid": local id, "name", "cluster_id", "description"}}
    started_at: str
    updatedAt: str  # sic: upstream's one camelCase field of UploadTask
    status: str = UPLOADING
    chunk_size: int = CHUNK_SIZE
    current_chunk: int = 0  # chunks received
    received: int = 0  # bytes received
    finished_at: str | None = None

    @property
    def name(self):
        return self.args["attributes"]["name"]


def upload_elf_image(world, user, form: dict) -> UploadTask:
    """One request of an ELF image upload: `form` as upstream's multipart fields, `file` the chunk's bytes."""
    length, task_id = len(form["file"]), form.get("upload_task_id")
    if task_id is None:  # opened only once its first chunk is taken: a refusal leaves no task behind
        cluster, name, size = _opening(world, form)
        _check_chunk(length, size, 0)
        task = world.add(UploadTask(world.ids.cuid(), "ELF_IMAGE", size, started_at=world.now(),
                                    updatedAt=world.now(), args=_args(world.ids.uuid(), name, cluster,
                                                                      form.get("description", ""))))
    else:
        task = _continued(world, task_id, form)
        _check_chunk(length, task.size, task.received)
    _receive(world, task, length)
    return task


def uploaded(world, image: ElfImage) -> UploadTask:
    """The finished upload of an image a scenario starts with: a tower's images came in by upload."""
    now = world.now()
    return world.add(UploadTask(world.ids.cuid(), "ELF_IMAGE", image.size, started_at=now, updatedAt=now,
                                args=_args(image.local_id, image.name, image.cluster, image.description),
                                status=SUCCESSED, current_chunk=-(-image.size // CHUNK_SIZE), received=image.size,
                                finished_at=now))


def _args(uuid: str, name: str, cluster, description: str) -> dict:
    return {"attributes": {"uuid": uuid, "name": name, "cluster_id": cluster.id, "description": description}}


def _opening(world, form: dict) -> tuple:
    """The cluster, name and size in bytes of a new upload."""
    for key in ("cluster_id", "name", "size"):
        if not form.get(key, "").strip():
            raise BadRequest(f"{key}: the first request of an upload names the cluster, the image and its size "
                             "(without upload_task_id it opens an upload)")
    size = _size(form)
    cluster = world.clusters.get(form["cluster_id"])
    if cluster is None:
        raise NotFound(f"cluster_id: no cluster with id {form['cluster_id']!r}")
    name = form["name"]
    if any(image.name == name for image in world.elf_images.values() if image.cluster is cluster) or any(
            t.name == name and t.args["attributes"]["cluster_id"] == cluster.id and t.status == UPLOADING
            for t in world.upload_tasks.values()):
        raise BadRequest(f"name: cluster {cluster.name} already has an image named {name!r}, or one being uploaded")
    return cluster, name, size


def _size(form: dict) -> int:
    text, unit = form["size"].strip(), form.get("size_unit", "B")
    if not text.isdigit() or int(text) == 0:
        raise BadRequest(f"size: expected the file's size as a positive whole number, got {form['size']!r}")
    if unit not in BYTE_UNITS:
        raise BadRequest(f"size_unit: expected one of {', '.join(BYTE_UNITS)}, got {unit!r}")
    return int(text) * BYTE_UNITS[unit]


def _continued(world, task_id: str, form: dict) -> UploadTask:
    task = world.upload_tasks.get(task_id)
    if task is None or task.resource_type != "ELF_IMAGE":
        raise NotFound(f"upload_task_id: no ELF_IMAGE upload task with id {task_id!r}")
    if task.status != UPLOADING:
        raise BadRequest(f"upload_task_id: upload task {task.id} is {task.status}; it takes no more chunks")
    attributes = task.args["attributes"]
    for key, had in (("cluster_id", attributes["cluster_id"]), ("name", attributes["name"])):
        if form.get(key) not in (None, had):
            raise BadRequest(f"{key}: upload task {task.id} uploads {had!r}; a chunk does not change it")
    if form.get("size") is not None and _size(form) != task.size:
        raise BadRequest(f"size: upload task {task.id} uploads {task.size} bytes; a chunk does not change it")
    return task


def _check_chunk(length: int, size: int, received: int) -> None:
    left = size - received
    if length == 0:
        raise BadRequest("file: the chunk is empty")
    if length > min(left, CHUNK_SIZE):
        raise BadRequest(f"file: a chunk of {length} bytes is more than the upload takes: chunks of "
                         f"{CHUNK_SIZE} bytes, {left} bytes left of {size}")
    if length < CHUNK_SIZE and length != left:
        raise BadRequest(f"file: a chunk of {length} bytes before the last; every chunk but the last is "
                         f"{CHUNK_SIZE} bytes ({left} bytes left of {size})")


def _receive(world, task: UploadTask, length: int) -> None:
    task.received += length
    task.current_chunk += 1
    task.updatedAt = world.now()
    if task.received == task.size:
        _finish(world, task)


def _finish(world, task: UploadTask) -> None:
    attributes = task.args["attributes"]
    world.add(ElfImage(world.ids.cuid(), attributes["uuid"], attributes["name"],
                       world.clusters[attributes["cluster_id"]], size=task.size,
                       local_created_at=world.created_at(), description=attributes["description"]))
    task.status, task.finished_at = SUCCESSED, world.now()


def cancel(world, user, tasks: list) -> list[str]:
    """cancel-upload-task: each chosen upload still UPLOADING ends FAILED (upstream's status for an upload that did
    not finish; whether a tower keeps or forgets a cancelled task is not published) and takes no more chunks. Answers
    the ids of the cancelled tasks."""
    done = [t for t in tasks if t.status != UPLOADING]
    if done:
        raise BadRequest(f"where: upload task {done[0].id} is {done[0].status}; only an upload in progress is "
                         "cancelled")
    for task in tasks:
        task.status, task.finished_at, task.updatedAt = FAILED, world.now(), world.now()
    return [task.id for task in tasks]

"""ISO images in ELF: renamed, described and deleted, each a task. An image a CD-ROM mounts is not deleted (eject it
first, as SMTX asks of a volume a VM mounts)."""

from __future__ import annotations

from .errors import BadRequest
from .states import TaskKey
from .tasks import Step

SECONDS = 1.0


def update(world, user, images: list, data: dict) -> list:
    name = data.get("name")
    if name is not None:
        if not name.strip():
            raise BadRequest("data.name: expected a non-empty name")
        if len(images) > 1:
            raise BadRequest(f"data.name: where matches {len(images)} images, and one name cannot go to all of them")
    world.runner.check_unlocked(*images)
    changes = {k: data[k] for k in ("name", "description") if data.get(k) is not None}

    def apply(image):
        for key, value in changes.items():
            setattr(image, key, value)
    return [(world.start_task(f"Update image {i.name}", i, TaskKey.UpdateElfImage,
                              [Step("update", SECONDS, lambda i=i: apply(i))], locks=(i,), user=user,
                              args=dict(data)), i) for i in images]


def delete(world, user, images: list) -> list:
    for image in images:
        if image.vm_disks:
            raise BadRequest(f"where: image {image.name} is mounted by a CD-ROM of VM {image.vm_disks[0].vm.name}; "
                             "eject it first (eject-iso-from-vm-cd-rom)")
    world.runner.check_unlocked(*images)
    return [(world.start_task(f"Delete image {i.name}", i, TaskKey.DeleteElfImage,
                              [Step("delete", SECONDS, lambda i=i: world.remove(i))], locks=(i,), user=user), i)
            for i in images]

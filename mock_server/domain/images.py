"""ISO images in ELF: renamed, described and deleted, each a task. An image a CD-ROM mounts is not deleted (eject it
first, as SMTX asks of a volume a VM mounts)."""

from __future__ import annotations

from .edits import check_name, each, setter
from .errors import BadRequest
from .states import TaskKey


def update(world, user, images: list, data: dict) -> list:
    check_name(data, images, "images")
    changes = {k: data[k] for k in ("name", "description") if data.get(k) is not None}
    return each(world, user, images, TaskKey.UpdateElfImage, "Update image", setter(changes), data)


def delete(world, user, images: list) -> list:
    for image in images:
        if image.vm_disks:
            raise BadRequest(f"where: image {image.name} is mounted by a CD-ROM of VM {image.vm_disks[0].vm.name}; "
                             "eject it first (eject-iso-from-vm-cd-rom)")
    return each(world, user, images, TaskKey.DeleteElfImage, "Delete image", world.remove)

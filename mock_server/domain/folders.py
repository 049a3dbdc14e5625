"""VM folders: a cluster's VMs sorted into named folders, a VM in one folder at most (upstream's `Vm.folder` is one).

Guesses, said where they stand: a folder's name is unique in its cluster, and a folder that holds VMs is not deleted
(whether a tower empties it or refuses is not published; cloudtower-sim refuses, and says so)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .edits import SECONDS, check_name, each
from .errors import BadRequest, NotFound
from .model import Entity
from .states import TaskKey
from .tasks import Step


@dataclass(eq=False, repr=False, slots=True)
class VmFolder(Entity):
    table = "vm_folders"
    read = True

    id: str
    local_id: str
    name: str
    cluster: object
    vms: list = field(default_factory=list)

    @property
    def vm_num(self):
        return len(self.vms)


def _named(at: str, name: str, cluster, world, besides=None) -> None:
    if not name.strip():
        raise BadRequest(f"{at}: expected a non-empty name")
    if any(f.name == name and f.cluster is cluster and f is not besides for f in world.vm_folders.values()):
        raise BadRequest(f"{at}: cluster {cluster.name} already has a folder named {name!r}")


def create(world, user, batch: list) -> list:
    planned = []
    for i, p in enumerate(batch):
        cluster = world.clusters.get(p["cluster_id"])
        if cluster is None:
            raise NotFound(f"[{i}].cluster_id: no Cluster with id {p['cluster_id']!r}")
        _named(f"[{i}].name", p["name"], cluster, world)
        if any(q["name"] == p["name"] and q["cluster_id"] == p["cluster_id"] for q in batch[:i]):
            raise BadRequest(f"[{i}].name: this request already creates a folder named {p['name']!r}")
        planned.append((cluster, p["name"]))
    started = []
    for cluster, name in planned:
        folder = world.add(VmFolder(world.ids.cuid(), world.ids.uuid(), name, cluster))
        started.append((world.start_task(f"Create folder {name}", folder, TaskKey.CreateVmFolder,
                                         [Step("create", SECONDS)], locks=(folder,), user=user), folder))
    return started


def update(world, user, folders: list, data: dict) -> list:
    check_name(data, folders, "folders")
    for folder in folders:
        _named("data.name", data["name"], folder.cluster, world, besides=folder)

    def rename(folder):
        folder.name = data["name"]
    return each(world, user, folders, TaskKey.UpdateVmFolder, "Update folder", rename, data)


def delete(world, user, folders: list) -> list:
    for folder in folders:
        if folder.vms:
            raise BadRequest(f"where: folder {folder.name} holds VM {folder.vms[0].name}; take its VMs out first "
                             "(remove-vm-from-folder)")
    return each(world, user, folders, TaskKey.DeleteVmFolder, "Delete folder", world.remove)


def chosen(world, folder_id: str, cluster, at: str) -> VmFolder:
    folder = world.vm_folders.get(folder_id)
    if folder is None:
        raise NotFound(f"{at}: no VmFolder with id {folder_id!r}")
    if folder.cluster is not cluster:
        raise BadRequest(f"{at}: folder {folder.name} is in cluster {folder.cluster.name}, not {cluster.name}")
    return folder


def file_vms(world, user, vms: list, data: dict) -> list:
    """add-vm-to-folder: each VM's task moves it into the folder (out of the one it was in)."""
    folders = [chosen(world, data["folder_id"], vm.cluster, "data.folder_id") for vm in vms]

    def put(vm, folder=folders[0] if folders else None):
        place(vm, folder)
    return each(world, user, vms, TaskKey.AddVmToFolder, "Add to folder", put, data)


def unfile_vms(world, user, vms: list) -> list:
    for vm in vms:
        if vm.folder is None:
            raise BadRequest(f"where: VM {vm.name} is in no folder")
    return each(world, user, vms, TaskKey.RemoveVmToFolder, "Remove from folder", lambda vm: place(vm, None))


def place(vm, folder) -> None:
    """Both sides of Vm.folder / VmFolder.vms."""
    if vm.folder is not None:
        vm.folder.vms.remove(vm)
    vm.folder = folder
    if folder is not None:
        folder.vms.append(vm)

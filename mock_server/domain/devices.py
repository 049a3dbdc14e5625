"""A new VM's disks, CD-ROMs and NICs, as `create-vm` gives them (VmDiskParams, VmNicParams): every reference is
checked against the VM's cluster before anything is created, so a name of a VLAN, volume or image that does not
exist is refused, never a VM created without it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import BadRequest, NotFound
from .inventory import VmDisk, VmNic, VmVolume, checked_policy
from .model import BYTE_UNITS

MAC = re.compile(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")
MAX_VOLUME = 64 * 1024**4  # 64 TiB: cloudtower-sim's bound for one new volume (a real tower's is not published)


@dataclass
class DevicePlan:
    """What a VM will be given: (kind, arguments) in the order they were asked for."""
    new_volumes: list = field(default_factory=list)  # (name, size, policy, bus, boot)
    volumes: list = field(default_factory=list)  # (VmVolume, bus, boot)
    cd_roms: list = field(default_factory=list)  # (ElfImage or None, boot)
    nics: list = field(default_factory=list)  # (Vlan, model, mac, enabled, mirror, ip, gateway, mask)


def plan(world, cluster, params: dict, at: str, taken: set) -> DevicePlan:
    """Check `params`' vm_disks and vm_nics for a new VM of `cluster`; `taken`: volumes earlier VMs of the same
    request mount (a volume may go to one VM unless it is sharing)."""
    out = DevicePlan()
    disks = params.get("vm_disks") or {}
    for j, d in enumerate(disks.get("mount_new_create_disks") or ()):
        where, volume = f"{at}.vm_disks.mount_new_create_disks[{j}]", d["vm_volume"]
        size = volume["size"] * BYTE_UNITS[volume.get("size_unit", "B")]
        if not 0 < size <= MAX_VOLUME:
            raise BadRequest(f"{where}.vm_volume.size: expected more than 0 and at most {MAX_VOLUME} bytes "
                             f"(cloudtower-sim's bound), got {size}")
        if not volume["name"].strip():
            raise BadRequest(f"{where}.vm_volume.name: expected a non-empty name")
        if volume.get("path") is not None:
            raise BadRequest(f"{where}.vm_volume.path: cloudtower-sim does not simulate volumes at a given path")
        policy = checked_policy(volume["elf_storage_policy"], f"{where}.vm_volume.elf_storage_policy")
        out.new_volumes.append((volume["name"], size, policy, d["bus"], d["boot"]))
    for j, d in enumerate(disks.get("mount_disks") or ()):
        where = f"{at}.vm_disks.mount_disks[{j}].vm_volume_id"
        volume = world.vm_volumes.get(d["vm_volume_id"])
        if volume is None or volume.cluster is not cluster:
            raise NotFound(f"{where}: no VmVolume with id {d['vm_volume_id']!r} in cluster {cluster.name}")
        if not volume.sharing and (volume.vm_disks or volume.id in taken):
            raise BadRequest(f"{where}: volume {volume.name} is mounted by another VM and is not sharing")
        taken.add(volume.id)
        out.volumes.append((volume, d["bus"], d["boot"]))
    for j, d in enumerate(disks.get("mount_cd_roms") or ()):
        where = f"{at}.vm_disks.mount_cd_roms[{j}]"
        if d.get("content_library_image_id") is not None:
            raise BadRequest(f"{where}.content_library_image_id: cloudtower-sim does not simulate the content library")
        image = None
        if d.get("elf_image_id") is not None:
            image = world.elf_images.get(d["elf_image_id"])
            if image is None or image.cluster is not cluster:
                raise NotFound(f"{where}.elf_image_id: no ElfImage with id {d['elf_image_id']!r} in cluster "
                               f"{cluster.name}")
        out.cd_roms.append((image, d["boot"]))
    for j, n in enumerate(params.get("vm_nics") or ()):
        where = f"{at}.vm_nics[{j}]"
        if n.get("type", "VLAN") != "VLAN" or n.get("vpc_nic") is not None:
            raise BadRequest(f"{where}.type: cloudtower-sim simulates VLAN NICs only, not VPC NICs")
        if n.get("nic_id") is not None:
            raise BadRequest(f"{where}.nic_id: cloudtower-sim does not simulate SR-IOV pass-through NICs")
        if n.get("connect_vlan_id") is None:
            raise BadRequest(f"{where}.connect_vlan_id: required: the VLAN the NIC connects to")
        vlan = vlan_in(world, cluster, n["connect_vlan_id"], f"{where}.connect_vlan_id")
        mac = given_mac(n.get("mac_address"), f"{where}.mac_address")
        out.nics.append((vlan, n.get("model", "VIRTIO"), mac, n.get("enabled", True), n.get("mirror", False),
                         n.get("ip_address"), n.get("gateway"), n.get("subnet_mask")))
    return out


def vlan_in(world, cluster, vlan_id: str, at: str):
    """The VLAN of `cluster` with `vlan_id`, or a 404 naming `at`, the request's field."""
    vlan = world.vlans.get(vlan_id)
    if vlan is None or vlan.vds.cluster is not cluster:
        raise NotFound(f"{at}: no Vlan with id {vlan_id!r} in cluster {cluster.name}")
    return vlan


def given_mac(mac: str | None, at: str) -> str | None:
    """A MAC the request pins, or None to have one made: CAPE sends `mac_address: ""` for every NIC it does not pin
    (pkg/service/vm.go), and a real tower generates it."""
    if mac is None or mac == "":
        return None
    if not MAC.fullmatch(mac):
        raise BadRequest(f"{at}: expected six hex octets such as 52:54:00:12:34:56, or \"\" for one made, got {mac!r}")
    return mac


def attach(world, vm, devices: DevicePlan) -> list:
    """Give `vm` what `devices` planned: new volumes, mounted volumes, CD-ROMs and NICs; answer the NICs."""
    ids = world.ids
    for name, size, policy, bus, boot in devices.new_volumes:
        volume = world.add(VmVolume(ids.cuid(), ids.uuid(), name, vm.cluster, size, policy,
                                    local_created_at=world.created_at()))
        world.add(VmDisk(ids.cuid(), vm, boot=boot, bus=bus, vm_volume=volume))
    for volume, bus, boot in devices.volumes:
        world.add(VmDisk(ids.cuid(), vm, boot=boot, bus=bus, vm_volume=volume))
    for image, boot in devices.cd_roms:
        world.add(VmDisk(ids.cuid(), vm, boot=boot, bus="IDE", type="CD_ROM", elf_image=image))
    nics = []
    for vlan, model, mac, enabled, mirror, ip, gateway, mask in devices.nics:
        nics.append(world.add(VmNic(ids.cuid(), ids.uuid(), vm, vlan, mac or mac_address(ids), order=len(vm.vm_nics),
                                    model=model, enabled=enabled, mirror=mirror, static_ip=ip, static_gateway=gateway,
                                    static_mask=mask)))
    return nics


def mac_address(ids) -> str:
    """A MAC in the KVM range 52:54:00, its last three octets from the seeded ids."""
    u = ids.uuid()  # (its last six hex digits, read in place: a large world makes 100,000s of MACs)
    return f"52:54:00:{u[-6:-4]}:{u[-4:-2]}:{u[-2:]}"

"""What a VM is built from on SMTX: networks (a VDS and its VLANs), storage (storage policies and volumes), images
(ISOs in ELF, and the SVT image that carries VMTools), and the VM's own devices (disks and CD-ROMs, NICs). Attributes
are named as CloudTower names its fields; relations are kept both ways by the world (world.py), so that
`Vm.vm_disks`, `VmVolume.vm_disks`, `Vlan.vm_nics` and `ElfImage.vm_disks` always agree."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import BadRequest
from .model import Entity, Cluster, GIB, Vm


@dataclass(eq=False, repr=False, slots=True)
class Vds(Entity):
    table = "vdses"
    read = True

    id: str
    local_id: str
    name: str
    cluster: Cluster
    ovsbr_name: str
    type: str = "VM"  # NetworkType
    bond_mode: str = "active-backup"
    internal: bool = False
    work_mode: str | None = None
    vlans: list = field(default_factory=list)
    nics: list = field(default_factory=list)  # the hosts' NICs bonded into it (hardware.Nic)

    @property
    def vlans_num(self):
        return len(self.vlans)

    def listed_in(self) -> list[list]:
        return [self.cluster.vdses]


@dataclass(eq=False, repr=False, slots=True)
class Vlan(Entity):
    table = "vlans"
    read = True

    id: str
    local_id: str
    name: str
    vds: Vds
    vlan_id: int = 0
    type: str = "VM"  # NetworkType: MANAGEMENT for the management network
    vm_nics: list = field(default_factory=list)
    # its subnet, whose addresses DHCP leases to the guests of its NICs (guest.py)
    gateway_ip: str | None = None
    subnetmask: str | None = None
    leases: dict = field(default_factory=dict)  # offset in the subnet -> the VmNic that holds it
    next_lease: int = 0

    @property
    def network_ids(self):
        return [self.local_id]

    def listed_in(self) -> list[list]:
        return [self.vds.vlans]


@dataclass(eq=False, repr=False, slots=True)
class ElfStoragePolicy(Entity):
    table = "elf_storage_policies"
    read = True

    id: str
    local_id: str
    name: str
    cluster: Cluster
    replica_num: int = 2
    thin_provision: bool = True
    stripe_num: int = 4
    stripe_size: int = 256 * 1024
    description: str = ""

    @property
    def volume_policy(self) -> str:
        """The VmVolumeElfStoragePolicyType a volume of this policy has (REPLICA_2_THIN_PROVISION, ...)."""
        return f"REPLICA_{self.replica_num}_{'THIN' if self.thin_provision else 'THICK'}_PROVISION"


@dataclass(eq=False, repr=False, slots=True)
class ElfImage(Entity):
    table = "elf_images"
    read = True

    id: str
    local_id: str
    name: str
    cluster: Cluster
    size: int
    local_created_at: str
    description: str = ""
    vm_disks: list = field(default_factory=list)

    @property
    def path(self):
        return f"/usr/share/smartx/images/{self.local_id}"


@dataclass(eq=False, repr=False, slots=True)
class SvtImage(Entity):
    """The SMTX VMTools image: an ISO the cluster ships, mounted to install VMTools in a guest."""
    table = "svt_images"
    read = True

    id: str
    local_id: str
    name: str
    cluster: Cluster
    size: int
    local_created_at: str
    version: int = 400
    vm_disks: list = field(default_factory=list)

    @property
    def path(self):
        return f"/usr/share/smartx/svt/{self.name}"


@dataclass(eq=False, repr=False, slots=True)
class VmVolume(Entity):
    table = "vm_volumes"
    read = True

    id: str
    local_id: str
    name: str
    cluster: Cluster
    size: int
    elf_storage_policy: str  # VmVolumeElfStoragePolicyType
    local_created_at: str
    sharing: bool = False
    description: str | None = None
    type: str = "KVM_VOLUME"
    written: int = 0  # bytes a guest has written: what a thin volume takes
    entityAsyncStatus: str | None = None  # UPDATING or DELETING while a task acts on it (edits.py)
    vm_disks: list = field(default_factory=list)

    @property
    def replicas(self) -> int:
        return replicas(self.elf_storage_policy)

    @property
    def thin(self) -> bool:
        return "_THIN_" in self.elf_storage_policy

    @property
    def used_size(self):
        """The bytes one replica of the volume takes: a thick volume is allocated whole, a thin one as written."""
        return min(self.written, self.size) if self.thin else self.size

    @property
    def unique_size(self):
        return self.used_size

    @property
    def mounting(self):
        return bool(self.vm_disks)

    @property
    def path(self):
        return f"/zbs/volumes/{self.local_id}"

    def listed_in(self) -> list[list]:
        return [self.cluster.vm_volumes]


@dataclass(eq=False, repr=False, slots=True)
class VmDisk(Entity):
    """A VM's disk (type DISK, on a volume) or CD-ROM (type CD_ROM, with an ISO or empty)."""
    table = "vm_disks"
    read = True

    id: str
    vm: Vm
    boot: int
    bus: str  # Bus
    type: str = "DISK"  # VmDiskType
    vm_volume: VmVolume | None = None
    elf_image: ElfImage | None = None
    svt_image: SvtImage | None = None
    disabled: bool = False
    key: int | None = None

    @property
    def device(self):
        prefix = {"VIRTIO": "vd", "SCSI": "sd", "IDE": "hd", "USB": "sd"}[self.bus]
        same = [d for d in self.vm.vm_disks if d.bus == self.bus]
        return prefix + "abcdefghijklmnopqrstuvwxyz"[same.index(self) % 26] if self in same else None

    def listed_in(self) -> list[list]:
        holders = [self.vm.vm_disks]  # (no comprehension: a large world adds 100,000s of disks)
        for on in (self.vm_volume, self.elf_image, self.svt_image):
            if on is not None:
                holders.append(on.vm_disks)
        return holders


@dataclass(eq=False, repr=False, slots=True)
class VmNic(Entity):
    table = "vm_nics"
    read = True

    id: str
    local_id: str
    vm: Vm
    vlan: Vlan | None
    mac_address: str
    order: int = 0
    model: str = "VIRTIO"  # VmNicModel
    enabled: bool = True
    mirror: bool = False
    type: str = "VLAN"  # VmNicType
    # its addresses as recorded (create-vm, a scenario's `ip`, update-vm-nic-basic-info): shown as they are
    static_ip: str | None = None
    static_gateway: str | None = None
    static_mask: str | None = None
    # as its guest has them (guest.py): cloud-init's static network, else a DHCP lease; shown while VMTools reports
    guest_ip: str | None = None
    guest_gateway: str | None = None
    guest_mask: str | None = None
    lease: str | None = None

    def _shown(self, recorded, guest, leased):
        """An address as the NIC shows it: as recorded, else as its reporting guest has it (cloud-init's, else what
        its lease gives)."""
        if self.static_ip or not self.vm.reporting:
            return recorded
        return guest if self.guest_ip else leased if self.lease else None

    @property
    def ip_address(self):
        return self._shown(self.static_ip, self.guest_ip, self.lease)

    @property
    def subnet_mask(self):
        return self._shown(self.static_mask, self.guest_mask, getattr(self.vlan, "subnetmask", None))

    @property
    def gateway(self):
        return self._shown(self.static_gateway, self.guest_gateway, getattr(self.vlan, "gateway_ip", None))

    def listed_in(self) -> list[list]:
        return [self.vm.vm_nics, self.vlan.vm_nics] if self.vlan else [self.vm.vm_nics]


DEFAULT_DISK = 40 * GIB  # the system volume of a scenario's VM
INSTALLED_OS = 4 * GIB  # what an installed guest OS has written to its system volume


POLICY = re.compile(r"^(?:ELF_CP_)?REPLICA_(\d)_(THIN|THICK)_PROVISION$")


def replicas(policy: str) -> int:
    """The copies a volume of `policy` (VmVolumeElfStoragePolicyType) keeps: REPLICA_<n>_... or
    ELF_CP_REPLICA_<n>_..."""
    return int(POLICY.match(policy).group(1))


def checked_policy(policy: str, at: str) -> str:
    """A storage policy a new volume may have: erasure coding (EC) is refused, as cloudtower-sim does not model the
    storage it takes."""
    if not POLICY.match(policy):
        raise BadRequest(f"{at}: cloudtower-sim simulates replica policies (REPLICA_<n>_THIN|THICK_PROVISION, with or "
                         f"without ELF_CP_), not {policy}")
    return policy

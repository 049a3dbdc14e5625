"""A host's own hardware, as CloudTower lists it: physical NICs (`Nic`), disks (`Disk`), USB devices (`UsbDevice`)
and GPUs (`GpuDevice`). VMs refer to them when a device is passed through (USB, GPU, a NIC) or, for GPUs in VGPU
usage, when they take vGPU instances of one. The world keeps `Host.nics`, `Host.disks`, `Host.usb_devices` and
`Host.gpu_devices`, and each device's `vms`, in step (world.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import Entity, Host
from .states import VmStatus


@dataclass(eq=False, repr=False, slots=True)
class Nic(Entity):
    table = "nics"
    read = True

    id: str
    local_id: str
    name: str
    host: Host
    mac_address: str
    type: str | None = None  # NetworkType of what the NIC carries (MANAGEMENT, STORAGE, VM), when it carries one
    ip_address: str | None = None
    mtu: int = 1500
    speed: int = 10_000  # Mb/s
    model: str = "Intel Corporation Ethernet Controller 10-Gigabit X540-AT2"
    driver: str = "ixgbe"
    driver_state: str = "READY"
    user_usage: str = "DEFAULT"  # NicUserUsage: PASS_THROUGH once given to VMs
    iommu_status: str = "ENABLE"
    is_sriov: bool = False
    physical: bool = True
    running: bool = True
    up: bool = True
    vds: object = None  # the Vds its bond belongs to (inventory.py)
    vms: list = field(default_factory=list)  # VMs it is passed through to

    @property
    def nic_uuid(self):
        return self.local_id

    def listed_in(self) -> list[list]:
        return [self.host.nics] + ([self.vds.nics] if self.vds else [])


@dataclass(eq=False, repr=False, slots=True)
class Disk(Entity):
    table = "disks"
    read = True

    id: str
    local_id: str
    name: str
    host: Host
    size: int
    type: str  # DiskType
    usage: str  # DiskUsage
    serial: str
    model: str
    firmware: str = "SCV1DL58"
    function: str | None = None  # DiskFunction
    healthy: bool = True
    health_status: str = "HEALTHY"
    mounted: bool = True
    offline: bool = False
    usage_status: str = "MOUNTED"
    partitions: list = field(default_factory=list)
    remaining_life_percent: int | None = None

    @property
    def path(self):
        return f"/dev/{self.name}"

    def listed_in(self) -> list[list]:
        return [self.host.disks]


@dataclass(eq=False, repr=False, slots=True)
class UsbDevice(Entity):
    table = "usb_devices"
    read = True

    id: str
    local_id: str
    name: str
    host: Host
    local_created_at: str
    manufacturer: str = "SafeNet Inc."
    description: str = ""
    size: int = 0
    status: str = "NORMAL"  # UsbDeviceStatus
    usb_type: str = "USB 2.0"
    vms: list = field(default_factory=list)

    @property
    def binded(self):  # upstream's spelling: the device is given to a VM
        return bool(self.vms)

    @property
    def vm(self):  # deprecated upstream in favour of `vms`
        return self.vms[0] if self.vms else None

    def listed_in(self) -> list[list]:
        return [self.host.usb_devices]


ACTIVE = (VmStatus.RUNNING, VmStatus.SUSPENDED)  # VMs that hold their devices (a stopped VM holds none)


@dataclass(eq=False, repr=False, slots=True)
class GpuDevice(Entity):
    """A GPU in PASS_THROUGH usage goes whole to one VM at a time; in VGPU usage it is cut into `vgpu_instance_num`
    vGPUs of one type, which running VMs take by the `amount` they were given (SmartX's Cluster API provider counts
    `available_vgpus_num` so, and a pass-through GPU as taken only by a VM that is not STOPPED)."""
    table = "gpu_devices"
    read = True

    id: str
    local_id: str
    name: str
    host: Host
    local_created_at: str
    model: str = "Tesla T4"
    brand: str = "NVIDIA"
    bus_location: str = "0000:3b:00.0"
    description: str = ""
    status: str = "READY"  # GpuDeviceStatus
    user_usage: str = "PASS_THROUGH"  # GpuDeviceUsage
    vgpu_instance_num: int | None = None  # VGPU usage only
    user_vgpu_type_name: str | None = None
    user_vgpu_type_id: str | None = None
    vms: list = field(default_factory=list)  # VMs it is given to, running or not

    @property
    def vgpu(self) -> bool:
        return self.user_usage == "VGPU"

    def holders(self) -> list:
        """The VMs that hold the GPU now: those given it that are running or suspended."""
        return [v for v in self.vms if v.status in ACTIVE and not v.in_recycle_bin]

    @property
    def assigned_vgpus_num(self):
        return sum(v.gpu_amounts.get(self.id, 1) for v in self.holders()) if self.vgpu else None

    @property
    def available_vgpus_num(self):
        return self.vgpu_instance_num - self.assigned_vgpus_num if self.vgpu else None

    @property
    def is_nvidia_vfs_supported(self):
        return self.brand == "NVIDIA"

    @property
    def mdev_supported_types(self):
        if not self.vgpu:
            return None
        return [{"name": self.user_vgpu_type_name, "vgpu_type_id": self.user_vgpu_type_id,
                 "max_instance": self.vgpu_instance_num, "framebuffer": 16 / self.vgpu_instance_num,
                 "max_resolution": "4096x2160"}]

    def listed_in(self) -> list[list]:
        return [self.host.gpu_devices]


class Seen:
    """An object as one read shows it: its own fields, plus `extra` ones (VmGpuDetail is a GpuDevice with the
    number of its vGPUs one VM holds, GpuVmDetail a VM with that number)."""

    def __init__(self, obj, **extra):
        self._obj, self._extra = obj, extra

    def __getattr__(self, name):
        if name in self._extra:
            return self._extra[name]
        return getattr(self._obj, name)

"""The objects of the world, with attributes named as CloudTower names its fields. What an object leaves out reads as
null on the wire; derived fields are properties, so they always agree with the world."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping, Sequence

from .states import HostState, HostStatus, MaintenanceState, TaskStatus, UserRole, UserSource, VmStatus

GIB = 1024**3
NO_AMOUNTS: Mapping = MappingProxyType({})
BYTE_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": GIB, "TB": 1024**4, "PB": 1024**5}  # upstream's ByteUnit


KINDS: dict[str, type] = {}  # every kind of world object by its CloudTower name, as each declares itself (Entity)


class Entity:
    """A world object. Its repr names it only: objects point at each other (a VM at its cluster, the cluster at its
    VMs), so a dataclass repr would spell out the whole world, which a failing assertion's message once did until
    memory ran out.

    A kind declares itself once, in its class: `table`, the World's table of it (World.<table>, by id); `read`, that
    upstream's get-<x> and get-<x>-connection serve it from that table (api/registry.py); and the relation lists
    that name an object of it (`listed_in()`). The world, the registry and the labels derive their lists from these;
    a Label's lists are named by these tables."""

    # no __dict__ (its subclasses are slotted dataclasses): a world of 100,000 VMs holds about half a million objects
    __slots__ = ("_labels",)
    table = ""
    read = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("table"):  # (a slotted dataclass is made anew: the last class of the name is the one)
            KINDS[cls.__name__] = cls

    def listed_in(self) -> list[list]:
        """The relation lists that name this object, the other side of its to-one relations: the world adds it to
        each and takes it out of each with it."""
        return []

    def __repr__(self):
        return f"<{type(self).__name__} {getattr(self, 'name', None) or getattr(self, 'id', '?')}>"

    @property
    def labels(self) -> list:
        """The labels on this object (labels.py), kept both ways by the label operations and the world."""
        try:
            return self._labels
        except AttributeError:
            self._labels = []
            return self._labels


@dataclass(frozen=True)
class AuthConfig:
    """A tower's auth config (its LDAP server), through which its LDAP users log in: REST /login with source AUTHN
    and `auth_config_id` (the SDKs' and Terraform provider's path, ../shared/reference/graphql.md)."""
    id: str
    name: str
    type: str = "LDAP"


@dataclass(eq=False, repr=False, slots=True)
class User(Entity):
    table = "users"

    id: str
    username: str
    password: str
    role: UserRole = UserRole.ROOT
    source: UserSource = UserSource.LOCAL
    internal: bool = False
    email_address: str | None = None
    auth_config_id: str | None = None  # an LDAP user's AuthConfig

    @property
    def name(self):
        return self.username

    @property
    def display_username(self):
        return self.username


@dataclass(eq=False, repr=False, slots=True)
class Cluster(Entity):
    table = "clusters"
    read = True

    id: str
    local_id: str
    name: str
    ip: str
    version: str = "5.1.2"
    type: str = "SMTX_OS"
    architecture: str = "X86_64"
    connect_state: str = "CONNECTED"
    hypervisor: str = "ELF"
    dns: list = field(default_factory=lambda: ["114.114.114.114"])
    ntp_servers: list = field(default_factory=lambda: ["ntp.smartx.local"])
    cpu_models: list = field(default_factory=lambda: ["Skylake-Server-IBRS", "Cascadelake-Server"])
    hosts: list = field(default_factory=list)
    vms: list = field(default_factory=list)
    vdses: list = field(default_factory=list)
    vm_volumes: list = field(default_factory=list)  # kept by the world; what its storage holds
    datacenters: list = field(default_factory=list)  # placement.Datacenter
    zones: list = field(default_factory=list)  # placement.Zone: a stretched cluster's preferred and secondary zone
    entityAsyncStatus: str | None = None  # CREATING while connect-cluster loads it, then UPDATING or DELETING
    # how the tower reaches it (clusters.py): the scenario entry it is loaded from, and the username and password the
    # tower logs in with; never on the wire
    entry: dict | None = None
    credentials: tuple = ("", "")

    @property
    def stretch(self):
        return True if self.zones else None  # null for others, as before zones were modelled

    # fields upstream requires, derived from what the cluster holds
    @property
    def recommended_cpu_models(self):
        return self.cpu_models[:1]

    @property
    def total_cpu_models(self):
        return list(self.cpu_models)

    @property
    def current_cpu_model(self):
        return self.cpu_models[0] if self.cpu_models else None

    @property
    def management_vip(self):
        return self.ip

    @property
    def host_num(self):
        return len(self.hosts)

    @property
    def vm_num(self):
        return len(self.vms)

    def _count(self, status):
        return sum(1 for v in self.vms if v.status == status)

    @property
    def running_vm_num(self):
        return self._count(VmStatus.RUNNING)

    @property
    def stopped_vm_num(self):
        return self._count(VmStatus.STOPPED)

    @property
    def suspended_vm_num(self):
        return self._count(VmStatus.SUSPENDED)

    @property
    def total_memory_bytes(self):
        return sum(h.total_memory_bytes for h in self.hosts)

    @property
    def provisioned_memory_bytes(self):
        return sum(v.memory for v in self.vms)

    @property
    def total_cpu_cores(self):
        return sum(h.total_cpu_cores for h in self.hosts)

    @property
    def provisioned_cpu_cores(self):
        return sum(v.vcpu for v in self.vms)

    @property
    def total_data_capacity(self):
        return sum(h.total_data_capacity for h in self.hosts)

    @property
    def used_data_space(self):
        """What the cluster's volumes take, every replica counted (a thick volume its whole size, a thin one what was
        written to it)."""
        return sum(v.used_size * v.replicas for v in self.vm_volumes)

    @property
    def total_cpu_hz(self):
        return sum(h.total_cpu_hz for h in self.hosts)

    @property
    def used_cpu_hz(self):
        return sum(h.used_cpu_hz for h in self.hosts)

    @property
    def used_memory_bytes(self):
        return sum(h.used_memory_bytes for h in self.hosts)

    @property
    def failure_data_space(self):
        return sum(h.failure_data_space for h in self.hosts)


@dataclass
class MaintenanceHostState:
    """Where a host is in the maintenance workflow (upstream's NestedMaintenanceHostState)."""
    state: MaintenanceState
    enter_maintenance_time: str
    maintenance_job_id: str  # the enter task


@dataclass(eq=False, repr=False, slots=True)
class Host(Entity):
    table = "hosts"
    read = True

    id: str
    local_id: str
    name: str
    management_ip: str
    cluster: Cluster
    total_memory_bytes: int
    os_memory_bytes: int
    total_cpu_cores: int = 32
    total_cpu_sockets: int = 2
    cpu_hz_per_core: int = 2_400_000_000
    cpu_model: str = "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz"
    cpu_brand: str = "Intel(R) Xeon(R) Gold 6230"
    cpu_vendor: str = "GenuineIntel"
    model: str = "SMTX ZBS 5.1.2"
    serial: str = ""
    status: HostStatus = HostStatus.CONNECTED_HEALTHY
    state: HostState = HostState.IN_USE
    host_state: MaintenanceHostState | None = None  # once the host has been in maintenance
    zone: object = None  # placement.Zone, in a stretched cluster
    os_version: str = "el7"
    ssd_disk_count: int = 2
    hdd_disk_count: int = 4
    ssd_data_capacity: int = 2 * 960 * 10**9
    hdd_data_capacity: int = 4 * 4 * 10**12
    data_ip: str | None = None
    vmotion_ip: str | None = None
    chunk_id: str = "1"
    vms: list = field(default_factory=list)  # kept by the world as VMs are placed and moved
    # its hardware (hardware.py), kept by the world
    nics: list = field(default_factory=list)
    disks: list = field(default_factory=list)
    usb_devices: list = field(default_factory=list)
    gpu_devices: list = field(default_factory=list)
    # values upstream requires that the simulator keeps constant
    failure_data_space: int = 0
    lsm_cap_disk_safe_umount: bool = True
    nested_virtualization: bool = False
    pmem_dimm_capacity: int = 0
    pmem_dimm_count: int = 0
    pmem_disk_count: int = 0
    compatible_cpu_models: list = field(default_factory=lambda: ["Skylake-Server-IBRS", "Cascadelake-Server"])
    cpu_fan_speed: list = field(default_factory=lambda: [6120.0, 6240.0])
    cpu_fan_speed_unit: str = "RPM"
    cpu_temperature_celsius: list = field(default_factory=lambda: [48, 51])
    iommu: str = "ENABLE"

    @property
    def total_cpu_hz(self):
        return self.total_cpu_cores * self.cpu_hz_per_core

    @property
    def nic_count(self):
        return len(self.nics)

    @property
    def used_data_space(self):
        """This host's share of its cluster's used space: ZBS spreads replicas over the hosts; the simulator evenly,
        the first hosts taking the remainder, so that the hosts' shares add up to the cluster's."""
        hosts = self.cluster.hosts
        share, rest = divmod(self.cluster.used_data_space, len(hosts))
        return share + (1 if hosts.index(self) < rest else 0)

    @property
    def allocatable_memory_bytes(self):
        return self.total_memory_bytes - self.os_memory_bytes

    @property
    def total_data_capacity(self):
        return self.ssd_data_capacity + self.hdd_data_capacity

    @property
    def maintenance_state(self) -> str:
        return self.host_state.state if self.host_state else MaintenanceState.IN_USE

    @property
    def in_service(self) -> bool:
        return self.maintenance_state == MaintenanceState.IN_USE

    @property
    def active_vms(self):
        """VMs that hold memory on this host: running and suspended ones."""
        return [v for v in self.vms if v.status in (VmStatus.RUNNING, VmStatus.SUSPENDED)]

    @property
    def running_pause_vm_memory_bytes(self):
        return sum(v.memory for v in self.active_vms)

    @property
    def free_memory_bytes(self):
        return self.allocatable_memory_bytes - self.running_pause_vm_memory_bytes

    @property
    def used_memory_bytes(self):
        return float(self.os_memory_bytes + self.running_pause_vm_memory_bytes)

    @property
    def used_cpu_hz(self):
        # a simulated load: each running vCPU keeps a quarter of a core busy
        return float(sum(v.vcpu for v in self.vms if v.status == VmStatus.RUNNING) * self.cpu_hz_per_core / 4)

    @property
    def provisioned_memory_bytes(self):
        return sum(v.memory for v in self.vms)

    @property
    def provisioned_cpu_cores(self):
        return sum(v.vcpu for v in self.active_vms)

    def _count(self, status):
        return sum(1 for v in self.vms if v.status == status)

    @property
    def running_vm_num(self):
        return self._count(VmStatus.RUNNING)

    @property
    def stopped_vm_num(self):
        return self._count(VmStatus.STOPPED)

    @property
    def suspended_vm_num(self):
        return self._count(VmStatus.SUSPENDED)

    @property
    def vm_num(self):
        return len(self.vms)


@dataclass(eq=False, repr=False, slots=True)
class Vm(Entity):
    table = "vms"
    read = True

    id: str
    local_id: str
    name: str
    cluster: Cluster
    memory: int
    vcpu: int
    status: VmStatus
    host: Host | None = None
    description: str = ""
    cpu_sockets: int = 1
    ha: bool = True
    firmware: str = "BIOS"
    clock_offset: str = "UTC"
    guest_os_type: str = "LINUX"
    ip: str = ""
    local_created_at: str = ""
    last_shutdown_time: str | None = None
    # the host's devices passed through to it (hardware.py: UsbDevice, GpuDevice, Nic), kept by the world; a VM with
    # any is bound to its host
    # (few VMs have any: none is the one shared empty, which World.give and withdraw replace, never change; a world of
    # 100,000 VMs is 30 MB smaller so; the same for the placement group and snapshots below)
    usb_devices: Sequence = ()
    gpu_devices: Sequence = ()
    pci_nics: Sequence = ()
    # GpuDevice id -> the vGPU instances it takes of a VGPU GPU
    gpu_amounts: Mapping = field(default_factory=lambda: NO_AMOUNTS)
    vm_placement_group: Sequence = ()  # placement_groups.VmPlacementGroup, any number (replaced, never changed)
    in_recycle_bin: bool = False
    folder: object = None  # folders.VmFolder
    snapshots: Sequence = ()  # snapshots.VmSnapshot (a list of its own from its first: World._holders)
    cloud_init: dict | None = None  # TemplateCloudInit of its creation from a template (no Vm field shows it)
    internal: bool = False
    nested_virtualization: bool = False
    protected: bool = False
    win_opt: bool = False
    cpu_model: str = "cluster_default"
    out_uninstall_usb: Sequence = ()
    entityAsyncStatus: str | None = None  # CREATING while its creation task runs
    vm_disks: list = field(default_factory=list)  # VmDisk: disks and CD-ROMs, in boot order as created
    vm_nics: list = field(default_factory=list)  # VmNic
    # its guest (guest.py): VMTools installed; cloud-init supported (of the template it was made of); booted and
    # reporting; how many starts it has had (a boot that a stop overtook never comes up)
    vm_tools: bool = True
    cloud_init_supported: bool = False
    guest_up: bool = False
    boots: int = 0
    guest_due: float | None = None  # when the booting guest comes up (simulated seconds)
    ignores_shutdown: bool = False  # a guest that never answers a shutdown (a scenario says so)
    guest_hostname: str | None = None  # set in the guest through VMTools (GraphQL updateVm)
    guest_dns_servers: str | None = None

    @property
    def cpu(self):
        return {"cores": self.vcpu // self.cpu_sockets, "sockets": self.cpu_sockets}

    @property
    def provisioned_size(self):
        """The sizes of the volumes its disks are on (each counted once, as a VM may mount a volume once)."""
        return sum(v.size for v in self._volumes())

    @property
    def used_size(self):
        return sum(v.used_size for v in self._volumes())

    def _volumes(self):
        return list({id(d.vm_volume): d.vm_volume for d in self.vm_disks if d.vm_volume is not None}.values())

    @property
    def host_bound(self) -> bool:
        return bool(self.usb_devices or self.gpu_devices or self.pci_nics)

    @property
    def reporting(self) -> bool:
        """Its guest is up and VMTools tells the tower what it sees."""
        return self.guest_up and self.vm_tools and self.status == VmStatus.RUNNING

    @property
    def ips(self):
        """upstream's comma-separated addresses of the guest (guest.py)."""
        if not self.reporting:
            return ""
        return ",".join(n.ip_address for n in sorted(self.vm_nics, key=lambda n: n.order) if n.ip_address)

    @property
    def hostname(self):
        if not self.reporting:
            return None
        return self.guest_hostname or (self.cloud_init or {}).get("hostname") or self.name

    @property
    def dns_servers(self):
        if not self.reporting:
            return None
        servers = (self.cloud_init or {}).get("nameservers")
        return self.guest_dns_servers or (",".join(servers) if servers else None)

    @property
    def node_ip(self):
        return self.host.management_ip if self.host else ""

    @property
    def vm_tools_status(self):  # VmToolsStatus
        if not self.vm_tools:
            return "NOT_INSTALLED"
        return "RUNNING" if self.reporting else "NOT_RUNNING"

    @property
    def os(self):
        return {"LINUX": "CentOS Linux 7 (Core)", "WINDOWS": "Windows Server 2019"}.get(self.guest_os_type)


@dataclass(eq=False, repr=False, slots=True)
class Task(Entity):
    table = "tasks"
    read = True

    id: str
    description: str
    local_created_at: str
    resource_type: str | None = None
    resource_id: str | None = None
    resource_mutation: str | None = None
    key: str | None = None
    cluster: Cluster | None = None
    user: User | None = None
    args: dict = field(default_factory=dict)
    status: TaskStatus = TaskStatus.PENDING
    progress: float = 0.0
    steps: list = field(default_factory=list)  # NestedStep dicts
    started_at: str | None = None
    finished_at: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    internal: bool = False
    snapshot: str = "{}"
    plan: object = None  # what the task decided (a maintenance plan, ...), kept for the operations that read it

    @property
    def done(self):
        return self.status in (TaskStatus.SUCCESSED, TaskStatus.FAILED)

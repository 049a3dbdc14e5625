"""Where clusters and hosts stand: organizations hold datacenters, datacenters hold clusters, and a stretched cluster
splits its hosts into two zones, the preferred one and the secondary one (SMTX's stretched cluster, whose zones
SmartX's Cluster API provider reads with get-zones to place VMs). Totals are summed from what each holds."""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import Entity


def summed(name: str, parts: str):
    """A property: `name` summed over what `parts` lists."""
    return property(lambda self: sum(getattr(p, name) for p in getattr(self, parts)))


@dataclass(eq=False, repr=False)
class Organization(Entity):
    id: str
    name: str
    datacenters: list = field(default_factory=list)


@dataclass(eq=False, repr=False)
class Datacenter(Entity):
    id: str
    name: str
    organization: Organization
    clusters: list = field(default_factory=list)

    host_num, vm_num = summed("host_num", "clusters"), summed("vm_num", "clusters")
    total_cpu_hz, used_cpu_hz = summed("total_cpu_hz", "clusters"), summed("used_cpu_hz", "clusters")
    total_memory_bytes = summed("total_memory_bytes", "clusters")
    used_memory_bytes = summed("used_memory_bytes", "clusters")
    total_data_capacity = summed("total_data_capacity", "clusters")
    used_data_space = summed("used_data_space", "clusters")
    failure_data_space = summed("failure_data_space", "clusters")

    @property
    def cluster_num(self):
        return len(self.clusters)


@dataclass(eq=False, repr=False)
class Zone(Entity):
    id: str
    local_id: str
    cluster: object
    datacenter: Datacenter
    is_preferred: bool
    hosts: list = field(default_factory=list)

    @property
    def host_num(self):
        return len(self.hosts)

    total_cpu_cores, total_cpu_hz = summed("total_cpu_cores", "hosts"), summed("total_cpu_hz", "hosts")
    total_memory_bytes = summed("total_memory_bytes", "hosts")
    provisioned_memory_bytes = summed("provisioned_memory_bytes", "hosts")
    total_data_capacity = summed("total_data_capacity", "hosts")
    used_data_space, failure_data_space = summed("used_data_space", "hosts"), summed("failure_data_space", "hosts")
    vm_num, running_vm_num = summed("vm_num", "hosts"), summed("running_vm_num", "hosts")
    stopped_vm_num, suspended_vm_num = summed("stopped_vm_num", "hosts"), summed("suspended_vm_num", "hosts")
    provisioned_cpu_cores_for_active_vm = summed("provisioned_cpu_cores", "hosts")  # a host counts its active VMs'

    @property
    def provisioned_cpu_cores(self):
        return sum(v.vcpu for h in self.hosts for v in h.vms)

"""Scenarios: YAML files that describe a world (users, clusters, hosts, VMs), or ask for a generated one by size.
A broken file stops the start with a message naming the file, the entry and what is wrong."""

from __future__ import annotations

import ipaddress
import random
import reprlib
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..schema.spec import DEFAULT_VERSION, VERSIONS as API_VERSIONS, Spec
from .clock import Clock, iso, parse_time
from .devices import mac_address
from .hardware import Disk, GpuDevice, Nic, UsbDevice
from .placement import Datacenter, Organization, Zone
from .inventory import (DEFAULT_DISK, INSTALLED_OS, ElfImage, ElfStoragePolicy, SvtImage, Vds, Vlan, VmDisk, VmNic,
                        VmVolume)
from .model import GIB, AuthConfig, Cluster, Host, User, Vm
from .folders import VmFolder, place
from .labels import Label, attach
from .placement_groups import VM_VM_POLICIES, VmPlacementGroup, join
from .states import HostStatus, UserRole, UserSource, VmStatus
from . import content_library, guest, snapshots, templates, uploads
from .world import World

DEFAULT = Path(__file__).resolve().parent.parent / "scenarios" / "default.yaml"
EXAMPLE_START = "2026-01-01T08:00:00Z"
DEFAULT_OS_MEMORY_GIB = 16
VM_STATUSES = (VmStatus.RUNNING, VmStatus.STOPPED, VmStatus.SUSPENDED)  # what a scenario may start a VM as
HOST_STATUSES = tuple(HostStatus)


class ScenarioError(Exception):
    def __init__(self, file, entry: str, what: str):
        super().__init__(f"{file}: {entry}: {what}" if entry else f"{file}: {what}")


# what each kind of entry may say: key -> (accepted python types, what to tell the user)
_STR, _INT, _NUM, _BOOL = (str,), (int,), (int, float), (bool,)
SHAPES = {
    "scenario": {"seed": _INT, "start_time": _STR, "api_version": _STR, "organization": _STR, "users": (list,),
                 "auth_configs": (list,),
                 "clusters": (list,), "labels": (list,), "reachable_clusters": (list,),
                 "generate": (dict,)},
    "user": {"username": _STR, "password": _STR, "role": _STR, "source": _STR, "tokens": (list,),
             "auth_config": _STR},  # an LDAP user's auth config, by id (the scenario's only one by default)
    # a tower's auth config: LDAP users log in through it (REST /login, source AUTHN; GraphQL authnStrategies)
    "auth_config": {"id": _STR, "name": _STR, "type": _STR},
    "cluster": {"name": _STR, "ip": _STR, "version": _STR, "type": _STR, "architecture": _STR,
                "datacenter": _STR, "stretch": _BOOL, "hosts": (list,), "vms": (list,), "placement_groups": (list,),
                "folders": (list,), "subnets": (dict,),  # subnets: VLAN name -> its subnet (furnish, guest.py)
                # what a tower logs in to it with (connect-cluster, update-cluster: clusters.py)
                "username": _STR, "password": _STR},
    "folder": {"name": _STR, "vms": (list,)},  # a VmFolder (folders.py) and the VMs filed in it, by name
    # a VmPlacementGroup (placement_groups.py): its rules are on when named; hosts and VMs by name
    "placement_group": {"name": _STR, "description": _STR, "enabled": _BOOL, "vm_vm_policy": _STR, "vms": (list,),
                        "must_hosts": (list,), "vm_host_must_policy": _BOOL, "prefer_hosts": (list,),
                        "vm_host_prefer_policy": _BOOL},
    "host": {"name": _STR, "management_ip": _STR, "memory_gib": _NUM, "os_memory_gib": _NUM, "cpu_cores": _INT,
             "status": _STR, "zone": _STR, "gpu_devices": (list,)},
    "gpu": {"name": _STR, "model": _STR, "usage": _STR, "vgpu_instances": _INT, "vgpu_type": _STR},
    "vm": {"name": _STR, "host": _STR, "status": _STR, "memory_gib": _NUM, "vcpu": _INT, "cpu_sockets": _INT,
           "ha": _BOOL, "description": _STR, "guest_os_type": _STR, "firmware": _STR, "ip": _STR,
           "usb_devices": (list,), "gpu_devices": (list,), "pci_nics": (list,),
           # names of snapshots, templates and content library templates (on the VM's cluster) made of the VM as it is
           "snapshots": (list,), "templates": (list,), "content_library_templates": (list,),
           "ignores_shutdown": _BOOL},  # its guest never answers a shutdown: shutdown-vm times out
    # a Label (labels.py) on the VMs, hosts and clusters it names
    "label": {"key": _STR, "value": _STR, "vms": (list,), "hosts": (list,), "clusters": (list,),
              "content_library_vm_templates": (list,)},
    "generate": {"clusters": _INT, "hosts_per_cluster": _INT, "vms_per_host": _INT},
}
# a cluster the tower can reach and has not connected (connect-cluster adds it, clusters.py): a cluster entry, in the
# datacenter connect-cluster names; without hosts, it has three
SHAPES["reachable_cluster"] = {k: v for k, v in SHAPES["cluster"].items() if k not in ("datacenter", "stretch")}
REQUIRED = {"user": ("username", "password"), "auth_config": ("id", "name"), "cluster": ("name",),
            "reachable_cluster": ("name", "ip", "username", "password"),
            "host": ("name", "memory_gib"), "gpu": ("name",),
            "placement_group": ("name",), "label": ("key",), "folder": ("name",),
            "vm": ("name", "status", "memory_gib", "vcpu"), "generate": ("clusters", "hosts_per_cluster")}
CHOICES = {("auth_config", "type"): ("LDAP",), ("vm", "status"): VM_STATUSES, ("host", "status"): HOST_STATUSES,
           ("vm", "firmware"): ("BIOS", "UEFI"),
           ("vm", "guest_os_type"): ("LINUX", "UNKNOWN", "WINDOWS"), ("user", "role"): tuple(UserRole), ("user", "source"): tuple(UserSource),
           ("cluster", "type"): ("BLUESHARK", "SMTX_ELF", "SMTX_OS", "SMTX_ZBS"),
           ("cluster", "architecture"): ("AARCH64", "X86_64"), ("gpu", "usage"): ("PASS_THROUGH", "VGPU"),
           ("host", "zone"): ("preferred", "secondary"), ("placement_group", "vm_vm_policy"): VM_VM_POLICIES,
           ("scenario", "api_version"): API_VERSIONS}
CHOICES.update({("reachable_cluster", key): CHOICES[("cluster", key)] for key in ("type", "architecture")})


@dataclass
class Scenario:
    path: Path
    data: dict

    @property
    def seed(self) -> int:
        return self.data.get("seed", 0)


def load(path: str | Path | None = None) -> Scenario:
    path = Path(path) if path else DEFAULT
    try:
        text = path.read_text()
    except OSError as e:
        raise ScenarioError(path, "", f"cannot read the file ({e.strerror})") from None
    if len(text) > MAX_BYTES:
        raise ScenarioError(path, "", f"{len(text)} characters is more than the bound of {MAX_BYTES}: describe a "
                                      "large world with `generate`")
    try:
        # composed once: bounded as nodes, then built from the same nodes (libyaml when PyYAML has it: 10 times faster)
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
        try:
            root = loader.get_single_node()
            _bounded(root, path)
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        raise ScenarioError(path, "", f"not valid YAML: {e}") from None
    if data is None:
        data = {}
    _check(path, "", "scenario", data)
    return Scenario(path, data)


def from_data(data: dict, origin: str = "<scenario>") -> Scenario:
    """A scenario given as the dict a YAML file would hold, checked as a file's is."""
    if not isinstance(data, dict):
        raise ScenarioError(origin, "", f"expected a mapping, got {type(data).__name__}")
    _check(Path(origin), "", "scenario", data)
    return Scenario(Path(origin), data)


MAX_BYTES = 8 * 1024 * 1024
MAX_GENERATED_HOSTS, MAX_GENERATED_VMS = 10_000, 200_000
MAX_NODES = 1_000_000  # values once every alias is expanded: a few aliases can otherwise stand for billions


def _bounded(root, path) -> None:
    """Refuse a document whose aliases expand past MAX_NODES values (an alias bomb), or refer to themselves."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise ScenarioError(path, "", f"an alias refers to itself (line {node.start_mark.line + 1})")
        open_nodes.add(key)
        if isinstance(node, yaml.SequenceNode):
            n = 1 + sum(size(c) for c in node.value)
        elif isinstance(node, yaml.MappingNode):
            n = 1 + sum(size(k) + size(v) for k, v in node.value)
        else:
            n = 1
        open_nodes.discard(key)
        if n > MAX_NODES:
            raise ScenarioError(path, "", f"its aliases expand to more than {MAX_NODES} values (line "
                                          f"{node.start_mark.line + 1}): a scenario is bounded")
        sizes[key] = n
        return n

    if root is not None:
        size(root)


def _show(value) -> str:
    return reprlib.repr(value)


def _check(path, entry, kind, value):
    where = entry or "the top level"
    if not isinstance(value, dict):
        raise ScenarioError(path, where, f"expected a mapping with keys {', '.join(SHAPES[kind])}")
    for key, v in value.items():
        at = f"{entry}.{key}" if entry else str(key)
        if key not in SHAPES[kind]:
            raise ScenarioError(path, at, f"unknown key; a {kind} entry takes {', '.join(SHAPES[kind])}")
        types = SHAPES[kind][key]
        if not isinstance(v, types) or (isinstance(v, bool) and bool not in types):
            names = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
                     list: "a list", dict: "a mapping"}
            raise ScenarioError(path, at, f"expected {' or '.join(names[t] for t in types)}, got {_show(v)}")
        if (kind, key) in CHOICES and v not in CHOICES[(kind, key)]:
            raise ScenarioError(path, at, f"expected one of {', '.join(CHOICES[(kind, key)])}, got {_show(v)}")
        least = {"seed": None, "vms_per_host": 0}.get(key, 1) if types == _INT else None
        if types == _NUM and v <= 0:
            raise ScenarioError(path, at, f"expected a number more than 0, got {v!r}")
        if least is not None and v < least:
            raise ScenarioError(path, at, f"expected an integer of at least {least}, got {v!r}")
    for key in REQUIRED.get(kind, ()):
        if key not in value:
            raise ScenarioError(path, where, f"missing required key {key!r}")
    # Only these kinds nest entries; generate.clusters is a count, not a list.
    children = {"scenario": {"users": "user", "clusters": "cluster", "labels": "label",
                             "auth_configs": "auth_config", "reachable_clusters": "reachable_cluster"},
                "cluster": CLUSTER_CHILDREN, "reachable_cluster": CLUSTER_CHILDREN,
                "host": {"gpu_devices": "gpu"}}.get(kind, {})
    for key, child in children.items():
        for i, item in enumerate(value.get(key) or ()):
            _check(path, f"{entry}.{key}[{i}]" if entry else f"{key}[{i}]", child, item)
    if "generate" in value:
        _check(path, "generate", "generate", value["generate"])
        g = value["generate"]
        hosts = g["clusters"] * g["hosts_per_cluster"]
        vms = hosts * g.get("vms_per_host", 0)
        if hosts > MAX_GENERATED_HOSTS or vms > MAX_GENERATED_VMS:
            raise ScenarioError(path, "generate", f"{hosts} hosts and {vms} VMs is more than the bound of "
                                                  f"{MAX_GENERATED_HOSTS} hosts and {MAX_GENERATED_VMS} VMs")


CLUSTER_CHILDREN = {"hosts": "host", "vms": "vm", "placement_groups": "placement_group", "folders": "folder"}
DEFAULT_CREDENTIALS = ("root", "HC!r0cks")  # a declared cluster's, unless it says (cloudtower-sim's choice)


def build(scenario: Scenario, mode: str = "instant", speed: float = 1.0, seed: int | None = None,
          grammar=None, api_version: str = DEFAULT_VERSION, start_time: str | None = None) -> World:
    """The world of `scenario`; `grammar` reads `where` keys (default: as the served version `api_version` does).
    Simulated time starts at `start_time`, else the scenario's, else the wall clock now."""
    data = scenario.data
    pinned = start_time or data.get("start_time")
    if pinned is None:
        start = time.time()
    else:
        try:
            start = parse_time(pinned)
        except ValueError as e:
            entry = "start_time" if not start_time else "--start-time"
            raise ScenarioError(scenario.path, entry, f"expected an ISO 8601 time with its timezone such as "
                                f"{EXAMPLE_START}, got {pinned!r} ({e})") from None
    # the scenario's objects all exist at the start instant: time stands still while they are built, whatever the mode
    world = World(Clock(start, "manual", speed), seed if seed is not None else scenario.seed,
                  grammar or Spec.load(api_version).filters, api_version)
    for i, a in enumerate(data.get("auth_configs") or ()):
        if a["id"] in world.auth_configs:
            raise ScenarioError(scenario.path, f"auth_configs[{i}].id", f"{a['id']!r} is already declared")
        world.auth_configs[a["id"]] = AuthConfig(a["id"], a["name"], a.get("type", "LDAP"))
    users = data.get("users") or [{"username": "root", "password": "HC!r0cks"}]
    for i, u in enumerate(users):
        user = world.add(User(world.ids.cuid(), u["username"], u["password"], UserRole(u.get("role", "ROOT")),
                              UserSource(u.get("source", "LOCAL"))))
        if u.get("auth_config") is not None and u["auth_config"] not in world.auth_configs:
            raise ScenarioError(scenario.path, f"users[{i}].auth_config",
                                f"no auth config {u['auth_config']!r}; auth_configs declares "
                                f"{', '.join(world.auth_configs) or 'none'}")
        if user.source == UserSource.LDAP:  # through the scenario's only auth config unless it names one
            user.auth_config_id = u.get("auth_config") or next(iter(world.auth_configs), None)
        for token in u.get("tokens") or ():
            if not isinstance(token, str) or not token:
                raise ScenarioError(scenario.path, f"users[{i}].tokens", "expected a list of non-empty strings")
            world.tokens[token] = user
    # a tower has an organization from its installation on; datacenters are the scenario's
    world.add(Organization(world.ids.cuid(), data.get("organization", "SmartX")))
    for i, c in enumerate(data.get("clusters") or ()):
        cluster = build_cluster(world, scenario.path, f"clusters[{i}]", c)
        _reachable(world, scenario.path, f"clusters[{i}]", {**c, "ip": cluster.ip}, cluster)
    for i, c in enumerate(data.get("reachable_clusters") or ()):
        _reachable(world, scenario.path, f"reachable_clusters[{i}]", c)
    if "generate" in data:
        _generate(world, data["generate"])
    for image in list(world.elf_images.values()):
        uploads.uploaded(world, image)
    for i, entry in enumerate(data.get("labels") or ()):
        _label(world, scenario.path, f"labels[{i}]", entry, iso(start))
    # the scenario's VMs exist at the start instant (they are its starting point, not created one after another);
    # what the API creates later is stamped from the start on
    _stamp(world, lambda: iso(start), every=True)
    for frozen in (*world.vm_snapshots.values(), *world.vm_templates.values()):
        frozen.local_created_at = iso(start)
    for library in world.content_library_vm_templates.values():
        library.createdAt = library.source.local_created_at = iso(start)
    world.stamped_until(start - 0.001)
    world.clock.set_mode(mode, speed)
    return world


def build_cluster(world, path, entry, c, cluster=None):
    """The cluster entry `c` describes, with all it holds; `cluster`: the record connect-cluster made, which gets
    it (clusters.py)."""
    if cluster is None:
        if any(x.name == c["name"] for x in world.clusters.values()):
            raise ScenarioError(path, f"{entry}.name", f"a cluster named {c['name']!r} is already declared")
        n = len(world.clusters) + 1
        cluster = world.add(Cluster(world.ids.cuid(), world.ids.uuid(), c["name"], c.get("ip", f"10.{n}.0.10"),
                                    **{k: c[k] for k in ("version", "type", "architecture") if k in c}))
        _place(world, path, entry, cluster, c)
    else:
        cluster.name = c["name"]
        for key in ("version", "type", "architecture"):
            setattr(cluster, key, c.get(key, Cluster.__dataclass_fields__[key].default))
    for j, h in enumerate(c.get("hosts") or ()):
        if any(x.name == h["name"] for x in cluster.hosts):
            raise ScenarioError(path, f"{entry}.hosts[{j}].name", f"a host named {h['name']!r} is already declared")
        if h["memory_gib"] <= h.get("os_memory_gib", DEFAULT_OS_MEMORY_GIB):
            raise ScenarioError(path, f"{entry}.hosts[{j}].memory_gib",
                                f"{h['memory_gib']} GiB leaves nothing for VMs beside the "
                                f"{h.get('os_memory_gib', DEFAULT_OS_MEMORY_GIB)} GiB kept for the OS (os_memory_gib)")
        for k, g in enumerate(h.get("gpu_devices") or ()):
            if (g.get("usage") == "VGPU") != ("vgpu_instances" in g):
                raise ScenarioError(path, f"{entry}.hosts[{j}].gpu_devices[{k}]",
                                    "vgpu_instances goes with usage VGPU, and only with it")
        if bool(c.get("stretch")) != ("zone" in h):
            raise ScenarioError(path, f"{entry}.hosts[{j}]", "a host of a stretched cluster (stretch: true) names its "
                                "zone, preferred or secondary; a host of any other cluster names none")
        host = _add_host(world, cluster, h, j)
        if c.get("stretch"):
            zone = next(z for z in cluster.zones if z.is_preferred == (h["zone"] == "preferred"))
            host.zone = zone
            zone.hosts.append(host)
    if c.get("stretch") and not all(z.hosts for z in cluster.zones):
        raise ScenarioError(path, f"{entry}.hosts", "a stretched cluster has hosts in both zones, preferred and "
                                                    "secondary")
    for k, v in enumerate(c.get("vms") or ()):
        at = f"{entry}.vms[{k}]"
        if any(x.name == v["name"] for x in cluster.vms):  # as create-vm refuses it
            raise ScenarioError(path, f"{at}.name", f"cluster {c['name']!r} already has a VM named {v['name']!r}")
        if v["vcpu"] % v.get("cpu_sockets", 1):
            raise ScenarioError(path, f"{at}.vcpu", f"expected a multiple of cpu_sockets ({v['cpu_sockets']}), "
                                                    f"got {v['vcpu']}")
        host = None
        if "host" in v:
            host = next((h for h in cluster.hosts if h.name == v["host"]), None)
            if host is None:
                raise ScenarioError(path, f"{at}.host", f"no host named {v['host']!r} in cluster {c['name']!r}")
        elif v["status"] != "STOPPED":
            raise ScenarioError(path, at, f"a {v['status']} VM needs a host")
        vm = _add_vm(world, cluster, host, v)
        if v.get("gpu_devices") and v.get("ha"):  # as create-vm and update-vm-basic-info refuse it (gpus.py)
            raise ScenarioError(path, f"{at}.ha", "a VM with GPU devices cannot have HA")
        if host is None and (v.get("usb_devices") or v.get("gpu_devices") or v.get("pci_nics")):
            raise ScenarioError(path, at, "a VM with pass-through devices needs a host")
        _pass_through(world, vm, v)
        if host is not None and host.free_memory_bytes < 0:
            raise ScenarioError(path, at, f"host {host.name!r} has no memory left for this VM: its running and "
                                          f"suspended VMs need more than its {host.allocatable_memory_bytes // GIB} GiB")
    subnets = c.get("subnets") or {}
    for name, subnet in subnets.items():
        if name not in SUBNETS:
            raise ScenarioError(path, f"{entry}.subnets.{name}", f"no such VLAN; a cluster has {', '.join(SUBNETS)}")
        try:
            ipaddress.IPv4Network(subnet)
        except (ValueError, TypeError):
            raise ScenarioError(path, f"{entry}.subnets.{name}",
                                f"expected an IPv4 subnet such as 192.168.10.0/24, got {_show(subnet)}") from None
    furnish(world, cluster, subnets)
    for k, v in enumerate(c.get("vms") or ()):
        for i, name in enumerate(v.get("snapshots") or ()):
            if not isinstance(name, str) or not name.strip():
                raise ScenarioError(path, f"{entry}.vms[{k}].snapshots[{i}]", "expected a snapshot name")
            vm = next(x for x in cluster.vms if x.name == v["name"])
            snapshots.take(world, vm, name)
        for i, name in enumerate(v.get("templates") or ()):
            vm = next(x for x in cluster.vms if x.name == v["name"])
            if not isinstance(name, str) or not name.strip() or any(
                    t.name == name and t.cluster is cluster for t in world.vm_templates.values()):
                raise ScenarioError(path, f"{entry}.vms[{k}].templates[{i}]", "expected a template name unique in "
                                                                              "its cluster")
            templates.freeze(world, vm, name, f"made of {vm.name}", cloud_init=True)
        for i, name in enumerate(v.get("content_library_templates") or ()):
            vm = next(x for x in cluster.vms if x.name == v["name"])
            if not isinstance(name, str) or not name.strip() or any(
                    t.name == name for t in world.content_library_vm_templates.values()):
                raise ScenarioError(path, f"{entry}.vms[{k}].content_library_templates[{i}]",
                                    "expected a template name unique in the content library")
            content_library.make(world, vm, name, f"made of {vm.name}", True, [cluster])
    for k, p in enumerate(c.get("placement_groups") or ()):
        _placement_group(world, path, f"{entry}.placement_groups[{k}]", cluster, p)
    for k, f in enumerate(c.get("folders") or ()):
        _folder(world, path, f"{entry}.folders[{k}]", cluster, f)
    return cluster


def _reachable(world, path, at, c, cluster=None) -> None:
    """Keep entry `c` as the cluster a tower reaches at its ip with its username and password (clusters.py):
    `cluster` when the scenario has it connected, else one connect-cluster adds. Such an entry is built into a world
    of its own now, so that a broken one stops the start instead of failing its connect."""
    ip = c["ip"]
    if ip in world.reachable:
        raise ScenarioError(path, f"{at}.ip", f"{ip} is already the ip of cluster {world.reachable[ip]['name']!r}")
    if cluster is None:
        try:
            address = ipaddress.IPv4Address(ip)
        except ValueError:
            raise ScenarioError(path, f"{at}.ip", f"expected an IPv4 address, got {_show(ip)}") from None
        if not c.get("hosts"):
            c = {**c, "hosts": _default_hosts(c["name"], address)}
        build_cluster(World(Clock(world.clock.now(), "manual", 1.0), 0, world.grammar, world.api_version), path, at,
                      c)
    username, password = (c.get("username", DEFAULT_CREDENTIALS[0]), c.get("password", DEFAULT_CREDENTIALS[1]))
    world.reachable[ip] = {**c, "username": username, "password": password}
    if cluster is not None:
        cluster.entry, cluster.credentials = world.reachable[ip], (username, password)


def _default_hosts(name: str, address) -> list:
    """A reachable cluster's hosts when its entry declares none: three, at the addresses after the cluster's."""
    return [{"name": f"{name}-node-{k}", "management_ip": str(address + k), "memory_gib": 256, "os_memory_gib": 32}
            for k in (1, 2, 3)]


def load_cluster(world, cluster) -> None:
    """connect-cluster's last step: `cluster` gets what its entry describes, made now, as a tower loads a cluster it
    has just reached."""
    images = set(world.elf_images)
    build_cluster(world, "reachable_clusters", f"the cluster at {cluster.ip}", cluster.entry, cluster)
    for image_id in set(world.elf_images) - images:
        uploads.uploaded(world, world.elf_images[image_id])
    _stamp(world, world.created_at)


def _stamp(world, when, every: bool = False) -> None:
    """Creation stamps for the objects a scenario made without them (`every`: for all of them): `when()` each."""
    for table in (world.vms, world.vm_volumes, world.elf_images, world.svt_images, world.usb_devices,
                  world.gpu_devices, world.vm_placement_groups):
        for obj in table.values():
            if every or not obj.local_created_at:
                obj.local_created_at = when()
                if table is world.vm_placement_groups:
                    obj.local_updated_at = obj.local_created_at


def _folder(world, path, at, cluster, f):
    if any(x.cluster is cluster and x.name == f["name"] for x in world.vm_folders.values()):
        raise ScenarioError(path, f"{at}.name", f"a folder named {f['name']!r} is already declared")
    folder = world.add(VmFolder(world.ids.cuid(), world.ids.uuid(), f["name"], cluster))
    for i, name in enumerate(f.get("vms") or ()):
        vm = next((v for v in cluster.vms if v.name == name), None)
        if vm is None:
            raise ScenarioError(path, f"{at}.vms[{i}]", f"no VM named {name!r} in cluster {cluster.name!r}")
        if vm.folder is not None:
            raise ScenarioError(path, f"{at}.vms[{i}]", f"VM {name!r} is already in folder {vm.folder.name!r}")
        place(vm, folder)


def _label(world, path, at, entry, created):
    value = entry.get("value")
    if any(l.key == entry["key"] and l.value == value for l in world.labels.values()):
        raise ScenarioError(path, at, f"label {entry['key']}={value} is already declared")
    label = world.add(Label(world.ids.cuid(), entry["key"], created, value))
    for key, table in (("vms", world.vms), ("hosts", world.hosts), ("clusters", world.clusters),
                       ("content_library_vm_templates", world.content_library_vm_templates)):
        for i, name in enumerate(entry.get(key) or ()):
            found = [o for o in table.values() if o.name == name]
            if len(found) != 1:
                raise ScenarioError(path, f"{at}.{key}[{i}]", f"{len(found)} {key} are named {name!r}; a label "
                                                              "names exactly one")
            attach(label, found[0])


def _placement_group(world, path, at, cluster, p):
    if any(g.cluster is cluster and g.name == p["name"] for g in world.vm_placement_groups.values()):
        raise ScenarioError(path, f"{at}.name", f"a placement group named {p['name']!r} is already declared")

    def named(key, objs):
        out = []
        for i, name in enumerate(p.get(key) or ()):
            obj = next((o for o in objs if o.name == name), None)
            if obj is None:
                raise ScenarioError(path, f"{at}.{key}[{i}]", f"no {key[:-1].split('_')[-1]} named {name!r} in "
                                                              f"cluster {cluster.name!r}")
            out.append(obj)
        return out

    vms, must, prefer = named("vms", cluster.vms), named("must_hosts", cluster.hosts), named("prefer_hosts",
                                                                                           cluster.hosts)
    for i, vm in enumerate(vms):
        if vm.vm_placement_group:
            raise ScenarioError(path, f"{at}.vms[{i}]", f"VM {vm.name!r} is already in placement group "
                                                        f"{vm.vm_placement_group[0].name!r} (a VM is in one group)")
    group = world.add(VmPlacementGroup(
        world.ids.cuid(), world.ids.uuid(), p["name"], cluster, local_created_at="", local_updated_at="",
        description=p.get("description", ""), enabled=p.get("enabled", True),
        vm_vm_policy_enabled="vm_vm_policy" in p, vm_vm_policy=p.get("vm_vm_policy", "PREFER_DIFFERENT"),
        vm_host_must_enabled=bool(must), vm_host_must_policy=p.get("vm_host_must_policy", True),
        vm_host_must_host_uuids=must, vm_host_prefer_enabled=bool(prefer),
        vm_host_prefer_policy=p.get("vm_host_prefer_policy", True), vm_host_prefer_host_uuids=prefer))
    join(group, vms)


def _place(world, path, entry, cluster, c):
    """Put `cluster` in its datacenter (made the first time it is named) and, when stretched, give it its zones."""
    name = c.get("datacenter")
    if name is None:
        if c.get("stretch"):
            raise ScenarioError(path, f"{entry}.stretch", "a stretched cluster's zones belong to its datacenter: "
                                                           "name one (datacenter)")
        return None
    organization = next(iter(world.organizations.values()))
    datacenter = next((d for d in organization.datacenters if d.name == name), None)
    if datacenter is None:
        datacenter = world.add(Datacenter(world.ids.cuid(), name, organization))
    datacenter.clusters.append(cluster)
    cluster.datacenters.append(datacenter)
    if c.get("stretch"):
        for preferred in (True, False):
            world.add(Zone(world.ids.cuid(), world.ids.uuid(), cluster, datacenter, is_preferred=preferred))


def _add_host(world, cluster, h, j):
    n = list(world.clusters).index(cluster.id) + 1
    ip = h.get("management_ip", f"10.{n}.0.{11 + j}")
    host = world.add(Host(world.ids.cuid(), world.ids.uuid(), h["name"], ip, cluster,
                          total_memory_bytes=int(h["memory_gib"] * GIB),
                          os_memory_bytes=int(h.get("os_memory_gib", DEFAULT_OS_MEMORY_GIB) * GIB),
                          total_cpu_cores=h.get("cpu_cores", 32),
                          status=HostStatus(h.get("status", HostStatus.CONNECTED_HEALTHY)),
                          data_ip=_shift(ip, 1), vmotion_ip=_shift(ip, 2), serial=f"SN{world.ids.cuid()[1:11].upper()}",
                          chunk_id=str(j + 1)))
    for k, g in enumerate(h.get("gpu_devices") or ()):
        vgpu = g.get("usage") == "VGPU"
        world.add(GpuDevice(world.ids.cuid(), world.ids.uuid(), g["name"], host, local_created_at="",
                            model=g.get("model", "Tesla T4"), bus_location=f"0000:{0x3b + k:02x}:00.0",
                            user_usage=g.get("usage", "PASS_THROUGH"),
                            vgpu_instance_num=g.get("vgpu_instances") if vgpu else None,
                            user_vgpu_type_name=g.get("vgpu_type", "GRID T4-4Q") if vgpu else None,
                            user_vgpu_type_id=f"nvidia-{230 + k}" if vgpu else None))
    return host


def _shift(ip: str, octet: int) -> str:
    a, b, c, d = ip.split(".") if ip.count(".") == 3 else ("10", "0", "0", "1")
    return f"{a}.{b}.{(int(c) + 10 * octet) % 256 if c.isdigit() else c}.{d}"


def _add_vm(world, cluster, host, v):
    ip = _shared(v.get("ip", f"192.168.{len(cluster.vms) // 250 + 10}.{len(cluster.vms) % 250 + 2}"))
    memory = _shared(int(v["memory_gib"] * GIB))
    return world.add(Vm(world.ids.cuid(), world.ids.uuid(), v["name"], cluster, memory=memory,
                        vcpu=v["vcpu"], status=VmStatus(v["status"]), host=host, description=v.get("description", ""),
                        cpu_sockets=v.get("cpu_sockets", 1),
                        ha=v.get("ha", not v.get("gpu_devices")), firmware=v.get("firmware", "BIOS"),
                        guest_os_type=v.get("guest_os_type", "LINUX"), ip=ip, local_created_at=None,
                        ignores_shutdown=v.get("ignores_shutdown", False)))


_SHARED: dict = {}


def _shared(value):
    """One object for each of the equal values VMs repeat (a generated world's 100,000 VMs have 4 memory sizes and
    10,000 IPs: a copy each cost 9 MB). Only ints and strings come here, so no True is taken for a 1."""
    return _SHARED.setdefault(value, value)


def _pass_through(world, vm, v):
    """Give `vm` the host devices its entry names: a USB device or a NIC is made for it; a GPU is the host's GPU of
    that name (one vGPU of it in VGPU usage), or a pass-through GPU made for it when the host declares none."""
    ids, host = world.ids, vm.host
    for name in v.get("usb_devices") or ():
        world.give(vm, world.add(UsbDevice(ids.cuid(), ids.uuid(), str(name), host, local_created_at="",
                                           description=f"{name}, passed through to {vm.name}")))
    for name in v.get("gpu_devices") or ():
        gpu = next((g for g in host.gpu_devices if g.name == str(name) and (g.vgpu or not g.vms)), None)
        if gpu is None:
            gpu = world.add(GpuDevice(ids.cuid(), ids.uuid(), str(name), host, local_created_at="",
                                      model=str(name).removeprefix("NVIDIA ").strip() or "GPU",
                                      bus_location=f"0000:{0x5e + len(host.gpu_devices):02x}:00.0"))
        world.give(vm, gpu, 1 if gpu.vgpu else None)
    for name in v.get("pci_nics") or ():
        nic = world.add(Nic(ids.cuid(), ids.uuid(), str(name), host, _hardware_mac(ids), user_usage="PASS_THROUGH",
                            model="Mellanox Technologies MT27800 Family [ConnectX-5]", driver="mlx5_core"))
        world.give(vm, nic)


def _hardware_mac(ids) -> str:
    """A host NIC's MAC, in an Intel range (a VM's are in KVM's 52:54:00, devices.mac_address)."""
    u = ids.uuid()
    return f"b4:96:91:{u[-6:-4]}:{u[-4:-2]}:{u[-2:]}"


def _equip(world, host, vds) -> None:
    """A host's NICs and disks: eth0 and eth1 bonded into the cluster's VDS (management and VM traffic), eth2 and
    eth3 for storage, eth4 and eth5 unused; its SSDs as cache, its HDDs for data, as `ssd_disk_count` and
    `hdd_disk_count` say (a hybrid SMTX node). SMTX would give storage a VDS of its own; the simulator keeps one
    VDS per cluster."""
    ids = world.ids
    for k, (kind, bonded, ip) in enumerate((("MANAGEMENT", True, host.management_ip), ("VM", True, None),
                                            ("STORAGE", False, host.data_ip), ("STORAGE", False, None),
                                            (None, False, None), (None, False, None))):
        world.add(Nic(ids.cuid(), ids.uuid(), f"eth{k}", host, _hardware_mac(ids), type=kind, ip_address=ip,
                      vds=vds if bonded else None, up=kind is not None, running=kind is not None))
    ssd = host.ssd_data_capacity // max(host.ssd_disk_count, 1)
    hdd = host.hdd_data_capacity // max(host.hdd_disk_count, 1)
    for k in range(host.ssd_disk_count + host.hdd_disk_count):
        is_ssd = k < host.ssd_disk_count
        world.add(Disk(ids.cuid(), ids.uuid(), "sd" + "abcdefghijklmnopqrstuvwxyz"[k % 26], host,
                       size=ssd if is_ssd else hdd, type="SSD" if is_ssd else "HDD",
                       usage="CACHE" if is_ssd else "DATA", function="CACHE" if is_ssd else "DATA",
                       serial=f"{'S4' if is_ssd else 'ZL'}{ids.cuid()[-8:].upper()}",
                       model="SAMSUNG MZ7LH960HAJR" if is_ssd else "ST4000NM000A-2HZ100",
                       remaining_life_percent=99 if is_ssd else None))


def _generate(world, g):
    """A world by size: `clusters` x `hosts_per_cluster` hosts, `vms_per_host` VMs on each, sized to fit."""
    rng = random.Random(world.ids.cuid())
    sizes = (2, 4, 4, 8, 8, 16)
    for i in range(1, g["clusters"] + 1):
        base = len(world.clusters) + 1
        cluster = world.add(Cluster(world.ids.cuid(), world.ids.uuid(), f"gen-cluster-{i:02d}",
                                    f"10.{100 + base % 150}.0.10"))
        for j in range(g["hosts_per_cluster"]):
            plan = [(rng.choice(sizes), rng.choices(VM_STATUSES, (7, 2, 1))[0]) for _ in range(g.get("vms_per_host", 0))]
            active = sum(m for m, s in plan if s != "STOPPED")
            memory = max(256, -(-int(active * 1.5 + 16) // 64) * 64)  # room to spare, in steps of 64 GiB
            host = _add_host(world, cluster, {"name": f"gen-c{i:02d}-node-{j + 1:03d}", "memory_gib": memory,
                                              "management_ip": f"10.{100 + base % 150}.{j // 200}.{11 + j % 200}"}, j)
            for k, (mem, status) in enumerate(plan):
                _add_vm(world, cluster, host, {"name": f"gen-c{i:02d}-h{j + 1:03d}-vm-{k + 1:04d}", "status": status,
                                               "memory_gib": mem, "vcpu": max(1, mem // 2)})
        furnish(world, cluster)
        # removed and connected again, it comes back as three hosts of its name
        _reachable(world, "generate", f"generate: cluster {cluster.name}", {
            "name": cluster.name, "ip": cluster.ip,
            "hosts": _default_hosts(cluster.name, ipaddress.IPv4Address(cluster.ip))}, cluster)


# each VLAN's subnet unless the scenario's cluster says (`subnets: {vlan-100: 192.168.100.0/24}`): DHCP leases its
# addresses to the guests (guest.py); the management network's holds the hosts' management IPs, `default`'s the
# scenario VMs' own (192.168.10.2 on)
SUBNETS = {"mgmt-network": "10.10.0.0/24", "default": "192.168.0.0/16", "vlan-100": "10.100.0.0/16",
           "vlan-200": "10.200.0.0/16"}


def furnish(world, cluster, subnets: dict | None = None) -> None:
    """What every SMTX cluster has beside hosts and VMs: a VDS with the management network, a VM network named
    `default` and two VLANs; the default storage policy and one more; an ISO image and the VMTools (SVT) image. Each
    of its VMs gets a system disk on a volume of its own and a NIC on `default`; every third VM a CD-ROM with the
    ISO."""
    ids = world.ids
    n = len(world.clusters)
    subnets = subnets or {}
    vds = world.add(Vds(ids.cuid(), ids.uuid(), f"vds-{cluster.name}", cluster, ovsbr_name=f"ovsbr-{n}"))
    for host in cluster.hosts:
        _equip(world, host, vds)
    vlans = {}
    for name, vlan_id, kind in (("mgmt-network", 0, "MANAGEMENT"), ("default", 0, "VM"), ("vlan-100", 100, "VM"),
                                ("vlan-200", 200, "VM")):
        subnet = ipaddress.IPv4Network(subnets.get(name) or SUBNETS[name])
        vlans[name] = world.add(Vlan(ids.cuid(), ids.uuid(), name, vds, vlan_id, kind,
                                     gateway_ip=str(subnet.network_address + 1), subnetmask=str(subnet.netmask)))
    policy = world.add(ElfStoragePolicy(ids.cuid(), ids.uuid(), "default", cluster, replica_num=2,
                                        thin_provision=True, description="2 replicas, thin provisioned"))
    world.add(ElfStoragePolicy(ids.cuid(), ids.uuid(), "replica-3-thick", cluster, replica_num=3,
                               thin_provision=False, description="3 replicas, thick provisioned"))
    iso_image = world.add(ElfImage(ids.cuid(), ids.uuid(), "CentOS-7-x86_64-Minimal-2009.iso", cluster,
                                   size=1_020_264_448, local_created_at=""))
    world.add(SvtImage(ids.cuid(), ids.uuid(), "SMTX_VMTOOLS-4.0.0.iso", cluster, size=352_321_536,
                       local_created_at=""))
    volume_policy = policy.volume_policy
    for i, vm in enumerate(cluster.vms):
        volume = world.add(VmVolume(ids.cuid(), ids.uuid(), f"{vm.name}-system", cluster, DEFAULT_DISK,
                                    volume_policy, local_created_at="", written=INSTALLED_OS))
        world.add(VmDisk(ids.cuid(), vm, boot=0, bus="VIRTIO", vm_volume=volume))
        if i % 3 == 0:
            world.add(VmDisk(ids.cuid(), vm, boot=1, bus="IDE", type="CD_ROM", elf_image=iso_image))
        world.add(VmNic(ids.cuid(), ids.uuid(), vm, vlans["default"], mac_address(ids), static_ip=vm.ip or None))
        # a list appended to keeps room for four (96 bytes), a copy is its size (64): 10 MB at 100,000 VMs
        volume.vm_disks, vm.vm_disks, vm.vm_nics = volume.vm_disks[:], vm.vm_disks[:], vm.vm_nics[:]
        if vm.status == VmStatus.RUNNING:  # it has booted long ago (guest.py)
            guest.up(vm)

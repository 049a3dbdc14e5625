"""`cloudtower-sim capture`: a tower's inventory read, read-only, into a scenario that `serve --scenario` loads, so a
developer works against a replica of their own (vcsim's `govc object.save` is the model).

The scenario holds what scenarios can say: the clusters (datacenter, stretched zones), hosts (memory, CPU cores,
status, GPUs), VMs (CPU, memory, power state, placement, HA, firmware, passed-through USB devices, GPUs and NICs,
snapshot names), placement groups, folders and labels. What a scenario cannot say is left out and listed in the
file's head: users' passwords (the replica's user is root / HC!r0cks with the token cloudtower-sim-root-token),
VM templates, content-library templates, and each VM's disks and NICs (a replica VM gets the default ones).
`anonymize` renames everything consistently (cluster-1, host-1, vm-1, ...) and moves every IP into 10.0.0.0/8."""

from __future__ import annotations

import ipaddress
from typing import Callable

import yaml

from .domain.scenario import VM_STATUSES
from .schema.spec import VERSIONS

GIB = 1024**3
LEFT_OUT = ("users' passwords: the replica's user is root / HC!r0cks, token cloudtower-sim-root-token",
            "VM templates and content-library templates", "each VM's disks and NICs (replica VMs get default ones)",
            "clusters' logins: a replica's clusters answer connect-cluster and update-cluster to root / HC!r0cks")


class Names:
    """Consistent replacements: the same original always gets the same new name or address."""

    def __init__(self, anonymize: bool):
        self.anonymize, self.seen, self.ips = anonymize, {}, {}

    def __call__(self, kind: str, original):
        if not self.anonymize or original is None:
            return original
        key = (kind, original)
        if key not in self.seen:
            self.seen[key] = f"{kind}-{sum(1 for k, _ in self.seen if k == kind) + 1}"
        return self.seen[key]

    def ip(self, original):
        if not self.anonymize or not original:
            return original
        if original not in self.ips:
            self.ips[original] = str(ipaddress.IPv4Address(int(ipaddress.IPv4Address("10.0.0.0")) + len(self.ips) + 2))
        return self.ips[original]


def capture(client, anonymize: bool = False, progress: Callable[[str], None] = lambda line: None) -> dict:
    """The scenario of the tower `client` (a CloudTowerClient) reads."""
    def read(path: str) -> list:
        progress(f"reading {path[len('/get-'):]}")
        found = client.call(path, {})
        progress(f"  {len(found)}")
        return found

    name = Names(anonymize)
    clusters, hosts, vms = read("/get-clusters"), read("/get-hosts"), read("/get-vms")
    gpus, usbs = {g["id"]: g for g in read("/get-gpu-devices")}, {u["id"]: u for u in read("/get-usb-devices")}
    nics = {n["id"]: n for n in client.call("/get-nics", {"where": {"vms_some": {}}})}
    zones, datacenters = read("/get-zones"), read("/get-datacenters")
    snapshots, groups, folders = read("/get-vm-snapshots"), read("/get-vm-placement-groups"), read("/get-vm-folders")
    labels, organizations = read("/get-labels"), read("/get-organizations")
    version = client.get_version()
    host_name = {h["id"]: name("host", h["name"]) for h in hosts}
    vm_name = {v["id"]: name("vm", v["name"]) for v in vms}
    zone_of = {h["id"]: ("preferred" if z["is_preferred"] else "secondary") for z in zones for h in z.get("hosts") or ()}

    def cluster_entry(c) -> dict:
        entry = {"name": name("cluster", c["name"]), "ip": name.ip(c.get("ip")), "version": c.get("version"),
                 "type": c.get("type"), "architecture": c.get("architecture")}
        dcs = [d for d in datacenters if any(x["id"] == c["id"] for x in d.get("clusters") or ())]
        if dcs:
            entry["datacenter"] = name("datacenter", dcs[0]["name"])
        if c.get("stretch"):
            entry["stretch"] = True
        entry["hosts"] = [host_entry(h) for h in hosts if h["cluster"]["id"] == c["id"]]
        entry["vms"] = [vm_entry(v) for v in vms if v["cluster"]["id"] == c["id"]]
        entry["placement_groups"] = [group_entry(g) for g in groups if g["cluster"]["id"] == c["id"]]
        entry["folders"] = [{"name": name("folder", f["name"]), "vms": [vm_name[v["id"]] for v in f.get("vms") or ()
                                                                        if v["id"] in vm_name]}
                            for f in folders if f["cluster"]["id"] == c["id"]]
        return {k: v for k, v in entry.items() if v not in (None, [])}

    def host_entry(h) -> dict:
        entry = {"name": host_name[h["id"]], "management_ip": name.ip(h.get("management_ip")),
                 "memory_gib": _gib(h["total_memory_bytes"]), "os_memory_gib": _gib(h.get("os_memory_bytes") or 0),
                 "cpu_cores": h.get("total_cpu_cores"), "status": h.get("status")}
        if h["id"] in zone_of:
            entry["zone"] = zone_of[h["id"]]
        entry["gpu_devices"] = [_gpu(g, name) for g in gpus.values() if g["host"]["id"] == h["id"]]
        return {k: v for k, v in entry.items() if v not in (None, [])}

    def vm_entry(v) -> dict:
        status = v["status"] if v["status"] in VM_STATUSES else "STOPPED"
        entry = {"name": vm_name[v["id"]], "status": status, "memory_gib": _gib(v["memory"]), "vcpu": v["vcpu"],
                 "cpu_sockets": (v.get("cpu") or {}).get("sockets") or 1, "ha": v.get("ha"),
                 "description": "" if anonymize else v.get("description"), "firmware": v.get("firmware"),
                 "guest_os_type": v.get("guest_os_type") if v.get("guest_os_type") in ("LINUX", "WINDOWS") else None}
        if v.get("host"):
            entry["host"] = host_name[v["host"]["id"]]
        entry["usb_devices"] = [name("usb", usbs[u["id"]]["name"]) for u in v.get("usb_devices") or ()
                                if u["id"] in usbs]
        entry["gpu_devices"] = [name("gpu", gpus[g["id"]]["name"]) for g in v.get("gpu_devices") or ()
                                if g["id"] in gpus]
        entry["pci_nics"] = [name("nic", nics[n["id"]]["name"]) for n in v.get("pci_nics") or () if n["id"] in nics]
        if entry["gpu_devices"]:
            entry["ha"] = False  # a VM with GPUs has no HA (gpus.py)
        entry["snapshots"] = [name("snapshot", s["name"]) for s in snapshots
                              if (s.get("vm") or {}).get("id") == v["id"]]
        return {k: v for k, v in entry.items() if v not in (None, [])}

    def group_entry(g) -> dict:
        entry = {"name": name("group", g["name"]), "description": "" if anonymize else g.get("description"),
                 "enabled": g.get("enabled"),
                 "vms": [vm_name[v["id"]] for v in g.get("vms") or () if v["id"] in vm_name]}
        if g.get("vm_vm_policy_enabled"):
            entry["vm_vm_policy"] = g["vm_vm_policy"]
        for rule in ("must", "prefer"):
            if g.get(f"vm_host_{rule}_enabled"):
                entry[f"{rule}_hosts"] = [host_name[h["id"]] for h in g.get(f"vm_host_{rule}_host_uuids") or ()
                                          if h["id"] in host_name]
                entry[f"vm_host_{rule}_policy"] = g.get(f"vm_host_{rule}_policy", True)
        return {k: v for k, v in entry.items() if v not in (None, [])}

    def label_entry(label) -> dict:
        entry = {"key": name("label", label["key"]), "value": name("value", label.get("value")),
                 "vms": [vm_name[v["id"]] for v in label.get("vms") or () if v["id"] in vm_name],
                 "hosts": [host_name[h["id"]] for h in label.get("hosts") or () if h["id"] in host_name],
                 "clusters": [name("cluster", c["name"]) for c in label.get("clusters") or ()]}
        return {k: v for k, v in entry.items() if v not in (None, [])}

    scenario = {"users": [{"username": "root", "password": "HC!r0cks", "tokens": ["cloudtower-sim-root-token"]}]}
    if version in VERSIONS:
        scenario["api_version"] = version
    if organizations:
        scenario["organization"] = name("organization", organizations[0]["name"])
    scenario["clusters"] = [cluster_entry(c) for c in clusters]
    scenario["labels"] = [label_entry(label) for label in labels]
    return scenario


def _gib(size: int) -> float | int:
    gib = size / GIB
    return int(gib) if gib == int(gib) else round(gib, 3)


def _gpu(g, name) -> dict:
    entry = {"name": name("gpu", g["name"]), "model": g.get("model"), "usage": g.get("user_usage")}
    if g.get("user_usage") == "VGPU":
        entry["vgpu_instances"] = g.get("vgpu_instance_num") or 1
        entry["vgpu_type"] = g.get("user_vgpu_type_name")
    return {k: v for k, v in entry.items() if v is not None}


def dump(scenario: dict, source: str) -> str:
    head = [f"# captured from {source} by cloudtower-sim capture", "# left out (a scenario cannot say it):"]
    head += [f"#   - {what}" for what in LEFT_OUT]
    return "\n".join(head) + "\n" + yaml.safe_dump(scenario, sort_keys=False, allow_unicode=True, width=118)

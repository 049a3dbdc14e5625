"""`cloudtower-sim capture`: a tower's inventory read, read-only, into a saved world (domain/saved.py) that
`serve --scenario` loads, so a developer works against a replica of their own (vcsim's `govc object.save` is the
model).

Every kind the simulator reads is read whole (get-<kind> of each, as the served version names them) and kept with its
id: clusters, hosts and their NICs, disks, GPUs and USB devices; VMs with their disks, volumes, CD-ROMs and NICs;
VDSes and VLANs, storage policies, images (metadata), VM and content-library templates, snapshots, labels, folders,
placement groups, datacenters, organizations and zones. A field is kept under its wire name where the kind has one
of that name, a relation as a reference to the object it names; what a kind shows but derives from what the wire does
not say (a guest's state behind `vm_tools_status`, a NIC's addresses, a volume's written bytes, a frozen disk's
volume) is set back by `HIDDEN`. What a tower will not give is left out and listed in the file: users' passwords,
image bytes, guest contents and the task history. `anonymize` renames every object consistently (`vm-1`, `host-1`,
...), empties descriptions, and maps every IPv4 address into 10.0.0.0/8 and every MAC into 52:54:00, wherever they
appear."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import time
from typing import Callable

from .domain import saved
from .domain.clock import Clock
from .domain.model import KINDS
from .domain.world import World
from .schema.spec import DEFAULT_VERSION, VERSIONS, Spec

LEFT_OUT = ("users and their passwords: the replica's user is root / HC!r0cks, token cloudtower-sim-root-token",
            "image bytes and what is inside each guest", "the task history (tasks and upload tasks)",
            "clusters' logins: a replica's clusters answer connect-cluster and update-cluster to root / HC!r0cks")
HISTORY = ("Task", "UploadTask")
ROOT_TOKEN = "cloudtower-sim-root-token"


def capture(client, anonymize: bool = False, progress: Callable[[str], None] = lambda line: None) -> dict:
    """The saved world of the tower `client` (a CloudTowerClient) reads."""
    version = client.get_version()
    spec = Spec.load(version if version in VERSIONS else DEFAULT_VERSION)
    wire = {}
    for kind, (listing, _) in spec.reads.items():
        if kind in KINDS and kind not in HISTORY:
            progress(f"reading {listing[len('/get-'):]}")
            wire[kind] = client.call(listing, {})
            progress(f"  {len(wire[kind])}")
    kind_of = {o["id"]: kind for kind, objs in wire.items() for o in objs}
    rows = {kind: [_row(KINDS[kind], o, kind_of) for o in objs] for kind, objs in wire.items()}
    found = Found({(kind, o.get("local_id")): o["id"] for kind, objs in wire.items() for o in objs
                   if o.get("local_id")},
                  {p["local_id"]: f"REPLICA_{p.get('replica_num') or 2}_"
                                  f"{'THIN' if p.get('thin_provision', True) else 'THICK'}_PROVISION"
                   for p in wire.get("ElfStoragePolicy", ())})
    for kind, objs in wire.items():
        hidden = HIDDEN.get(kind)
        if hidden:
            for row, o in zip(rows[kind], objs):
                hidden(row, o, found)
    _labelled(rows)
    world = World(Clock(time.time(), "instant"), seed=len(kind_of), api_version=spec.version)
    data = saved.dump(world)
    root = {"id": "replica-root", "username": "root", "password": "HC!r0cks"}
    data["kinds"] = {kind: rows.get(kind, []) for kind in KINDS}
    data["kinds"]["User"] = [root]
    data["tokens"] = {ROOT_TOKEN: root["id"]}
    data["detached"] = found.detached
    data = _related(data)
    _reachable(data)
    data["left_out"] = list(LEFT_OUT)
    if anonymize:
        data = Anonymized()(data)
    return data


def _related(data: dict) -> dict:
    """`data` with the relations the wire does not show filled in from the other side: each object is in the lists
    that name it (`listed_in`: a cluster's volumes, ...), as the world keeps them."""
    world = saved.load(data)
    for kind in KINDS.values():
        for obj in getattr(world, kind.table).values():
            for holder in obj.listed_in():
                if not any(x is obj for x in holder):
                    holder.append(obj)
    return saved.dump(world)


def _reachable(data: dict) -> None:
    """Each replica cluster answers at its ip to root / HC!r0cks (update-cluster; connected again after a
    delete-cluster, it comes back with its hosts, as a scenario's cluster would)."""
    hosts = {h["id"]: h for h in data["kinds"]["Host"]}
    for cluster in data["kinds"]["Cluster"]:
        entry = {"name": cluster["name"], "ip": cluster["ip"], "username": "root", "password": "HC!r0cks",
                 "hosts": [{"name": h["name"], "management_ip": h.get("management_ip"),
                            "memory_gib": h.get("total_memory_bytes", 0) / 2**30,
                            "os_memory_gib": h.get("os_memory_bytes", 0) / 2**30}
                           for h in (hosts[ref["id"]] for ref in cluster.get("hosts") or ())]}
        data["reachable"][cluster["ip"]] = cluster["entry"] = entry
        cluster["credentials"] = ["root", "HC!r0cks"]


def _row(cls, o: dict, kind_of: dict) -> dict:
    """A wire object as its kind's fields: those of the same name; a relation ({id, ...}) as a reference."""
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: _value(v, kind_of) for k, v in o.items() if k in names}


def _value(v, kind_of: dict):
    """A relation ({id, ...}) as a reference to the object read; one to an object of a kind not read is dropped."""
    if isinstance(v, dict) and "id" in v:
        return {"$": kind_of[v["id"]], "id": v["id"]} if v["id"] in kind_of else None
    if isinstance(v, list):
        return [x for x in (_value(x, kind_of) for x in v) if x is not None]
    return v


@dataclasses.dataclass
class Found:
    """What the hidden state is set back from: objects by local id, each storage policy's volume policy by its local
    id, and the objects the world keeps detached."""
    by_local_id: dict
    policies: dict
    detached: list = dataclasses.field(default_factory=list)

    def ref(self, kind: str, local_id):
        found = self.by_local_id.get((kind, local_id)) if local_id else None
        return {"$": kind, "id": found} if found else None


# what a kind shows from state the wire does not give back: set from what it shows -------------------------------------
def _vm(row, o, found) -> None:
    row["cpu_sockets"] = (o.get("cpu") or {}).get("sockets") or 1
    tools = o.get("vm_tools_status")
    row["vm_tools"] = tools not in (None, "NOT_INSTALLED")
    row["guest_up"] = tools == "RUNNING"
    if row["guest_up"]:
        row["guest_hostname"], row["guest_dns_servers"] = o.get("hostname"), o.get("dns_servers")


def _vm_nic(row, o, found) -> None:
    row["static_ip"], row["static_mask"], row["static_gateway"] = (o.get("ip_address"), o.get("subnet_mask"),
                                                                    o.get("gateway"))


def _vm_volume(row, o, found) -> None:
    row["written"] = o.get("used_size") or 0


def _frozen(row, o, found) -> None:
    """A snapshot's or template's frozen disks and NICs name the volumes, images and VLANs they were made of by local
    id; a volume the world no longer holds (a template's own) is kept detached, as the world keeps it."""
    disks = []
    for d in o.get("vm_disks") or ():
        policy = found.policies.get(d.get("storage_policy_uuid"))
        volume = found.ref("VmVolume", d.get("vm_volume_local_id"))
        if volume is None and d.get("type") == "DISK":
            volume = {"$d": len(found.detached)}
            found.detached.append({"kind": "VmVolume", "id": f"{o['id']}-{d.get('index')}",
                                   "local_id": d.get("vm_volume_local_id") or "", "name": d.get("disk_name") or "",
                                   "cluster": row.get("cluster"), "size": d.get("size") or 0,
                                   "elf_storage_policy": policy or "REPLICA_2_THIN_PROVISION"})
        image = found.ref("ElfImage", d.get("elf_image_local_id")) or found.ref("SvtImage",
                                                                                 d.get("svt_image_local_id"))
        disks.append({**d, "_volume": volume, "_image": image, "_policy": policy})
    row["vm_disks"] = disks
    row["vm_nics"] = [{**n, "_vlan": found.ref("Vlan", (n.get("vlan") or {}).get("vlan_local_id"))}
                      for n in o.get("vm_nics") or ()]


def _library(row, o, found) -> None:
    """A content-library template reads what it was made of from its source: its first copy stands for it."""
    copies = row.get("vm_templates") or []
    row["source"] = copies[0] if copies else None


HIDDEN = {"Vm": _vm, "VmNic": _vm_nic, "VmVolume": _vm_volume, "VmSnapshot": _frozen, "VmTemplate": _frozen,
          "ContentLibraryVmTemplate": _library}


def _labelled(rows: dict) -> None:
    """Each labelled object names its labels (the world keeps the relation both ways), in the labels' order."""
    index = {(kind, r["id"]): r for kind, rs in rows.items() for r in rs}
    for label in rows.get("Label", ()):
        for key, refs in label.items():
            if isinstance(refs, list):
                for ref in refs:
                    if isinstance(ref, dict) and "$" in ref and (ref["$"], ref["id"]) in index:
                        index[(ref["$"], ref["id"])].setdefault("_labels", []).append({"$": "Label", "id": label["id"]})


# --anonymize ------------------------------------------------------------------------------------------------------------
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
MAC = re.compile(r"\b(?:[0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}\b")
ENUM = re.compile(r"[A-Z0-9_]+")
NAMED = ("name", "key", "value", "hostname", "guest_hostname", "disk_name", "image_name", "username")
EMPTIED = ("description",)


class Anonymized:
    """Consistent replacements: the same original name, address or MAC always gets the same new one, in whichever
    object and field it appears (a VM's name inside its volume's name too)."""

    def __init__(self):
        self.names: dict[str, str] = {}
        self.counts: dict[str, int] = {}
        self.ips: dict[str, str] = {}
        self.macs: dict[str, str] = {}

    def __call__(self, data: dict) -> dict:
        for kind, rows in data["kinds"].items():
            if kind == "User":
                continue
            prefix = re.sub(r"(?<!^)(?=[A-Z])", "-", kind).lower()
            for row in rows:
                for key in NAMED:
                    if isinstance(row.get(key), str) and row[key]:
                        self._name(prefix if key == "name" else key.replace("_", "-"), row[key])
        out = dict(data, kinds={k: [self._walk(r) for r in rows] if k != "User" else rows
                                for k, rows in data["kinds"].items()},
                   detached=[self._walk(r) for r in data["detached"]],
                   reachable={self._text(ip): self._walk(e) for ip, e in data["reachable"].items()})
        return out

    def _name(self, kind: str, original: str) -> str:
        if original not in self.names:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            self.names[original] = f"{kind}-{self.counts[kind]}"
        return self.names[original]

    def _walk(self, v, key: str = ""):
        if isinstance(v, dict):
            if "$" in v or "$d" in v:
                return v
            return {k: ("" if k in EMPTIED and isinstance(x, str) else self._walk(x, k)) for k, x in v.items()}
        if isinstance(v, list):
            return [self._walk(x, key) for x in v]
        if isinstance(v, str):
            return self._text(v)
        return v

    def _text(self, text: str) -> str:
        if ENUM.fullmatch(text):  # an enum's value (a name such as "VM" would otherwise turn one into a name)
            return text
        if text in self.names:
            return self.names[text]
        text = MAC.sub(lambda m: self._mac(m.group(0)), IPV4.sub(lambda m: self._ip(m.group(0)), text))
        for original in sorted((n for n in self.names if len(n) > 3 and n in text), key=len, reverse=True):
            text = text.replace(original, self.names[original])
        return text

    def _ip(self, original: str) -> str:
        try:
            ipaddress.IPv4Address(original)
        except ValueError:
            return original
        if original not in self.ips:
            self.ips[original] = str(ipaddress.IPv4Address(int(ipaddress.IPv4Address("10.0.0.0")) + len(self.ips) + 2))
        return self.ips[original]

    def _mac(self, original: str) -> str:
        if original.lower() not in self.macs:
            n = len(self.macs) + 1
            self.macs[original.lower()] = f"52:54:00:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:{n & 255:02x}"
        return self.macs[original.lower()]

"""What snapshots, VM templates and content-library templates share: a VM's disks and NICs frozen as upstream's
NestedFrozenDisks and NestedFrozenNic, and create-vm's parameters for a VM made of them.

A VM made of a frozen VM goes through create-vm's own checks: new volumes of the frozen sizes and policies, the same
ISOs where the image is in the VM's cluster, NICs on the same VLANs. The overrides come from upstream's
VmCreateVmFromTemplateParams: CPU, memory, name, NICs, and `disk_operate`:
- `remove_disks.disk_index` leaves frozen disks out (their `index`);
- `new_disks` adds disks as create-vm's `vm_disks` does. A new disk whose `vm_volume.path` is a frozen disk's path is
  a copy of that disk at the size given, as SmartX's Terraform provider sends it (resource_vm.go
  cloneVmFromVmTemplate: it removes every frozen disk and adds them back by path) and SmartX's CAPE for a stretched
  cluster (pkg/service/vm.go: the same, with REPLICA_3 volumes);
- `modify_disks` changes a frozen disk's bus, the one change the SDK README says a tower makes ("目前仅支持修改总线");
  anything else is refused.
`cloud_init` (TemplateCloudInit, as CAPE sends it) is kept on the VM; a template made without cloud-init support, and a
network on a NIC the VM will not have, are refused. `is_full_copy` changes nothing the API shows."""

from __future__ import annotations

from .errors import BadRequest
from .model import BYTE_UNITS, Entity

# fields of a creation from a snapshot or template that go to create-vm as they are (and are checked there)
PASSED = ("host_id", "folder_id", "vm_placement_group", "gpu_devices", "owner", "pci_nics")
GUEST = "_guest"  # the key under which creation_params passes the frozen VM's guest to create-vm
# fields whose effect cloudtower-sim does not model: refused, never ignored
NOT_SIMULATED = ("max_iops", "max_iops_policy", "max_bandwidth", "max_bandwidth_policy", "max_bandwidth_unit",
                 "io_policy")


class Frozen(Entity):
    """A snapshot or a template: `vm_disks` and `vm_nics` as frozen_disk and frozen_nic make them."""

    @property
    def size(self):
        return sum(d["size"] for d in self.vm_disks if d["type"] == "DISK")


def frozen_disk(world, index: int, disk) -> dict:
    volume, image = disk.vm_volume, disk.elf_image or disk.svt_image
    held = volume or image
    return {"index": index, "boot": disk.boot, "bus": disk.bus, "type": disk.type, "disabled": disk.disabled,
            "key": disk.key, "path": held.path if held else "", "size": held.size if held else 0,
            "vm_volume_local_id": volume.local_id if volume else "",
            "storage_policy_uuid": _policy_uuid(world, volume),
            "elf_image_local_id": disk.elf_image.local_id if disk.elf_image else "",
            "svt_image_local_id": disk.svt_image.local_id if disk.svt_image else "",
            "image_name": image.name if image else None, "disk_name": disk.device,
            "_volume": volume, "_image": image, "_policy": volume.elf_storage_policy if volume else None}


def _policy_uuid(world, volume) -> str:
    """The local id of the storage policy of the volume's cluster that the volume's policy is (empty when none is)."""
    if volume is None:
        return ""
    return next((p.local_id for p in world.elf_storage_policies.values()
                 if p.cluster is volume.cluster and p.volume_policy == volume.elf_storage_policy), "")


def frozen_nic(nic) -> dict:
    vlan = nic.vlan
    return {"index": nic.order, "mac_address": nic.mac_address, "model": nic.model, "enabled": nic.enabled,
            "mirror": nic.mirror, "ip_address": nic.static_ip or "", "gateway": nic.static_gateway or "",
            "subnet_mask": nic.static_mask or "",
            "vlan": {"name": vlan.name if vlan else "", "vlan_id": vlan.vlan_id if vlan else 0,
                     "vlan_local_id": vlan.local_id if vlan else "", "vds_ovs": vlan.vds.ovsbr_name if vlan else ""},
            "_vlan": vlan}


def creation_params(world, frozen, params: dict, at: str, field: str, what: str, cluster=None,
                    addresses: bool = False) -> dict:
    """create-vm's VmCreationParams for a VM of `cluster` (the frozen VM's own by default) made of `frozen` (a
    snapshot or a template) with the overrides `params` gives; `addresses`: its NICs may be given IP addresses."""
    cluster = cluster or frozen.cluster
    for key in NOT_SIMULATED:
        if params.get(key) is not None:
            raise BadRequest(f"{at}.{key}: cloudtower-sim does not simulate disk IO limits here yet; leave it out")
    if params.get("cluster_id") not in (None, cluster.id):
        raise BadRequest(f"{at}.cluster_id: cloudtower-sim makes the VM in the cluster of {what} "
                         f"({cluster.name}); another cluster is not simulated")
    disks = _disks(world, frozen, cluster, params.get("disk_operate") or {}, f"{at}.disk_operate", what,
                   params["name"])
    nics = params.get("vm_nics")
    for j, n in enumerate(() if addresses else nics or ()):
        for key in ("ip_address", "gateway", "subnet_mask"):
            if n.get(key) is not None:  # a MAC is taken: SmartX's CAPE sends one (pkg/service/vm.go)
                raise BadRequest(f"{at}.vm_nics[{j}].{key}: a VM made of {what} does not take NIC addresses (the "
                                 "SDK README: 创建虚拟机时并不支持修改网卡的 ip); set them through cloud_init")
    if nics is None:
        for n in frozen.vm_nics:
            if n["_vlan"] is None or not world.holds(n["_vlan"]):
                raise BadRequest(f"{at}.{field}: VLAN {n['vlan']['name']} of {what} has been deleted; give vm_nics")
            if n["_vlan"].vds.cluster is not cluster:
                raise BadRequest(f"{at}.vm_nics: VLAN {n['vlan']['name']} of {what} is not in cluster {cluster.name}; "
                                 "give vm_nics on its VLANs")
        nics = [{"connect_vlan_id": n["_vlan"].id, "model": n["model"], "enabled": n["enabled"],
                 "mirror": n["mirror"]} for n in frozen.vm_nics]
    cloud_init = params.get("cloud_init")
    if cloud_init is not None:
        if not getattr(frozen, "cloud_init_supported", False):
            raise BadRequest(f"{at}.cloud_init: {what} was made without cloud-init support "
                             "(cloud_init_supported false)")
        for k, net in enumerate(cloud_init.get("networks") or ()):
            if not 0 <= net["nic_index"] < len(nics):
                raise BadRequest(f"{at}.cloud_init.networks[{k}].nic_index: the VM has {len(nics)} NICs, "
                                 f"numbered from 0; got {net['nic_index']}")
            _addresses(net, f"{at}.cloud_init.networks[{k}]")
        if len(cloud_init.get("nameservers") or ()) > 3:  # a tower's form takes three (cape.md: "nameservers (≤ 3)")
            raise BadRequest(f"{at}.cloud_init.nameservers: at most 3 name servers, got "
                             f"{len(cloud_init['nameservers'])}")
    return {"cluster_id": cluster.id, "name": params["name"], "description": params.get("description", ""),
            "cpu_cores": params.get("cpu_cores", frozen.cpu["cores"]),
            "cpu_sockets": params.get("cpu_sockets", frozen.cpu["sockets"]),
            **({"vcpu": params["vcpu"]} if params.get("vcpu") is not None else {}),
            "memory": params.get("memory", frozen.memory),
            "memory_unit": params.get("memory_unit", "B") if params.get("memory") is not None else "B",
            "guest_os_type": params.get("guest_os_type", "WINDOWS" if frozen.win_opt else "LINUX"),
            "ha": params.get("ha", frozen.ha), "firmware": params.get("firmware", frozen.firmware),
            "status": params.get("status", "STOPPED"),
            **{k: params[k] for k in PASSED if params.get(k) is not None},
            "vm_disks": disks, "vm_nics": nics, "cloud_init": cloud_init,
            # the guest it was made of (guest.py), for create-vm: none of a request's own fields
            GUEST: {"vm_tools": getattr(frozen, "vm_tools", True),
                    "cloud_init_supported": bool(getattr(frozen, "cloud_init_supported", False))}}


def _addresses(net: dict, at: str) -> None:
    """A static network's addresses are IPv4 addresses (a guest's cloud-init could not apply others)."""
    import ipaddress

    for key in ("ip_address", "netmask"):
        if net.get(key) is not None:
            try:
                ipaddress.IPv4Address(net[key])
            except ValueError:
                raise BadRequest(f"{at}.{key}: expected an IPv4 address, got {net[key]!r}") from None
    for j, route in enumerate(net.get("routes") or ()):
        for key in ("gateway", "netmask", "network"):
            if route.get(key) is not None:
                try:
                    ipaddress.IPv4Address(route[key])
                except ValueError:
                    raise BadRequest(f"{at}.routes[{j}].{key}: expected an IPv4 address, got {route[key]!r}") from None
    if net.get("type") == "IPV4" and not (net.get("ip_address") and net.get("netmask")):
        raise BadRequest(f"{at}: an IPV4 network takes ip_address and netmask (IPV4_DHCP leases them)")
    if net.get("ip_address") and net.get("netmask"):
        try:
            ipaddress.IPv4Network(f"{net['ip_address']}/{net['netmask']}", strict=False)
        except ValueError:
            raise BadRequest(f"{at}.netmask: expected a netmask such as 255.255.255.0, got {net['netmask']!r}") from None


def _disks(world, frozen, cluster, operate: dict, at: str, what: str, vm_name: str) -> dict:
    """create-vm's `vm_disks` for the frozen disks that `operate` keeps, and the disks it adds."""
    indexes = {d["index"] for d in frozen.vm_disks}
    removed = list((operate.get("remove_disks") or {}).get("disk_index") or ())
    for k, index in enumerate(removed):
        if index not in indexes:
            raise BadRequest(f"{at}.remove_disks.disk_index[{k}]: {what} has no disk {index} "
                             f"(its disks: {sorted(indexes)})")
    buses = {}
    for k, change in enumerate(operate.get("modify_disks") or ()):
        if change["disk_index"] not in indexes or change["disk_index"] in removed:
            raise BadRequest(f"{at}.modify_disks[{k}].disk_index: {what} has no disk {change['disk_index']}"
                             + (" left: remove_disks removes it" if change["disk_index"] in removed else ""))
        if change.get("vm_volume_id") is not None:
            raise BadRequest(f"{at}.modify_disks[{k}].vm_volume_id: a tower modifies a template disk's bus only "
                             "(the SDK README); remove the disk and mount the volume with new_disks")
        if change.get("bus") is not None:
            if next(d for d in frozen.vm_disks if d["index"] == change["disk_index"])["type"] != "DISK":
                raise BadRequest(f"{at}.modify_disks[{k}].bus: disk {change['disk_index']} of {what} is a CD-ROM")
            buses[change["disk_index"]] = change["bus"]
    new, cd_roms = [], []
    for d in frozen.vm_disks:
        if d["index"] in removed:
            continue
        if d["type"] == "DISK" and d["_policy"] is not None:
            new.append({"boot": d["boot"], "bus": buses.get(d["index"], d["bus"]), "vm_volume": {
                "name": f"{vm_name}-{d['index']}", "size": d["size"], "elf_storage_policy": d["_policy"]}})
        elif d["type"] == "CD_ROM":
            image = d["_image"]
            usable = (type(image).__name__ == "ElfImage" and world.holds(image) and image.cluster is cluster)
            cd_roms.append({"boot": d["boot"], **({"elf_image_id": image.id} if usable else {})})
    added = operate.get("new_disks") or {}
    by_path = {d["path"]: d for d in frozen.vm_disks if d["type"] == "DISK" and d["path"]}
    for j, disk in enumerate(added.get("mount_new_create_disks") or ()):
        volume = disk["vm_volume"]
        if volume.get("path") is not None:
            source = by_path.get(volume["path"])
            if source is None:
                raise BadRequest(f"{at}.new_disks.mount_new_create_disks[{j}].vm_volume.path: {what} has no disk at "
                                 f"{volume['path']!r}; a new disk with a path copies one of its disks")
            size = volume["size"] * BYTE_UNITS[volume.get("size_unit", "B")]
            if size < source["size"]:
                raise BadRequest(f"{at}.new_disks.mount_new_create_disks[{j}].vm_volume.size: the copy of disk "
                                 f"{source['index']} cannot be smaller than its {source['size']} bytes, got {size}")
            disk = {**disk, "vm_volume": {k: v for k, v in volume.items() if k != "path"}}
        new.append(disk)
    return {"mount_new_create_disks": new, "mount_disks": list(added.get("mount_disks") or ()),
            "mount_cd_roms": cd_roms + list(added.get("mount_cd_roms") or ())}

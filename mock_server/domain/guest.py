"""The guest inside a VM: what a running VM's VMTools reports (issue 30). A VM's guest comes from what it was made of:
a scenario's VMs and the templates made of them have VMTools installed; a VM created blank has none. After a start
the guest boots in GUEST_BOOT_SECONDS; from then on, where VMTools is installed, the VM reports its hostname, its
`ips`, and for each NIC `ip_address`, `subnet_mask` and `gateway`. On a stop the guest state goes away.

A NIC's address is the one recorded for it (create-vm's, a scenario's `ip`, update-vm-nic-basic-info's), shown as it
is; else what its guest has: cloud-init's IPV4 network for its `nic_index`, or a DHCP lease from its VLAN's subnet
(`gateway_ip`/`subnetmask`), unique per VLAN and released when the guest stops or the NIC or VM goes. Without VMTools
the guest's addresses are not reported, as on a real tower: SmartX's CAPE waits for each NIC's `ip_address`
(../shared/reference/cape.md, step 15)."""

from __future__ import annotations

import ipaddress

# seconds from a start to the guest reporting through VMTools (inferred: a small cloud image boots in seconds; CAPE
# reads again every 10 s)
GUEST_BOOT_SECONDS = 20.0
LEASE_FIRST = 100  # DHCP hands out addresses from .100 of a subnet on (below: gateways and static addresses)


def network(vlan) -> ipaddress.IPv4Network | None:
    if not vlan.gateway_ip or not vlan.subnetmask:
        return None
    return ipaddress.IPv4Network(f"{vlan.gateway_ip}/{vlan.subnetmask}", strict=False)


def boot(world, vm) -> None:
    """A start: the guest comes up GUEST_BOOT_SECONDS later, if the VM is still running that same boot."""
    vm.guest_up = False
    vm.boots += 1
    vm.guest_due = world.runner.now() + GUEST_BOOT_SECONDS
    boot_number = vm.boots
    world.runner.after(GUEST_BOOT_SECONDS, lambda: _up(world, vm, boot_number))


def resume(world, vm) -> None:
    """A world read back from a file (saved.py): a guest that was booting comes up when it would have."""
    if vm.guest_due is not None and not vm.guest_up and vm.status == "RUNNING":
        boot_number = vm.boots
        world.runner.after(max(0.0, vm.guest_due - world.runner.now()), lambda: _up(world, vm, boot_number))


def _up(world, vm, boot_number: int) -> None:
    if vm.boots != boot_number or vm.status != "RUNNING" or not world.holds(vm):
        return
    up(vm)


def up(vm) -> None:
    """The guest has booted: at its first boot, cloud-init's networks configured; a lease for each NIC with no
    static address."""
    vm.guest_due = None
    for net in ((vm.cloud_init or {}).get("networks") or ()) if vm.boots <= 1 else ():  # cloud-init: first boot
        if net.get("type") == "IPV4" and net["nic_index"] < len(vm.vm_nics):
            nic = sorted(vm.vm_nics, key=lambda n: n.order)[net["nic_index"]]
            gateway = next((r.get("gateway") for r in net.get("routes") or () if r.get("network") == "0.0.0.0"),
                           None)
            nic.guest_ip, nic.guest_mask, nic.guest_gateway = net.get("ip_address"), net.get("netmask"), gateway
    for nic in vm.vm_nics:
        if not nic.static_ip and not nic.guest_ip and nic.lease is None and nic.vlan is not None:
            lease(nic)
    vm.guest_up = True


def joined(nic) -> None:
    """A NIC hot-plugged into a running guest: it asks DHCP for an address at once."""
    if not nic.static_ip and nic.lease is None and nic.vlan is not None:
        lease(nic)


def halt(vm) -> None:
    """A stop (power off, shutdown, deletion): the guest state goes away and its leases are released."""
    vm.guest_up, vm.guest_due = False, None
    for nic in vm.vm_nics:
        release(nic)


def lease(nic) -> None:
    """The lowest free address of the NIC's VLAN subnet from LEASE_FIRST on; none when the subnet is full."""
    vlan = nic.vlan
    net = network(vlan)
    if net is None:
        return
    first, size = LEASE_FIRST if net.num_addresses > 2 * LEASE_FIRST else 2, net.num_addresses - 1
    start = vlan.next_lease if first <= vlan.next_lease < size else first
    offset = start
    while offset in vlan.leases:
        offset = offset + 1 if offset + 1 < size else first
        if offset == start:
            return
    vlan.leases[offset] = nic
    vlan.next_lease = offset + 1
    nic.lease = str(net.network_address + offset)


def release(nic) -> None:
    if nic.lease is None:
        return
    vlan = nic.vlan
    net = network(vlan) if vlan is not None else None
    if net is not None:
        offset = int(ipaddress.IPv4Address(nic.lease)) - int(net.network_address)
        if vlan.leases.get(offset) is nic:
            del vlan.leases[offset]
    nic.lease = None


def unreachable_gateway(cloud_init: dict | None) -> str | None:
    """The gateway of a static cloud-init network outside its own subnet, which a guest cannot reach: a tower fails
    the creation with "[VM_CLOUD_INIT_CONFIG_ERROR]The gateway [<ip>] is unreachable." (the message SmartX's CAPE
    matches, cape.md)."""
    for net in (cloud_init or {}).get("networks") or ():
        if net.get("type") != "IPV4" or not net.get("ip_address") or not net.get("netmask"):
            continue
        subnet = ipaddress.IPv4Network(f"{net['ip_address']}/{net['netmask']}", strict=False)
        for route in net.get("routes") or ():
            gateway = route.get("gateway")
            if gateway and ipaddress.IPv4Address(gateway) not in subnet:
                return gateway
    return None

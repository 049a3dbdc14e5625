"""Where clusters and hosts stand: organizations hold datacenters, datacenters hold clusters, and a stretched cluster
splits its hosts into two zones, the preferred one and the secondary one (SMTX's stretched cluster, whose zones
SmartX's Cluster API provider reads with get-zones to place VMs). Totals are summed from what each holds."""

from __future__ import annotations

from dataclasses import dataclass, field

from .edits import SECONDS, check_name, each, setter
from .errors import BadRequest, NotFound
from .model import Entity
from .states import TaskKey
from .tasks import Step


def summed(name: str, parts: str):
    """A property: `name` summed over what `parts` lists."""
    return property(lambda self: sum(getattr(p, name) for p in getattr(self, parts)))


@dataclass(eq=False, repr=False, slots=True)
class Organization(Entity):
    table = "organizations"
    read = True

    id: str
    name: str
    datacenters: list = field(default_factory=list)


@dataclass(eq=False, repr=False, slots=True)
class Datacenter(Entity):
    table = "datacenters"
    read = True

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

    def listed_in(self) -> list[list]:
        return [self.organization.datacenters]


@dataclass(eq=False, repr=False, slots=True)
class Zone(Entity):
    table = "zones"
    read = True

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


# --- operations -----------------------------------------------------------------------------------------------------
# Rules beyond upstream's shapes, each a guess said where it stands: names are unique (datacenters within their
# organization), a cluster is in one datacenter at a time, a datacenter or organization that still holds something is
# not deleted, and a tower keeps at least one organization (it has one from installation on).

    def listed_in(self) -> list[list]:
        return [self.cluster.zones]

def create_organizations(world, user, batch: list) -> list:
    for i, p in enumerate(batch):
        _unique_name(f"[{i}].name", p["name"], world.organizations.values(), "an organization",
                     [q["name"] for q in batch[:i]])
    started = []
    for p in batch:
        org = world.add(Organization(world.ids.cuid(), p["name"]))
        started.append((world.start_task(f"Create organization {org.name}", org, TaskKey.CreateOrganization,
                                         [Step("create", SECONDS)], locks=(org,), user=user), org))
    return started


def update_organizations(world, user, orgs: list, data: dict) -> list:
    check_name(data, orgs, "organizations")
    if data.get("name") is not None:
        _unique_name("data.name", data["name"], [o for o in world.organizations.values() if o not in orgs],
                     "an organization")
    return each(world, user, orgs, TaskKey.UpdateOrganization, "Update organization",
                setter({"name": data["name"]} if data.get("name") is not None else {}), data)


def delete_organizations(world, user, orgs: list) -> list:
    for org in orgs:
        if org.datacenters:
            raise BadRequest(f"where: organization {org.name} holds datacenter {org.datacenters[0].name}; delete or "
                             "move its datacenters first")
    if orgs and len(world.organizations) - len(orgs) < 1:
        raise BadRequest("where: a tower keeps at least one organization; this would delete them all")
    return each(world, user, orgs, TaskKey.DeleteOrganization, "Delete organization", world.remove)


def create_datacenters(world, user, batch: list) -> list:
    planned, claimed = [], set()
    for i, p in enumerate(batch):
        org = world.organizations.get(p["organization_id"])
        if org is None:
            raise NotFound(f"[{i}].organization_id: no Organization with id {p['organization_id']!r}")
        _unique_name(f"[{i}].name", p["name"], org.datacenters, "a datacenter",
                     [q["name"] for q in batch[:i] if q["organization_id"] == org.id])
        clusters = _clusters(world, f"[{i}].clusters", p.get("clusters"), None)
        if claimed & set(clusters):
            raise BadRequest(f"[{i}].clusters: a cluster this request already puts in another datacenter")
        claimed |= set(clusters)
        planned.append((org, p["name"], clusters))
    started = []
    for org, name, clusters in planned:
        dc = world.add(Datacenter(world.ids.cuid(), name, org))
        _move(dc, clusters)
        started.append((world.start_task(f"Create datacenter {dc.name}", dc, TaskKey.CreateDatacenter,
                                         [Step("create", SECONDS)], locks=(dc,), user=user), dc))
    return started


def update_datacenters(world, user, dcs: list, data: dict) -> list:
    """`data.clusters`, when given, is the datacenter's whole set of clusters afterwards (read as update-vm-placement-
    group's `vms` is; upstream does not say)."""
    check_name(data, dcs, "datacenters")
    for dc in dcs:
        if data.get("name") is not None:
            _unique_name("data.name", data["name"], [d for d in dc.organization.datacenters if d is not dc],
                         "a datacenter")
    clusters = None
    if data.get("clusters") is not None:
        if len(dcs) > 1:
            raise BadRequest(f"where: matches {len(dcs)} datacenters, and one set of clusters cannot go to all")
        clusters = _clusters(world, "data.clusters", data["clusters"], dcs[0] if dcs else None)
        for cluster in dcs[0].clusters if dcs else ():
            if cluster not in clusters:
                _may_leave(cluster, "data.clusters")

    def apply(dc):
        if data.get("name") is not None:
            dc.name = data["name"]
        if clusters is not None:
            _move(dc, clusters, replace=True)
    return each(world, user, dcs, TaskKey.UpdateDatacenter, "Update datacenter", apply, data)


def delete_datacenters(world, user, dcs: list) -> list:
    for dc in dcs:
        if dc.clusters:
            raise BadRequest(f"where: datacenter {dc.name} holds cluster {dc.clusters[0].name}; remove its clusters "
                             "first (remove-clusters-from-datacenter)")
    return each(world, user, dcs, TaskKey.DeleteDatacenter, "Delete datacenter", world.remove)


def regroup_clusters(world, user, requests: list, adding: bool) -> list:
    """add-clusters-to-datacenter and remove-clusters-from-datacenter: `requests` are (datacenters its `where`
    chose, its `data`), all checked before any task starts."""
    plans = []
    for i, (dcs, data) in enumerate(requests):
        at = f"[{i}]"
        if not dcs:
            raise NotFound(f"{at}.where.id: no Datacenter with that id")
        dc = dcs[0]
        if any(dc is d for d, _ in plans):
            raise BadRequest(f"{at}.where: datacenter {dc.name} is named twice in this request")
        if adding:
            chosen = _clusters(world, f"{at}.data.clusters", data.get("clusters"), dc)
        else:
            chosen = world.query("Cluster", {"where": data["clusters"]}) if data.get("clusters") is not None else []
            for cluster in chosen:
                if cluster not in dc.clusters:
                    raise BadRequest(f"{at}.data.clusters: cluster {cluster.name} is not in datacenter {dc.name}")
                _may_leave(cluster, f"{at}.data.clusters")
        plans.append((dc, chosen))
    world.runner.check_unlocked(*(dc for dc, _ in plans))
    key = TaskKey.AddClustersToDatacenter if adding else TaskKey.RemoveClustersFromDatacenter
    what = "Add clusters to datacenter" if adding else "Remove clusters from datacenter"
    started = []
    for (dc, chosen), (_, data) in zip(plans, requests):
        def apply(dc, chosen=chosen):
            if adding:
                _move(dc, chosen)
            else:
                for cluster in chosen:
                    dc.clusters.remove(cluster)
                    cluster.datacenters.remove(dc)
        started += each(world, user, [dc], key, what, apply, data)
    return started


def _unique_name(at: str, name: str, others, what: str, in_request=()) -> None:
    if not name.strip():
        raise BadRequest(f"{at}: expected a non-empty name")
    if any(o.name == name for o in others) or name in in_request:
        raise BadRequest(f"{at}: there is already {what} named {name!r}")


def _clusters(world, at: str, where, dc) -> list:
    """The clusters `where` chooses for `dc` (None: a new one): each in no other datacenter."""
    if where is None:
        return []
    clusters = world.query("Cluster", {"where": where})
    for cluster in clusters:
        other = next((d for d in cluster.datacenters if d is not dc), None)
        if other is not None:
            raise BadRequest(f"{at}: cluster {cluster.name} is in datacenter {other.name}; cloudtower-sim keeps a "
                             "cluster in one datacenter (remove it there first)")
    return clusters


def _may_leave(cluster, at: str) -> None:
    if cluster.zones:
        raise BadRequest(f"{at}: cluster {cluster.name} is stretched, and its zones belong to its datacenter; it "
                         "does not leave it")


def _move(dc, clusters: list, replace: bool = False) -> None:
    if replace:
        for cluster in list(dc.clusters):
            if cluster not in clusters:
                dc.clusters.remove(cluster)
                cluster.datacenters.remove(dc)
    for cluster in clusters:
        if cluster not in dc.clusters:
            dc.clusters.append(cluster)
            cluster.datacenters.append(dc)

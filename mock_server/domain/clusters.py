"""Clusters as a tower connects, updates and removes them: connect-cluster, update-cluster and delete-cluster, the
operations of SmartX's Terraform provider's cluster resource (resource_cluster.go: it reads the new cluster's id from
the answer, then waits on the task ids).

What a tower can reach is the scenario's (scenario.py): each cluster it declares, connected from the start, and each
of its `reachable_clusters`, which connect-cluster adds. A cluster answers at its ip to its username and password
(a declared one's are root / HC!r0cks unless it says).

How a connection goes (each rule inferred, and said so):
- connect-cluster makes the cluster's record at once, named by its ip, `connect_state` INITIALIZING and
  entityAsyncStatus CREATING, in the datacenter named (the provider reads the id from the answer before it waits).
  Its task reaches the ip, logs in, then loads the cluster (hosts, VMs, VDS, VLANs, storage policies, images, as its
  entry describes them): CONNECTED. A failed connection takes the record away again.
- A failed task says why as a tower's connector does: Tower's UI (webzard-io/cloudtower-ui-kit, tryToExtractError)
  reads "HTTPError: ... 401" as LOAD_CLUSTER_UNAUTHORIZED and "RequestError: ... EHOSTUNREACH" as a network error,
  the got library's words. The task's error_code is upstream's ClusterConnectorErrorCode.
- update-cluster changes how the tower reaches a cluster (ip, username, password) and its datacenter. Its task logs
  in again with what it is given; if that fails, nothing changes.
- delete-cluster takes a cluster out of the tower: the cluster and everything the tower knew of it (hosts, VMs and
  their devices, volumes, templates, snapshots, networks, images, groups, folders) go from every read; its tasks stay
  in the history. The cluster itself keeps running: connected again, it is loaded anew from its entry (cloudtower-sim
  does not remember what was changed in it before). Refused while a task works on it or on anything in it: a tower
  removes no cluster under a running task (inferred). A cluster with VMs is removed: removing a cluster from a tower
  stops managing it and leaves its VMs running (no source says a tower refuses it)."""

from __future__ import annotations

import ipaddress
import secrets

from . import scenario
from .edits import each
from .errors import BadRequest, NotFound, NotSimulated, ResourceLocked, TaskError
from .model import KINDS, Cluster
from .placement import _may_leave, _move
from .states import EntityAsyncStatus, TaskKey
from .tasks import Step

REACH_SECONDS, LOAD_SECONDS = 2.0, 3.0  # reaching and logging in; loading what the cluster holds (guesses)
UNREACHABLE, UNAUTHORIZED, NOT_FOUND = ("LOAD_CLUSTER_NETWORK_ERROR", "LOAD_CLUSTER_UNAUTHORIZED",
                                        "LOAD_CLUSTER_NOT_FOUND")
STRETCH_FIELDS = ("primary_zone_datacenter_id", "secondary_zone_datacenter_id", "primary_zone_id",
                  "secondary_zone_id")


def _reach(world, ip: str, username: str, password: str) -> dict:
    """The entry of the cluster at `ip` that logs `username` in with `password`; else the TaskError a tower's
    connector fails with."""
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        raise TaskError(f"RequestError: getaddrinfo ENOTFOUND {ip}", UNREACHABLE) from None
    entry = world.reachable.get(ip)
    if entry is None:
        raise TaskError(f"RequestError: connect EHOSTUNREACH {ip}:443", UNREACHABLE)
    if username != entry["username"] or not secrets.compare_digest(
            password.encode("utf-8", "surrogatepass"), entry["password"].encode()):
        raise TaskError(f"HTTPError: Response code 401 (Unauthorized): cluster {ip} refused the username and "
                        "password", UNAUTHORIZED)
    return entry


def _not_stretching(p: dict, at: str) -> None:
    given = [k for k in STRETCH_FIELDS if p.get(k)]
    if given:
        raise NotSimulated(f"{at}.{given[0]}: cloudtower-sim connects and moves no stretched cluster's zones")


def _datacenter(world, at: str, datacenter_id):
    """The datacenter `datacenter_id` names; None for none (the provider sends "" when its datacenter_id is not set,
    resource_cluster.go)."""
    if not datacenter_id:
        return None
    datacenter = world.datacenters.get(datacenter_id)
    if datacenter is None:
        raise NotFound(f"{at}.datacenter_id: no Datacenter with id {datacenter_id!r}")
    return datacenter


def _managed(world, ip: str, but=None):
    return next((c for c in world.clusters.values() if c.ip == ip and c is not but), None)


def connect(world, user, batch: list) -> list:
    planned = []
    for i, p in enumerate(batch):
        at = f"[{i}]"
        _not_stretching(p, at)
        ip = p["ip"].strip()
        if not ip:
            raise BadRequest(f"{at}.ip: expected the cluster's management ip")
        held = _managed(world, ip)
        if held is not None:
            raise BadRequest(f"{at}.ip: cluster {held.name} at {ip} is already connected")
        if any(ip == q for q, _, _ in planned):
            raise BadRequest(f"{at}.ip: this request connects {ip} twice")
        planned.append((ip, p, _datacenter(world, at, p.get("datacenter_id"))))
    started = []
    for ip, p, datacenter in planned:
        cluster = world.add(Cluster(world.ids.cuid(), world.ids.uuid(), ip, ip, connect_state="INITIALIZING",
                                    entityAsyncStatus=EntityAsyncStatus.CREATING,
                                    credentials=(p["username"], p["password"])))
        if datacenter is not None:
            _move(datacenter, [cluster])

        def reached(cluster=cluster):
            cluster.entry = _reach(world, cluster.ip, *cluster.credentials)
            if cluster.entry.get("stretch"):
                raise TaskError(f"cluster {cluster.entry['name']} at {cluster.ip} is stretched: cloudtower-sim "
                                "connects no stretched cluster (declare it in the scenario's clusters)",
                                "NOT_SIMULATED")

        def loaded(cluster=cluster):
            scenario.load_cluster(world, cluster)
            cluster.connect_state, cluster.entityAsyncStatus = "CONNECTED", None

        task = world.start_task(f"Connect cluster {ip}", cluster, TaskKey.ConnectCluster,
                                [Step("connect", REACH_SECONDS, reached), Step("load", LOAD_SECONDS, loaded)],
                                locks=(cluster,), user=user, args=_shown(p),
                                on_failure=lambda _, cluster=cluster: forget(world, cluster))
        started.append((task, cluster))
    return started


def _shown(p: dict) -> dict:
    """A request's params as its task keeps them: no password."""
    return {k: v for k, v in p.items() if k != "password"}


def update(world, user, clusters: list, data: dict) -> list:
    _not_stretching(data, "data")
    reaching = any(data.get(k) is not None for k in ("ip", "username", "password"))
    ip = (data.get("ip") or "").strip() or None
    if ip is not None:
        if len(clusters) > 1:
            raise BadRequest(f"data.ip: where matches {len(clusters)} clusters, and one ip cannot go to all of them")
        for cluster in clusters:
            held = _managed(world, ip, but=cluster)
            if held is not None:
                raise BadRequest(f"data.ip: cluster {held.name} at {ip} is already connected")
    datacenter = _datacenter(world, "data", data.get("datacenter_id"))
    for cluster in clusters:
        if cluster.connect_state == "INITIALIZING":
            raise BadRequest(f"where: cluster {cluster.name} is still connecting; update it once its task is done")
        if datacenter is not None and cluster.datacenters and cluster.datacenters[0] is not datacenter:
            _may_leave(cluster, "data.datacenter_id")

    def apply(cluster):
        if reaching:
            address = ip or cluster.ip
            username = data["username"] if data.get("username") is not None else cluster.credentials[0]
            password = data["password"] if data.get("password") is not None else cluster.credentials[1]
            entry = _reach(world, address, username, password)
            if entry != cluster.entry:
                raise TaskError(f"cluster {address} is not cluster {cluster.name}: it is "
                                f"{entry['name']}", NOT_FOUND)
            cluster.ip, cluster.credentials = address, (username, password)
        if datacenter is not None and datacenter not in cluster.datacenters:
            for old in list(cluster.datacenters):
                old.clusters.remove(cluster)
                cluster.datacenters.remove(old)
            _move(datacenter, [cluster])
    return each(world, user, clusters, TaskKey.UpdateCluster, "Update cluster", apply, _shown(data), busy=True)


def delete(world, user, clusters: list) -> list:
    for cluster in clusters:
        running = next((t for t in world.tasks.values() if not t.done and t.cluster is cluster), None)
        if running is not None:
            raise ResourceLocked(f"where: task {running.id} ({running.description}) is running on cluster "
                                 f"{cluster.name}; remove the cluster once it has finished")
    return each(world, user, clusters, TaskKey.DeleteCluster, "Remove cluster", lambda c: forget(world, c),
                busy=True)


def forget(world, cluster) -> None:
    """Take `cluster` out of the world with everything of it: what names it, its hosts or its VDS goes."""
    for vm in list(cluster.vms):
        world.remove_vm(vm, include_snapshots=True)
    hosts = set(cluster.hosts)
    for table in {kind.table for kind in KINDS.values()} - {"clusters", "hosts", "tasks"}:
        for obj in list(getattr(world, table).values()):
            if world.holds(obj) and _of(obj, cluster, hosts):
                world.remove(obj)
    for library in list(world.content_library_vm_templates.values()):
        if not library.vm_templates:  # its only copy was here: nothing holds it any more
            world.remove(library)
    for host in list(cluster.hosts):
        world.remove(host)
    for datacenter in list(cluster.datacenters):
        datacenter.clusters.remove(cluster)
    cluster.datacenters = []
    world.remove(cluster)


def _of(obj, cluster, hosts: set) -> bool:
    """`obj` is the cluster's: it names the cluster, one of its hosts, or a VDS of it."""
    if getattr(obj, "cluster", None) is cluster or getattr(obj, "host", None) in hosts:
        return True
    vds = getattr(obj, "vds", None)
    return vds is not None and getattr(vds, "cluster", None) is cluster

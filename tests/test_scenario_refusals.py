"""Scenarios refuse what cannot exist, naming the file, the entry and what is wrong."""

import pytest

from cloudtower_sim.mock_server.domain.scenario import ScenarioError
from cloudtower_sim.mock_server.domain.simulator import Settings, Simulator

HOSTS = "    hosts: [{name: h1, memory_gib: 64}, {name: h2, memory_gib: 64}]\n"


@pytest.mark.parametrize("text,entry,what", [
    ("clusters:\n  - name: c\n    hosts: [{name: h1, memory_gib: 8}]\n",
     "clusters[0].hosts[0].memory_gib", "8 GiB leaves nothing for VMs beside the 16 GiB kept for the OS"),
    ("clusters:\n  - name: c\n    hosts: [{name: h1, memory_gib: 32, os_memory_gib: 32}]\n",
     "clusters[0].hosts[0].memory_gib", "leaves nothing for VMs"),
    ("clusters:\n  - name: c\n" + HOSTS + "    vms: [{name: a, host: h1, status: RUNNING, memory_gib: 1, vcpu: 1},"
     " {name: a, host: h2, status: STOPPED, memory_gib: 1, vcpu: 1}]\n",
     "clusters[0].vms[1].name", "already has a VM named 'a'"),
    ("clusters:\n  - name: c\n" + HOSTS + "    vms: [{name: a, host: h1, status: RUNNING, memory_gib: 1, vcpu: 3,"
     " cpu_sockets: 2}]\n",
     "clusters[0].vms[0].vcpu", "expected a multiple of cpu_sockets (2), got 3"),
    ("generate: {clusters: 1, hosts_per_cluster: 3, vms_per_host: -1}\n",
     "generate.vms_per_host", "expected an integer of at least 0, got -1"),
    ("generate: {clusters: 0}\n", "generate.clusters", "expected an integer of at least 1, got 0"),
    ("clusters:\n  - name: c\n    hosts: [{name: h1, memory_gib: -4}]\n",
     "clusters[0].hosts[0].memory_gib", "expected a number more than 0, got -4"),
    ("clusters:\n  - name: c\n    hosts: [{name: h1, memory_gib: 64, gpu_devices: [{name: g, usage: VGPU}]}]\n",
     "clusters[0].hosts[0].gpu_devices[0]", "vgpu_instances goes with usage VGPU"),
    ("clusters:\n  - name: c\n    hosts: [{name: h1, memory_gib: 64, gpu_devices: [{name: g, vgpu_instances: 4}]}]\n",
     "clusters[0].hosts[0].gpu_devices[0]", "vgpu_instances goes with usage VGPU"),
    ("clusters:\n  - name: c\n    hosts: [{name: h1, memory_gib: 64, gpu_devices: [{name: g, usage: MIG}]}]\n",
     "clusters[0].hosts[0].gpu_devices[0].usage", "expected one of PASS_THROUGH, VGPU"),
    ("clusters:\n  - name: c\n" + HOSTS + "    vms: [{name: a, status: STOPPED, memory_gib: 1, vcpu: 1,"
     " gpu_devices: [T4]}]\n", "clusters[0].vms[0]", "a VM with pass-through devices needs a host"),
    ("clusters:\n  - name: c\n" + HOSTS + "    vms: [{name: a, host: h1, status: STOPPED, memory_gib: 1, vcpu: 1,"
     " ha: true, gpu_devices: [T4]}]\n", "clusters[0].vms[0].ha", "a VM with GPU devices cannot have HA"),
])
def test_a_scenario_that_cannot_exist_is_refused(tmp_path, text, entry, what):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as e:
        Simulator(Settings(scenario=str(path)))
    message = str(e.value)
    assert message.startswith(str(path)) and entry in message and what in message, message


def test_sockets_that_divide_the_vcpus_are_kept(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("clusters:\n  - name: c\n" + HOSTS +
                    "    vms: [{name: a, host: h1, status: RUNNING, memory_gib: 1, vcpu: 8, cpu_sockets: 2}]\n")
    [vm] = Simulator(Settings(scenario=str(path))).world.vms.values()
    assert vm.cpu == {"cores": 4, "sockets": 2}

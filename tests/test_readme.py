"""The README says what the registry says."""

import pytest

from cloudtower_sim.mock_server.api.registry import markdown_table

from .support import ROOT

README = ROOT / "README.md"


def test_the_table_of_simulated_operations_is_the_registrys():
    table = markdown_table()
    assert table in README.read_text(), f"README.md's table of simulated operations is stale; it should read:\n{table}"


def test_the_scenario_example_loads(tmp_path):
    from cloudtower_sim.mock_server.domain.simulator import Settings, Simulator

    text = README.read_text()
    example = text[text.index("```yaml\nseed: 7") + len("```yaml\n"):]
    (tmp_path / "example.yaml").write_text(example[:example.index("```")])
    sim = Simulator(Settings(scenario=str(tmp_path / "example.yaml")))
    assert sim.spec.version == "4.1.0" and len(sim.world.vms) == 4 + 10_000
    assert {u.username: (u.role, u.source) for u in sim.world.users.values()}["alice"] == ("ADMIN", "LDAP")
    [org], [dc] = sim.world.organizations.values(), sim.world.datacenters.values()
    assert (org.name, dc.name, [c.name for c in dc.clusters]) == ("ACME", "dc-lab", ["lab"])
    h3 = next(h for h in sim.world.hosts.values() if h.name == "h3")
    assert [(g.name, g.user_usage, [v.name for v in g.vms]) for g in h3.gpu_devices] == [
        ("NVIDIA Tesla T4", "PASS_THROUGH", ["render"]), ("NVIDIA A16", "VGPU", [])]
    groups = {g.name: g for g in sim.world.vm_placement_groups.values()}
    assert [v.name for v in groups["apart"].vms] == ["db", "render"] and groups["apart"].vm_vm_policy_enabled
    assert [h.name for h in groups["near-h1"].vm_host_prefer_host_uuids] == ["h1"]
    [snap] = sim.world.vm_snapshots.values()
    assert (snap.name, snap.vm.name, snap.memory) == ("db-daily", "db", 32 * 1024**3)
    [folder] = sim.world.vm_folders.values()
    assert (folder.name, [v.name for v in folder.vms]) == ("prod", ["db"])
    [label] = sim.world.labels.values()
    assert (label.key, label.value, [c.name for c in label.clusters], [v.name for v in label.vms]) == (
        "env", "lab", ["lab"], ["db"])


def run_example(heading: str, server, capsys) -> list[str]:
    """Run the first Python block under `heading` against `server`; answer the lines it printed."""
    text = README.read_text()
    start = text.index(heading)
    block = text[text.index("```python\n", start) + len("```python\n"):]
    code = block[:block.index("```")]
    exec(compile(code.replace("http://127.0.0.1:8080/v2/api", server.base_url), "README.md", "exec"), {})
    return capsys.readouterr().out.splitlines()


def test_the_terraform_style_sdk_example_runs_and_prints_what_it_says(served, capsys):
    """The README's create -> read disks and NICs -> edit -> delete, with the official SDK on a served simulator."""
    server = served()
    out = run_example("## A VM as Terraform builds it", server, capsys)
    assert out == ["0 vda tf-demo-sys", "1 vdb tf-demo-data", "[('E1000', 'vlan-100')]", "8 GiB"], out
    from cloudtower_sim.client import CloudTowerClient
    tower = CloudTowerClient(server.base_url, token="cloudtower-sim-root-token")
    assert tower.get_vms(where={"name": "tf-demo"}) == [], "the example deletes its VM"
    assert tower.call("/get-vm-volumes", {"where": {"name_starts_with": "tf-demo"}}) == [], "and its volumes"


def test_the_cape_node_example_runs_and_prints_what_it_says(served, capsys):
    out = run_example("## Kubernetes nodes as CAPE makes them", served(), capsys)
    assert out == ["RUNNING md-0-worker-1", "10.0.0.51 10.0.0.1", "10.100.0.100 10.100.0.1", "True"], out


@pytest.mark.slow  # as the SDK's README writes it, each wait_tasks sleeps its 5 s interval after its poll
def test_the_sdk_readmes_template_and_backup_examples_run(served, capsys):
    """The README's take on the SDK README's "create a VM from a template" and "VM backup"."""
    out = run_example("## Templates and backups, as the SDK README writes them", served(), capsys)
    assert out[0] == "from-library STOPPED 8 GiB", out
    # db-01 runs VMTools in the default world, so the snapshot is file-system consistent
    assert out[1].startswith("db-01-backup FILE_SYSTEM_CONSISTENT ['DISK'"), out


@pytest.mark.slow  # a process of its own
def test_the_fixture_example_runs_as_a_projects_test(tmp_path):
    """The README's first `cloudtower_sim` fixture example, as a test file of another project."""
    import subprocess
    import sys

    text = README.read_text()
    start = text.index("## Use it in your project's tests")
    block = text[text.index("```python\n", start) + len("```python\n"):]
    (tmp_path / "test_example.py").write_text(block[:block.index("\n\n\n@pytest.mark")] + "\n")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_example.py"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "1 passed" in r.stdout, r.stdout[-3000:] + r.stderr[-2000:]


@pytest.mark.slow  # a process of its own
def test_the_ci_script_serves_waits_and_answers(tmp_path):
    """The README's "Use it in CI" script, on a free port, with the installed package, its `pytest` swapped for a
    request whose answer is checked."""
    import json
    import socket
    import subprocess
    import sys

    text = README.read_text()
    start = text.index("## Use it in CI")
    block = text[text.index("```sh\n", start) + len("```sh\n"):]
    script = block[:block.index("```")]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert script.startswith("pip install cloudtower-sim") and script.rstrip().endswith("\npytest"), script
    script = (script.split("\n", 1)[1].replace("8080", str(port))
              .replace("cloudtower-sim serve", f"{sys.executable} -m cloudtower_sim serve").rstrip()[:-len("pytest")])
    script += ('curl -sf -X POST -H "Authorization: $CLOUDTOWER_TOKEN" -H "content-type: application/json" -d "{}" '
               '"$CLOUDTOWER_URL/get-vms" > vms.json\nkill %1\n')
    r = subprocess.run(["bash", "-ec", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert len(json.loads((tmp_path / "vms.json").read_text())) == 18

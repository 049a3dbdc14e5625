"""Every wire name the client uses, upstream's spellings included, in one place."""

import json
from pathlib import Path

PATHS = {
    "login": "/login",
    "get_version": "/get-version",
    "enter_precheck": "/enter-maintenance-mode-precheck",  # the one path spelled "maintenance"
    "enter_precheck_result": "/enter-maintance-mode-precheck-result",
    "enter": "/enter-maintance-mode",
    "exit_precheck_result": "/exit-maintance-mode-precheck-result",
    "exit": "/exit-maintance-mode",
    "create_vm": "/create-vm",
    "delete_vm": "/delete-vm",
    "start_vm": "/start-vm",
    "shutdown_vm": "/shutdown-vm",
    "poweroff_vm": "/poweroff-vm",
    "restart_vm": "/restart-vm",
    "force_restart_vm": "/force-restart-vm",
    "suspend_vm": "/suspend-vm",
    "resume_vm": "/resume-vm",
    "migrate_vm": "/migrate-vm",
}
# the reads, as upstream's paths name them: "vm_snapshots" -> ("/get-vm-snapshots", "/get-vm-snapshots-connection").
# reads.json is written by `cloudtower-sim extract` beside the extracts (the client imports nothing of the
# simulator); tests/test_client.py holds it to them
READS_FILE = Path(__file__).parent / "reads.json"


def reads_text(paths) -> str:
    """reads.json for `paths`, (listing, count) pairs: one read a line, so that a new one is a one-line diff."""
    lines = [f' "{listing[len("/get-"):].replace("-", "_")}": ["{listing}", "{count}"]'
             for listing, count in sorted(paths)]
    return "{\n" + ",\n".join(lines) + "\n}\n"


READS = {kind: tuple(paths) for kind, paths in json.loads(READS_FILE.read_text()).items()}

# result keys of the maintenance operations: camelCase, and "shutdownVms" on enter but "shutDownVms" on exit
ENTER_RESULT_SHUTDOWN = "shutdownVms"
EXIT_RESULT = {"shut_down_vms": "shutDownVms", "live_migrate_vms": "liveMigrateVms",
               "offline_migrate_vms": "offlineMigrateVms"}
EXIT_INPUT = {"shut_down_vms": "poweron_vms", "live_migrate_vms": "live_migrate_back_vms",
              "offline_migrate_vms": "offline_migrate_back_vms"}

TASK_DONE = "SUCCESSED"  # sic
TASK_FAILED = "FAILED"
TASK_STATUSES = ("PENDING", "EXECUTING", "PAUSED", TASK_DONE, TASK_FAILED)

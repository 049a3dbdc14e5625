"""Every wire name the client uses, upstream's spellings included, in one place."""

from cloudtower_sim.mock_server.schema.spec import Spec

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
# the reads, from the extract of the upstream spec the simulator serves: "vm_snapshots" -> ("/get-vm-snapshots",
# "/get-vm-snapshots-connection")
READS = {listing[len("/get-"):].replace("-", "_"): (listing, count)
         for listing, count in Spec.load().reads.values()}

# result keys of the maintenance operations: camelCase, and "shutdownVms" on enter but "shutDownVms" on exit
ENTER_RESULT_SHUTDOWN = "shutdownVms"
EXIT_RESULT = {"shut_down_vms": "shutDownVms", "live_migrate_vms": "liveMigrateVms",
               "offline_migrate_vms": "offlineMigrateVms"}
EXIT_INPUT = {"shut_down_vms": "poweron_vms", "live_migrate_vms": "live_migrate_back_vms",
              "offline_migrate_vms": "offline_migrate_back_vms"}

TASK_DONE = "SUCCESSED"  # sic
TASK_FAILED = "FAILED"
TASK_STATUSES = ("PENDING", "EXECUTING", "PAUSED", TASK_DONE, TASK_FAILED)

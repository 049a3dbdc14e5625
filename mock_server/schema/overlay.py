"""What the simulator adds to upstream's shapes: hints in error messages for the seed page's known errata
(`seed-maintenance-mode-doc.mdx`, see cloudtower-api.md section 9 item 5). Keys are places in the extract: a schema
name, then property names."""

import re

_HOST_ID = "enter and exit name the host as where.host_id; where.id is the seed page's erratum"
_TASK_ID = ("the precheck result takes where.task_id, the task id the precheck answered; where.id is the seed "
            "page's erratum")
_UUIDS = "a list of vm_uuid strings, such as the vm_uuid values of the precheck's shutdownVms"

# unknown key of a request object -> what the caller probably meant; such a key is refused even where upstream
# allows additional properties, since the required key it stands for is missing
UNKNOWN_KEY_HINTS = {
    ("EnterMaintenanceModeResultParams", "where"): {"id": _TASK_ID},
    ("EnterMaintenanceModeParams", "where"): {"id": _HOST_ID},
    ("ExitMaintenanceModeParams", "where"): {"id": _HOST_ID},
}

# a value of the wrong shape -> what is expected there
VALUE_HINTS = {
    ("EnterMaintenanceModeInput", "shutdown_vms"): _UUIDS,
    ("ExitMaintenanceModeInput", "poweron_vms"): _UUIDS,
    ("ExitMaintenanceModeInput", "offline_migrate_back_vms"): _UUIDS,
    ("ExitMaintenanceModeInput", "live_migrate_back_vms"): _UUIDS,
}


# Upstream types date-times as plain strings. They are the fields named like these: the same set the earlier
# hand-written declarations marked as date-times, field by field (`update_timestamp` is a plain string there)
DATETIME = re.compile(r"(_at|At|_date|_time|_reset_timestamp|_update_timestamp)$")


def is_datetime(field: str) -> bool:
    return bool(DATETIME.search(field))

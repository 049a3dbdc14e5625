"""The simulated operations: path, method, operationId, tag, request and response types. The API layer validates and
serializes through this table, and the served OpenAPI document is built from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import entities, mutations  # noqa: F401  (register the shapes)
from .types import INT32, JSON, STR, ListOf, Ref, Type, obj, opt, req

BASE_PATH = "/v2/api"


@dataclass(frozen=True)
class Operation:
    path: str
    operation_id: str
    tag: str
    request: Type | None
    response: Type
    method: str = "POST"
    auth: bool = True


obj("LoginInput", req("username", STR), req("password", STR), opt("source", Ref("UserSource")),
    opt("mfa_type", Ref("MfaType")), opt("auth_config_id", STR), strict=False)
obj("LoginResponse", req("token", STR), strict=False)
obj("WithTask_LoginResponse_", opt("task_id", STR), req("data", Ref("LoginResponse")), strict=False)
obj("ErrorBody", opt("code", Ref("ErrorCode"), nullable=False), opt("props", JSON, nullable=False),
    opt("stack", STR, nullable=False), req("message", STR), req("status", INT32), opt("operationName", STR, nullable=False),
    req("path", STR), strict=False)

OPERATIONS: dict[str, Operation] = {}


def add(op: Operation) -> Operation:
    OPERATIONS[op.path] = op
    return op


add(Operation("/login", "Login", "User", Ref("LoginInput"), Ref("WithTask_LoginResponse_"), auth=False))
add(Operation("/get-version", "GetApiVersion", "ApiInfo", None, STR, method="GET", auth=False))
for _name in ("Cluster", "Host", "Vm", "Task"):
    add(Operation(f"/get-{_name.lower()}s", f"Get{_name}s", _name, Ref(f"Get{_name}sRequestBody"),
                  ListOf(Ref(_name))))
    add(Operation(f"/get-{_name.lower()}s-connection", f"Get{_name}sConnection", _name,
                  Ref(f"Get{_name}sConnectionRequestBody"), Ref(f"{_name}Connection")))

for _path, _op_id, _params in (("/start-vm", "StartVm", "VmStartParams"), ("/shutdown-vm", "ShutDownVm", "VmOperateParams"),
                               ("/poweroff-vm", "PoweroffVm", "VmOperateParams"),
                               ("/restart-vm", "RestartVm", "VmOperateParams"),
                               ("/force-restart-vm", "ForceRestartVm", "VmOperateParams"),
                               ("/suspend-vm", "SuspendVm", "VmOperateParams"),
                               ("/resume-vm", "ResumeVm", "VmOperateParams"),
                               ("/migrate-vm", "MigrateVm", "VmMigrateParams")):
    add(Operation(_path, _op_id, "Vm", Ref(_params), ListOf(Ref("WithTask_Vm_"))))
add(Operation("/create-vm", "CreateVm", "Vm", ListOf(Ref("VmCreationParams")), ListOf(Ref("WithTask_Vm_"))))
add(Operation("/delete-vm", "DeleteVm", "Vm", Ref("VmDeleteParams"), ListOf(Ref("WithTask_DeleteVm_"))))
# host maintenance mode: note upstream's spelling, "maintenance" in the first path and "maintance" in the others
add(Operation("/enter-maintenance-mode-precheck", "EnterMaintenanceModePreCheck", "Host",
              Ref("EnterMaintenanceModeCheckParams"), Ref("EnterMaintenanceModeCheckResult")))
add(Operation("/enter-maintance-mode-precheck-result", "EnterMaintenanceModePrecheckResult", "Host",
              Ref("EnterMaintenanceModeResultParams"), Ref("EnterMaintenanceModeResult")))
add(Operation("/enter-maintance-mode", "EnterMaintenanceMode", "Host", Ref("EnterMaintenanceModeParams"),
              Ref("WithTask_Host_")))
add(Operation("/exit-maintance-mode-precheck-result", "ExitMaintenanceModePrecheckResult", "Host",
              Ref("ExitMaintenanceModeResultParams"), Ref("ExitMaintenanceModeResult")))
add(Operation("/exit-maintance-mode", "ExitMaintenanceMode", "Host", Ref("ExitMaintenanceModeParams"),
              Ref("WithTask_Host_")))


def upstream_operations(spec_path: str | Path | None = None) -> dict[str, tuple[str, str]]:
    """Every upstream operation, path -> (method, operationId): from a spec file when one is given, else from the
    list of names kept beside this file."""
    if spec_path:
        import json

        spec = json.loads(Path(spec_path).read_text())
        return {p: (m.upper(), o["operationId"]) for p, ms in spec["paths"].items() for m, o in ms.items()}
    out = {}
    for line in (Path(__file__).parent / "upstream_operations.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            method, path, op_id = line.split()
            out[path] = (method, op_id)
    return out

"""The run's JUnit XML, written from the same entries as the JSON report: one test case per contract (pytest's own
--junitxml has one per phase report, and knows nothing of the exchanges), a failure's text carrying the failing
requests and responses, and a contract not run for the run's sake marked skipped with why."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET


def _failure_text(contract: dict) -> str:
    parts = [contract.get("message", "")]
    for line in contract.get("nonconforming", []):
        parts.append(f"nonconforming: {line}")
    for exchange in contract.get("exchanges", []):
        request, response = exchange["request"], exchange["response"]
        parts.append(f"--- request: {request['method']} {request['path']}\n{request.get('body') or ''}\n"
                     f"--- response: {response['status']}\n{json.dumps(response.get('headers', {}))}\n"
                     f"{response.get('body') or ''}")
    return "\n\n".join(p for p in parts if p)


def write(path: str, report: dict) -> None:
    contracts = report["contracts"]
    suite = ET.Element("testsuite", name=f"cloudtower contracts against {report['target']}",
                       tests=str(len(contracts)),
                       failures=str(report["summary"]["failed"]),
                       skipped=str(report["summary"]["skipped"] + report["summary"]["not run"]),
                       errors="0", time=str(report.get("duration", 0)), timestamp=report["finished_at"])
    props = ET.SubElement(suite, "properties")
    for name in ("verdict", "reason", "api_version", "oracle"):
        if report.get(name) is not None:
            ET.SubElement(props, "property", name=name, value=str(report[name]))
    for contract in contracts:
        module, _, name = contract["contract"].partition("::")
        case = ET.SubElement(suite, "testcase", classname=module.removesuffix(".py").replace("/", "."), name=name,
                             time=str(contract["duration"]))
        if contract["outcome"] == "failed":
            message = contract.get("message", "").strip().splitlines()
            element = ET.SubElement(case, "failure", message=(message[-1] if message else "failed")[:500])
            element.text = _failure_text(contract)
        elif contract["outcome"] in ("skipped", "not run"):
            ET.SubElement(case, "skipped", message=f"{contract['outcome']}: {contract.get('message', '')}"[:1000])
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)

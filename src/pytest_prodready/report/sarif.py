"""SARIF 2.1.0 from the JSON summary: one rule per finding id, one result per finding.

Code-scanning dashboards (GitHub, GitLab) read it; accepted findings are kept as results
with an external suppression, so the dashboard shows them as dismissed with the reason.
"""

from __future__ import annotations

from typing import Any

from pytest_prodready import __version__
from pytest_prodready.core.catalogue import catalogue
from pytest_prodready.report.docs import documentation_url, finding_url

__all__ = ["to_sarif"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"high": "error", "medium": "warning", "low": "note", "info": "note"}
# GitHub code scanning ranks security results by this 0-10 score.
SECURITY_SEVERITY = {"high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}


def _result(finding: dict[str, Any], *, suppressed: str | None = None) -> dict[str, Any]:
    text = finding["title"] + (f" (evidence: {finding['evidence']})" if finding["evidence"] else "")
    result: dict[str, Any] = {
        "ruleId": finding["id"],
        "level": LEVEL[finding["severity"]],
        "message": {"text": text},
        "locations": [
            {"physicalLocation": {"artifactLocation": {"uri": finding["url"] or finding["test"]}}}
        ],
        "properties": {"test": finding["test"], "severity": finding["severity"]},
    }
    if suppressed is not None:
        result["suppressions"] = [{"kind": "external", "justification": suppressed}]
    return result


def to_sarif(summary: dict[str, Any]) -> dict[str, Any]:
    """A SARIF log for one run of the suites against one environment."""
    rules = catalogue()
    ids = sorted({f["id"] for f in summary["findings"] + summary["accepted"]})
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "pytest-prodready",
                        "version": __version__,
                        **({"informationUri": home} if (home := documentation_url()) else {}),
                        "rules": [
                            {
                                "id": rule_id,
                                "name": rule_id.replace(".", "-"),
                                "shortDescription": {"text": rules[rule_id].title},
                                "help": {"text": rules[rule_id].remediation},
                                # An absolute URI only: the source tree's relative anchor means
                                # nothing to a code-scanning dashboard.
                                **(
                                    {"helpUri": finding_url(rule_id)} if documentation_url() else {}
                                ),
                                "defaultConfiguration": {
                                    "level": LEVEL[str(rules[rule_id].severity)]
                                },
                                "properties": {
                                    "security-severity": SECURITY_SEVERITY[
                                        str(rules[rule_id].severity)
                                    ],
                                    "tags": ["security", rule_id.split(".", 1)[0]],
                                },
                            }
                            for rule_id in ids
                            if rule_id in rules
                        ],
                    }
                },
                "automationDetails": {"id": f"prodready/{summary['env']['name']}/"},
                "results": [_result(f) for f in summary["findings"]]
                + [_result(a, suppressed=a["reason"]) for a in summary["accepted"]],
                "properties": {"env": summary["env"]},
            }
        ],
    }

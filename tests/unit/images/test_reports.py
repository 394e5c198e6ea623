import json
import xml.etree.ElementTree as ET

from rich.console import Console

from dockyard.cli.views.images import summary_line, target_table
from dockyard.images.checks.result import CheckResult, skipped
from dockyard.images.reports import ImagesReport, junit_xml, write_json, write_junit


def report(**kwargs) -> ImagesReport:
    base = dict(
        run_id="abc",
        source="worktree",
        tag="images-abc",
        started="2024-11-21T10:00:00+00:00",
        targets=["web", "celery-unified"],
        images={"web": "r/web:images-abc", "celery-unified": "r/celery:images-abc"},
        wall_seconds=61.0,
        results=[
            CheckResult(
                "non_root", "web", False, "no USER; uid=0(root)", "uid 1000, not root", "add `USER app`", seconds=1.5
            ),
            CheckResult(
                "image_size",
                "web",
                True,
                "212.8 MB",
                "<= 1.1 GB",
                "887.2 MB under budget",
                value=212.8,
                limit=1100,
                unit="MB",
            ),
            CheckResult("celery_starts", "celery-unified", True, "worker ready", "worker ready", "ok"),
        ],
    )
    base.update(kwargs)
    return ImagesReport(**base)


def test_failures_and_summary_name_target_check_and_measure():
    r = report()
    assert not r.passed and [f.name for f in r.failures] == ["non_root"]
    assert summary_line(r) == (
        "images: 3 checks on 2 target(s), 1 failed in 61s: "
        "web non_root: no USER; uid=0(root) (budget uid 1000, not root)"
    )


def test_no_results_or_an_error_is_not_a_pass():
    assert not report(results=[]).passed
    assert not report(results=[], error="bake failed").passed
    assert summary_line(report(error="bake failed")) == "images: not checked: bake failed"


def test_json_round_trips(tmp_path):
    path = write_json(report(), tmp_path / "deep" / "images.json")
    data = json.loads(path.read_text())
    assert data["passed"] is False
    assert data["summary"] == {"checks": 3, "failed": 1, "skipped": 0, "passed": 2}
    assert data["results"][0]["status"] == "fail" and data["results"][1]["value"] == 212.8
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_junit_has_a_suite_per_target_and_failures_with_the_measure(tmp_path):
    root = ET.parse(write_junit(report(), tmp_path / "junit.xml")).getroot()
    assert root.get("tests") == "3" and root.get("failures") == "1"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"images.web", "images.celery-unified"}
    failure = suites["images.web"].find("testcase[@name='non_root']/failure")
    assert failure.get("message") == "no USER; uid=0(root) (budget uid 1000, not root)"
    assert suites["images.web"].find("testcase[@name='image_size']/failure") is None


def test_skipped_checks_are_reported_as_skipped(tmp_path):
    results = [
        CheckResult("non_root", "web", True, "uid=1000(app)", "uid 1000"),
        skipped("node_modules", "web", "no package.json"),
    ]
    done = report(results=results, targets=["web"])
    assert done.passed and done.to_dict()["summary"] == {"checks": 2, "failed": 0, "skipped": 1, "passed": 1}
    root = ET.fromstring(junit_xml(done))
    assert root.get("skipped") == "1" and root.get("failures") == "0"
    case = root.find("testsuite/testcase[@name='node_modules']/skipped")
    assert case is not None and case.get("message") == "skipped: no package.json"


def test_junit_reports_a_build_error_as_an_error():
    root = ET.fromstring(junit_xml(report(results=[], targets=[], error="bake of web failed")))
    assert root.get("errors") == "1"
    assert root.find("testsuite/testcase/error").get("message") == "bake of web failed"


def test_table_shows_each_check_with_result():
    console = Console(width=200, record=True)
    console.print(target_table(report(), "web"))
    text = console.export_text()
    assert "1 failed" in text and "r/web:images-abc" in text
    assert "non_root" in text and "FAIL" in text and "uid=0(root)" in text and "pass" in text

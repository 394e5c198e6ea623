"""healthcheck, healthy and probe_fits against real containers."""

from dockyard.images.checks.health import healthcheck, healthy, probe_fits


def test_reference_web_defines_an_http_healthcheck(web_context):
    result = healthcheck(web_context)
    assert result.passed
    assert result.measured == "HTTP probe, port 80"


def test_image_without_healthcheck_fails(context, fixture_image):
    result = healthcheck(context(fixture_image("bare")))
    assert not result.passed
    assert result.measured == "none"
    assert "defines no HEALTHCHECK" in result.detail


def test_reference_web_turns_healthy_within_the_startup_budget(web_context):
    result = healthy(web_context)
    assert result.passed, result.detail
    assert result.value is not None and 0 < result.value <= 60
    assert result.limit == 60


def test_failing_probe_makes_the_check_fail_with_the_probe_output(context, fixture_image):
    result = healthy(context(fixture_image("unhealthy"), startup_seconds=30))
    assert not result.passed
    assert result.measured == "unhealthy"
    assert "failing probe" in result.detail


def test_image_without_healthcheck_never_turns_healthy(context, fixture_image):
    result = healthy(context(fixture_image("bare")))
    assert not result.passed
    assert result.measured == "no HEALTHCHECK"


def test_reference_web_listens_on_its_probe_port(web_context):
    result = probe_fits(web_context)
    assert result.passed, result.detail
    assert result.measured == "port 80 listening"


def test_reference_celery_probe_is_a_command_so_the_check_does_not_apply(celery_context):
    result = probe_fits(celery_context)
    assert result.skipped and not result.failed
    assert result.detail == "skipped: not an HTTP probe, nothing to listen on"


def test_worker_with_inherited_http_probe_fails(context, fixture_image):
    # The worker never listens on 80, so waiting the whole start period would only confirm it.
    result = probe_fits(context(fixture_image("http-probe-worker"), startup_seconds=8))
    assert not result.passed
    assert result.measured == "port 80 not listening"
    assert "HTTP probe on port 80 cannot pass" in result.detail


def test_image_without_healthcheck_has_no_probe_to_fit(context, fixture_image):
    result = probe_fits(context(fixture_image("bare")))
    assert result.skipped and result.detail == "skipped: no HEALTHCHECK (see healthcheck)"  # healthcheck fails

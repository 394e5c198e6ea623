"""non_root: the image's USER and the uid a container really runs as (`docker run --rm IMAGE id`)."""

from dockyard.images.checks.user import non_root


def test_reference_web_runs_as_app_uid_1000(web_context):
    result = non_root(web_context)
    assert result.passed, result.detail
    assert "USER app" in result.measured and "uid=1000(app)" in result.measured


def test_image_without_user_fails_showing_root(context, fixture_image):
    result = non_root(context(fixture_image("bare")))
    assert not result.passed
    assert "no USER" in result.measured and "uid=0(root)" in result.measured
    assert "add `USER app`" in result.detail


def test_non_root_user_with_another_uid_fails_with_the_uid(context, fixture_image):
    result = non_root(context(fixture_image("other-uid")))
    assert not result.passed
    assert "uid=1001(app)" in result.measured
    assert "uid 1001" in result.detail

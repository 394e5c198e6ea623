"""Property-based tests of the parsing layer (issue 14): settings, command-line values, image
references, the deploy history and rendering of untrusted text.

dockyard is reached only through `faults.targets` (the adapter): after a restructure of
src/dockyard only that module changes. Examples are derandomised, so an xfail here fails the same
way on every run.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pytest
from faults import targets
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

FAST = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
THOROUGH = settings(FAST, max_examples=150)

# --------------------------------------------------------------------------- TOML values

text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=30)
scalars = st.one_of(
    text,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(timezones=st.none() | st.just(dt.UTC)),
    st.dates(),
    st.times(),
)
toml_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text.filter(bool), inner, max_size=4),
    max_leaves=8,
)


def toml_value(value: object) -> str:
    """A Python value as TOML (what tomllib turns back into it)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


VALUE_KINDS = {
    str: text,
    float: st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.floats(),
    bool: st.booleans(),
    dt.datetime: st.datetimes() | st.dates() | st.times(),
    list: st.lists(toml_values, max_size=3),
    dict: st.dictionaries(text.filter(bool), toml_values, max_size=3),
}


def wrong_values(kind: type, allow_tables: bool = True) -> st.SearchStrategy:
    """TOML values of any type but `kind` (float: any number; int counts as a number)."""
    kinds = [k for k in VALUE_KINDS if k is not kind and (allow_tables or k is not dict)]
    return st.sampled_from(kinds).flatmap(lambda k: VALUE_KINDS[k])


def is_kind(value: object, kind: type) -> bool:
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is list:
        return isinstance(value, list)
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


KEYS = sorted(targets.SETTINGS_SCHEMA)


def config_with(table: str, key: str, value: object) -> dict:
    """{key: value} placed in `table` ("" is [tool.dockyard]; "services.web" is a sub-table)."""
    config: dict = {key: value}
    for part in reversed(table.split(".") if table else []):
        config = {part: config}
    return config


# --------------------------------------------------------------------------- settings


@pytest.mark.parametrize("table, key", KEYS, ids=[f"{t or 'top'}.{k}" for t, k in KEYS])
@FAST
@given(value=toml_values)
def test_any_value_of_a_setting_loads_or_is_a_config_error(tmp_path: Path, table: str, key: str, value: object) -> None:
    """Whatever TOML value a key holds, loading the settings either works or raises ConfigError."""
    try:
        targets.load_settings(tmp_path, config_with(table, key, value))
    except targets.ConfigError:
        pass


@pytest.mark.parametrize("table, key", KEYS, ids=[f"{t or 'top'}.{k}" for t, k in KEYS])
@FAST
@given(data=st.data())
def test_a_value_of_the_wrong_type_is_an_error_naming_the_key(tmp_path: Path, table: str, key: str,
                                                               data: st.DataObject) -> None:
    kind = targets.SETTINGS_SCHEMA[(table, key)]
    # a table under [tool.dockyard.checks] is a target's own table, so never a wrong value there
    value = data.draw(wrong_values(kind, allow_tables=table != "checks"), label="value")
    assume(not is_kind(value, kind))
    with pytest.raises(targets.ConfigError) as raised:
        targets.load_settings(tmp_path, config_with(table, key, value))
    assert key in str(raised.value)


@FAST
@given(data=st.binary(max_size=200))
@example(data=b"# caf\xe9\n")
def test_any_bytes_as_pyproject_load_or_are_a_config_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(b"[tool.dockyard]\n" + data)
    try:
        config = targets.load_config_file(path)
    except targets.ConfigError:
        return
    assert isinstance(config, dict)


@FAST
@given(where=st.sampled_from(["tool", "tool.dockyard"]), value=toml_values)
@example(where="tool", value=5)
def test_tool_and_dockyard_of_any_type_load_or_are_a_config_error(tmp_path: Path, where: str, value: object) -> None:
    path = tmp_path / "pyproject.toml"
    head, _, last = where.rpartition(".")
    path.write_text((f"[{head}]\n" if head else "") + f"{last} = {toml_value(value)}\n", encoding="utf-8")
    try:
        config = targets.load_config_file(path)
    except targets.ConfigError:
        return
    assert isinstance(config, dict)
    try:
        targets.load_settings(tmp_path, config)
    except targets.ConfigError:
        pass


# --------------------------------------------------------------------------- command-line values

reference_like = st.lists(
    st.sampled_from(["a", "Z", "0", ":", "/", "@", ".", "-", "_", "sha256:", "[", "]", " ", "\n", "\x00", "é",
                     "localhost:5000", "ghcr.io", "latest", "::", "//"]),
    max_size=12,
).map("".join) | text


@THOROUGH
@given(ref=reference_like)
def test_image_reference_parsing_never_raises_an_unexpected_error(ref: str) -> None:
    for parse in (targets.parse_image_ref, targets.tag_of_image, targets.repository_of_image):
        try:
            parse(ref)
        except targets.DockyardError:
            pass


@THOROUGH
@given(tag=reference_like)
def test_a_tag_is_valid_or_a_config_error(tag: str) -> None:
    try:
        assert targets.validate_tag(tag) == tag
    except targets.ConfigError:
        return
    assert 1 <= len(tag) <= 128 and tag.isascii() and " " not in tag and ":" not in tag and "/" not in tag


size_like = st.lists(
    st.sampled_from(["1", "0", "9" * 30, ".", "5", "e", "E9", "GB", "g", "MiB", "k", "b", " ", "-", "inf", "nan"]),
    max_size=8,
).map("".join) | text


@THOROUGH
@given(value=size_like)
def test_keep_storage_is_a_size_or_a_config_error(value: str) -> None:
    try:
        size = targets.parse_keep_storage(value)
    except targets.ConfigError:
        return
    assert isinstance(size, int) and size >= 0


duration_like = st.lists(
    st.sampled_from(["1", "0", "9" * 400, ".", "5", "h", "m", "s", "ms", "us", "ns", "µs", "-", " ", "d"]),
    max_size=8,
).map("".join) | text


@THOROUGH
@given(value=duration_like)
@example(value="9" * 400 + "h")
def test_a_duration_is_seconds_or_a_config_error(value: str) -> None:
    try:
        seconds = targets.parse_duration(value)
    except targets.ConfigError:
        return
    assert isinstance(seconds, float) and seconds >= 0 and math.isfinite(seconds)


@THOROUGH
@given(values=st.lists(st.one_of(duration_like.map(lambda d: "until=" + d), reference_like, text), max_size=4))
def test_filters_parse_or_are_a_config_error(values: list[str]) -> None:
    try:
        filters = targets.parse_filters(values)
    except targets.ConfigError:
        return
    assert all(k and v for k, v in filters.items())


url_like = st.builds(
    lambda scheme, host, port, path: scheme + host + port + path,
    st.sampled_from(["http://", "https://", "ftp://", "", "http:/", "HTTP://"]),
    st.sampled_from(["127.0.0.1", "[::1]", "[::1", "::1]", "captain.example.com", "", "[", "user:pw@h", "é.example"])
    | text,
    st.sampled_from(["", ":80", ":99999", ":abc", ":-1", ":", ":0"]),
    st.sampled_from(["", "/", "/api/v2", "?q=1", "#f", "/%zz"]) | text,
)


@THOROUGH
@given(url=url_like)
@example(url="http://[::1")
@example(url="http://127.0.0.1:99999")
def test_a_caprover_url_is_normal_or_a_config_error(url: str) -> None:
    try:
        normal = targets.normalize_caprover_url(url)
    except targets.ConfigError:
        return
    assert normal == "" or normal.startswith(("http://", "https://"))
    targets.safe_url(normal)  # and whatever was accepted can be shown


@THOROUGH
@given(url=url_like)
@example(url="http://127.0.0.1:99999")
def test_a_url_can_always_be_shown_safely(url: str) -> None:
    shown = targets.safe_url(url)
    assert "pw@" not in shown


# --------------------------------------------------------------------------- the deploy history

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=4),
    max_leaves=10,
)
history_fields = st.fixed_dictionaries(
    {},
    optional={
        "time": st.sampled_from(["2024-11-21T10:00:00Z", "2024-11-21T10:00:00.123456Z", "yesterday", ""]) | text,
        "service": text | json_values,
        "image": text | json_values,
        "sha": text | json_values,
        "result": st.sampled_from(["accepted", "deployed", "failed", "unknown", "won"]) | json_values,
        "action": st.sampled_from(["deploy", "rollback", "[/]"]) | json_values,
        "detail": json_values,
        "app": json_values,
        "server": json_values,
        "v": json_values,
        "extra": json_values,
    },
)


@FAST
@given(lines=st.lists(st.one_of(history_fields.map(json.dumps), json_values.map(json.dumps), text), max_size=6),
       tail=st.binary(max_size=40))
def test_any_history_file_is_read_without_crashing_and_left_alone(tmp_path: Path, lines: list[str],
                                                                  tail: bytes) -> None:
    path = tmp_path / "deploy-history.jsonl"
    data = "".join(line.replace("\n", " ") + "\n" for line in lines).encode("utf-8", "surrogatepass") + tail
    path.write_bytes(data)
    history = targets.read_history(path)
    for entry in history.entries:
        assert entry.result in targets.history_results()
        assert all(isinstance(getattr(entry, f), str) for f in ("time", "service", "image", "sha"))
    history.warnings()
    assert path.read_bytes() == data


@FAST
@given(service=text.filter(str.strip), image=text.filter(str.strip), sha=text.filter(str.strip),
       detail=text, garbage=st.binary(max_size=30))
def test_an_append_keeps_every_earlier_byte_and_reads_back(tmp_path: Path, service: str, image: str, sha: str,
                                                           detail: str, garbage: bytes) -> None:
    path = tmp_path / "deploy-history.jsonl"
    path.write_bytes(garbage)
    fields = {"time": "2024-11-21T10:00:00.000000Z", "service": service, "image": image, "sha": sha,
              "result": "accepted", "detail": detail}
    targets.append_history(path, fields)
    assert path.read_bytes().startswith(garbage)
    last = targets.read_history(path).entries[-1]
    assert (last.service, last.image, last.sha, last.detail) == (service, image, sha, detail)


# --------------------------------------------------------------------------- rendering untrusted text

markup_like = st.lists(
    st.sampled_from(["[", "]", "/", "[/]", "[bold]", "[bold red]", "[/bold]", "[link=x]", "\\", "a", " ", ":",
                     "[yellow]", "[[", "]]", "é"]),
    max_size=10,
).map("".join) | st.text(alphabet=st.characters(categories=("L", "N", "P", "S", "Zs")), max_size=30)


@THOROUGH
@given(message=markup_like)
@example(message="[/]")
def test_a_note_prints_any_text_literally(message: str) -> None:
    shown = targets.render_note(message)
    assert "".join(shown.split()) == "".join(f"note: {message}".split())


# --------------------------------------------------------------------------- task options

option_text = st.one_of(
    st.lists(st.sampled_from(["0", "1", "9", "-", "+", ".", "e", "5", " ", "x", "inf", "nan", "65535", "65536"]),
             max_size=6).map("".join),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    text,
)


@THOROUGH
@given(value=option_text, minimum=st.integers(min_value=0, max_value=2))
def test_a_count_option_is_in_range_or_an_error_naming_it(value: object, minimum: int) -> None:
    try:
        number = targets.option_count("--limit", value, minimum)
    except targets.ConfigError as exc:
        assert "--limit" in str(exc)
        return
    assert isinstance(number, int) and number >= minimum


@THOROUGH
@given(value=option_text, zero=st.booleans())
def test_a_seconds_option_is_a_finite_positive_number_or_an_error_naming_it(value: object, zero: bool) -> None:
    try:
        seconds = targets.option_seconds("--timeout", value, zero)
    except targets.ConfigError as exc:
        assert "--timeout" in str(exc)
        return
    assert seconds is not None and math.isfinite(seconds) and (seconds > 0 or (zero and seconds == 0))


@THOROUGH
@given(value=option_text)
def test_a_port_option_is_a_port_or_an_error_naming_it(value: object) -> None:
    try:
        port = targets.option_port("--port", value)
    except targets.ConfigError as exc:
        assert "--port" in str(exc)
        return
    assert 0 <= port <= 65535


@THOROUGH
@given(value=st.lists(st.sampled_from(["web", ",", " ", "", "flower", "\t", ",,"]), max_size=6).map("".join) | text)
def test_a_list_option_names_something_or_is_an_error_naming_it(value: str) -> None:
    """Never "nothing" (a build of nothing printing an empty table) and never "the default"."""
    try:
        found = targets.option_names("--targets", value)
    except targets.ConfigError as exc:
        assert "--targets" in str(exc)
        return
    assert found and all(name and name == name.strip() and "," not in name for name in found)


@THOROUGH
@given(ref=reference_like)
@example(ref="UPPER/Bad::ref")
@example(ref="bad ref")
def test_an_accepted_image_reference_is_one_the_engine_takes(ref: str) -> None:
    """What validate_ref accepts has no whitespace or control character, a lowercase repository path
    and a tag of the allowed characters: the Engine's HTTP 400 for a reference never happens."""
    try:
        accepted = targets.validate_image_ref(ref)
    except targets.ConfigError as exc:
        assert repr(ref) in str(exc)
        return
    assert accepted == ref.strip() and accepted.isprintable() and " " not in accepted
    parsed = targets.parse_image_ref(accepted)
    if parsed.tag is not None:
        assert 1 <= len(parsed.tag) <= 128


@FAST
@given(message=text)
@example(message="No idea what '--nope' is!")
@example(message="'deploy' did not receive required positional arguments: 'service'")
def test_every_parse_error_is_one_error_line(message: str) -> None:
    line = targets.invoke_error_line(message)
    assert line.startswith("error: ") and len(line.splitlines()) == 1

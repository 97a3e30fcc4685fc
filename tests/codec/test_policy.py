"""The site policy file (SPEC S6): what it turns off, what it requires, how it fails."""

from __future__ import annotations

import pytest

from codec import (
    DEFAULT_POLICY,
    Activity,
    Feature,
    FeatureDisabledError,
    PolicyError,
    PolicyRefusalError,
    parse_policy,
)

SOURCE = "/etc/helpline/policy.toml"

SITE = """\
# the site's policy
[features]
control = false
system_information = false

[sessions]
types = ["general", "billing", "escalation"]
require_tracking_code = true
max_customers = 2
max_sessions = 3
"""


def error_of(text: str) -> str:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, SOURCE)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_without_a_file_every_feature_is_on_and_one_general_type_needs_no_tracking_code() -> None:
    assert all(DEFAULT_POLICY.allows(f) for f in Feature)
    assert DEFAULT_POLICY.start(None, None) == ("general", None)


def test_a_feature_set_to_false_is_refused_with_a_sentence_naming_it() -> None:
    policy = parse_policy(SITE, SOURCE)
    assert not policy.allows(Feature.CONTROL)
    assert not policy.allows(Feature.SYSTEM_INFORMATION)
    assert policy.allows(Feature.VIEW)
    with pytest.raises(FeatureDisabledError, match="system information is turned off") as caught:
        policy.check(Feature.SYSTEM_INFORMATION)
    assert caught.value.feature is Feature.SYSTEM_INFORMATION
    policy.check(Feature.VIEW)


def test_every_feature_the_spec_names_has_a_switch() -> None:
    keys = {f.value for f in Feature}
    assert keys == {
        "file_transfer_basic",
        "file_transfer_advanced",
        "view",
        "control",
        "application_sharing",
        "recording",
        "system_information",
        "audio",
        "video",
    }
    everything_off = "[features]\n" + "".join(f"{k} = false\n" for k in keys)
    policy = parse_policy(everything_off, SOURCE)
    assert not any(policy.allows(f) for f in Feature)


def test_caps_come_from_the_sessions_table() -> None:
    policy = parse_policy(SITE, SOURCE)
    assert (policy.max_customers, policy.max_sessions) == (2, 3)


def test_the_first_listed_type_is_the_default_and_types_match_without_case() -> None:
    policy = parse_policy(SITE, SOURCE)
    assert policy.start(None, "T-1") == ("general", "T-1")
    assert policy.start("Billing", " T-2 ") == ("billing", "T-2")


def test_an_unknown_type_is_refused_naming_the_choices() -> None:
    policy = parse_policy(SITE, SOURCE)
    with pytest.raises(PolicyRefusalError, match="choose one of: general, billing, escalation"):
        policy.start("sales", "T-1")


def test_a_missing_required_tracking_code_is_refused() -> None:
    policy = parse_policy(SITE, SOURCE)
    with pytest.raises(PolicyRefusalError, match="requires a tracking code: start with --tracking"):
        policy.start("billing", None)
    with pytest.raises(PolicyRefusalError, match="requires a tracking code"):
        policy.start("billing", "   ")


def test_a_tracking_code_with_control_characters_is_refused() -> None:
    with pytest.raises(PolicyRefusalError, match=r"tracking code is refused: U\+001B ESCAPE"):
        DEFAULT_POLICY.start(None, "T-1\x1b[2J")
    with pytest.raises(PolicyRefusalError, match="over the limit of 64"):
        DEFAULT_POLICY.start(None, "T" * 65)


def test_a_syntax_error_names_the_file_the_line_and_the_key() -> None:
    message = error_of("[features]\nview = true\ncontrol = maybe\n")
    assert message.startswith(f"{SOURCE}: line 3: features.control: ")


def test_an_unknown_feature_names_the_line_and_the_known_ones() -> None:
    message = error_of("[features]\n\ncontrl = false\n")
    assert message.startswith(f"{SOURCE}: line 3: features.contrl: unknown feature; known: ")
    assert "control" in message


def test_a_feature_that_is_not_true_or_false_is_an_error() -> None:
    assert error_of('[features]\nview = "no"\n') == (
        f"{SOURCE}: line 2: features.view: must be true or false"
    )


def test_a_dotted_key_is_located_too() -> None:
    assert error_of("\nfeatures.audio = 1\n") == (
        f"{SOURCE}: line 2: features.audio: must be true or false"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[sessions]\nmax_customers = 0\n", "line 2: sessions.max_customers: must be a whole"),
        ("[sessions]\nmax_sessions = true\n", "line 2: sessions.max_sessions: must be a whole"),
        ("[sessions]\ntypes = []\n", "line 2: sessions.types: must be a list"),
        ('[sessions]\ntypes = ["a b"]\n', "line 2: sessions.types: 'a b' is not a type name"),
        ('[sessions]\ntypes = ["a", "A"]\n', "line 2: sessions.types: lists a type twice"),
        ("[sessions]\nrequire_tracking_code = 1\n", "line 2: sessions.require_tracking_code"),
        ("[sessions]\nmax_customer = 2\n", "line 2: sessions.max_customer: unknown setting"),
        ("[recording]\non = true\n", "line 1: recording: unknown section"),
        ("features = 3\n", "line 1: features: must be a table"),
    ],
)
def test_each_malformed_setting_is_one_line_naming_line_and_key(text: str, expected: str) -> None:
    assert error_of(text).startswith(f"{SOURCE}: {expected}")


@pytest.mark.parametrize(
    ("switch", "refused"),
    [
        ("view", {Activity.VIEW_DESKTOP, Activity.CONTROL_DESKTOP}),
        ("control", {Activity.CONTROL_DESKTOP, Activity.CONTROL_APP}),
        ("application_sharing", {Activity.VIEW_APP, Activity.CONTROL_APP}),
    ],
)
def test_each_screen_switch_refuses_exactly_the_activities_it_governs(
    switch: str, refused: set[Activity]
) -> None:
    policy = parse_policy(f"[features]\n{switch} = false\n", "site.toml")
    for activity in Activity:
        refusal = policy.activity_refusal(activity)
        if activity in refused:
            assert refusal is not None
            assert refusal.endswith("is turned off by this site's policy")
        else:
            assert refusal is None

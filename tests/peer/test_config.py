"""Where a peer's defaults come from: the config file, the environment, and their errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from peer._config import ConfigError, PeerConfig, config_path, load_config

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config.toml"
    monkeypatch.setenv("HELPLINE_CONFIG", str(path))
    monkeypatch.delenv("HELPLINE_RELAY", raising=False)
    return path


def test_no_config_file_means_no_settings(config_file: Path) -> None:
    assert load_config() == PeerConfig()


def test_helpline_config_names_the_file(config_file: Path) -> None:
    assert config_path() == config_file


def test_the_file_gives_relay_name_type_and_tracking(config_file: Path) -> None:
    config_file.write_text(
        'relay = "wss://relay.example.org"\nname = "Dana"\ntype = "printer"\ntracking = "T-1"\n',
        encoding="utf-8",
    )
    config = load_config()
    assert (config.relay, config.name, config.session_type, config.tracking) == (
        "wss://relay.example.org",
        "Dana",
        "printer",
        "T-1",
    )


def test_helpline_relay_wins_over_the_file(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file.write_text('relay = "wss://from-file.example"\n', encoding="utf-8")
    monkeypatch.setenv("HELPLINE_RELAY", "ws://127.0.0.1:9")
    assert load_config().relay == "ws://127.0.0.1:9"


def test_an_empty_helpline_relay_falls_back_to_the_file(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file.write_text('relay = "wss://from-file.example"\n', encoding="utf-8")
    monkeypatch.setenv("HELPLINE_RELAY", "")
    assert load_config().relay == "wss://from-file.example"


def test_a_file_that_is_not_toml_is_an_error_naming_the_file(config_file: Path) -> None:
    config_file.write_text("relay = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match=f"cannot read {config_file}"):
        load_config()


def test_a_file_that_is_not_utf8_is_an_error_naming_the_file(config_file: Path) -> None:
    config_file.write_bytes(b'name = "\xff"\n')
    with pytest.raises(ConfigError, match=f"cannot read {config_file}"):
        load_config()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("relay = 8765", "relay must be a string"),
        ("name = ['Dana']", "name must be a string"),
        ("type = 1", "type must be a string"),
        ("tracking = true", "tracking must be a string"),
    ],
)
def test_a_setting_of_the_wrong_type_is_an_error(
    config_file: Path, line: str, message: str
) -> None:
    config_file.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config()


def test_an_smtp_table_is_read_with_its_password_from_the_environment(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config_file.write_text(
        '[smtp]\nhost = "mail.example.org"\nfrom = "dana@example.org"\npassword_env = "PW"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("PW", "s3cret")
    smtp = load_config().smtp
    assert smtp is not None
    assert (smtp.host, smtp.sender, smtp.port, smtp.security, smtp.password) == (
        "mail.example.org",
        "dana@example.org",
        587,
        "starttls",
        "s3cret",
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('host = "m"', "needs host"),
        ('host = "m"\nfrom = "a@b"\nsecurity = "ssl"', "security must be"),
        ('host = "m"\nfrom = "a@b"\nport = 0', "port must be a port number"),
        ('host = "m"\nfrom = "a@b"\npasword = "x"', "smtp.pasword: unknown setting"),
    ],
)
def test_a_bad_smtp_table_is_an_error(config_file: Path, table: str, message: str) -> None:
    config_file.write_text("[smtp]\n" + table + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config()


def test_the_file_sets_how_long_a_dropped_session_keeps_reconnecting(config_file: Path) -> None:
    config_file.write_text("resume_timeout = 30\n", encoding="utf-8")
    assert load_config().resume_timeout == 30.0


@pytest.mark.parametrize("value", ["0", "0.5", "7200", "true", '"soon"'])
def test_a_resume_timeout_out_of_range_is_refused_with_its_range(
    config_file: Path, value: str
) -> None:
    config_file.write_text(f"resume_timeout = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="resume_timeout is a number of seconds from 1 to 3600"):
        load_config()


def test_the_file_sets_how_long_an_invitation_code_stays_open(config_file: Path) -> None:
    config_file.write_text("invitation_lifetime = 7200\n", encoding="utf-8")
    assert load_config().invitation_lifetime == 7200.0


@pytest.mark.parametrize("value", ["0", "59", "2592001", "true"])
def test_an_invitation_lifetime_out_of_range_is_refused_with_its_range(
    config_file: Path, value: str
) -> None:
    config_file.write_text(f"invitation_lifetime = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invitation_lifetime is a number of seconds from 60 to"):
        load_config()


def test_a_misspelt_key_is_an_error_naming_the_file_line_key_and_the_known_keys(
    config_file: Path,
) -> None:
    config_file.write_text('name = "Dana"\nreIay = "wss://relay.example.org"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config()
    assert str(info.value) == (
        f"{config_file}: line 2: reIay: unknown setting; known: invitation_lifetime, name, "
        "relay, relay_timeout, resume_timeout, smtp, tracking, type"
    )


def test_a_misspelt_smtp_key_names_its_line(config_file: Path) -> None:
    config_file.write_text('[smtp]\nhost = "m"\nfrom = "a@b"\npasword = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r": line 4: smtp\.pasword: unknown setting; known: "):
        load_config()

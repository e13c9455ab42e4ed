"""``dis-annotator [gui] [PATH]`` routing (the app's event loop itself is replaced)."""

from __future__ import annotations

from dis_annotator import cli


def test_bare_path_opens_the_app(monkeypatch, tmp_path):
    from dis_annotator.ui import app

    calls = []
    monkeypatch.setattr(app, "run", lambda path, factory=None: calls.append((path, factory)) or 0)
    img = tmp_path / "a.png"
    img.write_bytes(b"")
    assert cli.main([str(img)]) == 0
    assert cli.main(["gui", str(tmp_path), "--engine", "classical"]) == 0
    assert calls[0] == (str(img), None)
    assert calls[1][0] == str(tmp_path) and callable(calls[1][1])


def test_missing_path_is_a_usage_error(capsys):
    assert cli.main(["gui", "/no/such/place.png"]) == 2
    assert "no such file" in capsys.readouterr().out

"""No command deletes or replaces a file it did not write; interrupted work leaves nothing
half-written; every way a file can fail to be read is a clear error (exit 2).

Each output test plants decoys (a user's folder, a file given as --out, a symbolic link to a file
outside, a non-figure file where a figure goes) and checks they are byte-identical afterwards.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from diplosim.cli import main
from diplosim.experiment.loader import load_experiment
from diplosim.io.errors import InputError
from diplosim.io.outputs import claim_folder
from diplosim.io.overrides import parse_assignment
from diplosim.negotiation.session import load_session
from diplosim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "mission_closure.yaml"
SESSION = ROOT / "examples" / "negotiation" / "zeuthen_border.yaml"
ENV = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT / "src")}

EXPERIMENT = f"""\
name: tiny
scenario: {FLAGSHIP}
steps: 12
replications: 2
seed: 5
parameters:
  - path: channels.backchannel.close_threshold
    name: backchannel_close
    values: [0.9, 0.95]
design: {{kind: grid}}
outcomes:
  - {{name: continuity, metric: continuity_during_closure, aggregate: value}}
"""


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder`` (links not followed) with its content hash."""
    out: dict[str, str] = {}
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            p = Path(root) / name
            rel = str(p.relative_to(folder))
            if p.is_symlink():
                out[rel] = "link->" + os.readlink(p)
            elif p.is_file():
                out[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
            else:
                out[rel] = "dir"
    return out


def cli(*args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "diplosim", *args], capture_output=True,
                          text=True, env=ENV, timeout=300, **kw)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "flagship"
    assert main(["run", str(FLAGSHIP), "--reps", "2", "--steps", "20", "--quiet",
                 "--no-plots", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("sweeps")
    exp = base / "tiny.yaml"
    exp.write_text(EXPERIMENT)
    out = base / "tiny"
    assert main(["sweep", str(exp), "--out", str(out), "--backend", "serial", "--quiet"]) == 0
    return out


def decoy_folder(path: Path) -> Path:
    path.mkdir(parents=True)
    (path / "thesis.tex").write_text("\\chapter{Years of work}\n")
    (path / "data").mkdir()
    (path / "data" / "survey.csv").write_text("a,b\n1,2\n")
    return path


# --- output folders, per command -------------------------------------------------------------

def commands_into(out: Path, run_folder: Path, sweep_folder: Path,
                  experiment: Path) -> Iterator[tuple[str, list[str]]]:
    yield "run", ["run", str(FLAGSHIP), "--reps", "1", "--steps", "8", "--out", str(out)]
    yield "sweep", ["sweep", str(experiment), "--backend", "serial", "--out", str(out)]
    yield "plot run", ["plot", str(run_folder), "--kind", "survival", "--out", str(out)]
    yield "plot sweep", ["plot", str(sweep_folder), "--kind", "response", "--out", str(out)]
    yield "plot session", ["plot", str(SESSION), "--out", str(out)]
    yield "calibrate --fit", ["calibrate", "--fit", "--template",
                              str(ROOT / "scenarios" / "us_ruptures.yaml"), "--population", "4",
                              "--generations", "1", "--episodes", "10", "--draws", "2",
                              "--backend", "serial", "--out", str(out)]


def test_every_command_refuses_a_folder_with_the_users_files(
        tmp_path: Path, run_folder: Path, sweep_folder: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    experiment = tmp_path / "tiny.yaml"
    experiment.write_text(EXPERIMENT)
    for name, argv in commands_into(tmp_path / "mine", run_folder, sweep_folder, experiment):
        folder = decoy_folder(tmp_path / "mine")
        before = snapshot(tmp_path)
        assert main(argv) == 2, name
        err = capsys.readouterr().err
        assert "holds files diplosim did not write" in err, (name, err)
        for part in (str(folder), "thesis.tex", "another --out"):
            assert part in err, (name, err)
        assert snapshot(tmp_path) == before, name
        for p in sorted(folder.rglob("*"), reverse=True):
            p.unlink() if p.is_file() else p.rmdir()
        folder.rmdir()


def test_every_command_refuses_out_that_is_a_file_or_a_link(
        tmp_path: Path, run_folder: Path, sweep_folder: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    experiment = tmp_path / "tiny.yaml"
    experiment.write_text(EXPERIMENT)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "notes.md").write_text("mine")
    target = tmp_path / "box"
    for kind in ("file", "link"):
        if kind == "file":
            target.write_text("a file, not a folder")
        else:
            target.symlink_to(outside, target_is_directory=True)
        for name, argv in commands_into(target, run_folder, sweep_folder, experiment):
            before = snapshot(tmp_path)
            assert main(argv) == 2, (kind, name)
            err = capsys.readouterr().err
            expected = "exists and is not a folder" if kind == "file" else "symbolic link"
            assert expected in err, (kind, name, err)
            assert snapshot(tmp_path) == before
        target.unlink()


def test_init_writes_only_into_a_new_or_empty_folder(
        tmp_path: Path, run_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "notes.md").write_text("mine")
    decoy_folder(tmp_path / "mine")
    (tmp_path / "afile").write_text("a file, not a folder")
    (tmp_path / "alink").symlink_to(outside, target_is_directory=True)
    cases = {"mine": "holds files (data/, thesis.tex", "afile": "exists and is not a folder",
             "alink": "symbolic link", str(run_folder): "holds files (", }
    for target, expected in cases.items():
        before = snapshot(tmp_path)
        assert main(["init", str(tmp_path / target)]) == 2, target
        err = capsys.readouterr().err
        assert expected in err, (target, err)
        assert "a new or empty folder" in err
        assert snapshot(tmp_path) == before, target


def test_run_replaces_its_own_results_only_with_overwrite(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "res"
    argv = ["run", str(FLAGSHIP), "--reps", "1", "--steps", "8", "--quiet", "--out", str(out)]
    assert main(argv) == 0
    before = snapshot(out)
    assert main([*argv, "--seed", "9"]) == 2
    err = capsys.readouterr().err
    assert "already holds the results of a run (scenario mission_closure" in err
    assert "--overwrite" in err
    assert snapshot(out) == before
    assert main([*argv, "--seed", "9", "--overwrite"]) == 0
    after = snapshot(out)
    assert after != before
    assert after.keys() == before.keys()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]  # no temporary folders left
    # a user's file inside earlier results: replacing would delete it, so even --overwrite stops
    (out / "my_notes.md").write_text("keep me")
    before = snapshot(tmp_path)
    assert main([*argv, "--overwrite"]) == 2
    assert "my_notes.md" in capsys.readouterr().err
    assert snapshot(tmp_path) == before


def test_an_empty_folder_is_used_and_a_sweep_folder_is_not_a_run_folder(
        tmp_path: Path, sweep_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["run", str(FLAGSHIP), "--reps", "1", "--steps", "8", "--quiet", "--no-plots",
                 "--out", str(empty)]) == 0
    assert (empty / "provenance.json").exists()
    before = snapshot(sweep_folder)
    assert main(["run", str(FLAGSHIP), "--reps", "1", "--quiet", "--out",
                 str(sweep_folder), "--overwrite"]) == 2
    assert "holds the results of diplosim sweep" in capsys.readouterr().err
    assert snapshot(sweep_folder) == before


def test_figures_replace_only_figures(tmp_path: Path, run_folder: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    figs = tmp_path / "figs"
    assert main(["plot", str(run_folder), "--kind", "survival", "--out", str(figs)]) == 0
    assert sorted(p.name for p in figs.iterdir()) == ["figures.json", "survival.png"]
    assert main(["plot", str(run_folder), "--kind", "survival", "--out", str(figs)]) == 0
    # a text file where a figure would go is not a figure: refused, untouched
    (figs / "survival.png").write_text("not a picture")
    before = snapshot(tmp_path)
    assert main(["plot", str(run_folder), "--kind", "survival", "--out", str(figs)]) == 2
    assert "is not a png figure" in capsys.readouterr().err
    assert snapshot(tmp_path) == before
    # a link where a figure would go, pointing outside the folder: refused, target untouched
    (figs / "survival.png").unlink()
    precious = tmp_path / "precious.png"
    precious.write_bytes(b"\x89PNG precious")
    (figs / "survival.png").symlink_to(precious)
    before = snapshot(tmp_path)
    assert main(["plot", str(run_folder), "--kind", "survival", "--out", str(figs)]) == 2
    assert "symbolic link" in capsys.readouterr().err
    assert snapshot(tmp_path) == before


def test_analyze_writes_only_its_own_tables(tmp_path: Path, sweep_folder: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    link = sweep_folder / "sensitivity_morris.csv"
    outside = tmp_path / "mine.csv"
    outside.write_text("my own table\n")
    link.symlink_to(outside)
    try:
        before = snapshot(tmp_path)
        main(["analyze", str(sweep_folder), "--sensitivity", "morris"])
        err = capsys.readouterr().err
        assert "symbolic link" in err or "needs" in err, err  # refused either way
        assert snapshot(tmp_path) == before
        assert outside.read_text() == "my own table\n"
    finally:
        link.unlink()


def test_sweep_refuses_earlier_results_and_resumes_into_its_own(
        tmp_path: Path, sweep_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    exp = tmp_path / "tiny.yaml"
    exp.write_text(EXPERIMENT)
    before = snapshot(sweep_folder)
    assert main(["sweep", str(exp), "--backend", "serial", "--out", str(sweep_folder)]) == 2
    err = capsys.readouterr().err
    assert "already holds results of a sweep (complete)" in err
    assert "--resume" in err
    assert snapshot(sweep_folder) == before


def test_claim_folder_names_a_few_files_and_counts_the_rest(tmp_path: Path) -> None:
    for i in range(12):
        (tmp_path / f"file{i:02d}.txt").write_text("x")
    with pytest.raises(InputError) as err:
        claim_folder(tmp_path, "run")
    assert "file00.txt, file01.txt, file02.txt, file03.txt, file04.txt and 7 more" in str(err.value)


# --- reading files -----------------------------------------------------------------------------

def alias_bomb(width: int = 10, levels: int = 9) -> bytes:
    """The 'billion laughs': each line a list of aliases of the line before."""
    names = "abcdefghijklmnop"[:levels]
    lines = [f"a: &a [{', '.join(['x'] * width)}]"]
    for prev, cur in itertools.pairwise(names):
        lines.append(f"{cur}: &{cur} [{', '.join([f'*{prev}'] * width)}]")
    return ("\n".join(lines) + "\n").encode()


LOADERS = {
    "scenario": load_scenario,
    "experiment": load_experiment,
    "session": load_session,
}


@pytest.mark.parametrize("loader", sorted(LOADERS))
@pytest.mark.parametrize(("content", "expect"), [
    (b"name: x\x00\n", "line 1: control character U+0000 is not allowed (column 8)"),
    (b"name: x\nsteps: 3\x07\n", "line 2: control character U+0007 is not allowed (column 9)"),
    (b"name: x\n\x1b[31m: 1\n", "line 2: control character U+001B"),
    (b"name: caf\xe9\n", "line 1: not UTF-8 text"),
    (b"a: 1\nb: 2\n\xff", "line 3: not UTF-8 text"),
    (b"\xff\xfen\x00a\x00", "not UTF-8 text (it starts with a UTF-16 byte-order mark)"),
    (b"name: x\xc2\x85\xc2\x9f\n", "control character U+009F"),
    (b"\xef\xbb\xbf" + b"[" * 200 + b"]" * 200, "nested more than 64 levels deep"),
    (alias_bomb(), "aliases repeat more than 10000 values"),
    (b"n: " + b"9" * 5000 + b"\n", "cannot read this value as int"),
    (b"when: 2024-13-45\n", "cannot read this value as timestamp"),
    (b"when: !!timestamp 0.5\n", "cannot read this value as timestamp"),
    (b"x: !!python/object/apply:os.system [ls]\n", "not allowed"),
    (b"? [a, b]\n: 1\n", "mapping keys must be plain scalars"),
])
def test_unreadable_text_is_a_located_input_error(tmp_path: Path, loader: str, content: bytes,
                                                  expect: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        LOADERS[loader](path)
    assert str(path) in str(err.value)
    assert expect in str(err.value)


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_folders_fifos_unreadable_and_oversized_files(tmp_path: Path, loader: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    load = LOADERS[loader]
    with pytest.raises(InputError, match="is a directory, not a file"):
        load(tmp_path)
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"is a FIFO \(named pipe\)"):
        load(fifo)  # returns at once: a FIFO is never opened
    big = tmp_path / "big.yaml"
    big.write_bytes(b"# " + b"x" * 3_000_000 + b"\n")
    with pytest.raises(InputError, match=r"(?s)too large.*DIPLOSIM_MAX_INPUT_BYTES"):
        load(big)
    locked = tmp_path / "locked.yaml"
    locked.write_text("name: x\n")
    real_open = open

    def deny(file: Any, *args: Any, **kw: Any) -> Any:
        if Path(str(file)) == locked:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kw)

    monkeypatch.setattr("builtins.open", deny)
    with pytest.raises(InputError, match=r"locked\.yaml: cannot read: Permission denied"):
        load(locked)


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + FLAGSHIP.read_bytes().replace(b"\n", b"\r\n"))
    assert load_scenario(path).name == "mission_closure"


def test_the_cli_answers_bad_files_with_exit_2_and_no_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_bytes(alias_bomb(9))
    nul = tmp_path / "nul.yaml"
    nul.write_bytes(b"name: x\x00\n")
    for f in (bomb, nul):
        for command in ("validate", "run", "sweep", "negotiate"):
            assert main([command, str(f)]) == 2, (command, f)
            err = capsys.readouterr().err
            assert "internal error" not in err, err
            assert f"{f}, line" in err, err
    done = cli("validate", str(bomb))  # the installed entry point too, within its timeout
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "aliases repeat more than" in done.stderr
    assert main(["validate", str(FLAGSHIP), "--set", "steps=\x01"]) == 2
    assert "control character U+0001" in capsys.readouterr().err


def test_generated_actors_and_channels_are_bounded(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    text = FLAGSHIP.read_text()
    heavy = {"actors.generate": [{"kind": "academic", "tracks": ["2"], "count": 900_000}]}
    with pytest.raises(InputError, match=r"(?s)would make 1,80\d,\d+ actors.*DIPLOSIM_MAX_ACTORS"):
        load_scenario(FLAGSHIP, heavy)
    monkeypatch.setenv("DIPLOSIM_MAX_CHANNELS", "5")
    with pytest.raises(InputError, match=r"(?s)would make \d+ channels.*at most 5 channels"):
        load_scenario(FLAGSHIP)
    monkeypatch.setenv("DIPLOSIM_MAX_CHANNELS", "many")
    with pytest.raises(InputError, match="DIPLOSIM_MAX_CHANNELS must be a positive integer"):
        load_scenario(FLAGSHIP)
    assert text == FLAGSHIP.read_text()


# --- messages that point the right way --------------------------------------------------------

def test_an_override_of_a_missing_entry_says_so_with_the_nearest_name() -> None:
    with pytest.raises(InputError) as err:
        load_scenario(FLAGSHIP, {"channels.backchanel.close_threshold": 0.9})
    msg = str(err.value)
    assert "channels.backchanel: no entry 'backchanel' in channels" in msg
    assert "did you mean 'backchannel'?" in msg
    assert "this field is required" not in msg
    with pytest.raises(InputError, match=r"(?s)unknown field 'close_treshold'.*did you mean "
                       r"'close_threshold'"):
        load_scenario(FLAGSHIP, {"channels.backchannel.close_treshold": 0.9})
    # adding an entry: the whole mapping as the value
    doc = load_scenario(FLAGSHIP).document
    extra = dict(doc["channels"]["workshop"])  # made by a rule: ids follow the kind's name
    sc = load_scenario(FLAGSHIP, {"channels.workshop2": extra})
    assert "workshop2" in sc.spec.channels
    # optional sections the file leaves out can still be set field by field
    assert load_scenario(FLAGSHIP, {"metrics.min_access": 0.4}).spec.metrics.min_access == 0.4


def test_steps_and_missing_files_name_where_the_problem_came_from(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["run", str(FLAGSHIP), "--steps", "-1", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "--steps" in err
    assert "--set" not in err
    with pytest.raises(InputError, match=r"steps: .*\(set by --steps\)"):
        load_scenario(FLAGSHIP, {"steps": -1}, {"steps": "--steps"})
    typo = ROOT / "scenarios" / "mision_closure.yaml"
    assert main(["validate", str(typo)]) == 2
    shared = FLAGSHIP.with_name("mission_closure_shared.yaml")
    assert f"did you mean {FLAGSHIP} or {shared}?" in capsys.readouterr().err  # closest first
    monkeypatch.chdir(ROOT)
    assert main(["validate", "scenarios/mision_closure.yaml"]) == 2
    assert ("did you mean scenarios/mission_closure.yaml or scenarios/mission_closure_shared.yaml?"
            in capsys.readouterr().err)


def test_set_values_are_read_within_the_same_limits() -> None:
    with pytest.raises(InputError, match="not allowed"):
        parse_assignment("steps=!!python/object/apply:os.system [ls]")
    assert parse_assignment("name=a: b: c") == ("name", "a: b: c")  # not YAML: the text itself
    assert parse_assignment("tension.noise=0.05") == ("tension.noise", 0.05)


# --- interrupts -------------------------------------------------------------------------------

def _default_sigint() -> None:
    """A shell that starts its jobs in the background ignores SIGINT in them, and a Python started
    with SIGINT ignored never turns it into KeyboardInterrupt: the child gets the default back,
    as a command started from a terminal has it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextmanager
def started(argv: list[str], cwd: Path) -> Iterator[subprocess.Popen[str]]:
    env = {**ENV, "DIPLOSIM_PROGRESS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "diplosim", *argv], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_sigint)
    try:
        yield proc
    finally:  # never leave a child running, whatever the test found
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def wait_for_progress(proc: subprocess.Popen[str]) -> None:
    """Block until the command printed its first progress line (it is at work)."""
    assert proc.stderr is not None
    buf = ""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ch = proc.stderr.read(1)
        if not ch:
            break
        buf += ch
        if "|" in buf and "/s" in buf:
            return
    raise AssertionError(f"no progress line: {buf!r}")


@pytest.mark.parametrize(("sig", "code", "name"), [(signal.SIGINT, 130, "SIGINT"),
                                                    (signal.SIGTERM, 143, "SIGTERM")])
def test_an_interrupted_run_leaves_nothing(tmp_path: Path, sig: int, code: int,
                                           name: str) -> None:
    with started(["run", str(FLAGSHIP), "--reps", "100000", "--out", "res"], tmp_path) as proc:
        wait_for_progress(proc)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"interrupted ({name}): nothing half-written was left")
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("sig", "code"), [
    pytest.param(signal.SIGINT, 130, marks=pytest.mark.slow), (signal.SIGTERM, 143)])
def test_an_interrupted_sweep_resumes_to_the_same_results(tmp_path: Path, sig: int,
                                                          code: int) -> None:
    exp = tmp_path / "long.yaml"
    exp.write_text(EXPERIMENT.replace("replications: 2", "replications: 150")
                   .replace("steps: 12", "steps: 30"))
    with started(["sweep", str(exp), "--out", "out", "--workers", "2"], tmp_path) as proc:
        wait_for_progress(proc)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert "--resume finishes the sweep" in err.strip().splitlines()[-1]
    leftovers = [p for p in (tmp_path / "out").rglob("*") if ".tmp-" in p.name]
    assert leftovers == []
    done = cli("sweep", str(exp), "--out", "out", "--resume", "--backend", "serial", "--quiet",
               cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    import pandas as pd

    from diplosim.experiment import read_sweep

    resumed = read_sweep(tmp_path / "out").runs
    assert sorted(resumed["run_id"]) == list(range(300))
    assert cli("sweep", str(exp), "--out", "fresh", "--backend", "process", "--quiet",
               cwd=tmp_path).returncode == 0
    fresh = read_sweep(tmp_path / "fresh").runs
    cols = ["run_id", "seed", "continuity"]
    pd.testing.assert_frame_equal(resumed[cols], fresh[cols])


def wait_for_line(proc: subprocess.Popen[str], text: str) -> None:
    """Block until standard error shows ``text`` (progress lines end in carriage returns)."""
    assert proc.stderr is not None
    buf = ""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and text not in buf:
        ch = proc.stderr.read(1)
        if not ch:
            break
        buf += ch
    assert text in buf, buf


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.15, 0.3])
def test_sigterm_after_the_runs_is_answered_like_during_them(tmp_path: Path,
                                                            delay: float) -> None:
    """The last phase of a short sweep (after its runs: the pool closed, the store finished,
    Python exiting) answers SIGTERM as the runs do: one line and 143 — or 0 when it had already
    exited — never death by the signal; the sweep is whole or resumes."""
    exp = tmp_path / "short.yaml"
    exp.write_text(EXPERIMENT.replace("replications: 2", "replications: 20"))  # 40 runs: a pool
    with started(["sweep", str(exp), "--out", "out", "--workers", "2"], tmp_path) as proc:
        wait_for_line(proc, "40/40")
        time.sleep(delay)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode in (143, 0), (proc.returncode, err)
    assert "Traceback" not in err
    if proc.returncode == 143:
        assert err.strip().splitlines()[-1].startswith("interrupted (SIGTERM)")
    done = cli("sweep", str(exp), "--out", "out", "--resume", "--quiet", cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_sigterm_as_main_leaves_its_try_is_answered_like_during_it() -> None:
    """SIGTERM landing in main()'s last bytecodes (its finally resetting the handler) raises
    Terminated outside main's own handlers: the entry point answers it with the same line and 143,
    never a traceback (seen once in CI at delay 0.05 above; here made certain)."""
    code = ("import diplosim.cli as c\n"
            "def main():\n    raise c.Terminated()\n"
            "c.main = main\nc.entry()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 143, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().startswith("interrupted (SIGTERM)")


@pytest.mark.parametrize(("raised", "code", "name"), [("c.Terminated()", 143, "SIGTERM"),
                                                       ("KeyboardInterrupt()", 130, "SIGINT")])
def test_an_interrupt_lost_in_a_finalizer_still_stops_the_command(raised: str, code: int,
                                                                   name: str) -> None:
    """A signal's exception raised while Python runs a finalizer (a weak reference's callback
    or a __del__) is ignored there, and a joint fit once ran on to its end after SIGTERM (seen
    once in CI): the signal is delivered again, so the command stops with its line and status.
    Here the command's own finalizer raises it, which makes the case certain."""
    code_ = ("import argparse, sys, time\nimport diplosim.cli as c\n"
             "class Finalised:\n"
             f"    def __del__(self):\n        raise {raised}\n"
             "def work(args):\n"
             "    Finalised()  # collected at once: its exception is unraisable\n"
             "    time.sleep(5)\n    return 0\n"
             "parser = c.build_parser()\n"
             "parser.parse_args = lambda argv: argparse.Namespace(func=work, command='x')\n"
             "c.build_parser = lambda: parser\n"
             "sys.exit(c.main([]))\n")
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code_], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == code, done.stderr
    assert time.monotonic() - start < 5  # stopped, not run on to the end of the work
    assert "Traceback" not in done.stderr
    assert "Exception ignored" not in done.stderr
    assert done.stderr.strip().startswith(f"interrupted ({name})")


def test_an_interrupted_plot_leaves_only_whole_figures(tmp_path: Path, run_folder: Path) -> None:
    with started(["plot", str(run_folder), "--out", str(tmp_path / "figs")], tmp_path) as proc:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # "figure: ..." once the first figure is whole
        assert first.startswith("figure:")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    # 143: stopped with the one-line message (during the work or while exiting); 0: finished
    assert proc.returncode in (143, 0), err
    if proc.returncode == 143:
        assert err.strip().splitlines()[-1].startswith("interrupted (SIGTERM)")
    for p in (tmp_path / "figs").iterdir():
        assert not p.name.startswith("."), p  # no temporary file left
        if p.suffix == ".png":
            assert p.read_bytes().startswith(b"\x89PNG")
            assert p.read_bytes().endswith(
                b"IEND\xaeB`\x82")


@pytest.mark.parametrize("reader", ["libyaml", "python"])
def test_both_yaml_readers_apply_the_limits(reader: str, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """libyaml when PyYAML has it, PyYAML's own reader otherwise: the same answers."""
    from diplosim.io import yamlio

    if reader == "python":
        monkeypatch.setattr(yamlio, "_CLoader", None)
    elif yamlio._CLoader is None:
        pytest.skip("PyYAML was built without libyaml here")
    assert load_scenario(FLAGSHIP).name == "mission_closure"
    cases = {
        b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n": "nest",  # ours, or libyaml's own (1,000)
        "".join(f"{' ' * i}k{i}:\n" for i in range(200)).encode() + b" " * 200 + b"v: 1\n":
            "nested more than 64",
        alias_bomb(): "aliases repeat more than 10000 values",
        b"name: [1, 2\n": "line 2: YAML syntax error",
    }
    for content, expect in cases.items():
        path = tmp_path / "case.yaml"
        path.write_bytes(content)
        with pytest.raises(InputError) as err:
            load_scenario(path)
        assert expect in str(err.value)


@pytest.mark.parametrize("argv", [
    ["run", "LONG.yaml"], ["validate", "LONG.yaml"], ["sweep", "LONG.yaml"],
    ["negotiate", "LONG.yaml"], ["plot", "LONG"], ["calibrate", "LONG"], ["init", "LONG"],
    ["run", str(FLAGSHIP), "--out", "LONG"],
])
def test_a_path_too_long_is_an_input_error(argv: list[str], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by fuzzing: a name longer than the file system allows (OSError ENAMETOOLONG) was
    an internal error or a traceback; every OS error about a path the user gave is exit 2."""
    monkeypatch.chdir(tmp_path)
    long = "a" * 300
    assert main([a.replace("LONG", long) for a in argv]) == 2
    err = capsys.readouterr().err
    assert "internal error" not in err
    assert "Traceback" not in err
    assert "too long" in err
    assert list(tmp_path.iterdir()) == []


def test_an_experiment_naming_a_path_too_long_is_located(tmp_path: Path) -> None:
    exp = tmp_path / "long.yaml"
    exp.write_text(EXPERIMENT.replace(f"scenario: {FLAGSHIP}", f"scenario: {'a' * 300}.yaml"))
    with pytest.raises(InputError) as caught:
        load_experiment(exp)
    problem = caught.value.problems[0]
    assert problem.path == "scenario"
    assert problem.line == 2
    assert "File name too long" in problem.message

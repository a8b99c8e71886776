"""`ricci-lit coefficient`: bad input exits 2 with one line on stderr; good input gives the numbers."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

import ricci_lit
from ricci_lit import ricci_coefficient
from ricci_lit.cli import main

REPO = Path(ricci_lit.__file__).resolve().parent.parent


def _reps(seed=0, n=30, m=4):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(n, d)) for d in (3, 5, 4, 2, 6)[:m]]


def _save(path: Path, *arrays, **named) -> str:
    np.savez(path, *arrays, **named)
    return str(path)


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, out, err, *needles):
    assert code == 2
    assert out == ""
    lines = err.strip("\n").split("\n")
    assert len(lines) == 1, f"expected one line on stderr, got: {err!r}"
    assert "Traceback" not in err
    assert lines[0].startswith("ricci-lit: error:")
    for needle in needles:
        assert needle.lower() in lines[0].lower(), (needle, lines[0])


# --------------------------------------------------------------------------- bad input


def test_missing_file(tmp_path, capsys):
    p = tmp_path / "nope.npz"
    assert_one_line_error(*run_cli(capsys, "coefficient", str(p), "--k", "3"), "nope.npz", "no such file")


def test_directory_instead_of_file(tmp_path, capsys):
    assert_one_line_error(*run_cli(capsys, "coefficient", str(tmp_path), "--k", "3"), "directory")


def test_garbage_bytes(tmp_path, capsys):
    p = tmp_path / "garbage.npz"
    p.write_bytes(bytes(range(256)) * 8)
    assert_one_line_error(*run_cli(capsys, "coefficient", str(p), "--k", "3"), "garbage.npz", "cannot be read")


def test_truncated_zip(tmp_path, capsys):
    good = Path(_save(tmp_path / "good.npz", *_reps()))
    p = tmp_path / "truncated.npz"
    p.write_bytes(good.read_bytes()[:200])
    assert_one_line_error(*run_cli(capsys, "coefficient", str(p), "--k", "3"), "truncated.npz")


def test_plain_npy_file(tmp_path, capsys):
    p = tmp_path / "one.npy"
    np.save(p, np.zeros((5, 2)))
    assert_one_line_error(*run_cli(capsys, "coefficient", str(p), "--k", "3"), "npz")


def test_npz_with_a_member_that_is_not_an_array(tmp_path, capsys):
    # a zip archive with arr_0..arr_2 and a text file: numpy hands the text member back as
    # bytes; it must be reported as bad input, not crash
    p = tmp_path / "mixed.npz"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("notes.txt", "hello")
        for i, X in enumerate(_reps(m=3)):
            with zf.open(f"arr_{i}.npy", "w") as fh:
                np.lib.format.write_array(fh, X)
    assert_one_line_error(*run_cli(capsys, "coefficient", str(p), "--k", "3"), "notes.txt")


def test_empty_file(tmp_path, capsys):
    p = tmp_path / "zero.npz"
    p.write_bytes(b"")
    assert_one_line_error(*run_cli(capsys, "coefficient", str(p), "--k", "3"), "zero.npz")


def test_npz_without_arrays(tmp_path, capsys):
    p = _save(tmp_path / "empty.npz")
    assert_one_line_error(*run_cli(capsys, "coefficient", p, "--k", "3"), "no arrays")


def test_different_numbers_of_rows(tmp_path, capsys):
    reps = _reps()
    reps[2] = reps[2][:-3]
    p = _save(tmp_path / "rows.npz", *reps)
    assert_one_line_error(*run_cli(capsys, "coefficient", p, "--k", "3"), "different numbers of rows")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf(tmp_path, capsys, bad):
    reps = _reps()
    reps[1][4, 2] = bad
    p = _save(tmp_path / "nan.npz", *reps)
    assert_one_line_error(*run_cli(capsys, "coefficient", p, "--k", "3"), "representation 1", "nan or inf")


@pytest.mark.parametrize("k, needle", [("0", "at least 1"), ("-3", "at least 1"), ("30", "smaller than"),
                                       ("31", "smaller than"), ("2.5", "integer"), ("three", "integer")])
def test_bad_k(tmp_path, capsys, k, needle):
    p = _save(tmp_path / "ok.npz", *_reps())
    assert_one_line_error(*run_cli(capsys, "coefficient", p, "--k", k), needle)


def test_fewer_than_three_representations(tmp_path, capsys):
    p = _save(tmp_path / "two.npz", *_reps()[:2])
    assert_one_line_error(*run_cli(capsys, "coefficient", p, "--k", "3"), "at least 3")


def test_string_array(tmp_path, capsys):
    reps = _reps()
    strings = np.array([["a", "b"]] * 30)
    p = _save(tmp_path / "strings.npz", reps[0], strings, reps[2])
    # np.savez stores a unicode array as a plain .npy (no pickle): it loads, then is rejected
    with np.load(p) as data:
        assert data["arr_1"].dtype.kind == "U"
    assert_one_line_error(*run_cli(capsys, "coefficient", p, "--k", "3"), "representation 1", "non-numeric")


def test_object_array(tmp_path, capsys):
    reps = _reps()
    obj = np.array([[1.0, None]] * 30, dtype=object)
    p = _save(tmp_path / "object.npz", reps[0], obj, reps[2])
    assert_one_line_error(*run_cli(capsys, "coefficient", p, "--k", "3"), "arr_1")


def test_three_dimensional_array(tmp_path, capsys):
    reps = _reps()
    reps[1] = np.zeros((30, 2, 2))
    p = _save(tmp_path / "3d.npz", *reps)
    assert_one_line_error(*run_cli(capsys, "coefficient", p, "--k", "3"), "2-d")


def test_empty_array(tmp_path, capsys):
    reps = _reps()
    reps[0] = np.zeros((30, 0))
    p = _save(tmp_path / "empty_arr.npz", *reps)
    assert_one_line_error(*run_cli(capsys, "coefficient", p, "--k", "3"), "empty")


@pytest.mark.parametrize("argv, needle", [
    (["coefficient", "{p}", "--k", "3", "--curvature", "scalar"], "invalid choice"),
    (["coefficient", "{p}", "--k", "3", "--mode", "mutual"], "invalid choice"),
    (["coefficient", "{p}"], "--k"),
    (["coefficient", "{p}", "--k", "3", "--bogus"], "unrecognized"),
    ([], "command"),
    (["flow", "{p}"], "invalid choice"),
])
def test_bad_arguments(tmp_path, capsys, argv, needle):
    p = _save(tmp_path / "ok.npz", *_reps())
    argv = [a.replace("{p}", p) for a in argv]
    assert_one_line_error(*run_cli(capsys, *argv), needle)


def test_subprocess_bad_input_real_exit_status(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    reps = _reps()
    reps[0][0, 0] = np.nan
    p = _save(tmp_path / "nan.npz", *reps)
    proc = subprocess.run([sys.executable, "-m", "ricci_lit.cli", "coefficient", p, "--k", "3"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert "NaN or inf" in proc.stderr


# --------------------------------------------------------------------------- good input


def test_json_output(tmp_path, capsys):
    reps = _reps(n=40)
    p = _save(tmp_path / "acts.npz", *reps)
    code, out, err = run_cli(capsys, "coefficient", p, "--k", "5", "--json")
    assert code == 0 and err == ""
    d = json.loads(out)
    for key in ("rho", "ric", "g", "eta", "connected", "n", "k", "curvature", "mode"):
        assert key in d
    ref = ricci_coefficient(reps, 5)
    assert d["n"] == 40 and d["k"] == 5 and d["curvature"] == "forman" and d["mode"] == "union"
    assert d["ric"] == list(ref.ric) and d["g"] == list(ref.g) and d["eta"] == list(ref.eta)
    assert d["connected"] == [True] * 4
    assert d["rho"] == pytest.approx(ref.rho)
    assert "local" not in d and "layer" not in d


def test_json_with_options(tmp_path, capsys):
    reps = _reps(n=40)
    p = _save(tmp_path / "acts.npz", *reps)
    code, out, _ = run_cli(capsys, "coefficient", p, "--k", "4", "--json", "--curvature",
                           "augmented-forman", "--mode", "r-compat", "--local", "--layer")
    assert code == 0
    d = json.loads(out)
    ref = ricci_coefficient(reps, 4, curvature="augmented-forman", mode="r-compat", local=True)
    assert d["curvature"] == "augmented-forman" and d["mode"] == "r-compat"
    assert d["ric"] == list(ref.ric)
    for key in ("mean", "fraction_negative", "n_nan"):
        assert key in d["local"]
    s = ref.local.summary()
    assert d["local"]["mean"] == pytest.approx(s["mean"])
    assert d["local"]["n_nan"] == s["n_nan"]
    assert isinstance(d["layer"], list) and len(d["layer"]) == 3
    np.testing.assert_allclose([np.nan if v is None else v for v in d["layer"]], ref.local.layer_rho)


def test_local_only_and_layer_only(tmp_path, capsys):
    p = _save(tmp_path / "acts.npz", *_reps(n=40))
    d = json.loads(run_cli(capsys, "coefficient", p, "--k", "4", "--json", "--local")[1])
    assert "local" in d and "layer" not in d
    d = json.loads(run_cli(capsys, "coefficient", p, "--k", "4", "--json", "--layer")[1])
    assert "layer" in d and "local" not in d


def test_text_output(tmp_path, capsys):
    reps = _reps(n=40)
    p = _save(tmp_path / "acts.npz", *reps)
    code, out, err = run_cli(capsys, "coefficient", p, "--k", "5", "--local", "--layer")
    assert code == 0 and err == ""
    ref = ricci_coefficient(reps, 5)
    assert f"rho = {ref.rho:.4f}" in out
    assert "n = 40, k = 5" in out
    assert "local: " in out and "layer: " in out


def test_disconnected_graph_is_not_an_error(tmp_path, capsys):
    rng = np.random.default_rng(3)
    far = rng.normal(size=(40, 2))
    far[20:] += 100.0
    reps = [rng.normal(size=(40, 3)), far, rng.normal(size=(40, 2))]
    p = _save(tmp_path / "disc.npz", *reps)
    code, out, err = run_cli(capsys, "coefficient", p, "--k", "3", "--json")
    assert code == 0
    d = json.loads(out)
    assert d["rho"] is None
    assert d["disconnected_layers"] == [1]
    assert d["connected"] == [True, False, True]
    assert d["g"][1] is None and "disconnected" in d["rho_reason"]
    code, out, err = run_cli(capsys, "coefficient", p, "--k", "3")
    assert code == 0 and "rho undefined" in out and "[1]" in out


def test_collapsed_layer_warns(tmp_path, capsys):
    reps = _reps(n=30)
    reps[2] = np.zeros((30, 4))
    p = _save(tmp_path / "collapsed.npz", *reps)
    code, out, err = run_cli(capsys, "coefficient", p, "--k", "3", "--json")
    assert code == 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("warning:") and "representation 2" in lines[0]
    assert "Traceback" not in err
    d = json.loads(out)
    assert d["collapsed_layers"] == [2]


def test_named_arrays_keep_stored_order(tmp_path, capsys):
    reps = _reps(n=40)
    named = {"zeta": reps[0], "alpha": reps[1], "mid": reps[2]}
    p = _save(tmp_path / "named.npz", **named)
    with np.load(p) as data:
        assert data.files == ["zeta", "alpha", "mid"]
    d = json.loads(run_cli(capsys, "coefficient", p, "--k", "4", "--json")[1])
    stored = ricci_coefficient([reps[0], reps[1], reps[2]], 4)
    alphabetical = ricci_coefficient([reps[1], reps[2], reps[0]], 4)
    assert stored.ric != alphabetical.ric, "test data must distinguish the orders"
    assert d["ric"] == list(stored.ric)


def test_arr_10_sorts_after_arr_2(tmp_path, capsys):
    rng = np.random.default_rng(9)
    reps = [rng.normal(size=(30, 2)) * (1 + (i % 3)) + rng.normal(size=(30, 2)) for i in range(12)]
    # store in lexicographic order arr_0, arr_1, arr_10, arr_11, arr_2, … (as a string sort would)
    names = sorted(f"arr_{i}" for i in range(12))
    p = tmp_path / "many.npz"
    with zipfile.ZipFile(p, "w") as zf:
        for nm in names:
            with zf.open(nm + ".npy", "w") as fh:
                np.lib.format.write_array(fh, reps[int(nm[4:])])
    with np.load(p) as data:
        assert data.files[:4] == ["arr_0", "arr_1", "arr_10", "arr_11"]
    d = json.loads(run_cli(capsys, "coefficient", str(p), "--k", "3", "--json")[1])
    numeric = ricci_coefficient(reps, 3)
    lexical = ricci_coefficient([reps[int(nm[4:])] for nm in names], 3)
    assert numeric.ric != lexical.ric
    assert d["ric"] == list(numeric.ric)


def test_subprocess_success(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    p = _save(tmp_path / "acts.npz", *_reps(n=25))
    proc = subprocess.run([sys.executable, "-m", "ricci_lit.cli", "coefficient", p, "--k", "3", "--json"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["n"] == 25


# =========================================================================== files the CLI is handed
# (issue 12 items 8, 9, 10 and 12): refused in one line with exit 2, never a hang, a traceback or a
# misleading reason. The hostile files are built here byte by byte, independently of ricci_lit._files.

ENV = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1")


def _cli_proc(*argv, timeout=120, **kw):
    """``python -m ricci_lit.cli ARGV`` in a subprocess (a hang fails by timeout instead of freezing the suite)."""
    return subprocess.run([sys.executable, "-m", "ricci_lit.cli", *argv], text=True, env=ENV,
                          timeout=timeout, check=False, **kw)


def assert_proc_one_line_error(proc, *needles):
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("ricci-lit: error:"), proc.stderr
    for needle in needles:
        assert needle.lower() in lines[0].lower(), (needle, lines[0])


def _npy_bytes(header: dict | str | bytes, data: bytes = b"", version=(1, 0)) -> bytes:
    """An .npy file written by hand: magic, version, header length, header, data."""
    if isinstance(header, dict):
        header = repr(header)
    raw = header.encode("latin1") if isinstance(header, str) else header
    size = 2 if version == (1, 0) else 4
    pad = (-(6 + 2 + size + len(raw) + 1)) % 64
    raw = raw + b" " * pad + b"\n"
    return b"\x93NUMPY" + bytes(version) + len(raw).to_bytes(size, "little") + raw + data


def _zip_npz(path: Path, members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> str:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, raw in members.items():
            zf.writestr(name, raw)
    return str(path)


def _good_members(n=30):
    out = {}
    for i, X in enumerate(_reps(n=n, m=3)):
        out[f"arr_{i}.npy"] = _npy_bytes({"descr": "<f8", "fortran_order": False, "shape": X.shape}, X.tobytes())
    return out


def test_hand_written_npz_reads_like_numpy(tmp_path, capsys):
    # the oracle for the hand-built files below: a well-formed one gives numpy's own numbers
    reps = _reps(n=30, m=3)
    p = _zip_npz(tmp_path / "hand.npz", _good_members())
    d = json.loads(run_cli(capsys, "coefficient", p, "--k", "3", "--json")[1])
    assert d["ric"] == list(ricci_coefficient(reps, 3).ric)


# --------------------------------------------------------------------------- 8: hangs


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_named_npz_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "x.npz"
    os.mkfifo(fifo)
    proc = _cli_proc("coefficient", str(fifo), "--k", "3", capture_output=True, timeout=60)
    assert_proc_one_line_error(proc, "x.npz", "fifo")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_dev_zero_is_refused_before_reading(capsys):
    assert_one_line_error(*run_cli(capsys, "coefficient", "/dev/zero", "--k", "3"), "/dev/zero", "device")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_symlink_to_a_fifo_is_refused_and_to_a_file_is_followed(tmp_path, capsys):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "link.npz").symlink_to(fifo)
    assert_one_line_error(*run_cli(capsys, "coefficient", str(tmp_path / "link.npz"), "--k", "3"), "fifo")
    p = Path(_save(tmp_path / "real.npz", *_reps()))
    (tmp_path / "good.npz").symlink_to(p)
    assert run_cli(capsys, "coefficient", str(tmp_path / "good.npz"), "--k", "3", "--json")[0] == 0


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_file_helpers_refuse_what_is_not_a_regular_file(tmp_path):
    from ricci_lit._files import (
        NotRegularFileError,
        UnreadableFileError,
        open_regular,
        read_bytes,
        read_text,
        require_regular_file,
    )

    fifo = tmp_path / "manifest.json"
    os.mkfifo(fifo)
    for call in (require_regular_file, open_regular, read_bytes, read_text):
        with pytest.raises(NotRegularFileError, match="manifest.json: is a FIFO"):
            call(fifo)
        with pytest.raises(NotRegularFileError, match="is a directory"):
            call(tmp_path)
        with pytest.raises(FileNotFoundError, match="nope: no such file"):
            call(tmp_path / "nope")
    assert issubclass(NotRegularFileError, UnreadableFileError) and issubclass(UnreadableFileError, ValueError)
    f = tmp_path / "ok.txt"
    f.write_bytes("größe\n".encode())
    assert require_regular_file(f) == f
    assert read_text(f) == "größe\n" and read_bytes(f) == "größe\n".encode()
    with open_regular(f, "r", encoding="utf-8") as fh:
        assert fh.read() == "größe\n"
    f.write_bytes(b'{"a": \xff}')
    with pytest.raises(UnreadableFileError, match=r"ok.txt: not utf-8 text \(invalid byte at offset 6\)"):
        read_text(f)
    with pytest.raises(ValueError, match="reads only"):
        open_regular(f, "w")


# --------------------------------------------------------------------------- 9 and 10: corrupt .npz / .npy


def test_corrupt_compressed_member(tmp_path, capsys):
    p = tmp_path / "zlib.npz"
    np.savez_compressed(p, *_reps())
    raw = bytearray(p.read_bytes())
    with zipfile.ZipFile(p) as zf:
        info = zf.getinfo("arr_1.npy")
    local = raw[info.header_offset:info.header_offset + 30]  # the local header's own name/extra lengths
    start = info.header_offset + 30 + int.from_bytes(local[26:28], "little") + int.from_bytes(local[28:30], "little")
    raw[start] = 0xFF  # deflate block type 3: reserved, so zlib must fail
    p.write_bytes(bytes(raw))
    import zlib

    with np.load(p) as data, pytest.raises(zlib.error):  # what numpy itself does with it
        data["arr_1"]
    assert_one_line_error(*run_cli(capsys, "coefficient", str(p), "--k", "3"), "zlib.npz", "arr_1", "corrupt")


def test_bad_crc_in_a_member(tmp_path, capsys):
    members = _good_members()
    p = Path(_zip_npz(tmp_path / "crc.npz", members))
    raw = bytearray(p.read_bytes())
    i = raw.rindex(members["arr_2.npy"][-40:])
    raw[i + 3] ^= 0x01  # flip one bit of stored data: the CRC no longer matches
    p.write_bytes(bytes(raw))
    assert_one_line_error(*run_cli(capsys, "coefficient", str(p), "--k", "3"), "crc.npz", "arr_2", "corrupt")


def test_header_claiming_ten_billion_rows_is_checked_before_allocating(tmp_path, capsys):
    members = _good_members()
    members["arr_1.npy"] = _npy_bytes({"descr": "<f8", "fortran_order": False, "shape": (10**10, 3)},
                                      b"\0" * 720)
    p = _zip_npz(tmp_path / "huge.npz", members)
    code, out, err = run_cli(capsys, "coefficient", p, "--k", "3")
    assert_one_line_error(code, out, err, "huge.npz", "arr_1", "truncated data", "(10000000000, 3)",
                          "240000000000 bytes")
    assert "python objects" not in err.lower()


def test_data_shorter_than_the_header_says(tmp_path, capsys):
    members = _good_members()
    members["arr_0.npy"] = members["arr_0.npy"][:-8]
    p = _zip_npz(tmp_path / "short.npz", members, compression=zipfile.ZIP_DEFLATED)
    code, out, err = run_cli(capsys, "coefficient", p, "--k", "3")
    assert_one_line_error(code, out, err, "short.npz", "arr_0", "truncated data", "720 bytes", "holds 712")
    assert "python objects" not in err.lower()


@pytest.mark.parametrize("header, why", [
    (b"\x93NUMPX\x01\x00", "magic"),
    (_npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (30, 3)")[:-40], "header"),
    (_npy_bytes("not a literal at all"), "literal"),
    (_npy_bytes({"descr": "<f8", "fortran_order": False}), "keys"),
    (_npy_bytes({"descr": "<f8", "fortran_order": False, "shape": (30, -3)}), "shape"),
    (_npy_bytes({"descr": "<f8", "fortran_order": False, "shape": (30.0, 3)}), "shape"),
    (_npy_bytes({"descr": "<f8", "fortran_order": "no", "shape": (30, 3)}), "fortran_order"),
    (_npy_bytes({"descr": "<q9", "fortran_order": False, "shape": (30, 3)}), "descr"),
    (_npy_bytes({"descr": "<f8", "fortran_order": False, "shape": (30, 3)}, version=(9, 0)), "version"),
    (b"\x93NUMPY\x01\x00" + (60000).to_bytes(2, "little") + b"{" * 100, "header length"),
])
def test_corrupt_npy_header_is_called_corrupt(tmp_path, capsys, header, why):
    members = _good_members()
    members["arr_1.npy"] = header
    p = _zip_npz(tmp_path / "hdr.npz", members)
    code, out, err = run_cli(capsys, "coefficient", p, "--k", "3")
    assert_one_line_error(code, out, err, "hdr.npz", "arr_1", "corrupt .npy header", why)
    assert "python objects" not in err.lower()


def test_object_member_is_never_unpickled(tmp_path, capsys):
    import pickle

    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (Path.touch, (marker,))

    members = _good_members()
    members["arr_1.npy"] = _npy_bytes({"descr": "|O", "fortran_order": False, "shape": (1,)},
                                      pickle.dumps(Payload()))
    p = _zip_npz(tmp_path / "pickle.npz", members)
    assert_one_line_error(*run_cli(capsys, "coefficient", p, "--k", "3"), "pickle.npz", "arr_1",
                          "python objects")
    assert not marker.exists()


def test_permission_denied_is_named_as_such(tmp_path, capsys, monkeypatch):
    import ricci_lit._files as files

    p = _save(tmp_path / "locked.npz", *_reps())
    real_open = os.open

    def deny(path, *a, **kw):
        if str(path) == p:
            raise PermissionError(13, "Permission denied", p)
        return real_open(path, *a, **kw)

    monkeypatch.setattr(files.os, "open", deny)
    code, out, err = run_cli(capsys, "coefficient", p, "--k", "3")
    assert_one_line_error(code, out, err, "locked.npz", "permission denied")
    assert "zip" not in err


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True,
                    reason="root reads a chmod-000 file anyway")
def test_permission_denied_for_real(tmp_path, capsys):  # pragma: no cover - runs as non-root only
    p = Path(_save(tmp_path / "locked.npz", *_reps()))
    p.chmod(0)
    try:
        assert_one_line_error(*run_cli(capsys, "coefficient", str(p), "--k", "3"), "permission denied")
    finally:
        p.chmod(0o600)


# --------------------------------------------------------------------------- 12: dtypes that are not numbers


@pytest.mark.parametrize("bad", [
    np.arange(90, dtype="timedelta64[ns]").reshape(30, 3),
    np.arange(90).astype("datetime64[s]").reshape(30, 3),
    np.ones((30, 3), dtype=complex),
    np.ones((30, 3), dtype=np.float64).view([("a", "<f8")]),
    np.full((30, 3), b"x"),
])
def test_non_numeric_dtypes_are_refused(tmp_path, capsys, bad):
    reps = _reps(m=3)
    p = _save(tmp_path / "dtype.npz", reps[0], bad, reps[2])
    assert_one_line_error(*run_cli(capsys, "coefficient", p, "--k", "3"), "representation 1", "non-numeric",
                          str(bad.dtype))


@pytest.mark.parametrize("dtype", [bool, np.uint8, np.int16, np.int64, np.float16, np.float32, ">f8"])
def test_numeric_dtypes_are_accepted_with_numpys_values(tmp_path, capsys, dtype):
    rng = np.random.default_rng(5)
    reps = [rng.integers(0, 2 if dtype is bool else 50, size=(30, d)).astype(dtype) for d in (6, 5, 4)]
    p = _save(tmp_path / "ints.npz", *reps)
    code, out, _ = run_cli(capsys, "coefficient", p, "--k", "3", "--json")
    assert code == 0
    assert json.loads(out)["ric"] == list(ricci_coefficient(reps, 3).ric)


def test_fortran_order_member_reads_like_numpy(tmp_path, capsys):
    reps = [np.asfortranarray(X) for X in _reps(m=3)]
    p = _save(tmp_path / "fortran.npz", *reps)
    d = json.loads(run_cli(capsys, "coefficient", p, "--k", "3", "--json")[1])
    assert d["ric"] == list(ricci_coefficient([np.ascontiguousarray(X) for X in reps], 3).ric)


def test_read_npz_equals_numpy_load(tmp_path):
    from ricci_lit._files import read_npz

    arrays = {"a": np.arange(12, dtype=">i4").reshape(3, 4), "b": np.asfortranarray(np.eye(3)),
              "c": np.zeros((0, 5)), "d": np.array(3.5), "e": np.ones((2, 3), dtype=bool)}
    for save in (np.savez, np.savez_compressed):
        p = tmp_path / f"{save.__name__}.npz"
        save(p, **arrays)
        got = read_npz(p)
        with np.load(p) as ref:
            assert list(got) == ref.files
            for name in ref.files:
                assert got[name].dtype == ref[name].dtype and got[name].shape == ref[name].shape
                assert got[name].tobytes(order="A") == ref[name].tobytes(order="A")
                assert got[name].flags.f_contiguous == ref[name].flags.f_contiguous


# --------------------------------------------------------------------------- 9: standard output goes away


class _FailingStdout:
    """A stdout whose writes fail like a closed pipe or a full disk (no fileno: nothing real to redirect)."""

    def __init__(self, error):
        self.error = error

    def write(self, text):
        raise self.error

    def flush(self):
        raise self.error


def test_closed_pipe_in_process_is_quiet_141(tmp_path, capsys, monkeypatch):
    p = _save(tmp_path / "acts.npz", *_reps())
    monkeypatch.setattr(sys, "stdout", _FailingStdout(BrokenPipeError(32, "Broken pipe")))
    code = main(["coefficient", p, "--k", "3", "--json"])
    monkeypatch.undo()
    assert code == 141
    assert capsys.readouterr().err == ""


def test_full_disk_in_process_is_one_line_exit_1(tmp_path, capsys, monkeypatch):
    import errno

    p = _save(tmp_path / "acts.npz", *_reps())
    monkeypatch.setattr(sys, "stdout", _FailingStdout(OSError(errno.ENOSPC, "No space left on device")))
    code = main(["coefficient", p, "--k", "3"])
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("ricci-lit: error: cannot write the output")
    assert "No space left on device" in err


def test_stdout_is_restored_after_main(tmp_path, capsys):
    before = sys.stdout
    p = _save(tmp_path / "acts.npz", *_reps())
    assert main(["coefficient", p, "--k", "3"]) == 0
    assert main(["coefficient", p, "--k", "0"]) == 2
    assert sys.stdout is before


def test_closed_pipe_subprocess(tmp_path):
    p = _save(tmp_path / "acts.npz", *_reps())
    r, w = os.pipe()
    os.close(r)  # the reader went away before a byte was written (as `| head -0` would)
    try:
        proc = _cli_proc("coefficient", p, "--k", "3", "--json", stdout=w, stderr=subprocess.PIPE)
    finally:
        os.close(w)
    assert proc.returncode == 141
    assert proc.stderr == "", proc.stderr


def test_head_closing_the_pipe_after_one_line(tmp_path):
    p = _save(tmp_path / "acts.npz", *_reps())
    proc = subprocess.run(f"set -o pipefail; {sys.executable} -m ricci_lit.cli coefficient {p} --k 3 | head -1",
                          shell=True, executable="/bin/bash", capture_output=True, text=True, env=ENV, timeout=120,
                          check=False)
    assert proc.stdout.startswith("n = 30, k = 3")
    assert proc.returncode in (0, 141)  # 0 when all output fitted in the pipe before head exited
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_full_disk_subprocess():
    with open("/dev/full", "w") as full:
        proc = _cli_proc("coefficient", "--help", stdout=full, stderr=subprocess.PIPE)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ricci-lit: error: cannot write the output"), proc.stderr


# --------------------------------------------------------------------------- results directories

TINY = ["--problems", "A", "--architectures", "narrow-shallow", "--seeds", "2", "--n-test", "120",
        "--epochs", "2", "--k-synthetic", "5,10", "--device", "cpu", "--no-progress"]


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory):
    """A two-network sweep written by the command line (a few seconds)."""
    out = tmp_path_factory.mktemp("cli_store") / "res"
    assert main(["sweep", *TINY, "--out", str(out)]) == 0
    return out


def _copy_store(src: Path, dst: Path) -> Path:
    import shutil

    shutil.copytree(src, dst)
    return dst


def _strict_json(text: str):
    def refuse(name):
        raise AssertionError(f"not strict JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def test_report_and_sensitivity_json_are_strict_json(tiny_store, tmp_path, capsys):
    code, out, err = run_cli(capsys, "report", "--results", str(tiny_store), "--json")
    assert code == 0, err
    d = _strict_json(out)
    assert d["networks"] == 2 and out.count("\n") == 1
    variant = tmp_path / "r-compat"
    assert main(["sweep", *TINY, "--mode", "r-compat", "--out", str(variant)]) == 0
    capsys.readouterr()
    code, out, err = run_cli(capsys, "sensitivity", "--reference", str(tiny_store),
                             "--variant", f"r-compat={variant}", "--json")
    assert code == 0, err
    assert set(_strict_json(out)) == {"headline", "configurations", "settings", "ks"}


def test_strict_json_turns_non_finite_numbers_into_null(tmp_path, capsys):
    from ricci_lit.cli import strict_json

    assert strict_json({"a": float("nan"), "b": [np.float32(np.inf), np.int64(3), (1.5, -np.inf)], 2: None}) == \
        {"a": None, "b": [None, 3, [1.5, None]], "2": None}


def _commands_on(store: Path, other: Path):
    """Each command that reads ``store``'s manifest (with a harmless second directory ``other``)."""
    return {
        "report": ["report", "--results", str(store)],
        "report --json": ["report", "--results", str(store), "--json"],
        "pack": ["pack", "--results", str(store)],
        "sweep": ["sweep", *TINY, "--out", str(store)],
        "coefficients (source)": ["coefficients", "--results", str(store), "--out", str(other / "coef"),
                                  "--seeds", "2", "--no-progress"],
        "coefficients (out)": ["coefficients", "--results", str(other / "good"), "--out", str(store),
                               "--seeds", "2", "--no-progress"],
        "sensitivity (reference)": ["sensitivity", "--reference", str(store), "--variant", f"v={other / 'good'}"],
        "sensitivity (variant)": ["sensitivity", "--reference", str(other / "good"), "--variant", f"v={store}"],
        "checkpoints": ["checkpoints", "--results", str(store), "--no-progress"],
    }


@pytest.mark.parametrize("manifest", ["[1,2,3]", "null", "3", '"text"'])
def test_manifest_that_is_not_an_object_exits_2_in_every_command(tiny_store, tmp_path, capsys, manifest):
    other = tmp_path / "other"
    other.mkdir()
    _copy_store(tiny_store, other / "good")
    for what, argv in _commands_on(tmp_path / "bad", other).items():
        import shutil

        shutil.rmtree(tmp_path / "bad", ignore_errors=True)
        _copy_store(tiny_store, tmp_path / "bad")
        (tmp_path / "bad" / "manifest.json").write_text(manifest)
        code, _, err = run_cli(capsys, *argv)
        assert code == 2, (what, code, err)
        assert "Traceback" not in err and err.count("\n") == 1, (what, err)
        assert err.startswith("ricci-lit: error:") and "manifest.json" in err, (what, err)


@pytest.mark.parametrize("raw, why", [(b'{"profile": "quick", ', "json"), (b'{"profile": "\xff"}', "utf-8")])
def test_unreadable_manifest_is_named(tiny_store, tmp_path, capsys, raw, why):
    bad = _copy_store(tiny_store, tmp_path / "bad")
    (bad / "manifest.json").write_bytes(raw)
    for argv in (["report", "--results", str(bad)], ["pack", "--results", str(bad)]):
        code, _, err = run_cli(capsys, *argv)
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
        assert "manifest.json" in err and why in err.lower(), err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_manifest_does_not_hang_report(tiny_store, tmp_path):
    bad = _copy_store(tiny_store, tmp_path / "bad")
    (bad / "manifest.json").unlink()
    os.mkfifo(bad / "manifest.json")
    proc = _cli_proc("report", "--results", str(bad), capture_output=True, timeout=60)
    assert_proc_one_line_error(proc, "manifest.json")


def test_truncated_checkpoint_on_resume_exits_2(tiny_store, tmp_path, capsys):
    bad = _copy_store(tiny_store, tmp_path / "bad")
    (ckpt,) = (bad / "checkpoints").glob("*.pt")
    ckpt.write_bytes(ckpt.read_bytes()[:200])
    argv = ["sweep", *[("3" if a == "2" and TINY[i - 1] == "--seeds" else a) for i, a in enumerate(TINY)],
            "--out", str(bad)]
    # a third seed: the sweep resumes from the checkpoint (a subprocess: stderr as a user sees it,
    # warnings included, which pytest would capture in-process)
    proc = _cli_proc(*argv, capture_output=True)
    code, out, err = proc.returncode, proc.stdout, proc.stderr
    # either refused in one line, or moved aside and re-trained with a one-line warning; never a traceback
    assert "Traceback" not in err and err.count("\n") == 1 and ckpt.name in err, err
    if code == 2:
        assert err.startswith("ricci-lit: error:")
    else:
        assert code == 0 and err.startswith("warning:") and "moved" in err, err
        assert "3 in the profile" in out


def test_truncated_packed_file_is_named(tiny_store, tmp_path, capsys):
    bad = _copy_store(tiny_store, tmp_path / "bad")
    assert run_cli(capsys, "pack", "--results", str(bad))[0] == 0
    packed = sorted((bad / "packed").glob("*.parquet"))
    assert packed
    packed[0].write_bytes(packed[0].read_bytes()[:100])
    code, _, err = run_cli(capsys, "report", "--results", str(bad))
    assert code == 2 and "Traceback" not in err and err.count("\n") == 1, err
    assert packed[0].name in err, err


# --------------------------------------------------------------------------- bad flags, every subcommand


@pytest.mark.parametrize("argv, needle", [
    (["sweep", "--seeds", "two"], "integer"),
    (["sweep", "--bogus"], "unrecognized"),
    (["sweep", "--pixel-scale", "-1"], "positive"),
    (["sweep", "--k-real", "5,x"], "integers"),
    (["sweep", "--device", "tpu"], "invalid choice"),
    (["pack"], "--results"),
    (["pack", "--results", "x", "--bogus"], "unrecognized"),
    (["checkpoints"], "--results"),
    (["checkpoints", "--results", "x", "--seeds", "1.5"], "integer"),
    (["coefficients", "--results", "x"], "--out"),
    (["coefficients", "--results", "x", "--out", "y", "--k", "0"], "positive"),
    (["coefficients", "--results", "x", "--out", "y", "--k", "5,5"], "twice"),
    (["p2"], "--out"),
    (["p2", "--out", "x", "--plan", "huge"], "invalid choice"),
    (["report"], "--results"),
    (["report", "--results", "x", "--layers", "some"], "invalid choice"),
    (["sensitivity", "--reference", "x"], "--variant"),
    (["sensitivity", "--reference", "x", "--variant", "nodir"], "name=dir"),
    (["sensitivity", "--reference", "x", "--variant", "a=x", "--variant", "a=y"], "own name"),
])
def test_bad_flags_of_every_subcommand(capsys, argv, needle):
    assert_one_line_error(*run_cli(capsys, *argv), needle)


def test_package_warnings_are_one_line():
    import warnings as w

    from ricci_lit.cli import format_warning
    from ricci_lit.geometry.coefficients import CollapsedLayerWarning

    assert format_warning(CollapsedLayerWarning("layer 2\n  collapsed"), CollapsedLayerWarning, "x.py", 3) == \
        "warning: layer 2 collapsed\n"
    other = format_warning(UserWarning("plain"), UserWarning, "x.py", 3, "")
    assert other == w.formatwarning(UserWarning("plain"), UserWarning, "x.py", 3, "")

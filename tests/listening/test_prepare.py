"""Stimulus preparation: matched loudness, format, alignment, anchors against BS.1534 mask."""

from __future__ import annotations

import io

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from earwitness.analysis.listening import create_test
from earwitness.analysis.listening._exchange import stimulus_rows
from earwitness.analysis.listening._signal import anchor_filter, target_loudness, wav_bytes
from earwitness.analysis.metrics import integrated_loudness, true_peak
from earwitness.errors import BadInputError


@pytest.mark.parametrize("rate", [44100, 48000])
@pytest.mark.parametrize("cutoff", [3500.0, 7000.0])
def test_anchor_filter_meets_the_bs1534_mask(rate: int, cutoff: float) -> None:
    fir = anchor_filter(cutoff, rate)
    assert len(fir) % 2 == 1 and np.allclose(fir, fir[::-1])  # linear phase, whole-sample delay
    freqs, response = signal.freqz(fir, worN=1 << 16, fs=rate)
    db = 20 * np.log10(np.maximum(np.abs(response), 1e-12))
    passband = db[freqs <= cutoff]
    assert passband.max() <= 0.1 and passband.min() >= -0.1  # ripple within ±0.1 dB
    assert db[freqs >= cutoff * 8 / 7].max() <= -25.0  # 4 kHz for the 3.5 kHz anchor
    assert db[freqs >= cutoff * 9 / 7].max() <= -50.0  # 4.5 kHz


def test_target_is_minus_23_unless_a_peak_would_pass_minus_1_dbtp() -> None:
    assert target_loudness([10.0, 18.0]) == -23.0
    assert target_loudness([12.0, 24.5]) == pytest.approx(-25.5)


def test_wav_has_a_bare_44_byte_header_that_decodes() -> None:
    codes = np.array([[0, 1], [-(2**23), 2**23 - 1]], dtype=np.int32)
    data = wav_bytes(codes, 48000)
    assert len(data) == 44 + 2 * 2 * 3 and data[36:40] == b"data"
    decoded, rate = sf.read(io.BytesIO(data), dtype="int32")
    assert rate == 48000 and np.array_equal(decoded >> 8, codes)


def test_mushra_stimuli_are_matched_aligned_and_identical_in_format(audio_study) -> None:
    study, store = audio_study
    summary = create_test(store, study, "t", "mushra", reference="human", start=4.0)
    assert summary["stimuli"] == 5 and summary["songs"] == ["vibe"]
    assert summary["conditions"] == ["ai:*"]
    rows = stimulus_rows(store, "t")
    target = rows[0]["manifest"]["target_lufs"]
    sizes, formats = set(), set()
    for row in rows:
        data, rate = sf.read(study.root / row["path"], dtype="float64")
        info = sf.info(str(study.root / row["path"]))
        sizes.add(row["bytes"])
        formats.add((rate, info.channels, info.frames, info.subtype))
        assert true_peak(data) <= -1.0 + 1e-6
        if row["role"] in ("reference", "condition"):  # re-measured after quantisation
            assert abs(integrated_loudness(data, rate) - target) <= 0.1
    assert len(sizes) == 1 and len(formats) == 1 and formats.pop()[3] == "PCM_24"
    landr = next(r for r in rows if r["version"] == "ai:landr")["manifest"]
    assert landr["lag_samples"] == pytest.approx(441, abs=1)  # the 10 ms delay found
    assert landr["excerpt_start_s"] - landr["reference_start_s"] == pytest.approx(0.01, abs=1e-4)
    for key in ("source_sha256", "gain_db", "loudness_after_lufs", "true_peak_after_dbtp"):
        assert key in landr


def test_anchor_stimulus_has_no_energy_above_its_stop_band(audio_study) -> None:
    study, store = audio_study
    create_test(store, study, "t", "mushra", reference="human", start=4.0)
    rows = {r["role"]: r for r in stimulus_rows(store, "t")}
    data, rate = sf.read(study.root / rows["anchor35"]["path"], dtype="float64")
    ref, _ = sf.read(study.root / rows["reference"]["path"], dtype="float64")
    f, p_anchor = signal.welch(data[:, 0], rate, nperseg=4096)
    _, p_ref = signal.welch(ref[:, 0], rate, nperseg=4096)
    band = (f > 4500) & (f < 15000)
    assert 10 * np.log10(p_anchor[band].sum() / p_ref[band].sum()) < -45


def test_bad_requests_are_refused_with_one_line(audio_study) -> None:
    study, store = audio_study
    with pytest.raises(BadInputError, match="unknown design"):
        create_test(store, study, "t", "mos")
    with pytest.raises(BadInputError, match="outside the reference"):
        create_test(store, study, "t", "mushra", start=24.0)
    with pytest.raises(BadInputError, match="no song"):
        create_test(store, study, "t", "mushra", conditions=["ai:nothing"])
    create_test(store, study, "t", "ab", reference="human", start=1.0)
    with pytest.raises(BadInputError, match="exists already"):
        create_test(store, study, "t", "ab")


def test_automatic_excerpt_is_the_loudest_one_every_aligned_version_covers(tmp_path) -> None:
    from earwitness.analysis.metrics._study import add_file, parse_version
    from earwitness.study import init_study

    rate = 44100
    rng = np.random.default_rng(1)
    x = 0.05 * rng.standard_normal((8 * rate, 2))  # synthetic noise, loudest at the very end
    x[-2 * rate :] *= 6
    late = np.concatenate([np.zeros((300, 2)), x])[: len(x)]  # 300 samples late, truncated
    sf.write(tmp_path / "ref.wav", x, rate)
    sf.write(tmp_path / "late.wav", late, rate)
    study = init_study(tmp_path / "study")
    with study.open_store() as store:
        add_file(store, study, "noise", parse_version("human"), tmp_path / "ref.wav")
        add_file(store, study, "noise", parse_version("ai:late"), tmp_path / "late.wav")
        create_test(store, study, "auto", "ab", reference="human", excerpt_s=3.0)
        rows = stimulus_rows(store, "auto")
    late_manifest = next(r for r in rows if r["version"] == "ai:late")["manifest"]
    assert late_manifest["lag_applied"] == 300
    assert late_manifest["excerpt_end_s"] <= 8.0 + 1e-9
    assert late_manifest["reference_start_s"] == pytest.approx(5.0 - 300 / rate, abs=0.11)

"""The measures mastering studies report, each against an independent computation.

Signals are a real recording (shared audio) and simulated ones; the references are
computed here from the definitions (full 4x interpolation with numpy, the DR meter's
block rule, scipy K-filtering) or are published properties (a sine's DR is 0 dB; pink
noise falls 3.01 dB per octave), or ffmpeg's ebur128 (dual mono).
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from earwitness.analysis.metrics import k_weighting_coefficients, measure_file
from earwitness.analysis.metrics._truepeak import TRUE_PEAK_PHASES
from tests.analysis.ffmpeg import ebur128_summary

RECORDING = "Kevin_MacLeod_-_Vibe_Ace.ogg"


def _oversampled(x: np.ndarray) -> np.ndarray:
    """|y_p[o]| for every phase and output of BS.1770-4 Annex 2, by plain convolution."""
    return np.abs(np.stack([np.convolve(x, h) for h in TRUE_PEAK_PHASES]))


@pytest.fixture(scope="module")
def loud_master(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """20 s of a real recording driven into clipping, then normalised to -0.1 dBFS
    (simulated loudness-war master, float WAV so the clipped runs stay equal)."""
    x, rate = sf.read(shared_dir / "audio" / RECORDING, dtype="float64", always_2d=True)
    x = np.clip(4.0 * x[: 20 * rate] / np.abs(x[: 20 * rate]).max(), -1.0, 1.0)
    x *= 10 ** (-0.1 / 20)
    path = tmp_path_factory.mktemp("loud") / "loud.wav"
    sf.write(path, x.astype(np.float32), rate, subtype="FLOAT")
    return path


def test_clipped_then_normalised_is_found_as_runs(loud_master: Path) -> None:
    report = measure_file(loud_master)
    assert report["clipped_samples"] == 0  # nothing reaches full scale any more
    x, _ = sf.read(loud_master, dtype="float32", always_2d=True)
    runs = samples = 0
    for channel in x.T:  # independent: a plain loop over the samples
        length = 1
        for i in range(1, len(channel) + 1):
            if i < len(channel) and channel[i] == channel[i - 1] and abs(channel[i]) >= 0.891:
                length += 1
                continue
            if length >= 3 and abs(channel[i - 1]) >= 10 ** (-1 / 20):
                runs, samples = runs + 1, samples + length
            length = 1
    assert runs > 100
    assert (report["clip_runs"], report["clip_run_samples"]) == (runs, samples)
    streamed = measure_file(loud_master, block_frames=10007)
    assert (streamed["clip_runs"], streamed["clip_run_samples"]) == (runs, samples)


def test_true_peak_per_channel_and_overs_per_minute(loud_master: Path) -> None:
    report = measure_file(loud_master)
    x, rate = sf.read(loud_master, dtype="float32", always_2d=True)
    peaks = [_oversampled(channel.astype(np.float64)) for channel in x.T]
    expected = [20 * math.log10(float(p.max())) for p in peaks]
    assert report["true_peak_channels_dbtp"] == pytest.approx(expected, abs=1e-4)
    assert max(report["true_peak_channels_dbtp"]) == pytest.approx(report["true_peak_dbtp"])
    overs = sum(int((p > 1.0).sum()) for p in peaks)
    assert overs > 0
    assert report["intersample_overs_per_minute"] == pytest.approx(overs / (len(x) / rate / 60))


def _dr_reference(x: np.ndarray, rate: int) -> float:
    """The DR meter's rule, written out: 3 s blocks, RMS*sqrt(2), loudest 20 %, 2nd peak."""
    size = 3 * rate
    values = []
    for channel in x.T:
        blocks = [channel[i : i + size] for i in range(0, len(channel) - size + 1, size)]
        rms = sorted((math.sqrt(2 * float(np.mean(b.astype(np.float64) ** 2))) for b in blocks),
                     reverse=True)  # fmt: skip
        top = rms[: max(1, round(0.2 * len(rms)))]
        peaks = sorted((float(np.abs(b).max()) for b in blocks), reverse=True)
        values.append(20 * math.log10(peaks[1] / math.sqrt(sum(r * r for r in top) / len(top))))
    return sum(values) / len(values)


def test_dr_of_a_sine_is_zero_and_of_music_follows_the_meter_rule(
    tmp_path: Path, loud_master: Path, shared_dir: Path
) -> None:
    rate = 44100
    sine = 0.5 * np.sin(2 * np.pi * 997 * np.arange(rate * 12) / rate)
    sf.write(tmp_path / "sine.wav", np.stack([sine, sine], 1), rate, subtype="FLOAT")
    report = measure_file(tmp_path / "sine.wav")
    assert report["dr"] == 0 and abs(report["dr_db"]) < 0.01
    original = shared_dir / "audio" / RECORDING
    x, rate = sf.read(original, dtype="float32", always_2d=True)
    natural = measure_file(original)
    assert natural["dr_db"] == pytest.approx(_dr_reference(x, rate), abs=1e-6)
    crushed = measure_file(loud_master)
    assert crushed["dr_db"] < natural["dr_db"] - 3  # the loudness-war master has less DR


def test_spectral_tilt_of_white_and_pink_noise(tmp_path: Path) -> None:
    rate, rng = 48000, np.random.default_rng(11)
    white = rng.standard_normal(rate * 20)
    spectrum = np.fft.rfft(white)
    frequencies = np.fft.rfftfreq(len(white), 1 / rate)
    spectrum[1:] /= np.sqrt(frequencies[1:])
    spectrum[0] = 0
    pink = np.fft.irfft(spectrum, len(white))
    for name, x, expected in (("white", white, 0.0), ("pink", pink, -10 * math.log10(2))):
        sf.write(tmp_path / f"{name}.wav", 0.1 * x / np.abs(x).max(), rate, subtype="FLOAT")
        tilt = measure_file(tmp_path / f"{name}.wav")["spectral_tilt_db_per_octave"]
        assert tilt == pytest.approx(expected, abs=0.1), name


def test_loudness_series_and_psr_distribution(shared_dir: Path) -> None:
    from scipy import signal

    path = shared_dir / "audio" / RECORDING
    report = measure_file(path, series=True, psr_distribution=True)
    series = report["loudness_series"]
    x, rate = sf.read(path, dtype="float64", always_2d=True)
    b, a = k_weighting_coefficients(rate)
    filtered = signal.sosfilt(np.hstack([b, a]), x, axis=0)
    for k in (10, 137, 420):  # window k: 400 ms ending at 0.4 + 0.1 k s
        end = round((series["momentary_first_end_s"] + k * series["hop_s"]) * rate)
        window = filtered[end - round(0.4 * rate) : end]
        expected = -0.691 + 10 * math.log10(float((window**2).mean(axis=0).sum()))
        assert series["momentary_lufs"][k] == pytest.approx(expected, abs=1e-6)
    short_term = np.array([np.nan if v is None else v for v in series["short_term_lufs"]])
    # PSR per 3 s window every second: full oversampling, window by window
    peaks = np.max([_oversampled(c) for c in x.astype(np.float32).T.astype(np.float64)], axis=0)
    peak_per_sample = peaks.max(axis=0)[5 : 5 + len(x)]  # output o + 5 sits at sample o
    values = []
    for k in range(0, len(short_term), 10):
        start = round(k * 0.1 * rate)
        top = float(peak_per_sample[max(start - 1, 0) : start + 3 * rate].max())
        if short_term[k] > -70:
            values.append(20 * math.log10(top) - short_term[k])
    reference = np.percentile(values, [10, 50, 90])
    found = report["psr_distribution_db"]
    assert found["windows"] == len(values)
    assert [found["p10"], found["median"], found["p90"]] == pytest.approx(reference, abs=0.05)
    assert report["psr_min_db"] <= found["p10"]


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_dual_mono_matches_ffmpeg(tmp_path: Path, shared_dir: Path) -> None:
    x, rate = sf.read(shared_dir / "audio" / RECORDING, dtype="float32", always_2d=True)
    path = tmp_path / "mono.wav"
    sf.write(path, x[: rate * 15, 0], rate, subtype="PCM_24")
    plain, dual = measure_file(path), measure_file(path, dual_mono=True)
    assert dual["dual_mono"] is True
    assert dual["integrated_lufs"] - plain["integrated_lufs"] == pytest.approx(3.0103, abs=0.02)
    import subprocess

    completed = subprocess.run(
        ["ffmpeg", "-nostats", "-hide_banner", "-i", str(path), "-af",
         "ebur128=dualmono=true", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    summary = completed.stderr.rsplit("Summary:", 1)[-1]
    ffmpeg_lufs = float(summary.split("I:")[1].split("LUFS")[0])
    assert dual["integrated_lufs"] == pytest.approx(ffmpeg_lufs, abs=0.1)
    assert abs(plain["integrated_lufs"] - ebur128_summary(path)["integrated_lufs"]) < 0.1

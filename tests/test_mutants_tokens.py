"""Tests written from surviving mutants of ``ttm_core/tokens.py`` (tools/mutation.py, group tokens).

Expected values are Wan's own frame arithmetic: its VAE keeps frame 0 alone and folds every
following 4 pixel frames into one latent frame, so 81 frames are 21 latent frames.
"""

from __future__ import annotations

import pytest

from ttm_core.tokens import latent_frame_count


@pytest.mark.parametrize("frames, latent", [(1, 1), (5, 2), (49, 13), (81, 21), (121, 31)])
def test_latent_frame_count_defaults_to_wans_temporal_factor_of_four(frames, latent):
    assert latent_frame_count(frames) == latent


def test_latent_frame_count_with_another_factor():
    # a VAE folding 8 frames (hand count: 1 + 16 frames -> 1 + 2 latent frames)
    assert latent_frame_count(17, temporal_factor=8) == 3

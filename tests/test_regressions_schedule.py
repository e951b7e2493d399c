"""Where and when masked attention acts: the block set, the step window, and install/restore.

Expected values are hand-computed: ``ceil(fraction * count)`` blocks from the first and steps
from the noisiest, explicit block lists as given; processors installed on exactly those blocks
and the stock ones back afterwards, also after an exception.
"""

from __future__ import annotations

import pytest
import torch

from ttm_core.attention import (
    GuidanceConfig,
    GuidanceState,
    MaskedCrossAttnProcessor,
    MaskedSelfAttnProcessor,
    masked_attention,
)
from ttm_core.errors import TTMInputError
from ttm_core.testing import tiny_wan_pipeline


@pytest.mark.parametrize(
    "fraction, count, expected",
    [(0.25, 8, {0, 1}), (0.3, 10, {0, 1, 2}), (0.26, 10, {0, 1, 2}), (1.0, 5, {0, 1, 2, 3, 4}), (0.0, 5, set()),
     (0.01, 40, {0})],
)
def test_block_fraction_takes_the_first_ceil_fraction_of_blocks(fraction, count, expected):
    assert set(GuidanceConfig(block_fraction=fraction).block_indices(count)) == expected


def test_explicit_blocks_are_used_as_given_and_checked():
    assert set(GuidanceConfig(blocks=(3, 1)).block_indices(5)) == {1, 3}
    with pytest.raises(TTMInputError, match="blocks"):
        GuidanceConfig(blocks=(5,)).block_indices(5)
    with pytest.raises(TTMInputError, match="beta_self"):
        GuidanceConfig(beta_self=1.5)


@pytest.mark.parametrize("fraction, steps, expected", [(0.4, 30, 12), (0.41, 30, 13), (1.0, 7, 7), (0.0, 7, 0),
                                                       (0.1, 4, 1)])
def test_step_fraction_takes_the_first_ceil_fraction_of_steps(fraction, steps, expected):
    active = GuidanceConfig(step_fraction=fraction).active_steps(steps)
    assert active == expected
    state = GuidanceState(num_steps=steps, active_steps=active)
    window = []
    for step in range(steps):
        state.step = step
        window.append(state.step_active())
    assert window == [True] * expected + [False] * (steps - expected)
    state.enabled, state.step = False, 0
    assert not state.step_active()


@pytest.mark.parametrize(
    "kwargs, enabled",
    [({}, True), ({"beta_self": 0.0, "beta_cross": 0.0}, False), ({"beta_self": 0.0}, True),
     ({"step_fraction": 0.0}, False), ({"block_fraction": 0.0}, False), ({"block_fraction": 0.0, "blocks": (1,)}, True)],
)
def test_guidance_is_enabled_only_when_it_can_act(kwargs, enabled):
    assert GuidanceConfig(**kwargs).enabled is enabled


@pytest.fixture(scope="module")
def transformer():
    return tiny_wan_pipeline("wan21_i2v", layers=4).transformer


def _processors(transformer):
    return [(b.attn1.processor, b.attn2.processor) for b in transformer.blocks]


def test_processors_go_on_the_selected_blocks_and_come_back(transformer):
    stock = _processors(transformer)
    labels = torch.tensor([0, 1, 1, 2])
    local = {2: torch.randn(1, 3, transformer.config.text_dim)}
    config = GuidanceConfig(beta_self=0.5, beta_cross=0.7, block_fraction=0.5)
    state = GuidanceState(num_steps=4, active_steps=2)
    with masked_attention([transformer, None], labels, config, state, local) as installed:
        now = _processors(transformer)
        for i, (a1, a2) in enumerate(now):
            if i < 2:
                assert isinstance(a1, MaskedSelfAttnProcessor) and a1.base is stock[i][0] and a1.beta == 0.5
                assert isinstance(a2, MaskedCrossAttnProcessor) and a2.base is stock[i][1] and a2.beta == 0.7
                assert [c.label for c in a2.locals] == [2]
                expected = transformer.condition_embedder.text_embedder(local[2])
                assert torch.allclose(a2.locals[0].embeds, expected)
            else:
                assert (a1, a2) == stock[i]
        assert len(installed) == 4
    assert _processors(transformer) == stock


def test_without_local_prompts_cross_attention_stays_stock_and_errors_restore(transformer):
    stock = _processors(transformer)
    config = GuidanceConfig(beta_self=1.0, beta_cross=0.7, blocks=(3,))
    state = GuidanceState(num_steps=1, active_steps=1)
    with pytest.raises(RuntimeError, match="boom"):
        with masked_attention([transformer], torch.tensor([0, 1]), config, state, {}):
            a1, a2 = _processors(transformer)[3]
            assert isinstance(a1, MaskedSelfAttnProcessor) and a2 is stock[3][1]
            raise RuntimeError("boom")
    assert _processors(transformer) == stock
    with masked_attention([transformer], torch.tensor([0, 1]), GuidanceConfig(beta_self=0.0, blocks=(0,)), state,
                          {1: torch.randn(1, 2, transformer.config.text_dim)}) as installed:
        assert [type(p) for p in installed] == [MaskedCrossAttnProcessor]
    assert _processors(transformer) == stock

"""Attention bookkeeping the mutation run found unguarded, each against an independent expectation.

* the two-call path (a caller's own attention function, or no LSE kernel): a float64 dense-mask
  reference, and the exact list of attention calls it must make (one full call, then one per
  object; none of the full call when beta = 1; only the full call when beta = 0 or one group);
* the latent-size check of the native path: the frame count and pixel size in its message are
  computed by hand, and each condition is tried alone;
* ``strip_padding`` where the number of non-zero channels differs from the prompt's length;
* which LSE kernels are tried per device and dtype (a pure table, checkable without a GPU).
"""

from __future__ import annotations

import pytest
import torch

from ttm_core.attention import TokenGroups, strip_padding
from ttm_core.attention import one_pass
from ttm_core.attention.grid import latent_token_labels
from ttm_core.attention.grouped import blend_grouped_attention, sdpa_attention
from ttm_core.attention.one_pass import blended_self_attention
from ttm_core.attention.schedule import as_block_set
from ttm_core.errors import TTMInputError
from test_attention_one_pass import _dense  # float64 dense-mask reference attention


def _qkv(n: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(2, n, 2, 8, generator=g) for _ in range(3)]


LABELS = {
    "three objects": torch.tensor([0, 1, 1, 2, 0, 3, 3, 1, 0, 2]),
    "one group": torch.full((10,), 2),
}


def _recording(upcast: bool = False):
    """A caller's attention function that records the query count of every call."""
    calls: list[int] = []

    def attention(q, k, v):
        calls.append(q.shape[1])
        out = sdpa_attention(q, k, v)
        return out.double() if upcast else out  # a backend that answers in another dtype

    return attention, calls


@pytest.mark.parametrize("kind", list(LABELS))
@pytest.mark.parametrize("beta", [0.0, 0.25, 1.0])
def test_two_call_path_equals_dense_reference_with_the_expected_calls(kind, beta):
    labels = LABELS[kind]
    q, k, v = _qkv(labels.numel())
    groups = TokenGroups.from_labels(labels)
    attention, calls = _recording(upcast=True)
    out = blended_self_attention(q, k, v, groups, beta, attention)
    same = _dense(q, k, v, labels[:, None] == labels[None, :])
    expected = (1 - beta) * _dense(q, k, v) + beta * same
    assert (out.double() - expected).abs().max() < 1e-5
    assert out.dtype == q.dtype  # the caller's dtype, whatever the backend answered in
    sizes = [int((labels == lab).sum()) for lab in sorted(set(labels.tolist()))]
    if beta == 0.0 or len(sizes) == 1:
        want = [labels.numel()]  # full attention only: it *is* the same-object attention here
    elif beta == 1.0:
        want = sizes  # same-object only: the full call would be thrown away
    else:
        want = [labels.numel()] + sizes
    assert calls == want


def test_without_an_lse_kernel_the_default_path_is_the_two_call_path(monkeypatch):
    monkeypatch.setattr(one_pass, "_candidates", lambda device, dtype: [])
    monkeypatch.setattr(one_pass, "_KERNELS", {})
    labels = LABELS["three objects"]
    q, k, v = _qkv(labels.numel(), seed=3)
    out = blended_self_attention(q, k, v, TokenGroups.from_labels(labels), 1.0)
    assert (out.double() - _dense(q, k, v, labels[:, None] == labels[None, :])).abs().max() < 1e-5


def _video(frames: int, height: int, width: int) -> torch.Tensor:
    labels = torch.zeros(frames, height, width, dtype=torch.uint8)
    labels[:, : height // 2, width // 2 :] = 1
    return labels


def test_latent_size_message_states_the_latents_video_size_computed_by_hand():
    # latent [1, 16, 4, 4, 8] with the 8x spatial / 4x temporal VAE: (4 - 1) * 4 + 1 = 13 frames
    # of 8 * 8 = 64 by 4 * 8 = 32 pixels
    with pytest.raises(TTMInputError) as err:
        latent_token_labels(_video(9, 32, 64), (1, 16, 4, 4, 8), spatial_stride=8)
    text = str(err.value)
    assert "a 64x32 px video with 13 frames" in text and "build the trajectory at 64x32 with 13 frames" in text


@pytest.mark.parametrize("frames", [10, 11, 12])
def test_a_frame_count_between_latent_frames_is_refused(frames):
    # (frames - 1) // 4 + 1 == 3 latent frames, but only 9 frames map onto 3 latent frames exactly
    with pytest.raises(TTMInputError, match="with 9 frames"):
        latent_token_labels(_video(frames, 32, 64), (1, 16, 3, 4, 8), spatial_stride=8)


def test_the_temporal_stride_given_is_the_one_checked():
    # stride 2: 5 frames -> (5 - 1) / 2 + 1 = 3 latent frames (with stride 4 it would be 2)
    out = latent_token_labels(_video(5, 32, 64), (1, 16, 3, 4, 8), spatial_stride=8, temporal_stride=2)
    assert out.numel() == 3 * 2 * 4
    with pytest.raises(TTMInputError):
        latent_token_labels(_video(5, 32, 64), (1, 16, 2, 4, 8), spatial_stride=8, temporal_stride=2)


@pytest.mark.parametrize("latent_hw,patch", [((3, 8), (1, 2, 2)), ((4, 7), (1, 2, 2)), ((4, 8), (2, 2, 2))])
def test_each_patch_condition_alone_is_refused(latent_hw, patch):
    h, w = latent_hw
    with pytest.raises(TTMInputError, match="patch size"):
        latent_token_labels(_video(9, h * 8, w * 8), (1, 16, 3, h, w), spatial_stride=8, patch=patch)


def test_strip_padding_keeps_every_row_up_to_the_last_non_zero_one():
    # 4 prompt rows with a value in channel 0 only, then 2 padding rows: 4 rows stay, whatever
    # the number of channels that are non-zero
    x = torch.zeros(1, 6, 5)
    x[0, :4, 0] = torch.tensor([1.0, -2.0, 3.0, 0.5])
    assert torch.equal(strip_padding(x), x[:, :4])
    two = torch.zeros(2, 6, 5)
    two[1, 4, 3] = 1.0  # a later row used by the second batch row only
    assert strip_padding(two).shape == (2, 5, 5)


def test_lse_kernels_tried_per_device_and_dtype():
    cpu = one_pass._candidates(torch.device("cpu"), torch.float32)
    assert [fn for _, fn in cpu] == [one_pass._cpu_flash]
    half = one_pass._candidates(torch.device("cuda"), torch.bfloat16)
    assert [fn for _, fn in half] == [one_pass._cuda_flash, one_pass._cuda_efficient]
    assert [fn for _, fn in one_pass._candidates(torch.device("cuda"), torch.float16)] == [
        one_pass._cuda_flash, one_pass._cuda_efficient]
    assert [fn for _, fn in one_pass._candidates(torch.device("cuda"), torch.float32)] == [one_pass._cuda_efficient]
    assert one_pass._candidates(torch.device("meta"), torch.float32) == []


def test_block_lists_become_tuples_of_ints():
    assert as_block_set(None) is None
    assert as_block_set([3.0, 1]) == (3, 1) and all(type(b) is int for b in as_block_set([3.0, 1]))
    assert as_block_set(()) == ()


def _reference_with_lse(q, k, v):
    """out and log-sum-exp of plain attention on [B, H, S, D], computed densely."""
    scores = q.double() @ k.double().transpose(-1, -2) / q.shape[-1] ** 0.5
    return (torch.softmax(scores, -1) @ v.double()).to(q.dtype), torch.logsumexp(scores, -1).float()


def test_cuda_kernel_wrappers_pass_the_kernels_arguments_and_trim_the_lse(monkeypatch):
    """The CUDA wrappers on a stand-in for each aten kernel (no GPU here): the same arguments the
    kernels take (no dropout, not causal, LSE wanted) and the efficient kernel's LSE padded to a
    multiple of 32 cut back to the query length."""
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(1, 2, 40, 8, generator=g) for _ in range(3))
    seen = {}

    def flash(q_, k_, v_, dropout, causal, debug):
        seen["flash"] = (dropout, causal, debug)
        out, lse = _reference_with_lse(q_, k_, v_)
        return out, lse, None, None, 40, 40, None, None, None

    def efficient(q_, k_, v_, bias, want_lse):
        seen["efficient"] = (bias, want_lse)
        out, lse = _reference_with_lse(q_, k_, v_)
        padded = torch.full(lse.shape[:-1] + (64,), float("nan"))
        padded[..., :40] = lse
        return out, padded, None, None

    monkeypatch.setattr(torch.ops.aten, "_scaled_dot_product_flash_attention", flash)
    monkeypatch.setattr(torch.ops.aten, "_scaled_dot_product_efficient_attention", efficient)
    want_out, want_lse = _reference_with_lse(q, k, v)
    for fn, name, args in ((one_pass._cuda_flash, "flash", (0.0, False, False)),
                           (one_pass._cuda_efficient, "efficient", (None, True))):
        out, lse = fn(q, k, v)
        assert seen[name] == args
        assert torch.equal(out, want_out) and torch.equal(lse, want_lse)


def test_grouped_blend_needs_the_full_output_below_beta_one():
    labels = LABELS["three objects"]
    q, k, v = _qkv(labels.numel())
    with pytest.raises(ValueError, match="full attention output is needed when beta < 1"):
        blend_grouped_attention(q, k, v, TokenGroups.from_labels(labels), None, 0.5)


def test_grouped_blend_of_one_group_returns_the_full_output_without_another_call():
    labels = LABELS["one group"]
    q, k, v = _qkv(labels.numel())
    full = sdpa_attention(q, k, v)
    attention, calls = _recording()
    out = blend_grouped_attention(q, k, v, TokenGroups.from_labels(labels), full, 0.5, attention)
    assert out is full and calls == []


def test_grouped_blend_at_beta_one_overwrites_every_token_of_a_given_full_output():
    # beta = 1 is same-object attention only: what the full buffer held must not leak in
    labels = LABELS["three objects"]
    q, k, v = _qkv(labels.numel(), seed=5)
    full = torch.full_like(q, float("nan"))
    out = blend_grouped_attention(q, k, v, TokenGroups.from_labels(labels), full, 1.0)
    assert (out.double() - _dense(q, k, v, labels[:, None] == labels[None, :])).abs().max() < 1e-5


def test_local_prompts_are_projected_by_the_transformer_in_its_own_dtype():
    """A float32 text-encoder output for a float64 (or bf16) transformer: projected in the
    transformer's dtype by its own text embedding, each label kept with its prompt."""
    from ttm_core.attention.install import masked_attention
    from ttm_core.attention.schedule import GuidanceConfig, GuidanceState
    from ttm_core.testing import tiny_wan_pipeline

    transformer = tiny_wan_pipeline("wan22_ti2v_5b").transformer.double()
    g = torch.Generator().manual_seed(0)
    embeds = {2: torch.randn(1, 3, transformer.config.text_dim, generator=g),
              1: torch.randn(1, 4, transformer.config.text_dim, generator=g)}
    config = GuidanceConfig(beta_self=0.0, beta_cross=0.7, block_fraction=1.0)
    with masked_attention([transformer], LABELS["three objects"], config, GuidanceState(4, 2), embeds) as procs:
        assert procs and all(p.locals is procs[0].locals for p in procs)
        contexts = procs[0].locals
    embedder = transformer.condition_embedder.text_embedder
    assert [c.label for c in contexts] == [1, 2]
    for c in contexts:
        assert c.embeds.dtype == torch.float64
        assert torch.equal(c.embeds, embedder(embeds[c.label].double()))


class _RecordingBase:
    """A stand-in for the stock processor: records exactly what it is handed."""

    def __init__(self):
        self.calls = []

    def __call__(self, *args, **kw):
        self.calls.append((args, kw))
        return "stock"


def _processors(base, state, beta=1.0):
    from ttm_core.attention import LocalContext, MaskedCrossAttnProcessor, MaskedSelfAttnProcessor

    groups = TokenGroups.from_labels(LABELS["three objects"])
    locals_ = [LocalContext(1, torch.ones(1, 2, 4))]
    return (MaskedSelfAttnProcessor(base, groups, beta, state),
            MaskedCrossAttnProcessor(base, groups, locals_, beta, state))


def test_inactive_processors_hand_the_stock_processor_every_argument_unchanged():
    from ttm_core.attention.schedule import GuidanceState

    args = ("attn", "hidden", "context", "mask", "rotary")
    for state, beta, given in (
        (GuidanceState(4, 2, step=2), 1.0, args),  # outside the step window
        (GuidanceState(4, 2, step=0), 0.0, args),  # blend weight 0
        (GuidanceState(4, 2, step=0), 1.0, args),  # an attention mask: only stock knows it
        (GuidanceState(4, 2, step=0, conditional=False), 1.0, args[:3] + (None, None)),  # cross: uncond
    ):
        base = _RecordingBase()
        procs = _processors(base, state, beta)
        if not state.conditional:
            procs = procs[1:]  # self-attention acts on the unconditional pass too (self_on_uncond)
        for proc in procs:
            assert proc(*given, extra=3) == "stock"
        assert base.calls == [(given, {"extra": 3})] * len(procs)
        assert state.calls == {"self": 0, "cross": 0}


def test_cross_attention_without_a_context_is_stock():
    from ttm_core.attention.schedule import GuidanceState

    base = _RecordingBase()
    cross = _processors(base, GuidanceState(4, 2, step=0))[1]
    assert cross("attn", "hidden", None, None, None) == "stock"
    assert base.calls == [(("attn", "hidden", None, None, None), {})]


def test_active_calls_are_counted_once_each(wan21_block):
    from ttm_core.attention.schedule import GuidanceState

    attn1, attn2, rotary, n = wan21_block
    state = GuidanceState(4, 2, step=0)
    self_proc, cross_proc = _processors(attn1.processor, state, 0.5)
    cross_proc.base = attn2.processor
    hidden = torch.randn(1, n, 24, dtype=torch.float64)
    context = torch.randn(1, 17 + 512, 24, dtype=torch.float64)
    cross_proc.locals[0].embeds = torch.randn(1, 2, 24, dtype=torch.float64)
    for _ in range(2):
        self_proc(attn1, hidden, None, None, rotary)
        cross_proc(attn2, hidden, context, None, None)
    assert state.calls == {"self": 2, "cross": 2}


@pytest.fixture(scope="module")
def wan21_block():
    from ttm_core.testing import tiny_wan_pipeline

    t = tiny_wan_pipeline("wan21_i2v").transformer.double()
    n = LABELS["three objects"].numel()  # 10 tokens: 1 frame of 2 x 5
    rotary = t.rope(torch.zeros(1, 1, 1, 4, 10, dtype=torch.float64))
    return t.blocks[0].attn1, t.blocks[0].attn2, rotary, n


def test_token_groups_move_to_another_device_with_their_labels():
    groups = TokenGroups.from_labels(LABELS["three objects"])
    moved = groups.to(torch.device("meta"))  # a device that needs no GPU
    assert moved is not groups and list(moved.labels) == list(groups.labels) == [0, 1, 2, 3]
    assert moved.num_tokens == 10 and all(i.device.type == "meta" for i in moved.index)
    assert [tuple(i.shape) for i in moved.index] == [tuple(i.shape) for i in groups.index]
    assert groups.to(torch.device("cpu")) is groups


def test_sdpa_bshd_hands_diffusers_the_backend_asked_for(monkeypatch):
    import diffusers.models.attention_dispatch as dispatch

    seen = []
    monkeypatch.setattr(dispatch, "dispatch_attention_fn", lambda q, k, v, **kw: seen.append(kw) or q)
    q, k, v = _qkv(4)
    from ttm_core.attention.grouped import sdpa_bshd

    sdpa_bshd(q, k, v, backend="flash")
    assert seen[0]["backend"] == "flash" and seen[0]["dropout_p"] == 0.0 and seen[0]["is_causal"] is False


def _local_blend_case(rows):
    from ttm_core.attention import LocalContext, blend_local_prompts

    labels = torch.tensor([0, 1, 1, 2, 0, 1])
    g = torch.Generator().manual_seed(4)
    q = torch.randn(2, 6, 2, 4, generator=g)
    kl, vl = torch.randn(1, 3, 2, 4, generator=g), torch.randn(1, 3, 2, 4, generator=g)
    out = torch.randn(2, 6, 2, 4, generator=g)
    before = out.clone()
    attention, calls = _recording()
    blend_local_prompts(q, out, TokenGroups.from_labels(labels), [LocalContext(1, torch.zeros(1, 3, 1))], 0.5,
                        attention, lambda ctx: (kl.expand(ctx.shape[0], -1, -1, -1), vl.expand(ctx.shape[0], -1, -1, -1)),
                        rows=rows)
    return q, kl, vl, before, out, calls


def test_local_prompts_blend_into_a_single_positive_row():
    q, kl, vl, before, out, calls = _local_blend_case(torch.tensor([1]))
    local = _dense(q[1:], kl, vl)[0]  # row 1 against the local prompt's keys, by hand
    expected = before.clone()
    for t in (1, 2, 5):
        expected[1, t] = 0.5 * before[1, t] + 0.5 * local[t]
    assert (out - expected).abs().max() < 1e-6 and torch.equal(out[0], before[0])
    assert calls == [3]


def test_local_prompts_with_no_positive_rows_change_nothing_and_call_nothing():
    _, _, _, before, out, calls = _local_blend_case(torch.tensor([], dtype=torch.long))
    assert torch.equal(out, before) and calls == []


def test_a_cross_attention_token_mismatch_says_which_attention():
    from ttm_core.attention import LocalContext, blend_local_prompts

    q = torch.zeros(1, 5, 2, 4)
    with pytest.raises(RuntimeError, match="masked cross-attention got 5 tokens"):
        blend_local_prompts(q, q.clone(), TokenGroups.from_labels(LABELS["three objects"]),
                            [LocalContext(1, torch.zeros(1, 3, 1))], 0.5, sdpa_attention, None)


def test_a_named_diffusers_backend_is_kept_for_our_extra_calls():
    assert one_pass.one_pass_or_backend("native") is None  # plain SDPA: the one-pass path
    fn = one_pass.one_pass_or_backend("flash")
    assert fn is not None and fn.keywords == {"backend": "flash"}


def test_cross_attention_casts_local_prompts_to_the_layers_dtype(wan21_block):
    from ttm_core.attention import LocalContext, MaskedCrossAttnProcessor
    from ttm_core.attention.schedule import GuidanceState

    _, attn2, _, n = wan21_block
    g = torch.Generator().manual_seed(2)
    hidden = torch.randn(1, n, 24, generator=g, dtype=torch.float64)
    context = torch.randn(1, 17 + 512, 24, generator=g, dtype=torch.float64)
    local = torch.randn(1, 3, 24, generator=g, dtype=torch.float64)
    groups = TokenGroups.from_labels(LABELS["three objects"])
    outs = [MaskedCrossAttnProcessor(attn2.processor, groups, [LocalContext(1, emb)], 0.7, GuidanceState(4, 2))(
        attn2, hidden, context, None, None) for emb in (local, local.float())]
    assert torch.allclose(outs[0], outs[1], atol=1e-6)  # a float32 local prompt on a float64 layer

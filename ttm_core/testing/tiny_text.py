"""A tiny UMT5 text encoder and an offline word-level tokenizer (no hub, no sentencepiece file).

The tokenizer behaves like Wan's (pads to ``max_length``, appends ``</s>``, returns an attention
mask), so the pipelines' own prompt encoding runs unchanged on it.
"""

from __future__ import annotations

import torch

_WORDS = """
a an the and or but while then after before with without of in on at to from into onto over under
behind front left right up down towards toward away across around through along forward backward
back slowly quickly fast slow gently suddenly together apart near far top bottom side middle center
centre is are was be being it its they them their he she his her this that these those one two three
dog cat bird horse car ball person man woman child boy girl kid robot fish boat plane train bike
bicycle tree flower rock house cup bottle apple box chair table lamp cloud sun moon star wave
runs run running walks walk walking jumps jump jumping flies fly flying swims swim swimming rolls
roll rolling moves move moving spins spin spinning turns turn turning rotates rotate rotating
grows grow growing shrinks shrink shrinking falls fall falling rises rise rising drives drive
driving slides slide sliding bounces bounce bouncing waves waving sits sit sitting stands stand
standing stays stay still static shakes shake leaves leave enters enter approaches approach
chases chase follows follow passes pass crosses cross climbs climb dances dance floats float
red green blue yellow white black brown orange purple pink gray grey golden silver dark bright
big small large tiny little tall short long wooden metal glass shiny fluffy furry happy sad
street road park beach field forest room kitchen sky water grass sand snow city garden table floor
camera scene background foreground video image frame light shadow day night sunny cloudy rainy
high quality detailed realistic cinematic smooth motion static blurry low worst ugly deformed
""".split()

SPECIAL_TOKENS = ["<pad>", "</s>", "<unk>"]


def build_tokenizer(extra_words: list[str] | None = None):
    """Word-level fast tokenizer: lower-cased words, punctuation split off, unknown words -> <unk>."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    words = list(dict.fromkeys(SPECIAL_TOKENS + _WORDS + list(extra_words or [])))
    vocab = {w: i for i, w in enumerate(words)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", vocab["</s>"])])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", model_max_length=512
    )


def build_umt5(vocab_size: int, d_model: int = 32, seed: int = 0):
    """Random UMT5 encoder in eval mode (dropout off, so outputs are deterministic)."""
    from transformers import UMT5Config, UMT5EncoderModel

    torch.manual_seed(seed)
    cfg = UMT5Config(
        vocab_size=vocab_size,
        d_model=d_model,
        d_kv=8,
        d_ff=2 * d_model,
        num_layers=2,
        num_heads=max(1, d_model // 8),
        relative_attention_num_buckets=8,
        relative_attention_max_distance=32,
        dropout_rate=0.0,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
    )
    return UMT5EncoderModel(cfg).eval()


def build_clip_vision(hidden_size: int = 16, image_size: int = 32, patch_size: int = 8, seed: int = 0):
    """Random CLIP vision tower + processor shaped like Wan 2.1's (penultimate hidden states used)."""
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

    torch.manual_seed(seed)
    cfg = CLIPVisionConfig(
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        projection_dim=hidden_size,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=image_size,
        patch_size=patch_size,
    )
    model = CLIPVisionModel(cfg).eval()
    processor = CLIPImageProcessor(crop_size=image_size, size={"shortest_edge": image_size})
    return model, processor

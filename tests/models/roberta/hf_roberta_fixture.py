"""Tiny Hugging Face RoBERTa folders written by transformers itself, with
a byte-level BPE vocabulary trained by `tokenizers`; every parameter is
perturbed so that a dropped bias or a missed transpose shows."""

import json
import os
import shutil
from reference_weights import perturb  # noqa: F401

TEXTS = ["a photo of a cat", "Two DOGS playing, in the snow!",
         "  leading spaces and  double  spaces", "naïve café 123",
         "it's the dog's toy; isn't it?", "x",
         "the quick brown fox jumps over the lazy dog " * 3]  # Truncated.
CORPUS = ["a photo of a cat", "Two dogs playing in the snow!",
          "the quick brown fox jumps over the lazy dog",
          "hello, world. It's 2024; isn't it?", "café naïve"] * 10
SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]


def write_tokenizer(folder, sequence_length):
    """`vocab.json` + `merges.txt` (as Hub folders ship them) and
    transformers' own `tokenizer.json`; returns the vocabulary size."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaTokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(CORPUS, vocab_size=400, min_frequency=1,
                            special_tokens=SPECIAL_TOKENS)
    os.makedirs(folder, exist_ok=True)
    bpe.save_model(folder)
    tokenizer = RobertaTokenizer(os.path.join(folder, "vocab.json"),
                                 os.path.join(folder, "merges.txt"),
                                 model_max_length=sequence_length)
    tokenizer.save_pretrained(folder)
    return len(tokenizer)


def write_hf_roberta(folder, sequence_length=16, masked_lm=False):
    """A tiny `RobertaModel` (or `RobertaForMaskedLM`) folder."""
    import torch
    from transformers import RobertaConfig
    from transformers import RobertaForMaskedLM
    from transformers import RobertaModel

    vocabulary_size = write_tokenizer(folder, sequence_length)
    config = RobertaConfig(
        vocab_size=vocabulary_size, hidden_size=32, intermediate_size=64,
        num_hidden_layers=2, num_attention_heads=2, type_vocab_size=1,
        max_position_embeddings=sequence_length + 2, pad_token_id=1,
        bos_token_id=0, eos_token_id=2, layer_norm_eps=1e-5)
    torch.manual_seed(0)
    model = (RobertaForMaskedLM if masked_lm else RobertaModel)(config)
    model = model.eval()
    perturb(model)
    model.save_pretrained(folder)
    return model


def write_sentence_transformers(folder, roberta_folder):
    """A sentence-transformers folder: RoBERTa in `0_Transformer/`, mean
    pooling, normalisation."""
    shutil.copytree(roberta_folder, os.path.join(folder, "0_Transformer"))
    modules = [
        {"idx": 0, "name": "0", "path": "0_Transformer",
         "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling",
         "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize",
         "type": "sentence_transformers.models.Normalize"},
    ]
    os.makedirs(os.path.join(folder, "1_Pooling"))
    os.makedirs(os.path.join(folder, "2_Normalize"))
    with open(os.path.join(folder, "modules.json"), "w") as f:
        json.dump(modules, f)
    with open(os.path.join(folder, "1_Pooling", "config.json"), "w") as f:
        json.dump({"pooling_mode_mean_tokens": True}, f)


def reference_roberta(folder, texts, sequence_length=16):
    """transformers' token ids, mask, last hidden state and pooler output
    (padded to `sequence_length`)."""
    import torch
    from transformers import AutoTokenizer
    from transformers import RobertaModel

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = RobertaModel.from_pretrained(folder).eval()
    inputs = tokenizer(texts, padding="max_length", truncation=True,
                       max_length=sequence_length, return_tensors="pt")
    with torch.no_grad():
        out = model(input_ids=inputs["input_ids"],
                    attention_mask=inputs["attention_mask"])
    return (inputs["input_ids"].numpy(), inputs["attention_mask"].numpy(),
            out.last_hidden_state.numpy(), out.pooler_output.numpy())

"""Tiny Hugging Face BERT folders written by transformers itself, with a
WordPiece `vocab.txt` written here; every parameter is perturbed so that a
dropped bias or a missed transpose shows. The sentence-transformers folder
is laid out by hand as sentence-transformers saves one (the transformer at
the root, `1_Pooling/`, `2_Normalize/`), and its reference is transformers'
hidden states mean-pooled over real tokens and L2-normalised, which is what
sentence-transformers computes."""

import json
import os

from reference_weights import perturb

SEQUENCE_LENGTH = 16
WORDS = ["a", "the", "red", "blue", "cat", "dog", "photo", "of", "on",
         "circle", "square", "small", "is", "it", "cafe", "two",
         "play", "##ing", "##s", "##y", ",", ".", "!", "?", "'", ";"]
VOCABULARY = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
TEXTS = ["a photo of a cat", "Two DOGS playing, on the RED square!",
         "is it a zebra?", "Café; dog's circles.", "x",
         "the small blue circle on the red square of the cat " * 2]
# Lowercasing, punctuation, word pieces, accents and unknown words.
TOKENIZER_TEXTS = ["The RED Cat", "dogs, cats; squares!", "a zebra?",
                   "Café playing", "caté", "it's doggy", "  spaces   between "]


def write_vocabulary(folder):
    """`vocab.txt`, `tokenizer_config.json` and friends, via transformers'
    own `BertTokenizer.save_pretrained`."""
    from transformers import BertTokenizer

    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "vocab.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(VOCABULARY) + "\n")
    BertTokenizer(path, do_lower_case=True,
                  model_max_length=SEQUENCE_LENGTH).save_pretrained(folder)


def write_hf_bert(folder, masked_lm=False):
    """A tiny `BertModel` (or `BertForMaskedLM`) folder with its tokenizer."""
    import torch
    from transformers import BertConfig
    from transformers import BertForMaskedLM
    from transformers import BertModel

    write_vocabulary(folder)
    config = BertConfig(
        vocab_size=len(VOCABULARY), hidden_size=32, intermediate_size=64,
        num_hidden_layers=2, num_attention_heads=2,
        max_position_embeddings=SEQUENCE_LENGTH, layer_norm_eps=1e-5)
    torch.manual_seed(0)
    model = (BertForMaskedLM if masked_lm else BertModel)(config).eval()
    perturb(model)
    model.save_pretrained(folder)
    return model


def write_sentence_transformers(folder):
    """BERT at the folder's root, mean pooling, then normalisation."""
    write_hf_bert(folder)
    modules = [
        {"idx": 0, "name": "0", "path": "",
         "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling",
         "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize",
         "type": "sentence_transformers.models.Normalize"},
    ]
    os.makedirs(os.path.join(folder, "1_Pooling"))
    os.makedirs(os.path.join(folder, "2_Normalize"))
    _write_json(os.path.join(folder, "modules.json"), modules)
    _write_json(os.path.join(folder, "1_Pooling", "config.json"), {
        "word_embedding_dimension": 32, "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False})
    _write_json(os.path.join(folder, "sentence_bert_config.json"),
                {"max_seq_length": SEQUENCE_LENGTH, "do_lower_case": False})


def _write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2)


def reference_tokens(folder, texts, fast):
    """transformers' token ids and mask, padded to `SEQUENCE_LENGTH`."""
    from transformers import BertTokenizer
    from transformers import BertTokenizerFast

    tokenizer = (BertTokenizerFast if fast else BertTokenizer
                 ).from_pretrained(folder)
    inputs = tokenizer(texts, padding="max_length", truncation=True,
                       max_length=SEQUENCE_LENGTH, return_tensors="np")
    return inputs["input_ids"], inputs["attention_mask"]


def reference_bert(folder, texts):
    """transformers' ids, mask, last hidden state and pooler output."""
    import torch
    from transformers import BertModel

    ids, mask = reference_tokens(folder, texts, fast=False)
    model = BertModel.from_pretrained(folder).eval()
    with torch.no_grad():
        out = model(input_ids=torch.from_numpy(ids),
                    attention_mask=torch.from_numpy(mask))
    return (ids, mask, out.last_hidden_state.numpy(),
            out.pooler_output.numpy())


def reference_sentence_embeddings(folder, texts):
    """Mean of the last hidden state over real tokens, L2-normalised."""
    import numpy as np

    _, mask, hidden, _ = reference_bert(folder, texts)
    weights = mask[:, :, None].astype("float64")
    pooled = (hidden * weights).sum(1) / np.maximum(weights.sum(1), 1e-9)
    return pooled / np.linalg.norm(pooled, axis=-1, keepdims=True)

"""`keras-mm embed`: one embedding row per --text / --image / --audio, in
order."""

import argparse

from keras_mm.cli.backend_flag import add_backend_flag


class _AppendInput(argparse.Action):
    """Appends `(kind, value)` so texts and images keep their order."""

    def __call__(self, parser, namespace, values, option_string=None):
        items = list(getattr(namespace, self.dest) or [])
        items.append((self.const, values))
        setattr(namespace, self.dest, items)


def register(subparsers):
    p = subparsers.add_parser(
        "embed",
        help="embed texts, images and audio with a .keras model, a preset "
        "name or a local pretrained checkpoint (folder or file); writes a "
        ".npy with one row per input",
    )
    p.add_argument("--model", required=True,
                   help="a .keras file, a preset name (see keras_mm.presets."
                   "list_presets()) or a local checkpoint: Hugging Face "
                   "(CLIP, SigLIP, ViT, BERT, RoBERTa, Whisper, wav2vec2), "
                   "open_clip (folder or epoch_N.pt), sentence-transformers, "
                   "keras-hub")
    p.add_argument("--text", dest="inputs", action=_AppendInput,
                   const="text", metavar="TEXT", help="a text (repeatable)")
    p.add_argument("--image", dest="inputs", action=_AppendInput,
                   const="image", metavar="FILE",
                   help="an image file (repeatable)")
    p.add_argument("--audio", dest="inputs", action=_AppendInput,
                   const="audio", metavar="FILE",
                   help="a 16 kHz WAV file (repeatable)")
    p.add_argument("--vocab", help="vocab.txt for text (default: vocab.txt "
                   "beside a .keras file, or the checkpoint's)")
    p.add_argument("--out", required=True, help="output .npy path")
    add_backend_flag(p)
    p.set_defaults(run=run, inputs=None)


def run(args):
    import os

    from keras_mm.cli.errors import UsageError

    if not args.inputs:
        raise UsageError("keras-mm embed: give at least one --text, "
                         "--image or --audio")
    for kind, value in args.inputs:
        if kind != "text" and not os.path.isfile(value):
            raise FileNotFoundError(f"No {kind} file at {value}")

    import numpy as np

    from keras_mm.inference.embedder import Embedder

    embedder = Embedder.from_spec(args.model, vocabulary=args.vocab)
    rows = embedder.embed(args.inputs)
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    np.save(args.out, rows)
    print(f"wrote {rows.shape[0]} x {rows.shape[1]} embeddings to "
          f"{args.out}")

"""The column flags every command shares (`data check`, `train`, `eval`,
`export`, `serve`), with open_clip's names accepted as aliases."""


def _separator(value):
    # `--csv-separator "\t"` arrives as backslash-t from most shells.
    return {"\\t": "\t", "tab": "\t"}.get(value, value)


def add_data_flags(parser, label=True, outside_root=True):
    """Adds `--image-key`, `--caption-key`, `--label-key`,
    `--csv-separator` (and their open_clip / older aliases) and
    `--allow-outside-root` to `parser`."""
    group = parser.add_argument_group(
        "data columns", "default: the first common name found (filepath, "
        "image, file_name, ... / title, caption, text, ...)")
    group.add_argument("--image-key", "--csv-img-key", "--media-key",
                       dest="image_key", metavar="NAME",
                       help="manifest column holding the image (or audio, "
                       "video) path")
    group.add_argument("--caption-key", "--csv-caption-key", "--text-key",
                       dest="caption_key", metavar="NAME",
                       help="manifest column holding the caption")
    if label:
        group.add_argument("--label-key", dest="label_key", metavar="NAME",
                           help="manifest column holding a class label")
    group.add_argument("--csv-separator", dest="csv_separator",
                       type=_separator, metavar="SEP",
                       help="CSV delimiter (default ',', tab for .tsv)")
    if outside_root:
        group.add_argument("--allow-outside-root", action="store_true",
                           help="trust media paths that leave the "
                           "manifest's folder ('..', absolute paths, "
                           "symlinks); refused by default")


def data_options(args):
    """The keyword arguments of `keras_mm.data.read_pairs` from the flags.

    Example:
    ```python
    pairs = keras_mm.data.read_pairs(args.train_data, **data_options(args))
    ```
    """
    options = {"media_key": getattr(args, "image_key", None),
               "caption_key": getattr(args, "caption_key", None),
               "label_key": getattr(args, "label_key", None),
               "separator": getattr(args, "csv_separator", None)}
    # Only when given, so the options (and what they fingerprint) of
    # confined data stay as they were.
    if getattr(args, "allow_outside_root", False):
        options["allow_outside_root"] = True
    return options



"""Model runtimes for serving: the Keras model or exported LiteRT towers.

A runtime maps `(modality, {input_key: array (B, ...)})` to unit-norm
embeddings `(B, D)` as float32 numpy, and describes each modality's inputs
(`input_specs`) so the server can preprocess and validate requests.
"""

import os

import numpy as np

DEFAULT_BUCKETS = (1, 4, 8, 16, 32)


def pad_to_bucket(inputs, buckets):
    """Pads a batch (repeating its last row) to the smallest bucket that
    holds it, so compiled predict functions see few distinct shapes."""
    count = len(next(iter(inputs.values())))
    size = next((b for b in sorted(buckets) if b >= count), count)
    if size == count:
        return inputs, count
    return {
        k: np.concatenate([v, np.repeat(v[-1:], size - count, axis=0)])
        for k, v in inputs.items()
    }, count


class KerasRuntime:
    """Serves each modality's tower of a `ContrastiveModel`.

    Batches are padded to `buckets` and run with
    `keras_mm.inference.CompiledPredictor` (each backend's fastest call:
    jit on jax, XLA on tensorflow, a checked trace on torch; no per-call
    data-adapter cost as with `predict_on_batch`). `warmup()` compiles every
    bucket before serving.

    Args:
        model: a `keras_mm.tasks.ContrastiveModel`, or the path of one.
        buckets: tuple of int. Batch sizes the model is compiled for;
            larger batches are split into chunks of the largest.

    Example:
    ```python
    runtime = KerasRuntime("quickstart_out/model.keras")
    runtime.warmup()
    runtime.embed("image", {"images": images})  # (B, 128)
    ```
    """

    name = "keras"

    def __init__(self, model, buckets=DEFAULT_BUCKETS):
        if isinstance(model, str):
            from keras_mm import load_model

            if not os.path.exists(model):
                raise FileNotFoundError(f"No model at {model}")
            model = load_model(model)
        self.model = model
        self.buckets = tuple(sorted(buckets))
        from keras_mm.inference import CompiledPredictor

        self.towers = {m: model.tower(m) for m in model.modalities}
        self.predictors = {m: CompiledPredictor(tower)
                           for m, tower in self.towers.items()}
        self.input_specs = {
            m: {
                key: (tuple(tower.input[key].shape[1:]),
                      str(tower.input[key].dtype))
                for key in model.encoders[m].input_keys
            }
            for m, tower in self.towers.items()
        }

    @property
    def modalities(self):
        return tuple(self.towers)

    def embed(self, modality, inputs):
        predict = self.predictors[modality]
        count = len(next(iter(inputs.values())))
        largest = self.buckets[-1]
        outputs = []
        for start in range(0, count, largest):
            chunk = {k: np.asarray(v[start:start + largest])
                     for k, v in inputs.items()}
            padded, n = pad_to_bucket(chunk, self.buckets)
            result = predict(padded)
            outputs.append(np.asarray(result, np.float32)[:n])
        return np.concatenate(outputs, axis=0)

    def warmup(self, repeats=2):
        """Compiles (and runs) every bucket of every modality."""
        for modality, spec in self.input_specs.items():
            for size in self.buckets:
                dummy = {k: np.zeros((size, *shape), dtype)
                         for k, (shape, dtype) in spec.items()}
                for _ in range(repeats):
                    self.embed(modality, dummy)


class LiteRTRuntime:
    """Serves `.tflite` towers (one per modality) in the LiteRT interpreter.

    The exported towers have a static batch of 1, so a batch runs row by
    row; micro-batching still groups requests into one call.

    Args:
        paths: dict `{modality: path to <modality>_<mode>.tflite}`.
        num_threads: int. Interpreter threads.

    Example:
    ```python
    runtime = LiteRTRuntime.from_directory("quickstart_out/litert")
    runtime.embed("text", text_inputs)
    ```
    """

    name = "litert"

    def __init__(self, paths, num_threads=2):
        from keras_mm.export.litert import LiteRTRunner

        self.paths = dict(paths)
        self.runners = {m: LiteRTRunner(p, num_threads=num_threads)
                        for m, p in self.paths.items()}
        self.input_specs = {
            m: {
                name: (tuple(int(d) for d in detail["shape"][1:]),
                       np.dtype(detail["dtype"]).name)
                for name, detail in runner.input_details.items()
            }
            for m, runner in self.runners.items()
        }

    @classmethod
    def from_directory(cls, directory, mode="float32", num_threads=2):
        """Every `<modality>_<mode>.tflite` in `directory`."""
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"No LiteRT folder at {directory}")
        suffix = f"_{mode}.tflite"
        paths = {name[:-len(suffix)]: os.path.join(directory, name)
                 for name in sorted(os.listdir(directory))
                 if name.endswith(suffix)}
        if not paths:
            raise FileNotFoundError(
                f"No *{suffix} files in {directory}"
            )
        return cls(paths, num_threads=num_threads)

    @classmethod
    def from_export_folder(cls, directory, num_threads=2):
        """The towers named by a `keras-mm export` folder's `export.json`.

        Example:
        ```python
        runtime = LiteRTRuntime.from_export_folder("export/")
        runtime.description["preprocessing"]["text"]["sequence_length"]
        ```
        """
        from keras_mm.export.export_folder import read_export_json

        description = read_export_json(directory)
        if description.get("format") != "litert":
            raise ValueError(
                f"{directory} holds {description.get('format')} towers; the "
                "litert runtime serves LiteRT (.tflite) exports")
        paths = {m: os.path.join(directory, tower["file"])
                 for m, tower in description["towers"].items()}
        for path in paths.values():
            if not os.path.isfile(path):
                raise FileNotFoundError(
                    f"No tower file at {path} (named in export.json)")
        runtime = cls(paths, num_threads=num_threads)
        runtime.description = description
        return runtime

    @property
    def modalities(self):
        return tuple(self.runners)

    def embed(self, modality, inputs):
        spec = self.input_specs[modality]
        feed = {k: np.asarray(v).astype(spec[k][1]) for k, v in inputs.items()}
        return np.asarray(self.runners[modality](feed), np.float32)

    def warmup(self, repeats=2):
        for modality, spec in self.input_specs.items():
            dummy = {k: np.zeros((1, *shape), dtype)
                     for k, (shape, dtype) in spec.items()}
            for _ in range(repeats):
                self.embed(modality, dummy)

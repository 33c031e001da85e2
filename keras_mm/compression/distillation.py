"""Distillation of a contrastive teacher into a smaller student.

The student learns from three signals: its own contrastive loss, the
teacher's embeddings (cosine distance, when both share `projection_dim`),
and the teacher's in-batch similarity distributions (KL divergence between
the softmaxed image→text and text→image similarity rows).
"""

import keras
from keras import ops

from keras_mm.api_export import keras_mm_export


@keras_mm_export
class SimilarityDistillation(keras.distillation.DistillationLoss):
    """KL between teacher and student in-batch similarity distributions.

    Args:
        temperature: float. Softmax temperature of both similarity matrices.
        embedding_weight: float. Weight of the per-row cosine distance
            between teacher and student embeddings (0 disables it).
    """

    def __init__(self, temperature=0.05, embedding_weight=1.0):
        self.temperature = temperature
        self.embedding_weight = embedding_weight

    def validate_model_compatibility(self, teacher, student):
        pass

    def validate_outputs(self, teacher_outputs, student_outputs):
        keras.tree.assert_same_structure(teacher_outputs, student_outputs)

    def _log_probs(self, a, b):
        logits = ops.matmul(a, ops.transpose(b)) / self.temperature  # (B, B)
        return ops.log_softmax(logits, axis=-1)

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        keys = sorted(k for k in teacher_outputs if k.endswith("_embeddings"))
        total = 0.0
        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                for x, y in ((a, b), (b, a)):
                    t = self._log_probs(teacher_outputs[x], teacher_outputs[y])
                    s = self._log_probs(student_outputs[x], student_outputs[y])
                    # KL(teacher || student), mean over rows.
                    total = total + ops.mean(
                        ops.sum(ops.exp(t) * (t - s), axis=-1)
                    )
        if self.embedding_weight:
            for key in keys:
                cos = ops.sum(teacher_outputs[key] * student_outputs[key], -1)
                total = total + self.embedding_weight * ops.mean(1.0 - cos)
        return total

    def get_config(self):
        return {"temperature": self.temperature,
                "embedding_weight": self.embedding_weight}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras_mm_export
class ContrastiveDistiller(keras.distillation.Distiller):
    """`keras.distillation.Distiller` whose student loss is contrastive.

    Trains with `fit(x)` (no labels): the student's own in-batch loss is
    weighted by `student_loss_weight`, `SimilarityDistillation` by the rest.

    Args:
        teacher: a trained `ContrastiveModel` (frozen).
        student: a `ContrastiveModel` with the same modalities and
            `projection_dim`.
        distillation_losses: defaults to `SimilarityDistillation()`.
        student_loss_weight: float in [0, 1].

    Example:
    ```python
    distiller = keras_mm.compression.ContrastiveDistiller(teacher, student)
    distiller.compile(optimizer="adam")
    distiller.fit(x, epochs=3)
    ```
    """

    def __init__(self, teacher, student, distillation_losses=None,
                 student_loss_weight=0.5, **kwargs):
        super().__init__(
            teacher=teacher,
            student=student,
            distillation_losses=distillation_losses
            or SimilarityDistillation(),
            student_loss_weight=student_loss_weight,
            **kwargs,
        )

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        if y_pred is None:
            y_pred = self(x, training=training)
        student_loss = self.student.contrastive_loss(y_pred)
        teacher_outputs = self.teacher(x, training=False)
        distillation_loss = 0.0
        for loss, weight in zip(self.distillation_losses,
                                self.distillation_loss_weights):
            distillation_loss = distillation_loss + weight * loss.compute_loss(
                teacher_outputs, y_pred
            )
        total = (self.student_loss_weight * student_loss
                 + (1.0 - self.student_loss_weight) * distillation_loss)
        self.student_loss_tracker.update_state(student_loss)
        self.distillation_loss_tracker.update_state(distillation_loss)
        self.total_loss_tracker.update_state(total)
        return total

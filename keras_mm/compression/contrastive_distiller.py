"""Distillation of a contrastive teacher into a smaller student.

The student learns from three signals: its own contrastive loss, the
teacher's embeddings (cosine distance, when both share `projection_dim`),
and the teacher's in-batch similarity distributions (KL divergence between
the softmaxed image→text and text→image similarity rows).
"""

import keras

from keras_mm import backend
from keras_mm.api_export import keras_mm_export
from keras_mm.compression.similarity_distillation import (
    SimilarityDistillation,
)


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

    def compile(self, optimizer="adam", loss="mean_squared_error",
                **kwargs):
        # The base class requires a student loss; ours is the student's
        # own contrastive loss (see `compute_loss`), so `loss` is unused.
        super().compile(optimizer=optimizer, loss=loss, **kwargs)

    def train_step(self, *args):
        # The student's towers share variable paths with each other and
        # with the teacher's, which some backends' gradients cannot tell
        # apart.
        gradients = backend.native("shared_path_gradients")
        if gradients is not None:
            gradients.clear(self)
        return super().train_step(*args)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        if y_pred is None:
            y_pred = self(x, training=training)
        student_loss = self.student.contrastive_loss(
            {m: y_pred[f"{m}_embeddings"] for m in self.student.modalities}
        )
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

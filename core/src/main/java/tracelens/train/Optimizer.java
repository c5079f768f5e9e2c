package tracelens.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * One update of the parameters from the gradients now on them, at learning rate {@code lr}, after global
 * gradient-norm clipping (PyTorch's {@code clip_grad_norm_}: every gradient scaled by clip / (norm + 1e-6) when the
 * norm exceeds clip). {@link Adam}, {@link Sgd} and {@link RmsProp}; the training loop takes any of them.
 */
public interface Optimizer {
    /** Returns the global gradient norm before clipping; a non-finite norm leaves the parameters as they were. */
    double step(NDManager scope, double lr);

    int steps();

    /** The SIP code's choices (sip.md §5): adam, sgd (no momentum) or rmsprop (alpha 0.99, eps 1e-8). */
    enum Kind {
        ADAM, SGD, RMSPROP;

        public static Kind parse(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "adam" -> ADAM;
                case "sgd" -> SGD;
                case "rmsprop" -> RMSPROP;
                default -> throw tracelens.error.InvalidInputException.field("optimizer", " must be adam, sgd or rmsprop, found '" + s + "'");
            };
        }

        public Optimizer create(NDManager manager, List<NDArray> params, double clip) {
            return switch (this) {
                case ADAM -> new Adam(manager, params, 0, clip);
                case SGD -> new Sgd(params, clip);
                case RMSPROP -> new RmsProp(manager, params, clip);
            };
        }
    }

    /** The gradients of {@code params} (attached to {@code scope}) and their global L2 norm. */
    record Gradients(List<NDArray> grads, double norm) {
        static Gradients of(List<NDArray> params, NDManager scope) {
            List<NDArray> grads = new ArrayList<>(params.size());
            ai.djl.ndarray.NDList norms = new ai.djl.ndarray.NDList(params.size());
            for (NDArray p : params) {
                NDArray g = p.getGradient();
                g.tempAttach(scope);
                grads.add(g);
                norms.add(g.norm());
            }
            // the global norm from the per-tensor norms: few native calls, one read-back per step
            return new Gradients(grads, ai.djl.ndarray.NDArrays.stack(norms).norm().getFloat());
        }

        /**
         * Sets the gradients to zero for the next backward pass (PyTorch accumulates into .grad; the engine's fused
         * Adam update clears them itself, the other optimisers call this after their update).
         */
        void clear() {
            for (NDArray g : grads) {
                g.muli(0f);
            }
        }

        /** The factor clipping multiplies every gradient by (1 when within the limit, or without clipping). */
        float clipScale(double clip) {
            return clip > 0 && norm > clip ? (float) (clip / (norm + 1e-6)) : 1f;
        }
    }
}

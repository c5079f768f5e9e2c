package tracelens.radioactive;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Random;
import tracelens.cnn.Cnn;
import tracelens.error.InvalidInputException;
import tracelens.error.NumericalFailureException;
import tracelens.images.ImageFolder;
import tracelens.nn.Hooks;

/**
 * Radioactive marking of images (radioactive.md §2 with the corrections of §11): the pixels x~ of a batch of one class
 * are optimised, in the network's normalised input space and at the images' own resolution, to minimise
 *
 * <pre>
 *   L = - sum_b (phi(A(x~_b)) - f0_b) . u  +  lambda_ft sum_b |phi(A(x~_b)) - f0_b|_2  +  lambda_img sum_b |x~_b - x_b|^2
 * </pre>
 *
 * with phi the frozen network's penultimate features, f0 = phi(CenterCrop(x)), u the class's carrier and A a fresh
 * differentiable random resized crop and flip per image and step ({@link Augmentation}). SGD with momentum and weight
 * decay; after every step the change is clipped to +-R levels of 255 per pixel; every 10 steps (step 0 included) the
 * pixels are rounded to the 8-bit grid; the result is clamped and truncated to 8 bits.
 */
public final class ImageMarker {
    /** The optimisation settings; the defaults are the original README's example run. */
    public record Options(int iterations, double lr, double momentum, double weightDecay, double lambdaFt, double lambdaImg,
            double radius, boolean randomAugmentation) {
        public Options {
            if (iterations < 1) {
                throw InvalidInputException.field("iterations", " must be at least 1, found " + iterations);
            }
            if (!(lr > 0) || !(radius > 0) || !(lambdaFt >= 0) || !(lambdaImg >= 0) || !(momentum >= 0 && momentum < 1)) {
                throw new InvalidInputException("marking: lr and radius must be positive, lambdas non-negative, momentum in [0, 1)");
            }
        }

        /** radioactive.md §2, README example: 90 steps, SGD lr 1.0 without momentum, lambda_ft 0.01, lambda_img 0.0005, R 10. */
        public static Options readme() {
            return new Options(90, 1.0, 0, 0, 0.01, 0.0005, 10, true);
        }
    }

    /** Input normalisation: per-channel mean and std; gray images are repeated over three channels after it. */
    public record Normalisation(float[] mean, float[] std) {
        public static Normalisation canvas() {
            return new Normalisation(new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.25f, 0.25f, 0.25f});
        }
    }

    /** One marked image: 8-bit pixels (as values k / 255), PSNR against the original, and the feature shift along u. */
    public record Marked(ImageFolder.Item image, double psnr, double shiftAlongCarrier, double shiftCosine) {}

    private ImageMarker() {}

    /** Marks {@code items} (one class, one size) with carrier {@code u}; {@code seed} draws the augmentations. */
    public static List<Marked> mark(NDManager root, Cnn phi, List<ImageFolder.Item> items, float[] u, Normalisation norm, Options o,
            long seed) {
        ImageFolder.Item first = items.get(0);
        int b = items.size();
        int c = first.channels();
        int h = first.height();
        int w = first.width();
        int per = c * h * w;
        for (ImageFolder.Item it : items) {
            if (it.channels() != c || it.height() != h || it.width() != w || it.label() != first.label()) {
                throw new IllegalArgumentException("one marking batch holds images of one class and one size");
            }
        }
        float[] sigma = new float[c];
        float[] mu = new float[c];
        for (int ch = 0; ch < c; ch++) {
            sigma[ch] = norm.std()[ch];
            mu[ch] = norm.mean()[ch];
        }
        float[] x0 = new float[b * per]; // normalised originals
        for (int i = 0; i < b; i++) {
            float[] px = items.get(i).pixels();
            for (int k = 0; k < per; k++) {
                int ch = k / (h * w);
                x0[i * per + k] = (px[k] - mu[ch]) / sigma[ch];
            }
        }
        float[] xt = x0.clone();
        float[] velocity = new float[xt.length];
        int s = Math.min(h, w); // the network sees S x S crops; canvases are square, so S is their size
        Augmentation.Crop[] centre = new Augmentation.Crop[b];
        java.util.Arrays.fill(centre, Augmentation.center(h, w, s));
        float[] f0;
        try (NDManager scope = root.newSubManager()) {
            f0 = features(scope, phi, scope.create(x0, new Shape(b, c, h, w)), centre, s).toFloatArray();
        }
        int d = f0.length / b;
        if (u.length != d) {
            throw new InvalidInputException("the carrier has " + u.length + " dimensions, the network's features " + d);
        }
        Random r = new Random(seed);
        for (int it = 0; it < o.iterations(); it++) {
            if (it % 10 == 0) {
                roundToPixels(xt, mu, sigma, per, h * w);
            }
            float[] grad;
            try (NDManager scope = root.newSubManager()) {
                NDArray x = scope.create(xt, new Shape(b, c, h, w));
                x.setRequiresGradient(true);
                Augmentation.Crop[] crops = new Augmentation.Crop[b];
                for (int i = 0; i < b; i++) {
                    crops[i] = o.randomAugmentation() ? Augmentation.random(h, w, s, r) : centre[i];
                }
                try (tracelens.nn.Autograd gc = tracelens.nn.Autograd.record()) {
                    NDArray diff = features(scope, phi, x, crops, s).sub(scope.create(f0, new Shape(b, d)));
                    NDArray along = diff.matMul(scope.create(u, new Shape(d, 1))).sum();
                    NDArray drift = diff.norm(new int[] {1}).sum(); // the engine's norm: gradient 0, not NaN, where diff = 0 (centre crop, step 0)
                    NDArray image = x.sub(scope.create(x0, new Shape(b, c, h, w))).square().sum();
                    NDArray loss = along.neg().add(drift.mul(tracelens.nn.Scalars.of(drift, o.lambdaFt()))).add(image.mul(tracelens.nn.Scalars.of(image, o.lambdaImg())));
                    float l = loss.getFloat();
                    if (!Float.isFinite(l)) {
                        throw new NumericalFailureException("marking: the objective became " + l + " at step " + it);
                    }
                    gc.backward(loss);
                }
                grad = x.getGradient().toFloatArray();
            }
            for (int k = 0; k < xt.length; k++) {
                float g = grad[k] + (float) o.weightDecay() * xt[k];
                velocity[k] = (float) o.momentum() * velocity[k] + g;
                xt[k] -= (float) o.lr() * velocity[k];
            }
            project(xt, x0, sigma, (float) o.radius(), per, h * w);
        }
        // 8 bits: clamped, then truncated (§11)
        float[][] out = new float[b][per];
        float[] finalNormalised = new float[xt.length];
        for (int i = 0; i < b; i++) {
            for (int k = 0; k < per; k++) {
                int ch = k / (h * w);
                int level = ImageFolder.toByte(xt[i * per + k] * sigma[ch] + mu[ch]);
                out[i][k] = level / 255f;
                finalNormalised[i * per + k] = (out[i][k] - mu[ch]) / sigma[ch];
            }
        }
        float[] f1;
        try (NDManager scope = root.newSubManager()) {
            f1 = features(scope, phi, scope.create(finalNormalised, new Shape(b, c, h, w)), centre, s).toFloatArray();
        }
        List<Marked> result = new java.util.ArrayList<>();
        for (int i = 0; i < b; i++) {
            double along = 0;
            double norm2 = 0;
            for (int j = 0; j < d; j++) {
                double delta = f1[i * d + j] - f0[i * d + j];
                along += delta * u[j];
                norm2 += delta * delta;
            }
            ImageFolder.Item original = items.get(i);
            result.add(new Marked(original.withPixels(out[i]), psnr(original.pixels(), out[i]), along,
                    norm2 > 0 ? along / Math.sqrt(norm2) : 0));
        }
        return result;
    }

    /** phi(A(x)) for normalised images x (B, C, H, W), gray repeated over RGB. */
    static NDArray features(NDManager scope, Cnn phi, NDArray x, Augmentation.Crop[] crops, int s) {
        NDArray a = Augmentation.apply(scope, x, crops, s);
        if (a.getShape().get(1) == 1) {
            a = a.repeat(1, 3);
        }
        return phi.features(a, Hooks.none(scope));
    }

    private static void roundToPixels(float[] xt, float[] mu, float[] sigma, int per, int plane) {
        for (int k = 0; k < xt.length; k++) {
            int ch = (k % per) / plane;
            float p = Math.max(0, Math.min(255, Math.round(255 * (xt[k] * sigma[ch] + mu[ch]))));
            xt[k] = (p / 255 - mu[ch]) / sigma[ch];
        }
    }

    /** |255 sigma (x~ - x)| <= R per pixel. */
    private static void project(float[] xt, float[] x0, float[] sigma, float radius, int per, int plane) {
        for (int k = 0; k < xt.length; k++) {
            int ch = (k % per) / plane;
            float delta = 255 * sigma[ch] * (xt[k] - x0[k]);
            delta = Math.max(-radius, Math.min(radius, delta));
            xt[k] = x0[k] + delta / (255 * sigma[ch]);
        }
    }

    /** PSNR in dB of the marked pixels against the original, both in [0, 1]; infinite when equal. */
    public static double psnr(float[] original, float[] marked) {
        double mse = 0;
        for (int k = 0; k < original.length; k++) {
            double e = 255.0 * (original[k] - marked[k]);
            mse += e * e;
        }
        mse /= original.length;
        return mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(255.0 * 255.0 / mse);
    }
}

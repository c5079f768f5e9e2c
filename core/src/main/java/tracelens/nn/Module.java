package tracelens.nn;

/**
 * Anything with parameters: encoders, decoders, a decoder block on its own, heads, projections, probes, CNNs.
 *
 * <p>Ownership: a module built from weights owns them and frees them on {@link #close()}; a view taken out of another
 * module (a decoder's block, say) shares its parent's arrays, and closing the view frees nothing, so the parent must
 * outlive it. Freezing changes what {@link Parameters#trainable()} returns, and with it what the training loop
 * optimises; gradients still flow through frozen parameters to whatever lies upstream.
 */
public interface Module extends AutoCloseable {
    Parameters parameters();

    default Module freeze() {
        parameters().setTrainable(false);
        return this;
    }

    default Module unfreeze() {
        parameters().setTrainable(true);
        return this;
    }

    /**
     * Training or evaluation mode; it matters only to modules with dropout or batch statistics, which override both
     * methods. The others have one behaviour and ignore it.
     */
    default void setTraining(boolean training) {}

    default boolean isTraining() {
        return false;
    }

    @Override
    void close();
}

package tracelens.nn;

import java.util.List;
import tracelens.error.InvalidInputException;

/** A model whose forward pass passes every activation site through a {@link Hooks} object. */
public interface HookedModel {
    /** Every site, in forward order. */
    List<Site> sites();

    /** The site named {@code name}, or an error naming it and listing the valid names. */
    default Site site(String name) {
        for (Site s : sites()) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        throw new InvalidInputException("no site '" + name + "' in this model; its sites are " + Site.list(sites(), 12)
                + " (tracelens sites --model M lists them all)");
    }

    /**
     * The index in {@link #sites()} of the last site that {@code hooks} touches, -1 when none: a forward pass that needs
     * no output beyond it may stop there. Unknown names fail here, before any work.
     */
    default int lastTouched(Hooks hooks) {
        List<Site> all = sites();
        int last = -1;
        for (String name : hooks.names()) {
            site(name);
            for (int i = 0; i < all.size(); i++) {
                if (all.get(i).name().equals(name)) {
                    last = Math.max(last, i);
                }
            }
        }
        return last;
    }
}

package tracelens.nn;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tracelens.error.InvalidInputException;

/**
 * A module's parameters by dotted name, in a fixed order (the order optimisers and snapshots use), each trainable or
 * frozen. The arrays are the live ones: an optimiser updates them in place.
 */
public final class Parameters {
    private final Map<String, NDArray> byName = new LinkedHashMap<>();
    private final Set<String> frozen = new HashSet<>();
    private final Set<String> buffers = new HashSet<>();

    public Parameters add(String name, NDArray p) {
        if (byName.putIfAbsent(name, p) != null) {
            throw new IllegalArgumentException("duplicate parameter name '" + name + "'");
        }
        return this;
    }

    /** Adds state that is not trained but belongs to the module's value (batch-norm running statistics): always frozen. */
    public Parameters addBuffer(String name, NDArray b) {
        add(name, b);
        frozen.add(name);
        buffers.add(name);
        return this;
    }

    /** Adds every parameter of {@code other} under {@code prefix + "."}, keeping its frozen flags. */
    public Parameters addAll(String prefix, Parameters other) {
        for (Map.Entry<String, NDArray> e : other.byName.entrySet()) {
            String name = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            add(name, e.getValue());
            if (other.frozen.contains(e.getKey())) {
                frozen.add(name);
            }
            if (other.buffers.contains(e.getKey())) {
                buffers.add(name);
            }
        }
        return this;
    }

    public NDArray get(String name) {
        NDArray p = byName.get(name);
        if (p == null) {
            throw new InvalidInputException("no parameter '" + name + "'");
        }
        return p;
    }

    public Map<String, NDArray> asMap() {
        return Collections.unmodifiableMap(byName);
    }

    public List<NDArray> all() {
        return new ArrayList<>(byName.values());
    }

    /** The trainable arrays, in order. */
    public List<NDArray> trainable() {
        List<NDArray> out = new ArrayList<>();
        byName.forEach((n, p) -> {
            if (!frozen.contains(n)) {
                out.add(p);
            }
        });
        return out;
    }

    public boolean isTrainable(String name) {
        get(name);
        return !frozen.contains(name);
    }

    /** Freezes or unfreezes one parameter (buffers stay frozen). */
    public void setTrainable(String name, boolean trainable) {
        get(name);
        if (trainable && !buffers.contains(name)) {
            frozen.remove(name);
        } else {
            frozen.add(name);
        }
    }

    public void setTrainable(boolean trainable) {
        if (trainable) {
            frozen.retainAll(buffers);
        } else {
            frozen.addAll(byName.keySet());
        }
    }

    /** Number of scalars, all or trainable only. */
    public long count(boolean trainableOnly) {
        long n = 0;
        for (Map.Entry<String, NDArray> e : byName.entrySet()) {
            if (!trainableOnly || !frozen.contains(e.getKey())) {
                n += e.getValue().size();
            }
        }
        return n;
    }

    public int size() {
        return byName.size();
    }

    /** The values of every entry, trainable, frozen or buffer, for {@link #restore} (best-epoch restore). */
    public List<float[]> snapshot() {
        return byName.values().stream().map(NDArray::toFloatArray).toList();
    }

    public void restore(List<float[]> values) {
        List<NDArray> t = all();
        for (int i = 0; i < t.size(); i++) {
            t.get(i).set(values.get(i));
        }
    }
}

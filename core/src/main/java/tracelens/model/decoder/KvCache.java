package tracelens.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * Keys (after rotary) and values of every layer for the tokens seen so far, (B, KV, T_past, hs) each, plus the
 * key mask over those tokens. Owns its arrays; close it when the sequence is done.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private long[] keyMask = new long[0]; // (B, T_past), row-major
    private int length;
    private int batch;

    public KvCache(NDManager parent, int layers) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    /** Tokens cached so far. */
    public int length() {
        return length;
    }

    long[] keyMask() {
        return keyMask;
    }

    /** Appends this step's keys and values of one layer and returns the full ones (owned by the cache). */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        if (keys[layer] == null) {
            k.attach(manager);
            v.attach(manager);
            keys[layer] = k;
            values[layer] = v;
        } else {
            NDArray oldK = keys[layer];
            NDArray oldV = values[layer];
            keys[layer] = NDArrays.concat(new NDList(oldK, k), 2); // lands in the cache's manager with oldK
            values[layer] = NDArrays.concat(new NDList(oldV, v), 2);
            oldK.close();
            oldV.close();
        }
        return new NDArray[] {keys[layer], values[layer]};
    }

    /** Records the key mask of a step of {@code t} new tokens (called once per forward, after all layers). */
    void advance(int b, int t, long[] stepKeyMask) {
        long[] merged = new long[b * (length + t)];
        for (int i = 0; i < b; i++) {
            if (length > 0) {
                System.arraycopy(keyMask, i * length, merged, i * (length + t), length);
            }
            System.arraycopy(stepKeyMask, i * t, merged, i * (length + t) + length, t);
        }
        keyMask = merged;
        length += t;
        batch = b;
    }

    int batch() {
        return batch;
    }

    @Override
    public void close() {
        manager.close();
    }
}

import java.nio.file.Path;
import tracelens.model.DType;
import tracelens.testing.SyntheticCache;

/** Writes a synthetic SIP cache. Args: dir sources samplesPerSource tokens dims */
public class WriteSyntheticCache {
    public static void main(String[] a) {
        SyntheticCache.write(Path.of(a[0]), Integer.parseInt(a[1]), Integer.parseInt(a[2]), Integer.parseInt(a[3]),
                Integer.parseInt(a[4]), 5, DType.F16, 0.15, 0.3, 0, 0);
    }
}

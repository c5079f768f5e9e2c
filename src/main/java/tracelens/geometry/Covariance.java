package tracelens.geometry;

/** The sample covariance (ddof 1) of a point cloud, in double precision. */
public final class Covariance {
    private Covariance() {}

    public static double[][] of(double[][] p) {
        Points.check(p, 2, 1);
        return Points.covariance(p, true);
    }
}

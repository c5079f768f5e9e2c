package tracelens.geometry;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tracelens.error.InvalidInputException;

/** A point cloud as CSV: one point per row, no header, comma-separated numbers. Errors name the row and column. */
public final class PointsCsv {
    /** A decimal number as CSV writers write it (sign, digits, point, exponent); Java's parser alone also takes 1f, 0x1p3. */
    private static final java.util.regex.Pattern NUMBER =
            java.util.regex.Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?|[+-]?(NaN|Infinity|inf|nan)");

    private PointsCsv() {}

    public static double[][] read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw InvalidInputException.at(file, "file not found");
        }
        List<double[]> rows = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = -1;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (lineNo == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1); // a UTF-8 byte-order mark, as text inputs accept it
                }
                if (line.isBlank()) {
                    continue;
                }
                String[] cells = line.split(",", -1);
                if (n < 0) {
                    n = cells.length;
                } else if (cells.length != n) {
                    throw InvalidInputException.at(file, "row " + lineNo, "has " + cells.length + " values, the first row has " + n);
                }
                double[] v = new double[n];
                for (int j = 0; j < n; j++) {
                    try {
                        String cell = cells[j].strip();
                        if (!NUMBER.matcher(cell).matches()) {
                            throw new NumberFormatException(cell);
                        }
                        v[j] = Double.parseDouble(cell.replace("inf", "Infinity").replace("nan", "NaN"));
                    } catch (NumberFormatException e) {
                        throw InvalidInputException.at(file, "row " + lineNo + ", column " + (j + 1), "'" + cells[j].strip() + "' is not a number");
                    }
                    if (!Double.isFinite(v[j])) {
                        throw InvalidInputException.at(file, "row " + lineNo + ", column " + (j + 1), "is " + cells[j].strip() + "; values must be finite");
                    }
                }
                rows.add(v);
            }
        } catch (IOException e) {
            throw InvalidInputException.at(file, "cannot read: " + e.getMessage());
        }
        if (rows.isEmpty()) {
            throw InvalidInputException.at(file, "no points (empty file)");
        }
        return rows.toArray(double[][]::new);
    }
}

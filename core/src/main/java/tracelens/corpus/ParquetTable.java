package tracelens.corpus;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.Consumer;
import tracelens.error.InvalidInputException;

/**
 * A Parquet file's texts, read through DuckDB's JDBC driver (an in-memory database, results streamed rather than
 * materialised, so a file of any size passes through bounded memory). Rows are numbered from 1 in the file's order and
 * errors name the file, the row and the column.
 */
final class ParquetTable {
    private ParquetTable() {}

    /** The column names, in the file's order. */
    static List<String> columns(Path path) {
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement("DESCRIBE SELECT * FROM read_parquet(?)")) {
            s.setString(1, path.toString());
            List<String> names = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    names.add(r.getString(1));
                }
            }
            return names;
        } catch (SQLException e) {
            throw unreadable(path, e);
        }
    }

    /** Hands each row's text (and source, when {@code sourceColumn} is not null) to {@code sink}, in file order. */
    static void forEach(Path path, String textColumn, String sourceColumn, Consumer<TextRecord> sink) {
        List<String> names = columns(path);
        check(path, names, textColumn, "--text-column");
        if (sourceColumn != null) {
            check(path, names, sourceColumn, "--source-column");
        }
        String sql = "SELECT " + quote(textColumn) + (sourceColumn != null ? ", " + quote(sourceColumn) : "") + " FROM read_parquet(?)";
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement(sql)) {
            s.setString(1, path.toString());
            try (ResultSet r = s.executeQuery()) {
                long row = 0;
                while (r.next()) {
                    row++;
                    Object text = r.getObject(1);
                    if (!(text instanceof String t)) {
                        throw InvalidInputException.at(path, "row " + row, "column '" + textColumn + "' is "
                                + (text == null ? "null" : "not a string (" + text.getClass().getSimpleName() + ")"));
                    }
                    String source = null;
                    if (sourceColumn != null) {
                        Object v = r.getObject(2);
                        if (v == null) {
                            throw InvalidInputException.at(path, "row " + row, "column '" + sourceColumn + "' is null");
                        }
                        source = v.toString();
                    }
                    sink.accept(new TextRecord(t, source, row));
                }
            }
        } catch (SQLException e) {
            throw unreadable(path, e);
        }
    }

    private static void check(Path path, List<String> names, String column, String flag) {
        if (!names.contains(column)) {
            throw InvalidInputException.at(path, "no column '" + column + "' in the columns " + names + " (choose one with " + flag + ")");
        }
    }

    private static Connection connect() throws SQLException {
        Properties p = new Properties();
        p.setProperty("jdbc_stream_results", "true");
        return DriverManager.getConnection("jdbc:duckdb:", p);
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    private static InvalidInputException unreadable(Path path, SQLException e) {
        String msg = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
        return InvalidInputException.at(path, "cannot read as Parquet: " + msg);
    }
}

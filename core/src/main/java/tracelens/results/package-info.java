/** Results as JSON, serialised in one place: one mapper, {@code schemaVersion}, NaN as null with the reason in {@code notes}. */
package tracelens.results;

/** Self-contained HTML reports (Vega-Lite, inlined) and results files. */
package tracelens.report;

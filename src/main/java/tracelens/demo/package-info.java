/** The end-to-end demo on the embedded default model and corpus. */
package tracelens.demo;

/** File output that never leaves a half-written file under its final name. */
package tracelens.io;

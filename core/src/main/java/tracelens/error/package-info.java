/** The small unchecked error hierarchy whose members mean "the user's input is at fault" (exit code 2). */
package tracelens.error;
